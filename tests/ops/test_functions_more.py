"""More of PyTorch's torch.* functions (ops/functions_more.py): each against numpy or scipy
(or an explicit loop where neither has the function), the differentiable ones against central
differences in float64."""

import itertools

import numpy as np
import pytest
from scipy import special

import tensorgrad as tg
from tensorgrad.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(5)


def T(a, grad=False):
    return tg.tensor(np.asarray(a), requires_grad=grad)


def _running_reference(a, better):
    """Values and indices of the running extreme along the last axis by a loop: the index
    moves to every element at least as good (ties: the last) and to every NaN."""
    values, indices = np.empty_like(a), np.empty(a.shape, np.int64)
    for row in np.ndindex(a.shape[:-1]):
        best, where = a[row][0], 0
        for i, v in enumerate(a[row]):
            if np.isnan(v) or (not np.isnan(best) and better(v, best)):
                best, where = v, i
            values[row + (i,)], indices[row + (i,)] = best, where
    return values, indices


@pytest.mark.parametrize("name, better", [("cummax", lambda v, b: v >= b),
                                          ("cummin", lambda v, b: v <= b)])
def test_running_extremes_match_a_loop_and_route_gradients_to_the_extremes(name, better):
    a = rng.integers(0, 4, (3, 7)).astype(float)  # many ties
    a[1, 3] = np.nan
    for dim in (1, 0):
        values, indices = getattr(tg, name)(T(a), dim)
        ref_v, ref_i = _running_reference(np.moveaxis(a, dim, -1), better)
        assert np.array_equal(values.numpy(), np.moveaxis(ref_v, -1, dim), equal_nan=True)
        assert np.array_equal(indices.numpy(), np.moveaxis(ref_i, -1, dim))
    b = rng.standard_normal((3, 6))  # no ties: differentiable everywhere
    assert gradcheck(lambda t: getattr(tg, name)(t, 1)[0], T(b, True))
    xt = T(a[:1, :4] * 0 + np.array([[1.0, 3.0, 2.0, 3.0]]), True)
    getattr(xt, name)(1).values.sum().backward()
    assert np.array_equal(xt.grad.numpy(), [[1, 2, 0, 1]] if name == "cummax"
                          else [[4, 0, 0, 0]])


def test_logcumsumexp_is_exact_where_one_shift_would_underflow():
    a = np.array([[-1000.0, 0.0, 1.0], [3.0, -2.0, 700.0]])
    got = tg.logcumsumexp(T(a), 1).numpy()
    ref = np.logaddexp.accumulate(a, axis=1)
    assert np.allclose(got, ref, rtol=1e-12)
    assert got[0, 0] == -1000.0
    assert gradcheck(lambda t: tg.logcumsumexp(t, 0), T(rng.standard_normal((4, 3)), True))
    assert gradgradcheck(lambda t: tg.logcumsumexp(t, 1), T(rng.standard_normal((2, 3)), True))


def test_histc_and_histogram_match_numpy():
    a = rng.standard_normal(200)
    got = tg.histc(T(a), bins=7, min=-1, max=1.5).numpy()
    assert np.array_equal(got, np.histogram(a, 7, (-1, 1.5))[0].astype(float))
    assert np.array_equal(tg.histc(T(a), bins=5).numpy(),
                          np.histogram(a, 5, (a.min(), a.max()))[0].astype(float))
    assert tg.histc(T(a.astype(np.float32))).dtype == np.float32
    hist, edges = tg.histogram(T(a), bins=6, range=(-2.0, 2.0), density=True)
    ref_h, ref_e = np.histogram(a, 6, (-2.0, 2.0), density=True)
    assert np.allclose(hist.numpy(), ref_h) and np.allclose(edges.numpy(), ref_e)
    w = rng.uniform(size=200)
    hist, _ = tg.histogram(T(a), bins=T(np.array([-3.0, 0.0, 0.5, 3.0])), weight=T(w))
    assert np.allclose(hist.numpy(), np.histogram(a, [-3.0, 0.0, 0.5, 3.0], weights=w)[0])
    with pytest.raises(TypeError, match="histc"):
        tg.histc(T(np.arange(3)))


def test_bucketize_follows_pytorchs_sides():
    b = np.array([1, 3, 5, 7, 9])
    v = rng.integers(0, 11, 30)
    assert np.array_equal(tg.bucketize(T(v), T(b)).numpy(), np.digitize(v, b, right=True))
    assert np.array_equal(tg.bucketize(T(v), T(b), right=True).numpy(), np.digitize(v, b))
    assert tg.bucketize(T(v), T(b), out_int32=True).dtype == np.int32


def test_cartesian_prod_and_combinations_match_itertools():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    assert np.array_equal(tg.cartesian_prod(T(a), T(b)).numpy(),
                          np.array(list(itertools.product(a, b))))
    for r, rep in [(2, False), (3, False), (2, True)]:
        pick = itertools.combinations_with_replacement if rep else itertools.combinations
        got = tg.combinations(T(a), r, with_replacement=rep).numpy()
        assert np.array_equal(got, np.array(list(pick(a, r))))
    assert tg.combinations(T(a), 4).shape == (0, 4)
    assert gradcheck(lambda t: tg.combinations(t, 2) ** 2, T(a, True))


def _scatter_reduce_reference(x, dim, index, src, reduce, include_self):
    out = x.copy()
    groups = {}
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, vals in groups.items():
        vals = ([x[target]] if include_self else []) + vals
        out[target] = fn(vals)
    return out


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_a_loop_and_differentiates(reduce, include_self):
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((3, 4))
    index = rng.integers(0, 3, (2, 4))
    for dim in (0, 1):
        got = tg.scatter_reduce(T(x), dim, T(index), T(src), reduce, include_self=include_self)
        ref = _scatter_reduce_reference(x, dim, index, src, reduce, include_self)
        assert np.allclose(got.numpy(), ref)
    assert gradcheck(lambda a, s: tg.scatter_reduce(a, 0, T(index), s, reduce,
                                                    include_self=include_self), T(x, True),
                     T(src, True))
    if reduce == "prod":  # exact with zeros, and twice differentiable
        z = src.copy()
        z[0, 1] = 0.0
        assert gradcheck(lambda s: tg.scatter_reduce(T(x), 0, T(index), s, "prod"), T(z, True))
        assert gradgradcheck(lambda s: tg.scatter_reduce(T(x), 0, T(index), s, "prod"),
                             T(src, True))


def test_scatter_reduce_amax_shares_the_gradient_among_ties():
    xt = T(np.array([1.0, 2.0, 3.0]), True)
    st = T(np.array([5.0, 5.0, 1.0]), True)
    tg.scatter_reduce(xt, 0, T(np.array([0, 0, 2])), st, "amax").sum().backward()
    assert np.allclose(st.grad.numpy(), [0.5, 0.5, 0.0])
    assert np.allclose(xt.grad.numpy(), [0.0, 1.0, 1.0])


def test_index_copy_index_fill_and_masked_scatter():
    x = rng.standard_normal((4, 3))
    src = rng.standard_normal((4, 2))
    ref = x.copy()
    ref[:, [2, 0]] = src[:, [0, 1]]
    got = tg.index_copy(T(x), 1, T(np.array([2, 0])), T(src[:, :2]))
    assert np.allclose(got.numpy(), ref)
    assert gradcheck(lambda a, s: tg.index_copy(a, 1, T(np.array([2, 0])), s), T(x, True),
                     T(src[:, :2], True))
    ref = x.copy()
    ref[[1, 3]] = -2.5
    assert np.allclose(T(x).index_fill(0, T(np.array([1, 3])), -2.5).numpy(), ref)
    mask = rng.uniform(size=(4, 3)) > 0.5
    source = rng.standard_normal(12)
    ref = x.copy()
    ref[mask] = source[:mask.sum()]
    assert np.allclose(tg.masked_scatter(T(x), T(mask), T(source)).numpy(), ref)
    assert gradcheck(lambda a, s: tg.masked_scatter(a, T(mask), s), T(x, True),
                     T(source, True))
    with pytest.raises(tg.ShapeError, match="masked_scatter"):
        tg.masked_scatter(T(x), T(np.ones((4, 3), bool)), T(source[:5]))


def test_nan_aware_order_statistics_match_numpy():
    a = rng.standard_normal((4, 7))
    a[rng.uniform(size=a.shape) < 0.3] = np.nan
    a[2] = np.nan  # a slice of NaNs only
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for q in (0.0, 0.3, 0.5, 1.0):
            ref = np.nanquantile(a, q, axis=1)
            assert np.allclose(tg.nanquantile(T(a), q, dim=1).numpy(), ref, equal_nan=True)
        ref = np.nanquantile(a, [0.25, 0.9], axis=1, method="lower", keepdims=True)
    got = tg.nanquantile(T(a), T(np.array([0.25, 0.9])), dim=1, keepdim=True,
                         interpolation="lower")
    assert np.allclose(got.numpy(), ref, equal_nan=True)
    values, indices = tg.nanmedian(T(a), 1)
    for row, v, i in zip(a, values.numpy(), indices.numpy()):
        finite = np.sort(row[~np.isnan(row)])
        if finite.size:
            assert v == finite[(finite.size - 1) // 2] and row[i] == v
        else:
            assert np.isnan(v)
    assert tg.nanmedian(T(np.array([1.0, np.nan, 3.0, 2.0]))).item() == 2.0
    b = rng.standard_normal((3, 5))
    assert gradcheck(lambda t: tg.nanquantile(t, 0.4, dim=1), T(b, True))
    mn, mx = tg.aminmax(T(b), dim=0)
    assert np.array_equal(mn.numpy(), b.min(0)) and np.array_equal(mx.numpy(), b.max(0))


def test_mode_takes_the_smallest_of_the_most_frequent_and_its_last_index():
    a = rng.integers(0, 4, (5, 9)).astype(float)
    values, indices = tg.mode(T(a), 1)
    for row, v, i in zip(a, values.numpy(), indices.numpy()):
        found, counts = np.unique(row, return_counts=True)
        assert v == found[counts == counts.max()].min()
        assert i == np.flatnonzero(row == v)[-1]
    assert tg.mode(T(a), 0, keepdim=True).values.shape == (1, 9)


def test_elementwise_additions_match_numpy_and_scipy():
    a, b = rng.standard_normal(20) * 3, rng.standard_normal(20) * 3
    a[0], b[1] = 0.0, -0.0
    assert np.array_equal(tg.heaviside(T(np.round(a)), T(np.array([0.5]))).numpy(),
                          np.heaviside(np.round(a), 0.5))
    assert np.allclose(tg.logaddexp2(T(a * 100), T(b)).numpy(), np.logaddexp2(a * 100, b))
    assert np.array_equal(tg.copysign(T(a), T(b)).numpy(), np.copysign(a, b))
    assert np.allclose(tg.erfc(T(a)).numpy(), special.erfc(a))
    assert np.allclose(tg.sinc(T(a)).numpy(), np.sinc(a))
    a[0] = 0.5
    assert gradcheck(lambda s, t: tg.logaddexp2(s, t), T(a, True), T(b, True))
    assert gradcheck(lambda s: tg.copysign(s, T(b)), T(a, True))


def test_renorm_matches_its_definition():
    a = rng.standard_normal((3, 4, 2)) * 3
    for p, dim, maxnorm in [(2, 0, 2.0), (1, 1, 3.0), (3, 2, 1.5)]:
        moved = np.moveaxis(a, dim, 0)
        norms = (np.abs(moved) ** p).reshape(moved.shape[0], -1).sum(1) ** (1 / p)
        scale = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        ref = np.moveaxis(moved * scale.reshape(-1, 1, 1), 0, dim)
        assert np.allclose(tg.renorm(T(a), p, dim, maxnorm).numpy(), ref)
    assert gradcheck(lambda t: tg.renorm(t, 2, 1, 1.0), T(a, True))


def test_cov_and_corrcoef_match_numpy():
    a = rng.standard_normal((3, 10))
    fw = rng.integers(1, 4, 10)
    aw = rng.uniform(0.2, 1.0, 10)
    assert np.allclose(tg.cov(T(a)).numpy(), np.cov(a))
    assert np.allclose(tg.cov(T(a), correction=0).numpy(), np.cov(a, ddof=0))
    assert np.allclose(tg.cov(T(a), fweights=T(fw), aweights=T(aw)).numpy(),
                       np.cov(a, fweights=fw, aweights=aw))
    assert np.allclose(tg.cov(T(a), aweights=T(aw), correction=0).numpy(),
                       np.cov(a, aweights=aw, ddof=0))
    assert tg.cov(T(a[0])).shape == () and np.isclose(tg.cov(T(a[0])).item(), np.cov(a[0]))
    assert np.allclose(tg.corrcoef(T(a)).numpy(), np.corrcoef(a))
    assert gradcheck(lambda t: tg.cov(t, aweights=T(aw)), T(a, True))
    assert gradcheck(tg.corrcoef, T(a, True))


def test_trapezoid_rules_match_numpy_and_scipy():
    from scipy import integrate

    y = rng.standard_normal((3, 6))
    xs = np.sort(rng.uniform(0, 5, 6))
    assert np.allclose(tg.trapezoid(T(y)).numpy(), np.trapezoid(y))
    assert np.allclose(tg.trapezoid(T(y), dx=0.5, dim=0).numpy(), np.trapezoid(y, dx=0.5,
                                                                                axis=0))
    assert np.allclose(tg.trapezoid(T(y), T(xs)).numpy(), np.trapezoid(y, xs))
    assert np.allclose(tg.cumulative_trapezoid(T(y), T(xs)).numpy(),
                       integrate.cumulative_trapezoid(y, xs))
    assert np.allclose(tg.cumulative_trapezoid(T(y), dim=0).numpy(),
                       integrate.cumulative_trapezoid(y, axis=0))
    assert gradcheck(lambda a, b: tg.trapezoid(a, b), T(y, True), T(xs, True))


def test_vander_tensor_split_unflatten_atleast():
    v = rng.standard_normal(4)
    assert np.allclose(tg.vander(T(v)).numpy(), np.vander(v))
    assert np.allclose(tg.vander(T(v), 3, increasing=True).numpy(), np.vander(v, 3, True))
    assert gradcheck(lambda t: tg.vander(t, 3), T(v, True))
    a = np.arange(14.0).reshape(7, 2)
    for spec in (3, [1, 5], [2, 2, 9], 7):
        got = tg.tensor_split(T(a), spec)
        ref = np.array_split(a, spec)
        assert len(got) == len(ref)
        assert all(np.array_equal(g.numpy(), r) for g, r in zip(got, ref))
    assert tg.unflatten(T(np.zeros((2, 12))), 1, (3, -1)).shape == (2, 3, 4)
    assert tg.atleast_2d(T(np.float64(1.0))).shape == (1, 1)
    assert [t.shape for t in tg.atleast_3d(T(np.ones(3)), T(np.ones((2, 3))))] == [
        (1, 3, 1), (2, 3, 1)]
    assert tg.atleast_1d(T(np.float64(2.0))).shape == (1,)


def test_dtype_queries_follow_pytorchs_rules():
    f32, f64, i64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
    assert tg.promote_types(np.int64, np.float32) == f32  # numpy would say float64
    assert tg.promote_types(np.uint8, np.int8) == np.dtype(np.int16)
    assert tg.promote_types(np.float32, np.float64) == f64
    assert tg.result_type(T(np.ones(2, np.int32)), 2.5) == f32
    assert tg.result_type(T(np.ones(2, np.float32)), 2.5) == f32
    assert tg.result_type(T(np.ones(2, np.int32)), 7) == np.dtype(np.int32)
    assert tg.result_type(T(np.ones(2, bool)), 7) == i64
    assert tg.result_type(T(np.ones(2, np.float32)), T(np.ones(2, np.float64))) == f64
    for a, b in [(np.int32, np.float32), (np.int32, np.float16)]:  # matches the ops
        got = (T(np.ones(2, a)) + T(np.ones(2, b))).dtype
        assert tg.result_type(T(np.ones(2, a)), T(np.ones(2, b))) == got
    assert tg.can_cast(np.int64, np.float32) and tg.can_cast(np.float64, np.float32)
    assert not tg.can_cast(np.float32, np.int64) and not tg.can_cast(np.int8, np.bool_)
