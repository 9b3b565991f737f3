"""Convolution on the CPU: Numba im2col / col2im kernels around one batched BLAS GEMM.

Layouts follow PyTorch: x (N, C, H, W); conv weight (O, C/groups, kh, kw); transposed-conv weight
(C, O/groups, kh, kw). Direct loop nests lose to GEMM here by ~50x, so loops only move data.
"""

import numpy as np

from ._jit import njit, prange

__all__ = ["conv2d", "conv_transpose2d", "conv2d_weight", "conv_out_size"]


def conv_out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@njit(parallel=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[n, c, i, j, y, x] = x[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] (0 outside)."""
    n_, c_, h_, w_ = x.shape
    cols = np.empty((n_, c_, kh, kw, oh, ow), dtype=x.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for i in range(kh):
            for j in range(kw):
                for y in range(oh):
                    iy = y * sh - ph + i * dh
                    if iy < 0 or iy >= h_:
                        for xo in range(ow):
                            cols[n, c, i, j, y, xo] = 0
                        continue
                    for xo in range(ow):
                        ix = xo * sw - pw + j * dw
                        if ix >= 0 and ix < w_:
                            cols[n, c, i, j, y, xo] = x[n, c, iy, ix]
                        else:
                            cols[n, c, i, j, y, xo] = 0
    return cols


@njit(parallel=True)
def _col2im(cols, h_, w_, sh, sw, ph, pw, dh, dw):
    """The adjoint of _im2col:
    out[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] += cols[n, c, i, j, y, x]."""
    n_, c_, kh, kw, oh, ow = cols.shape
    out = np.zeros((n_, c_, h_, w_), dtype=cols.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        for i in range(kh):
            for j in range(kw):
                for y in range(oh):
                    iy = y * sh - ph + i * dh
                    if iy < 0 or iy >= h_:
                        continue
                    for xo in range(ow):
                        ix = xo * sw - pw + j * dw
                        if ix >= 0 and ix < w_:
                            out[n, c, iy, ix] += cols[n, c, i, j, y, xo]
    return out


def _is_pointwise(kh, kw, stride, padding):
    return kh == 1 and kw == 1 and stride == (1, 1) and padding == (0, 0)


def _cols(x, kh, kw, stride, padding, dilation, oh, ow):
    """(N, C*kh*kw, oh*ow) patches of x, without a copy for 1x1 stride-1 unpadded convs."""
    n_, c_ = x.shape[:2]
    if _is_pointwise(kh, kw, stride, padding):
        return x.reshape(n_, c_, oh * ow)
    x = np.ascontiguousarray(x)
    cols = _im2col(x, kh, kw, stride[0], stride[1], padding[0], padding[1],
                   dilation[0], dilation[1], oh, ow)
    return cols.reshape(n_, c_ * kh * kw, oh * ow)


def conv2d(x, w, stride, padding, dilation, groups):
    """y[n, o] = sum_{c in group(o), i, j} w[o, c, i, j] x[n, c, y*s - p + i*d, x*s - p + j*d]."""
    n_, _, h_, w_ = x.shape
    o_, cg, kh, kw = w.shape
    oh = conv_out_size(h_, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(w_, kw, stride[1], padding[1], dilation[1])
    cols = _cols(x, kh, kw, stride, padding, dilation, oh, ow)
    cols = cols.reshape(n_, groups, cg * kh * kw, oh * ow)
    wm = w.reshape(groups, o_ // groups, cg * kh * kw)
    y = np.matmul(wm, cols)
    return y.reshape(n_, o_, oh, ow)


def conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """The adjoint of conv2d in its input; w laid out (C_in, C_out/groups, kh, kw)."""
    n_, c_, h_, w_ = x.shape
    _, og, kh, kw = w.shape
    cg = c_ // groups
    ho = (h_ - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (w_ - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    wm = w.reshape(groups, cg, og * kh * kw).transpose(0, 2, 1)
    xm = x.reshape(n_, groups, cg, h_ * w_)
    cols = np.matmul(wm, xm)
    if _is_pointwise(kh, kw, stride, padding) and output_padding == (0, 0):
        return cols.reshape(n_, groups * og, h_, w_)
    cols = cols.reshape(n_, groups * og, kh, kw, h_, w_)
    return _col2im(cols, ho, wo, stride[0], stride[1], padding[0], padding[1],
                   dilation[0], dilation[1])


def conv2d_weight(x, gy, weight_shape, stride, padding, dilation, groups):
    """dL/dw of conv2d: gw[o, c, i, j] = sum_{n,y,x} gy[n, o, y, x] x[n, c, y*s - p + i*d, ...]."""
    n_ = x.shape[0]
    o_, cg, kh, kw = weight_shape
    oh, ow = gy.shape[2], gy.shape[3]
    cols = _cols(x, kh, kw, stride, padding, dilation, oh, ow)
    cols = cols.reshape(n_, groups, cg * kh * kw, oh * ow)
    gym = gy.reshape(n_, groups, o_ // groups, oh * ow)
    gw = np.matmul(gym, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return gw.reshape(weight_shape)
