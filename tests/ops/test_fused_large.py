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
