"""The CPU reductions take other routes for many short rows (sum as a product with ones, max and
min column by column) and for the leading axes of a tall array (sum as ones @ x): same answers
as numpy in float64, NaN and Inf included, every keepdim shape, and gradients through them."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.backends.cpu import reduction

ROWS = reduction.MANY_ROWS + 5

CASES = [  # (shape, dims): each takes one of the routes, the last ones numpy's own
    ((ROWS, 10), 1),
    ((3, ROWS // 3 + 1, reduction.SHORT_ROW), -1),
    ((ROWS, 200), 0),
    ((ROWS // 8 + 1, 8, 6), (0, 1)),
    ((ROWS, reduction.SHORT_ROW + 1), 1),  # a row too long: numpy
    ((50, 10), 1),  # too few rows: numpy
]


def _data(shape, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[[7, 400]] = np.nan
    flat[[30, 31]] = [np.inf, -np.inf]
    return x


@pytest.mark.parametrize("shape, dims", CASES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin"])
def test_matches_numpy_in_float64(shape, dims, keepdim, op):
    x = _data(shape, np.float32)
    ref = getattr(np, op)(x.astype(np.float64), axis=dims, keepdims=keepdim)
    got = getattr(tg.tensor(x), op)(dims, keepdim=keepdim).numpy()
    assert got.dtype == np.float32 and got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-4)
    assert np.array_equal(np.isnan(got), np.isnan(ref))


@pytest.mark.parametrize("shape, dims", CASES[:4])
def test_gradients_through_the_fast_routes(shape, dims):
    x_np = np.random.default_rng(1).standard_normal(shape)
    for op in ("sum", "mean", "amax"):
        x = tg.tensor(x_np, requires_grad=True)
        getattr(x, op)(dims).sum().backward()
        if op == "sum":
            expected = np.ones_like(x_np)
        elif op == "mean":
            axes = (dims,) if isinstance(dims, int) else dims
            expected = np.full_like(x_np, 1.0 / np.prod([x_np.shape[a] for a in axes]))
        else:
            expected = (x_np == x_np.max(axis=dims, keepdims=True)).astype(np.float64)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_non_contiguous_and_integer_inputs_take_numpy():
    x = np.random.default_rng(2).integers(-50, 50, (ROWS, 10))
    assert tg.tensor(x).sum(1).numpy().tolist() == x.sum(1).tolist()
    assert tg.tensor(x).amax(1).numpy().tolist() == x.max(1).tolist()
    f = _data((10, ROWS), np.float32).T  # (ROWS, 10), not C-contiguous
    np.testing.assert_allclose(tg.tensor(f).sum(1).numpy(), f.astype(np.float64).sum(1),
                               rtol=2e-5, atol=1e-4)


def test_broadcast_gradient_over_many_rows_is_summed_back():
    # the engine's sum back to a broadcast operand's shape takes the ones @ x route too
    x_np = _data((ROWS, 7), np.float32, seed=3)
    b = tg.tensor(np.zeros((1, 7), np.float32), requires_grad=True)
    c = tg.tensor(np.zeros(7, np.float32), requires_grad=True)
    ((tg.tensor(x_np) + b) * 2.0 + c).sum().backward()
    expected = np.full((1, 7), 2.0 * ROWS)
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(c.grad.numpy(), np.full(7, ROWS), rtol=1e-6)
    g = tg.tensor(x_np)  # a gradient carrying NaN and Inf, summed to (7,) and to (1, 7)
    leaf = tg.tensor(np.zeros(7, np.float32), requires_grad=True)
    (leaf.expand(ROWS, 7) * g).sum().backward()
    ref = x_np.astype(np.float64).sum(0)
    np.testing.assert_allclose(leaf.grad.numpy(), ref, rtol=2e-5, atol=1e-3)


def test_std_of_a_constant_sample_has_a_zero_gradient():
    """std = sqrt(var) is 0 for a constant sample, where sqrt's derivative is infinite: its
    gradient there is 0 (PyTorch's too), not nan, and no division warning is raised."""
    x = tg.tensor(np.array([[1.5, 2.0], [1.5, 3.0]]), requires_grad=True)
    with np.errstate(all="raise"):
        y = x.std(0, correction=1)
        y.backward(tg.tensor([1.0, 1.0]))
    assert np.array_equal(y.detach().numpy(), [0.0, np.std([2.0, 3.0], ddof=1)])
    expected = np.array([[0.0, -1.0], [0.0, 1.0]]) / (2 * np.std([2.0, 3.0], ddof=1))
    assert np.allclose(x.grad.numpy(), expected)


def test_prod_gradient_with_zeros_is_the_product_of_the_others():
    """Row 0 has one zero (its gradient there is the others' product, elsewhere 0), row 1 two
    (all 0), row 2 none (y / x); no division warning on the way."""
    x = tg.tensor(np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 4.0]]),
                  requires_grad=True)
    with np.errstate(all="raise"):
        y = x.prod(1)
        y.backward(tg.tensor([1.0, 1.0, 1.0]))
    assert y.detach().numpy().tolist() == [0.0, 0.0, 8.0]
    assert x.grad.numpy().tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]]
    assert tg.tensor([[2, 3], [4, 5]], dtype=tg.int32).prod().item() == 120
