"""Convolution on the GPU: im2col / col2im kernels (one thread per element, gather form, so no
atomics) around the tiled matmul, mirroring backends/cpu/conv.py."""

from __future__ import annotations

from numba import cuda

from .launch import launch
from .linalg import matmul
from .memory import empty, flat
from .reduction import sum as reduce_sum
from .shape import transpose

__all__ = ["conv2d", "conv_transpose2d", "conv2d_weight"]


@cuda.jit
def _im2col(x, cols, c_, h_, w_, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[n, c, i, j, y, x] = x[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] (0 outside)."""
    t = cuda.grid(1)
    if t >= cols.size:
        return
    xo = t % ow
    r = t // ow
    y = r % oh
    r //= oh
    j = r % kw
    r //= kw
    i = r % kh
    r //= kh
    c = r % c_
    n = r // c_
    iy = y * sh - ph + i * dh
    ix = xo * sw - pw + j * dw
    if iy >= 0 and iy < h_ and ix >= 0 and ix < w_:
        cols[t] = x[((n * c_ + c) * h_ + iy) * w_ + ix]
    else:
        cols[t] = 0


@cuda.jit
def _col2im(cols, out, c_, h_, w_, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """out[n, c, y, x] = sum of the cols entries that im2col read from (y, x)."""
    t = cuda.grid(1)
    if t >= out.size:
        return
    xx = t % w_
    r = t // w_
    yy = r % h_
    r //= h_
    c = r % c_
    n = r // c_
    acc = cols[0] * 0
    for i in range(kh):
        sy = yy + ph - i * dh
        if sy < 0 or sy % sh != 0 or sy // sh >= oh:
            continue
        y = sy // sh
        for j in range(kw):
            sx = xx + pw - j * dw
            if sx < 0 or sx % sw != 0 or sx // sw >= ow:
                continue
            xo = sx // sw
            acc += cols[((((n * c_ + c) * kh + i) * kw + j) * oh + y) * ow + xo]
    out[t] = acc


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _cols(x, kh, kw, stride, padding, dilation, oh, ow):
    n_, c_, h_, w_ = (int(v) for v in x.shape)
    cols = empty((n_, c_ * kh * kw, oh * ow), x.dtype)
    launch(_im2col, cols.size, flat(x), flat(cols), c_, h_, w_, kh, kw, stride[0], stride[1],
           padding[0], padding[1], dilation[0], dilation[1], oh, ow)
    return cols


def conv2d(x, w, stride, padding, dilation, groups):
    n_, _, h_, w_ = (int(v) for v in x.shape)
    o_, cg, kh, kw = (int(v) for v in w.shape)
    oh = _out_size(h_, kh, stride[0], padding[0], dilation[0])
    ow = _out_size(w_, kw, stride[1], padding[1], dilation[1])
    cols = _cols(x, kh, kw, stride, padding, dilation, oh, ow).reshape(
        (n_, groups, cg * kh * kw, oh * ow))
    y = matmul(w.reshape((groups, o_ // groups, cg * kh * kw)), cols)
    return y.reshape((n_, o_, oh, ow))


def conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    n_, c_, h_, w_ = (int(v) for v in x.shape)
    _, og, kh, kw = (int(v) for v in w.shape)
    cg = c_ // groups
    ho = (h_ - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (w_ - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    wm = transpose(w.reshape((groups, cg, og * kh * kw)), (0, 2, 1))
    cols = matmul(wm, x.reshape((n_, groups, cg, h_ * w_)))
    out = empty((n_, groups * og, ho, wo), cols.dtype)
    launch(_col2im, out.size, flat(cols), flat(out), groups * og, ho, wo, kh, kw, stride[0],
           stride[1], padding[0], padding[1], dilation[0], dilation[1], h_, w_)
    return out


def conv2d_weight(x, gy, weight_shape, stride, padding, dilation, groups):
    n_ = int(x.shape[0])
    o_, cg, kh, kw = (int(v) for v in weight_shape)
    oh, ow = int(gy.shape[2]), int(gy.shape[3])
    cols = _cols(x, kh, kw, stride, padding, dilation, oh, ow).reshape(
        (n_, groups, cg * kh * kw, oh * ow))
    per_image = matmul(gy.reshape((n_, groups, o_ // groups, oh * ow)),
                       transpose(cols, (0, 1, 3, 2)))
    return reduce_sum(per_image, (0,), False).reshape(tuple(weight_shape))


KERNELS = {"_im2col": _im2col, "_col2im": _col2im}
