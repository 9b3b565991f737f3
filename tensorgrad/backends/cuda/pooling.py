"""Max and average pooling on the GPU: one thread per output element; the backward passes
scatter with atomic adds (windows may overlap)."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .launch import launch
from .memory import asarray, empty, flat, zeros

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


@cuda.jit(device=True, inline=True)
def _split(t, c_, oh, ow):
    xo = t % ow
    r = t // ow
    y = r % oh
    r //= oh
    return r // c_, r % c_, y, xo


@cuda.jit
def _max_pool(x, out, arg, c_, h_, w_, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, neg_inf):
    t = cuda.grid(1)
    if t >= out.size:
        return
    n, c, y, xo = _split(t, c_, oh, ow)
    plane = (n * c_ + c) * h_ * w_
    best = x[plane] * 0
    where = -1
    for i in range(kh):
        iy = y * sh - ph + i * dh
        if iy < 0 or iy >= h_:
            continue
        for j in range(kw):
            ix = xo * sw - pw + j * dw
            if ix < 0 or ix >= w_:
                continue
            v = x[plane + iy * w_ + ix]
            if where < 0 or v > best or (v != v and best == best):
                best = v
                where = iy * w_ + ix
    if where < 0:  # a dilated window of padding only: -inf, and no gradient (argmax -1)
        best = neg_inf  # x's dtype (a float64 literal would widen `best` throughout)
    out[t] = best
    arg[t] = where


@cuda.jit
def _max_pool_backward(gy, arg, gx, c_, h_, w_, oh, ow):
    t = cuda.grid(1)
    if t >= gy.size:
        return
    if arg[t] < 0:  # a window of padding only
        return
    plane = (t // (oh * ow)) * h_ * w_
    cuda.atomic.add(gx, plane + arg[t], gy[t])


@cuda.jit(device=True, inline=True)
def _divisor(y, xo, h_, w_, kh, kw, sh, sw, ph, pw, include_pad, divisor):
    """PyTorch's: divisor_override, else the window within the padded input (a ceil_mode
    window can run past it) or within the input."""
    if divisor != 0:
        return divisor
    y0 = y * sh - ph
    x0 = xo * sw - pw
    if include_pad:
        return (min(y0 + kh, h_ + ph) - y0) * (min(x0 + kw, w_ + pw) - x0)
    return (min(y0 + kh, h_) - max(y0, 0)) * (min(x0 + kw, w_) - max(x0, 0))


@cuda.jit
def _avg_pool(x, out, c_, h_, w_, kh, kw, sh, sw, ph, pw, oh, ow, include_pad, divisor):
    t = cuda.grid(1)
    if t >= out.size:
        return
    n, c, y, xo = _split(t, c_, oh, ow)
    plane = (n * c_ + c) * h_ * w_
    total = x[plane] * 0
    for i in range(kh):
        iy = y * sh - ph + i
        if iy < 0 or iy >= h_:
            continue
        for j in range(kw):
            ix = xo * sw - pw + j
            if ix < 0 or ix >= w_:
                continue
            total += x[plane + iy * w_ + ix]
    out[t] = total / _divisor(y, xo, h_, w_, kh, kw, sh, sw, ph, pw, include_pad, divisor)


@cuda.jit
def _avg_pool_backward(gy, gx, c_, h_, w_, kh, kw, sh, sw, ph, pw, oh, ow, include_pad,
                       divisor):
    t = cuda.grid(1)
    if t >= gy.size:
        return
    n, c, y, xo = _split(t, c_, oh, ow)
    plane = (n * c_ + c) * h_ * w_
    g = gy[t] / _divisor(y, xo, h_, w_, kh, kw, sh, sw, ph, pw, include_pad, divisor)
    for i in range(kh):
        iy = y * sh - ph + i
        if iy < 0 or iy >= h_:
            continue
        for j in range(kw):
            ix = xo * sw - pw + j
            if ix >= 0 and ix < w_:
                cuda.atomic.add(gx, plane + iy * w_ + ix, g)


def _dims(x):
    return tuple(int(v) for v in x.shape)


def max_pool2d(x, kernel, stride, padding, out_size, dilation=(1, 1)):
    n_, c_, h_, w_ = _dims(x)
    out = empty((n_, c_) + tuple(out_size), x.dtype)
    arg = empty((n_, c_) + tuple(out_size), np.int64)
    launch(_max_pool, out.size, flat(x), flat(out), flat(arg), c_, h_, w_, kernel[0], kernel[1],
           stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], out_size[0],
           out_size[1], np.dtype(x.dtype).type(-np.inf))
    return out, arg


def max_pool2d_backward(gy, argmax, in_size):
    n_, c_, oh, ow = _dims(gy)
    gx = zeros((n_, c_) + tuple(in_size), gy.dtype)
    launch(_max_pool_backward, gy.size, flat(gy), flat(asarray(argmax)), flat(gx), c_,
           in_size[0], in_size[1], oh, ow)
    return gx


def avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad, divisor=0):
    n_, c_, h_, w_ = _dims(x)
    out = empty((n_, c_) + tuple(out_size), x.dtype)
    launch(_avg_pool, out.size, flat(x), flat(out), c_, h_, w_, kernel[0], kernel[1], stride[0],
           stride[1], padding[0], padding[1], out_size[0], out_size[1], bool(count_include_pad),
           int(divisor))
    return out


def avg_pool2d_backward(gy, in_size, kernel, stride, padding, count_include_pad, divisor=0):
    n_, c_, oh, ow = _dims(gy)
    gx = zeros((n_, c_) + tuple(in_size), gy.dtype)
    launch(_avg_pool_backward, gy.size, flat(gy), flat(gx), c_, in_size[0], in_size[1],
           kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], oh, ow,
           bool(count_include_pad), int(divisor))
    return gx


KERNELS = {"_max_pool": _max_pool, "_max_pool_backward": _max_pool_backward,
           "_avg_pool": _avg_pool, "_avg_pool_backward": _avg_pool_backward}
