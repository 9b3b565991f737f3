"""Max and average pooling on the CPU: direct Numba loops, parallel over (batch, channel) planes."""

import numpy as np
from numba import uintp

from ._jit import njit, prange
from .conv import _valid_range

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


@njit(inline="always")
def _taps(offset, stride, size, out):
    """The output range [lo, hi) whose input position o * stride + offset lies in [0, size),
    and the input position of lo."""
    lo, hi = _valid_range(offset, stride, size, out)
    return lo, hi, lo * stride + offset


# Average pooling and the max-pool backward loop over the window's taps outside and a row of
# outputs inside, reading each row as a (strided) slice: Numba tests every x[..., xo * sw + j]
# for a negative index to wrap, which costs a select per element, where a slice index t >= 0
# needs none (avg-pool backward 0.63 -> 0.27 ms on (64, 6, 28, 28)). The 2x2 stride-2 case
# without padding, nearly every CNN's, has kernels of its own (max-pool 0.70 -> 0.18 ms).


@njit(parallel=True)
def _max_pool2x2(x, oh, ow):
    """2x2 windows, stride 2, no padding; the same result and argmax as _max_pool2d, the
    argmax as int32. The window's two row pairs are compared first, then their winners, all
    with selects, no branches: with int64 indices and a compare-and-branch chain the loop did
    not vectorise (0.30 -> 0.13 ms on (64, 6, 28, 28), LeNet-5's first pooling)."""
    n_, c_, h_, w_ = x.shape
    out = np.empty((n_, c_, oh, ow), dtype=x.dtype)
    arg = np.empty((n_, c_, oh, ow), dtype=np.int32)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        plane = x[n, c]
        for y in range(oh):
            r0 = plane[2 * y]
            r1 = plane[2 * y + 1]
            best_row = out[n, c, y]
            arg_row = arg[n, c, y]
            base = 2 * y * w_
            for xo in range(ow):
                j = 2 * xo
                a, b, c2, d = r0[j], r0[j + 1], r1[j], r1[j + 1]
                # the first NaN wins (as in _max_pool2d's scan), else the first maximum
                right1 = (b > a) | ((b != b) & (a == a))
                m1 = b if right1 else a
                right2 = (d > c2) | ((d != d) & (c2 == c2))
                m2 = d if right2 else c2
                lower = (m2 > m1) | ((m2 != m2) & (m1 == m1))
                best_row[xo] = m2 if lower else m1
                arg_row[xo] = base + j + ((w_ + right2) if lower else right1)
    return out, arg


@njit(parallel=True)
def _avg_pool2x2(x, oh, ow):
    n_, c_, h_, w_ = x.shape
    out = np.empty((n_, c_, oh, ow), dtype=x.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        plane = x[n, c]
        for y in range(oh):
            r0 = plane[2 * y]
            r1 = plane[2 * y + 1]
            o = out[n, c, y]
            for xo in range(ow):
                j = 2 * xo
                o[xo] = (r0[j] + r0[j + 1] + r1[j] + r1[j + 1]) * 0.25
    return out


@njit(parallel=True)
def _avg_pool2x2_backward(gy, h_, w_):
    n_, c_, oh, ow = gy.shape
    gx = np.zeros((n_, c_, h_, w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for y in range(oh):
            g = gy[n, c, y]
            r0 = gx[n, c, 2 * y]
            r1 = gx[n, c, 2 * y + 1]
            for xo in range(ow):
                v = g[xo] * 0.25
                r0[2 * xo] = v
                r0[2 * xo + 1] = v
                r1[2 * xo] = v
                r1[2 * xo + 1] = v
    return gx


@njit(inline="always")
def _tap_range(start, k, d, size):
    """The taps i in [lo, hi) of a window starting at `start`, d apart, that land in [0, size)."""
    lo = 0 if start >= 0 else (-start + d - 1) // d
    hi = min(k, (size - start + d - 1) // d)
    return lo, max(lo, hi)


@njit(parallel=True)
def _max_pool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n_, c_, h_, w_ = x.shape
    out = np.empty((n_, c_, oh, ow), dtype=x.dtype)
    arg = np.empty((n_, c_, oh, ow), dtype=np.int64)
    for nc in prange(n_ * c_):
        plane = x[nc // c_, nc % c_]
        best_plane = out[nc // c_, nc % c_]
        arg_plane = arg[nc // c_, nc % c_]
        for y in range(oh):
            y0 = y * sh - ph
            i_lo, i_hi = _tap_range(y0, kh, dh, h_)
            for xo in range(ow):
                x0 = xo * sw - pw
                j_lo, j_hi = _tap_range(x0, kw, dw, w_)
                if i_lo == i_hi or j_lo == j_hi:
                    # a dilated window whose taps all fall in the padding (PyTorch's -inf too);
                    # its argmax -1 routes no gradient
                    best_plane[y, xo] = -np.inf
                    arg_plane[y, xo] = -1
                    continue
                where = (y0 + i_lo * dh) * w_ + x0 + j_lo * dw
                best = plane[y0 + i_lo * dh, x0 + j_lo * dw]
                if best == best:  # NaN propagates: once found, it stays the max
                    for i in range(i_lo, i_hi):
                        row = plane[y0 + i * dh]
                        for j in range(j_lo, j_hi):
                            v = row[x0 + j * dw]
                            if v > best or v != v:
                                best = v
                                where = (y0 + i * dh) * w_ + x0 + j * dw
                                if v != v:
                                    break
                        if best != best:
                            break
                best_plane[y, xo] = best
                arg_plane[y, xo] = where
    return out, arg


@njit(parallel=True)
def _max_pool2d_backward(gy, arg, h_, w_):
    n_, c_, oh, ow = gy.shape
    gx = np.zeros((n_, c_, h_ * w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        dst = gx[n, c]
        for y in range(oh):
            g = gy[n, c, y]
            a = arg[n, c, y]
            for xo in range(ow):
                if a[xo] >= 0:  # -1: a window of padding only
                    dst[uintp(a[xo])] += g[xo]
    return gx.reshape((n_, c_, h_, w_))


@njit(inline="always")
def _window_size(start, k, p, size, include_pad):
    """A window's extent along one axis for the divisor: up to the padded input's end
    (count_include_pad; a ceil_mode window can run past it) or within the input."""
    if include_pad:
        return min(start + k, size + p) - start
    return min(start + k, size) - max(start, 0)


@njit(parallel=True)
def _avg_pool2d(x, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, divisor):
    n_, c_, h_, w_ = x.shape
    out = np.zeros((n_, c_, oh, ow), dtype=x.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        plane = x[n, c]
        for y in range(oh):
            acc = out[n, c, y]
            for i in range(kh):
                iy = y * sh - ph + i
                if iy < 0 or iy >= h_:
                    continue
                row = plane[iy]
                for j in range(kw):
                    lo, hi, start = _taps(j - pw, sw, w_, ow)
                    k = hi - lo
                    src = row[start:start + (k - 1) * sw + 1:sw]
                    dst = acc[lo:hi]
                    for t in range(k):
                        dst[t] += src[t]
            rows = _window_size(y * sh - ph, kh, ph, h_, include_pad)
            for xo in range(ow):
                size = divisor
                if size == 0:
                    size = rows * _window_size(xo * sw - pw, kw, pw, w_, include_pad)
                acc[xo] /= size
    return out


@njit(parallel=True)
def _avg_pool2d_backward(gy, h_, w_, kh, kw, sh, sw, ph, pw, include_pad, divisor):
    n_, c_, oh, ow = gy.shape
    gx = np.zeros((n_, c_, h_, w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        scaled = np.empty(ow, dtype=gy.dtype)
        for y in range(oh):
            rows = _window_size(y * sh - ph, kh, ph, h_, include_pad)
            for xo in range(ow):
                size = divisor
                if size == 0:
                    size = rows * _window_size(xo * sw - pw, kw, pw, w_, include_pad)
                scaled[xo] = gy[n, c, y, xo] / size
            for i in range(kh):
                iy = y * sh - ph + i
                if iy < 0 or iy >= h_:
                    continue
                row = gx[n, c, iy]
                for j in range(kw):
                    lo, hi, start = _taps(j - pw, sw, w_, ow)
                    k = hi - lo
                    dst = row[start:start + (k - 1) * sw + 1:sw]
                    src = scaled[lo:hi]
                    for t in range(k):
                        dst[t] += src[t]
    return gx


def _is_2x2(kernel, stride, padding, in_size, out_size):
    """2x2 windows, stride 2, no padding, and no ceil_mode window past the input's end."""
    return (kernel == (2, 2) and stride == (2, 2) and padding == (0, 0)
            and tuple(out_size) == (in_size[0] // 2, in_size[1] // 2))


def max_pool2d(x, kernel, stride, padding, out_size, dilation=(1, 1)):
    """Returns (y, argmax); argmax is the flat index h * W + w of each window's max in its plane."""
    x = np.ascontiguousarray(x)
    if dilation == (1, 1) and _is_2x2(kernel, stride, padding, x.shape[2:], out_size):
        return _max_pool2x2(x, out_size[0], out_size[1])
    return _max_pool2d(x, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                       dilation[0], dilation[1], out_size[0], out_size[1])


def max_pool2d_backward(gy, argmax, in_size):
    return _max_pool2d_backward(np.ascontiguousarray(gy), argmax, in_size[0], in_size[1])


def avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad, divisor=0):
    x = np.ascontiguousarray(x)
    if divisor in (0, 4) and _is_2x2(kernel, stride, padding, x.shape[2:], out_size):
        return _avg_pool2x2(x, out_size[0], out_size[1])
    return _avg_pool2d(x, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                       out_size[0], out_size[1], count_include_pad, divisor)


def avg_pool2d_backward(gy, in_size, kernel, stride, padding, count_include_pad, divisor=0):
    gy = np.ascontiguousarray(gy)
    if divisor in (0, 4) and _is_2x2(kernel, stride, padding, in_size, gy.shape[2:]):
        return _avg_pool2x2_backward(gy, in_size[0], in_size[1])
    return _avg_pool2d_backward(gy, in_size[0], in_size[1], kernel[0], kernel[1], stride[0],
                                stride[1], padding[0], padding[1], count_include_pad, divisor)
