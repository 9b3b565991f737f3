"""Elementwise Numba kernels numpy lacks or does in several passes: erf, the fused sigmoid, tanh and
ReLU backward passes (one pass instead of two or three numpy passes and their temporaries), ReLU
itself and the in-place bias add of Linear, on two threads where numpy uses one; and Linear+ReLU's
fused passes (bias and ReLU in place on the GEMM's output; ReLU's backward with the bias
gradient's column sum)."""

import math

import numpy as np

from ._jit import njit, prange

__all__ = ["sigmoid_backward", "tanh_backward", "relu_backward", "relu_large", "add_rows_", "erf",
           "adam_step", "add_rows_relu_", "relu_backward_rows", "add_planes_relu_",
           "relu_backward_planes"]


@njit(parallel=True)
def _sigmoid_backward(y, gy, out):
    for i in prange(y.size):
        out[i] = gy[i] * y[i] * (1 - y[i])


@njit(parallel=True)
def _tanh_backward(y, gy, out):
    for i in prange(y.size):
        out[i] = gy[i] * (1 - y[i] * y[i])


@njit(parallel=True)
def _relu_backward(y, gy, out):
    for i in prange(y.size):
        out[i] = gy[i] if y[i] > 0 else gy[i] * 0  # gy * [y > 0], NaN * 0 included


@njit(parallel=True)
def _relu(x, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = 0 if v <= 0 else v  # NaN stays NaN, as np.maximum and torch.relu keep it


@njit(parallel=True)
def _add_rows(y, b):
    n, m = y.shape
    for i in prange(n):
        for j in range(m):
            y[i, j] += b[j]


@njit(parallel=True)
def _add_rows_relu(y, b):
    n, m = y.shape
    for i in prange(n):
        for j in range(m):
            v = y[i, j] + b[j]
            y[i, j] = 0 if v <= 0 else v


@njit(parallel=True)
def _relu_rows(y):
    n, m = y.shape
    for i in prange(n):
        for j in range(m):
            if y[i, j] <= 0:
                y[i, j] = 0


@njit(parallel=True)
def _relu_backward_rows(y, gy, out, partial):
    n, m = y.shape
    chunks = partial.shape[0]
    for c in prange(chunks):
        acc = np.zeros(m, np.float64)
        for i in range(c * n // chunks, (c + 1) * n // chunks):
            for j in range(m):
                g = gy[i, j] if y[i, j] > 0 else gy[i, j] * 0
                out[i, j] = g
                acc[j] += g
        partial[c] = acc


@njit(parallel=True)
def _add_planes_relu(y, b):
    n, c, m = y.shape
    for k in prange(n * c):
        i, ch = k // c, k % c
        bias = b[ch]
        for j in range(m):
            v = y[i, ch, j] + bias
            y[i, ch, j] = 0 if v <= 0 else v


# 'reassoc' lets the plane's sum vectorise (a strict left-to-right float sum cannot); it keeps
# NaN and inf semantics (NUMBA.md: no 'nnan'/'ninf').
@njit(parallel=True, fastmath={"reassoc", "contract"})
def _relu_backward_planes(y, gy, out, sums):
    n, c, m = y.shape
    for k in prange(n * c):
        i, ch = k // c, k % c
        acc = 0.0
        for j in range(m):
            g = gy[i, ch, j] if y[i, ch, j] > 0 else gy[i, ch, j] * 0
            out[i, ch, j] = g
            acc += g
        sums[i, ch] = acc


# Row blocks of ReLU's backward: each sums its block's columns in float64, and the blocks' sums
# are added at the end (a float32 running sum over 5000 rows lost 1e-4 relative; this is more
# accurate than numpy's pairwise float32 sum).
_ROW_BLOCKS = 16


def _flat(kernel, x, *others):
    """kernel(x, *others, out) over the arrays flattened (others in x's dtype); out in x's
    shape."""
    flat = np.ascontiguousarray(x).reshape(-1)
    rest = [np.ascontiguousarray(a, dtype=flat.dtype).reshape(-1) for a in others]
    out = np.empty_like(flat)
    kernel(flat, *rest, out)
    return out.reshape(x.shape)


def sigmoid_backward(y, gy):
    """gy * y * (1 - y), the gradient of sigmoid given its output y."""
    return _flat(_sigmoid_backward, y, gy)


def tanh_backward(y, gy):
    """gy * (1 - y^2), the gradient of tanh given its output y."""
    return _flat(_tanh_backward, y, gy)


def relu_backward(y, gy):
    """gy * [y > 0]: the gradient of ReLU given its output y."""
    return _flat(_relu_backward, y, gy)


def relu_large(x):
    """max(x, 0) in one two-thread pass (numpy's maximum runs on one)."""
    return _flat(_relu, x)


def add_rows_(y, b):
    """y[i, :] += b in place for a C-contiguous 2-D y (Linear's bias)."""
    _add_rows(y, b)


def add_rows_relu_(y, b):
    """y = max(y + b, 0) in place for a C-contiguous 2-D y, one pass (b None: max(y, 0))."""
    if b is None:
        _relu_rows(y)
    else:
        _add_rows_relu(y, b)


def add_planes_relu_(y, b):
    """y = max(y + b[c], 0) in place for a C-contiguous (N, C, L) y, one pass (b None:
    max(y, 0)): a convolution's bias and ReLU on its output."""
    if b is None:
        _relu_rows(y.reshape(-1, y.shape[-1]))
    else:
        _add_planes_relu(y, b)


def relu_backward_planes(y, gy):
    """(gy * [y > 0], its sums per channel c) for C-contiguous (N, C, L) y and gy, one pass:
    ReLU's gradient and the gradient of a convolution's bias before it. Each plane sums in
    float64."""
    out = np.empty_like(gy)
    sums = np.empty(y.shape[:2])
    _relu_backward_planes(y, gy, out, sums)
    return out, sums.sum(0).astype(y.dtype)


def relu_backward_rows(y, gy):
    """(gy * [y > 0], its column sums) for C-contiguous 2-D y and gy, one pass: ReLU's gradient
    and the gradient of the bias before it."""
    out = np.empty_like(gy)
    partial = np.empty((min(_ROW_BLOCKS, max(y.shape[0], 1)), y.shape[1]))
    _relu_backward_rows(y, gy, out, partial)
    return out, partial.sum(0).astype(y.dtype)


@njit(parallel=True)
def _erf(x, out):
    for i in prange(x.size):
        out[i] = math.erf(x[i])


def erf(x):
    """The error function, elementwise."""
    return _flat(_erf, x)


@njit(parallel=True)
def _adam(p, g, m, v, b1, b2, c1, c2, step_size, bc2_sqrt, eps):
    for i in prange(p.size):
        gi = g[i]
        mi = b1 * m[i] + c1 * gi
        vi = b2 * v[i] + c2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= step_size * (mi / (math.sqrt(vi) / bc2_sqrt + eps))


def adam_step(p, g, m, v, lr, b1, b2, eps, step):
    """One Adam update in place, in one pass over p, g, m, v (torch.optim.Adam's formula):
    m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr/bc1 m / (sqrt(v)/sqrt(bc2) + eps).
    The scalars travel in p's dtype, so float32 parameters update in float32 arithmetic, as
    PyTorch's (float64 scalars made every element's math float64: 2x slower)."""
    t = p.dtype.type
    _adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(b1), t(b2), t(1 - b1),
          t(1 - b2), t(lr / (1 - b1 ** step)), t(math.sqrt(1 - b2 ** step)), t(eps))
