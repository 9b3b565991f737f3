"""The Numba kernels that replace numpy passes above a size threshold (ReLU, its backward, Linear's
bias add) give numpy's answers, NaN included, in float32 and float64."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.backends.cpu import elementwise

N = 3 * elementwise.FUSED_MIN_ELEMENTS + 7  # above the threshold, not a multiple of anything


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_and_backward_above_threshold(dtype, parallel_kernels):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(N).astype(dtype)
    x_np[[3, 5, 10, 11, 100]] = [np.nan, 2.0, 0.0, -1.0, -0.0]
    g_np = rng.standard_normal(N).astype(dtype)
    g_np[[5, 11]] = np.nan  # on at 5, off at 11: gy * [x > 0] keeps NaN * 0 = NaN, as numpy
    x = tg.tensor(x_np, requires_grad=True)
    y = x.relu()
    y.backward(tg.tensor(g_np))
    expected = np.maximum(x_np, 0)
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    np.testing.assert_array_equal(x.grad.numpy(), g_np * (expected > 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_bias_add_above_threshold(dtype, parallel_kernels):
    rng = np.random.default_rng(1)
    rows = elementwise.FUSED_MIN_ELEMENTS // 16 + 3
    x_np = rng.standard_normal((rows, 24)).astype(dtype)
    w_np = rng.standard_normal((40, 24)).astype(dtype)
    b_np = rng.standard_normal(40).astype(dtype)
    y = tg.linear(tg.tensor(x_np), tg.tensor(w_np), tg.tensor(b_np))
    assert y.shape == (rows, 40) and y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), x_np @ w_np.T + b_np, rtol=tol, atol=tol)


def _linear_relu_reference(x, w, b, g):
    """relu(x w^T + b) and its gradients by numpy in float64: g masked where the output is 0."""
    x64, w64, g64 = (a.astype(np.float64) for a in (x, w, g))
    y = np.maximum(x64 @ w64.T + (0 if b is None else b.astype(np.float64)), 0)
    gm = g64 * (y > 0)
    lead = tuple(range(gm.ndim - 1))
    gw = gm.reshape(-1, gm.shape[-1]).T @ x64.reshape(-1, x64.shape[-1])
    return y, gm @ w64, gw, gm.sum(lead)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lead", [(None,), (3, None)])  # 2-D, and a stack (3, rows, in)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_relu_fused_matches_numpy(dtype, lead, bias, parallel_kernels):
    """tg.linear(..., activation="relu") above the kernels' threshold (bias and ReLU in one pass
    forward; ReLU's gradient with the bias's column sum in one pass backward) against numpy in
    float64; the bias's gradient sums 1,000s of rows in float32 to 1e-6 relative. Small integers
    and a half-integer bias keep every pre-activation exact and off zero, so the ReLU masks of
    float32 and the float64 reference agree."""
    rng = np.random.default_rng(2)
    rows = elementwise.FUSED_MIN_ELEMENTS // 40 + 5
    shape = tuple(3 if d == 3 else rows for d in lead)
    x_np = rng.integers(-3, 4, shape + (24,)).astype(dtype)
    w_np = rng.integers(-3, 4, (40, 24)).astype(dtype)
    b_np = (rng.integers(-3, 3, 40) + 0.5).astype(dtype) if bias else None
    if not bias:
        x_np[..., 0] = 0.5  # and a half-integer weight column: no pre-activation is zero
        w_np[:, 0] = 1.0
    g_np = rng.standard_normal(shape + (40,)).astype(dtype)
    x, w = tg.tensor(x_np, requires_grad=True), tg.tensor(w_np, requires_grad=True)
    b = tg.tensor(b_np, requires_grad=True) if bias else None
    y = tg.linear(x, w, b, activation="relu")
    assert y._node.__class__.__name__ == "Linear"  # one node, not Linear then Relu
    y.backward(tg.tensor(g_np))
    ref_y, ref_gx, ref_gw, ref_gb = _linear_relu_reference(x_np, w_np, b_np, g_np)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    assert y.dtype == dtype and x.grad.dtype == dtype and w.grad.dtype == dtype
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), ref_gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(w.grad.numpy(), ref_gw, rtol=tol, atol=tol * 100)
    if bias:
        assert b.grad.dtype == dtype
        scale = np.abs(g_np).reshape(-1, 40).sum(0)  # the sum's own size
        assert np.all(np.abs(b.grad.numpy() - ref_gb) <= 1e-6 * scale + 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_relu_kernels_keep_nan_and_masks(dtype, parallel_kernels):
    """The backend passes alone: y = max(y + b, 0) in place with NaN kept (as np.maximum and
    torch.relu keep it), and (gy [y > 0], its column sums) with NaN * 0 = NaN, as numpy."""
    rng = np.random.default_rng(3)
    rows = elementwise.FUSED_MIN_ELEMENTS // 8 + 1
    y = rng.standard_normal((rows, 8)).astype(dtype)
    y[0, 0], y[1, 1], y[2, 2] = np.nan, 0.0, -0.0
    b = rng.standard_normal(8).astype(dtype)
    expected = np.maximum(y + b, 0)
    out = y.copy()
    elementwise.add_rows_relu_(out, b)
    np.testing.assert_array_equal(out, expected)
    out = y.copy()
    elementwise.add_rows_relu_(out, None)
    np.testing.assert_array_equal(out, np.maximum(y, 0))
    gy = rng.standard_normal(y.shape).astype(dtype)
    gy[5, 3] = np.nan
    y_out = expected
    y_out[5, 3] = 0.0  # masked off: NaN * 0 is NaN, so column 3's sum is NaN too, as numpy's
    g, total = elementwise.relu_backward_rows(y_out, gy)
    np.testing.assert_array_equal(g, gy * (y_out > 0))
    assert total.dtype == dtype and total.shape == (8,)
    ref = (gy.astype(np.float64) * (y_out > 0)).sum(0)
    np.testing.assert_allclose(total, ref, rtol=1e-5)
    assert np.isnan(total[3]) and np.isnan(g[5, 3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_relu_fused_matches_reference(dtype, bias, parallel_kernels):
    """tg.conv2d(..., activation="relu") above the kernels' threshold against the op table's
    scipy convolution in float64: the output, the input and weight gradients through the ReLU's
    mask, and the bias's gradient summed per channel. Integer data and a half-integer bias keep
    every pre-activation exact and off zero (the masks agree)."""
    from tests.ops.table import ref_conv2d, ref_conv2d_weight

    rng = np.random.default_rng(4)
    x_np = rng.integers(-2, 3, (40, 3, 33, 33)).astype(dtype)
    w_np = rng.integers(-2, 3, (100, 3, 3, 3)).astype(dtype)
    b_np = (rng.integers(-2, 2, 100) + 0.5).astype(dtype)
    if not bias:
        x_np[:, 0], w_np[:, 0] = 0.5, 0.0  # channel 0 adds nothing but keeps sums off zero
        w_np[:, 0, 1, 1] = 1.0  # the centre tap: inside the image everywhere
    g_np = rng.standard_normal((40, 100, 33, 33)).astype(dtype)
    x, w = tg.tensor(x_np, requires_grad=True), tg.tensor(w_np, requires_grad=True)
    b = tg.tensor(b_np, requires_grad=True) if bias else None
    y = tg.conv2d(x, w, b, padding=1, activation="relu")
    assert y._node.__class__.__name__ == "Conv2d" and y.numel() >= elementwise.FUSED_MIN_ELEMENTS
    y.backward(tg.tensor(g_np))
    conf = dict(stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)
    x64, w64 = x_np.astype(np.float64), w_np.astype(np.float64)
    pre = ref_conv2d(x64, w64, **conf) + (b_np.astype(np.float64)[None, :, None, None]
                                           if bias else 0)
    assert np.abs(pre).min() >= 0.5
    gm = g_np.astype(np.float64) * (pre > 0)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.detach().numpy(), np.maximum(pre, 0), rtol=tol, atol=tol)
    np.testing.assert_allclose(w.grad.numpy(), ref_conv2d_weight(x64, gm, w_np.shape, **conf),
                               rtol=tol, atol=tol * 100)
    # dx: the adjoint of the convolution, by the same reference in its transposed form
    flipped = w64[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    np.testing.assert_allclose(x.grad.numpy(), ref_conv2d(gm, flipped, **conf),
                               rtol=tol, atol=tol * 10)
    if bias:
        scale = np.abs(g_np).sum((0, 2, 3))
        assert np.all(np.abs(b.grad.numpy() - gm.sum((0, 2, 3))) <= 1e-6 * scale)
