"""PyTorch's other torch.* functions (ops/functions.py): each against numpy or scipy, the
differentiable ones against central differences in float64."""

import numpy as np
import pytest
from scipy import linalg as sla
from scipy import special
from scipy.spatial import distance

import tensorgrad as tg
from tensorgrad.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
pos = rng.uniform(0.2, 2.0, (3, 4))
X = rng.standard_normal((2, 3, 4, 5))


def T(a):
    return tg.tensor(a)


ELEMENTWISE = [
    ("log2", lambda a: tg.log2(a), np.log2, pos),
    ("log10", lambda a: tg.log10(a), np.log10, pos),
    ("exp2", lambda a: tg.exp2(a), np.exp2, x),
    ("rsqrt", lambda a: tg.rsqrt(a), lambda a: 1 / np.sqrt(a), pos),
    ("reciprocal", lambda a: a.reciprocal(), lambda a: 1 / a, pos),
    ("square", lambda a: a.square(), np.square, x),
    ("frac", lambda a: tg.frac(a * 3), lambda a: np.modf(a * 3)[0], x),
    ("deg2rad", lambda a: tg.deg2rad(a), np.deg2rad, x),
    ("rad2deg", lambda a: a.rad2deg(), np.rad2deg, x),
    ("logit", lambda a: tg.logit(a / 3), lambda a: special.logit(a / 3), pos),
    ("logit eps", lambda a: tg.logit(a / 2, eps=0.2),
     lambda a: special.logit(np.clip(a / 2, 0.2, 0.8)), pos),
]

BINARY = [
    ("hypot", tg.hypot, np.hypot, x, y),
    ("logaddexp", tg.logaddexp, np.logaddexp, x * 30, y),
    ("fmod", tg.fmod, np.fmod, x * 3, pos),
    ("xlogy", tg.xlogy, special.xlogy, np.where(x > 0, x, 0.0), pos),
    ("float_power", tg.float_power, np.power, pos, y),
    ("atan2", tg.atan2, np.arctan2, x, y),
]


@pytest.mark.parametrize("name, fn, ref, a", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_functions_match_numpy(name, fn, ref, a):
    assert np.allclose(fn(T(a)).numpy(), ref(a))
    if name not in ("frac", "logit eps"):  # kinks, where differences straddle
        gradcheck(fn, T(a))


@pytest.mark.parametrize("name, fn, ref, a, b", BINARY, ids=[e[0] for e in BINARY])
def test_binary_functions_match_numpy(name, fn, ref, a, b):
    assert np.allclose(fn(T(a), T(b)).numpy(), ref(a, b))
    if name != "fmod":
        gradcheck(fn, T(a), T(np.abs(b) + 0.1) if name == "xlogy" else T(b))


def test_lerp_addcmul_addcdiv_and_xlogy_at_zero():
    w = rng.random((3, 4))
    assert np.allclose(tg.lerp(T(x), T(y), T(w)).numpy(), x + w * (y - x))
    assert np.allclose(tg.addcmul(T(x), T(y), T(w), value=0.5).numpy(), x + 0.5 * y * w)
    assert np.allclose(T(x).addcdiv(T(y), T(pos), value=2).numpy(), x + 2 * y / pos)
    gradcheck(tg.lerp, T(x), T(y), T(w))
    # x log y at x = 0: the value 0 even for y <= 0, d/dx = log(y) for y > 0 (PyTorch's)
    a = tg.tensor([0.0, 0.0, 2.0], requires_grad=True)
    b = tg.tensor([0.5, -1.0, 3.0], requires_grad=True)
    out = tg.xlogy(a, b)
    assert np.allclose(out.detach().numpy(), [0, 0, 2 * np.log(3)])
    out.sum().backward()
    assert np.allclose(a.grad.numpy(), [np.log(0.5), 0, np.log(3)])
    assert np.allclose(b.grad.numpy(), [0, 0, 2 / 3])


def test_nan_to_num_and_predicates():
    z = x.copy()
    z[0, 0], z[1, 1], z[2, 2] = np.nan, np.inf, -np.inf
    assert np.array_equal(tg.nan_to_num(T(z)).numpy(), np.nan_to_num(z))
    assert np.array_equal(T(z).nan_to_num(1.0, 2.0, -3.0).numpy(),
                          np.nan_to_num(z, nan=1.0, posinf=2.0, neginf=-3.0))
    t = tg.tensor(z, requires_grad=True)
    tg.nan_to_num(t).sum().backward()
    assert np.array_equal(t.grad.numpy(), np.isfinite(z).astype(float))
    for name, ref in (("isinf", np.isinf), ("isposinf", np.isposinf),
                      ("isneginf", np.isneginf), ("isfinite", np.isfinite),
                      ("isnan", np.isnan), ("signbit", np.signbit)):
        assert np.array_equal(getattr(tg, name)(T(z)).numpy(), ref(z)), name
    assert np.array_equal(tg.isfinite(tg.tensor([1, 2])).numpy(), [True, True])
    a, b = np.round(x), np.round(y)
    for name, ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
        assert np.array_equal(getattr(tg, name)(T(a), T(b)).numpy(), ref(a, b)), name
    p, q = a > 0, b > 0
    for name, ref in (("logical_and", np.logical_and), ("logical_or", np.logical_or),
                      ("logical_xor", np.logical_xor)):
        assert np.array_equal(getattr(tg, name)(T(p), T(q)).numpy(), ref(p, q)), name
    assert np.array_equal(tg.logical_not(T(a)).numpy(), a == 0)
    assert np.array_equal(tg.count_nonzero(T(a), 1).numpy(), np.count_nonzero(a, 1))


def test_products_match_numpy():
    a, b, v = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    assert np.allclose(tg.mm(T(a), T(b)).numpy(), a @ b)
    assert np.allclose(T(a).mv(T(v)).numpy(), a @ v)
    c = rng.standard_normal((3, 5))
    assert np.allclose(tg.addmm(T(c), T(a), T(b), beta=0.5, alpha=2).numpy(), 0.5 * c + 2 * a @ b)
    p, q = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    assert np.allclose(tg.bmm(T(p), T(q)).numpy(), p @ q)
    assert np.allclose(tg.baddbmm(T(p @ q), T(p), T(q), beta=2).numpy(), 3 * p @ q)
    with pytest.raises(tg.ShapeError, match="mm: expected a 2-d tensor"):
        tg.mm(T(p), T(q))
    with pytest.raises(tg.ShapeError, match="bmm: batch sizes differ"):
        tg.bmm(T(p), T(q[:1]))
    u, w = rng.standard_normal((4, 3, 5)), rng.standard_normal((5, 4, 2))
    assert np.allclose(tg.tensordot(T(u), T(w), ([0, 2], [1, 0])).numpy(),
                       np.tensordot(u, w, ([0, 2], [1, 0])))
    assert tg.tensordot(T(p), T(rng.standard_normal((3, 4, 2)))).shape == (2, 2)
    gradcheck(lambda s, t: tg.tensordot(s, t, ([0, 2], [1, 0])), T(u), T(w))
    assert tg.inner(T(a), T(rng.standard_normal((2, 4)))).shape == (3, 2)
    k1, k2 = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    assert np.allclose(tg.kron(T(k1), T(k2)).numpy(), np.kron(k1, k2))
    assert np.allclose(tg.kron(T(v), T(X)).numpy(), np.kron(v, X))
    gradcheck(tg.kron, T(k1), T(k2))
    c1, c2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert np.allclose(tg.cross(T(c1), T(c2)).numpy(), np.cross(c1, c2))
    assert np.allclose(tg.cross(T(c1.T), T(c2.T), dim=0).numpy(), np.cross(c1, c2).T)
    gradcheck(tg.cross, T(c1), T(c2))
    e1, e2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    for p_ in (1.0, 2.0, 3.0):
        assert np.allclose(tg.cdist(T(e1), T(e2), p_).numpy(),
                           distance.cdist(e1, e2, "minkowski", p=p_))
    gradcheck(tg.cdist, T(e1), T(e2))
    assert np.isclose(tg.dist(T(x), T(y), 3).item(), np.sum(np.abs(x - y) ** 3) ** (1 / 3))


def test_shape_functions_match_numpy():
    t = T(X)
    assert np.array_equal(tg.swapaxes(t, 0, 2).numpy(), np.swapaxes(X, 0, 2))
    assert np.array_equal(tg.movedim(t, [0, 1], [3, 0]).numpy(),
                          np.moveaxis(X, [0, 1], [3, 0]))
    assert np.array_equal(t.narrow(2, 1, 2).numpy(), X[:, :, 1:3])
    assert np.array_equal(t.select(1, -1).numpy(), X[:, -1])
    assert np.array_equal(tg.roll(t, (1, -2), (1, 3)).numpy(), np.roll(X, (1, -2), (1, 3)))
    assert np.array_equal(tg.roll(t, 3).numpy(), np.roll(X, 3))
    for k in range(-1, 5):
        assert np.array_equal(tg.rot90(t, k, (1, 3)).numpy(), np.rot90(X, k, (1, 3))), k
    assert np.array_equal(tg.fliplr(t).numpy(), np.flip(X, 1))
    assert np.array_equal(tg.flipud(t).numpy(), np.flip(X, 0))
    assert np.array_equal(tg.tile(T(x), (2, 1, 3)).numpy(), np.tile(x, (2, 1, 3)))
    assert np.array_equal(T(x).repeat_interleave(2, 1).numpy(), np.repeat(x, 2, 1))
    assert np.array_equal(tg.repeat_interleave(T(x), tg.tensor([1, 0, 3]), 0).numpy(),
                          np.repeat(x, [1, 0, 3], 0))
    v = rng.standard_normal(4)
    for name, ref in (("hstack", np.hstack), ("vstack", np.vstack), ("dstack", np.dstack),
                      ("column_stack", np.column_stack)):
        for a in (v, x):
            assert np.array_equal(getattr(tg, name)([T(a), T(2 * a)]).numpy(),
                                  ref([a, 2 * a])), name
    for off in (-1, 0, 2):
        assert np.array_equal(tg.diagonal(t, off, 1, 3).numpy(), np.diagonal(X, off, 1, 3))
        assert np.array_equal(tg.diag(T(v), off).numpy(), np.diag(v, off))
        assert np.array_equal(tg.diag(T(x), off).numpy(), np.diag(x, off))
        embedded = tg.diag_embed(T(x), off).numpy()
        assert np.array_equal(embedded, np.stack([np.diag(r, off) for r in x]))
    assert np.isclose(tg.trace(T(x)).item(), np.trace(x))
    gradcheck(lambda s: tg.diagonal(s, 1, 1, 3), T(X[:1]))
    gradcheck(lambda s: tg.diag_embed(s, -1), T(x))
    blocks = [x, v, rng.standard_normal((2, 2))]
    assert np.array_equal(tg.block_diag(*map(T, blocks)).numpy(), sla.block_diag(*blocks))
    a, b = tg.broadcast_tensors(T(x[:, :1]), T(v))
    assert a.shape == b.shape == (3, 4)
    assert np.array_equal(tg.diff(T(x), 2, 0).numpy(), np.diff(x, 2, 0))
    assert np.array_equal(tg.diff(T(x), prepend=T(y[:, :2])).numpy(),
                          np.diff(x, prepend=y[:, :2]))
    gradcheck(lambda s: tg.roll(tg.rot90(s), 1, 0).tile((2, 1)), T(x))


def test_indexing_functions_match_numpy():
    mask = rng.random((3, 4)) > 0.5
    assert np.array_equal(tg.masked_select(T(x), tg.tensor(mask)).numpy(), x[mask])
    idx = np.array([[0, 5], [11, 3]])
    assert np.array_equal(tg.take(T(x), tg.tensor(idx)).numpy(), np.take(x, idx))
    index = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    src = rng.standard_normal((2, 4))
    expected = x.copy()
    for i in range(2):
        for j in range(4):
            expected[index[i, j], j] = src[i, j]
    assert np.array_equal(tg.scatter(T(x), 0, tg.tensor(index), T(src)).numpy(), expected)
    filled = x.copy()
    filled[0, [2, 0]] = 7.0
    assert np.array_equal(T(x).scatter(1, tg.tensor([[2, 0]]), value=7.0)[:1].numpy(),
                          filled[:1])
    gradcheck(lambda a, s: tg.scatter(a, 0, tg.tensor(index), s), T(x), T(src))
    assert np.array_equal(tg.tril_indices(4, 3, -1).numpy(), np.stack(np.tril_indices(4, -1, 3)))
    assert np.array_equal(tg.triu_indices(3, 5, 1).numpy(), np.stack(np.triu_indices(3, 1, 5)))
    a, b, c = rng.standard_normal(4), rng.standard_normal(3), rng.standard_normal(2)
    for indexing in ("ij", "xy"):
        got = tg.meshgrid(T(a), T(b), T(c), indexing=indexing)
        for g, r in zip(got, np.meshgrid(a, b, c, indexing=indexing)):
            assert np.array_equal(g.numpy(), r), indexing


def test_order_statistics_match_numpy():
    assert np.array_equal(tg.argsort(T(x), 0, descending=True).numpy(), np.argsort(-x, 0))
    values, indices = tg.kthvalue(T(x), 2, 1)
    assert np.array_equal(values.numpy(), np.sort(x, 1)[:, 1])
    assert np.array_equal(indices.numpy(), np.argsort(x, 1)[:, 1])
    # PyTorch's median is the lower median, no averaging
    assert tg.median(T(x)).item() == np.quantile(x, 0.5, method="lower")
    values, indices = tg.median(T(x), 1)
    assert np.array_equal(values.numpy(), np.quantile(x, 0.5, 1, method="lower"))
    assert np.array_equal(np.take_along_axis(x, indices.numpy()[:, None], 1)[:, 0],
                          values.numpy())
    qs = np.array([0.1, 0.5, 1.0])
    for method in ("linear", "lower", "higher", "nearest", "midpoint"):
        got = tg.quantile(T(X), T(qs), 1, interpolation=method).numpy()
        assert np.allclose(got, np.quantile(X, qs, 1, method=method)), method
    assert np.allclose(tg.quantile(T(x), 0.3, keepdim=True).numpy(),
                       np.quantile(x, 0.3, keepdims=True))
    assert np.allclose(tg.quantile(T(X), T(qs), 2, keepdim=True).numpy(),
                       np.quantile(X, qs, 2, keepdims=True))
    gradcheck(lambda s: tg.quantile(s, T(qs), 1), T(x))
    with pytest.raises(ValueError, match="quantile: q must be"):
        tg.quantile(T(x), 1.5)
    z = x.copy()
    z[0, 1] = np.nan
    assert np.allclose(tg.nansum(T(z), 1).numpy(), np.nansum(z, 1))
    assert np.isclose(tg.nanmean(T(z)).item(), np.nanmean(z))
    var, mean = tg.var_mean(T(x), 1)
    assert np.allclose(var.numpy(), x.var(1, ddof=1)) and np.allclose(mean.numpy(), x.mean(1))
    std, _ = tg.std_mean(T(x), 0, correction=0)
    assert np.allclose(std.numpy(), x.std(0))
    ints = rng.integers(0, 5, 10)
    values, inverse, counts = tg.unique(tg.tensor(ints), return_inverse=True,
                                        return_counts=True)
    ref = np.unique(ints, return_inverse=True, return_counts=True)
    for got, want in zip((values, inverse, counts), ref):
        assert np.array_equal(got.numpy(), want)
    assert np.array_equal(tg.bincount(tg.tensor(ints), minlength=7).numpy(),
                          np.bincount(ints, minlength=7))
    edges = np.sort(x, 1)
    assert np.array_equal(tg.searchsorted(T(edges), T(y)).numpy(),
                          np.stack([np.searchsorted(e, r) for e, r in zip(edges, y)]))
    zeroed = x.copy()
    zeroed[1, 2] = 0
    assert np.allclose(tg.cumprod(T(zeroed), 1).numpy(), np.cumprod(zeroed, 1))
    gradcheck(lambda s: tg.cumprod(s, 1), T(zeroed))


def test_in_place_variants_and_more_tensor_methods():
    for name, args, ref in (("exp_", (), np.exp), ("tanh_", (), np.tanh),
                            ("tril_", (1,), lambda a: np.tril(a, 1)),
                            ("pow_", (2,), np.square), ("neg_", (), np.negative),
                            ("nan_to_num_", (), np.nan_to_num)):
        t = T(x.copy())
        assert getattr(t, name)(*args) is t
        assert np.allclose(t.numpy(), ref(x)), name
    t = T(x.copy())
    t.masked_fill_(tg.tensor(x > 0), 0.0)
    assert np.array_equal(t.numpy(), np.where(x > 0, 0, x))
    w = tg.tensor(x, requires_grad=True)
    y = w * 2.0
    y.sigmoid_()  # on the graph: recorded like add_
    y.sum().backward()
    s = 1 / (1 + np.exp(-2 * x))
    assert np.allclose(w.grad.numpy(), 2 * s * (1 - s))
    with pytest.raises(RuntimeError, match="exp_: a leaf tensor that requires grad"):
        tg.tensor(x, requires_grad=True).exp_()
    src, idx = rng.standard_normal((2, 4)), np.array([2, 0])
    expected = x.copy()
    expected[idx] += 2 * src
    assert np.allclose(T(x).index_add(0, tg.tensor(idx), T(src), alpha=2).numpy(), expected)
    filled = x.copy()
    filled[:, [1, 3]] = -1.0
    assert np.array_equal(T(x).index_fill(1, tg.tensor([1, 3]), -1.0).numpy(), filled)
    windows = T(x).unfold(1, 2, 1).numpy()  # (3, 3, 2): sliding windows of 2 along dim 1
    assert np.array_equal(windows, np.lib.stride_tricks.sliding_window_view(x, 2, axis=1))
    assert np.array_equal(T(x).where(T(x) > 0, 0.0).numpy(), np.where(x > 0, x, 0))
    assert T(x).unflatten(1, (2, 2)).shape == (3, 2, 2)
    assert T(x).view_as(T(x.T.copy())).shape == (4, 3)
    assert T(x).is_floating_point() and not tg.tensor([1]).is_floating_point()
    assert T(x).element_size() == 8 and T(x).nelement() == 12


def test_logaddexp_of_equal_infinities():
    a = np.array([-np.inf, 1.0, np.inf, 2.0])
    b = np.array([-np.inf, np.inf, np.inf, 2.0])
    assert np.array_equal(tg.logaddexp(T(a), T(b)).numpy(), np.logaddexp(a, b))
    x, y = tg.tensor([2.0], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    tg.logaddexp(x, y).sum().backward()  # a tie: half each, as the softmax of the two
    assert x.grad.tolist() == [0.5] and y.grad.tolist() == [0.5]


def test_standardize_primitive_matches_numpy_to_second_order():
    from tensorgrad.ops.normalization import standardize

    for dims in ((1,), (0, 2), (1, 2)):
        got = standardize(T(X[0]), dims, 1e-5).numpy()
        mean, var = X[0].mean(dims, keepdims=True), X[0].var(dims, keepdims=True)
        assert np.allclose(got, (X[0] - mean) / np.sqrt(var + 1e-5))
    gradcheck(lambda t: standardize(t, (1,), 1e-3) * T(y[:, :1]), T(x))
    gradgradcheck(lambda t: standardize(t, (0, 2), 1e-3), T(X[0, :, :3, :2]))
    assert standardize(tg.randn(3, 4), 1).dtype == np.float32
