"""Max and average pooling on the CPU: direct Numba loops, parallel over (batch, channel) planes."""

import numpy as np

from ._jit import njit, prange

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


@njit(parallel=True)
def _max_pool2d(x, kh, kw, sh, sw, ph, pw, oh, ow):
    n_, c_, h_, w_ = x.shape
    out = np.empty((n_, c_, oh, ow), dtype=x.dtype)
    arg = np.empty((n_, c_, oh, ow), dtype=np.int64)
    for nc in prange(n_ * c_):
        plane = x[nc // c_, nc % c_]
        best_plane = out[nc // c_, nc % c_]
        arg_plane = arg[nc // c_, nc % c_]
        for y in range(oh):
            y0 = y * sh - ph
            i_lo, i_hi = max(0, -y0), min(kh, h_ - y0)
            for xo in range(ow):
                x0 = xo * sw - pw
                j_lo, j_hi = max(0, -x0), min(kw, w_ - x0)
                where = (y0 + i_lo) * w_ + x0 + j_lo
                best = plane[y0 + i_lo, x0 + j_lo]
                if best == best:  # NaN propagates: once found, it stays the max
                    for i in range(i_lo, i_hi):
                        row = plane[y0 + i]
                        for j in range(j_lo, j_hi):
                            v = row[x0 + j]
                            if v > best or v != v:
                                best = v
                                where = (y0 + i) * w_ + x0 + j
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
    gx = np.zeros((n_, c_, h_, w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for y in range(oh):
            for xo in range(ow):
                a = arg[n, c, y, xo]
                gx[n, c, a // w_, a % w_] += gy[n, c, y, xo]
    return gx


@njit(parallel=True)
def _avg_pool2d(x, kh, kw, sh, sw, ph, pw, oh, ow, include_pad):
    n_, c_, h_, w_ = x.shape
    out = np.empty((n_, c_, oh, ow), dtype=x.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for y in range(oh):
            for xo in range(ow):
                total = x[n, c, 0, 0] * 0
                count = 0
                for i in range(kh):
                    iy = y * sh - ph + i
                    if iy < 0 or iy >= h_:
                        continue
                    for j in range(kw):
                        ix = xo * sw - pw + j
                        if ix < 0 or ix >= w_:
                            continue
                        total += x[n, c, iy, ix]
                        count += 1
                out[n, c, y, xo] = total / (kh * kw if include_pad else count)
    return out


@njit(parallel=True)
def _avg_pool2d_backward(gy, h_, w_, kh, kw, sh, sw, ph, pw, include_pad):
    n_, c_, oh, ow = gy.shape
    gx = np.zeros((n_, c_, h_, w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for y in range(oh):
            for xo in range(ow):
                count = kh * kw
                if not include_pad:
                    count = 0
                    for i in range(kh):
                        iy = y * sh - ph + i
                        for j in range(kw):
                            ix = xo * sw - pw + j
                            if iy >= 0 and iy < h_ and ix >= 0 and ix < w_:
                                count += 1
                g = gy[n, c, y, xo] / count
                for i in range(kh):
                    iy = y * sh - ph + i
                    if iy < 0 or iy >= h_:
                        continue
                    for j in range(kw):
                        ix = xo * sw - pw + j
                        if ix >= 0 and ix < w_:
                            gx[n, c, iy, ix] += g
    return gx


def max_pool2d(x, kernel, stride, padding, out_size):
    """Returns (y, argmax); argmax is the flat index h * W + w of each window's max in its plane."""
    return _max_pool2d(np.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
                       padding[0], padding[1], out_size[0], out_size[1])


def max_pool2d_backward(gy, argmax, in_size):
    return _max_pool2d_backward(np.ascontiguousarray(gy), argmax, in_size[0], in_size[1])


def avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad):
    return _avg_pool2d(np.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
                       padding[0], padding[1], out_size[0], out_size[1], count_include_pad)


def avg_pool2d_backward(gy, in_size, kernel, stride, padding, count_include_pad):
    return _avg_pool2d_backward(np.ascontiguousarray(gy), in_size[0], in_size[1], kernel[0],
                                kernel[1], stride[0], stride[1], padding[0], padding[1],
                                count_include_pad)
