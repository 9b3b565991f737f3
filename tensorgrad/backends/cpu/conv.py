"""Convolution on the CPU: Numba im2col / col2im kernels around BLAS GEMMs, in chunks of images
so the patch buffer stays in cache and is reused (a fresh 200 MB im2col buffer cost more in page
faults than the GEMM itself); direct Numba loops for depthwise convolutions, where a GEMM per
channel is too small to pay.

Layouts follow PyTorch: x (N, C, H, W); conv weight (O, C/groups, kh, kw); transposed-conv weight
(C, O/groups, kh, kw).
"""

import threading

import numpy as np

from ._jit import njit, prange

__all__ = ["conv2d", "conv_transpose2d", "conv2d_weight", "conv_out_size"]

CHUNK_BYTES = 4 << 20  # patch buffer per chunk of images


def conv_out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@njit(inline="always")
def _valid_range(offset, stride, size, out):
    """The range [lo, hi) of output positions o with 0 <= o * stride + offset < size."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride
    hi = out
    last = size - 1 - offset
    if last < 0:
        hi = 0
    elif last // stride + 1 < out:
        hi = last // stride + 1
    if hi < lo:
        hi = lo
    return lo, hi


@njit(parallel=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[n, c, i, j, y, x] = x[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] (0 outside)."""
    n_, c_, h_, w_ = x.shape
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


@njit(parallel=True)
def _col2im(cols, out, sh, sw, ph, pw, dh, dw):
    """The adjoint of _im2col:
    out[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] += cols[n, c, i, j, y, x]. Rows are added
    as slices: Numba tests an index like xo * sw + base for a negative (wrapped) value on
    every element, which stops LLVM vectorising the loop."""
    n_, c_, kh, kw, oh, ow = cols.shape
    h_, w_ = out.shape[2], out.shape[3]
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        plane = out[n, c]
        plane[:] = 0
        for i in range(kh):
            ylo, yhi = _valid_range(i * dh - ph, sh, h_, oh)
            for j in range(kw):
                xlo, xhi = _valid_range(j * dw - pw, sw, w_, ow)
                base = xlo * sw + j * dw - pw
                k = xhi - xlo
                for y in range(ylo, yhi):
                    src = cols[n, c, i, j, y, xlo:xhi]
                    row = plane[y * sh - ph + i * dh]
                    if sw == 1:
                        dst = row[base:base + k]
                        for t in range(k):
                            dst[t] += src[t]
                    else:
                        dst_s = row[base:base + (k - 1) * sw + 1:sw]
                        for t in range(k):
                            dst_s[t] += src[t]


@njit(inline="always")
def _padded_size(size, p, out, s, k, d):
    """A padded plane's extent: the input plus padding, or what the last window reads."""
    return max(size + 2 * p, (out - 1) * s + (k - 1) * d + 1)


@njit(inline="always")
def _padded_plane(x, n, c, ph, pw, hp, wp):
    """x[n, c] copied into a zeroed (hp, wp) plane at offset (ph, pw): the inner loops below
    then run without bounds tests, over contiguous rows LLVM vectorises."""
    h_, w_ = x.shape[2], x.shape[3]
    pad = np.zeros((hp, wp), dtype=x.dtype)
    for yy in range(h_):
        for xx in range(w_):
            pad[yy + ph, xx + pw] = x[n, c, yy, xx]
    return pad


@njit(parallel=True)
def _depthwise(x, w, sh, sw, ph, pw, dh, dw, oh, ow, mult):
    """y[n, c*mult + m, y, x] = sum_{i,j} w[c*mult + m, 0, i, j] x[n, c, y*sh-ph+i*dh, ...].
    One zero-padded copy of each input plane, then row-at-a-time accumulation over slices
    (measured 26 -> 6 ms on (64, 64, 32, 32) 3x3). The slices matter: Numba wraps negative
    indices, and LLVM does not vectorise src[xo + j * dw] (dw could be negative, so every
    element needs the wraparound test) but does vectorise seg[xo] with seg = src[j*dw:...]."""
    n_, c_, h_, w_ = x.shape
    kh, kw = w.shape[2], w.shape[3]
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    out = np.empty((n_, c_ * mult, oh, ow), dtype=x.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        pad = _padded_plane(x, n, c, ph, pw, hp, wp)
        for m in range(mult):
            o = c * mult + m
            plane = out[n, o]
            for y in range(oh):
                row = plane[y]
                row[:] = 0
                for i in range(kh):
                    src = pad[y * sh + i * dh]
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        b = j * dw
                        if sw == 1:
                            seg = src[b:b + ow]
                            for xo in range(ow):
                                row[xo] += wv * seg[xo]
                        else:
                            seg_s = src[b:b + (ow - 1) * sw + 1:sw]
                            for xo in range(ow):
                                row[xo] += wv * seg_s[xo]
    return out


@njit(parallel=True)
def _depthwise_transpose(gy, w, h_, w_, sh, sw, ph, pw, dh, dw, mult):
    """The adjoint of _depthwise in x: gx[n, c, ...] += w[o, 0, i, j] gy[n, o, y, x], scattered
    row by row into a padded plane, whose interior is gx."""
    n_, co_, oh, ow = gy.shape
    c_ = co_ // mult
    kh, kw = w.shape[2], w.shape[3]
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    gx = np.empty((n_, c_, h_, w_), dtype=gy.dtype)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        pad = np.zeros((hp, wp), dtype=gy.dtype)
        for m in range(mult):
            o = c * mult + m
            for y in range(oh):
                src = gy[n, o, y]
                for i in range(kh):
                    dst = pad[y * sh + i * dh]
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        b = j * dw
                        if sw == 1:
                            seg = dst[b:b + ow]
                            for xo in range(ow):
                                seg[xo] += wv * src[xo]
                        else:
                            seg_s = dst[b:b + (ow - 1) * sw + 1:sw]
                            for xo in range(ow):
                                seg_s[xo] += wv * src[xo]
        for yy in range(h_):
            for xx in range(w_):
                gx[n, c, yy, xx] = pad[yy + ph, xx + pw]
    return gx


@njit(parallel=True)
def _depthwise_weight(x, gy, kh, kw, sh, sw, ph, pw, dh, dw, mult):
    """gw[o, 0, i, j] = sum_{n, y, x} gy[n, o, y, x] x[n, o // mult, y*sh-ph+i*dh, ...]:
    per channel, one row of partial sums per tap, multiply-added a row at a time and summed at
    the end (8.1 -> 6.8 ms on (64, 64, 32, 32) 3x3 against a dot product per tap and row)."""
    n_, c_, h_, w_ = x.shape
    co_, oh, ow = gy.shape[1], gy.shape[2], gy.shape[3]
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    gw = np.zeros((co_, 1, kh, kw), dtype=x.dtype)
    for c in prange(c_):
        acc = np.zeros((mult, kh, kw, ow), dtype=x.dtype)
        for n in range(n_):
            pad = _padded_plane(x, n, c, ph, pw, hp, wp)
            for m in range(mult):
                o = c * mult + m
                for y in range(oh):
                    g = gy[n, o, y]
                    for i in range(kh):
                        src = pad[y * sh + i * dh]
                        for j in range(kw):
                            a = acc[m, i, j]
                            b = j * dw
                            if sw == 1:
                                seg = src[b:b + ow]
                                for xo in range(ow):
                                    a[xo] += g[xo] * seg[xo]
                            else:
                                seg_s = src[b:b + (ow - 1) * sw + 1:sw]
                                for xo in range(ow):
                                    a[xo] += g[xo] * seg_s[xo]
        for m in range(mult):
            for i in range(kh):
                for j in range(kw):
                    gw[c * mult + m, 0, i, j] = acc[m, i, j].sum()
    return gw


def _is_pointwise(kh, kw, stride, padding):
    return kh == 1 and kw == 1 and stride == (1, 1) and padding == (0, 0)


def _chunk(n_, per_image_bytes):
    return max(1, min(n_, CHUNK_BYTES // max(per_image_bytes, 1)))


_buffers = threading.local()


def _buffer(size, dtype, slot=0):
    """A scratch array reused across calls (per thread, dtype and slot): writing into fresh
    pages costs page faults on every call."""
    cache = getattr(_buffers, "arrays", None)
    if cache is None:
        cache = _buffers.arrays = {}
    array = cache.get((dtype, slot))
    if array is None or array.size < size:
        array = cache[(dtype, slot)] = np.empty(size, dtype=dtype)
    return array[:size]


def _patches(x, kh, kw, stride, padding, dilation, oh, ow, buffer):
    """(n, C*kh*kw, oh*ow) patches of a chunk of images, written into buffer (reused)."""
    n_, c_ = x.shape[:2]
    if _is_pointwise(kh, kw, stride, padding):
        return x.reshape(n_, c_, oh * ow)
    cols = buffer[:n_ * c_ * kh * kw * oh * ow].reshape(n_, c_, kh, kw, oh, ow)
    _im2col(x, cols, kh, kw, stride[0], stride[1], padding[0], padding[1], dilation[0],
            dilation[1], oh, ow)
    return cols.reshape(n_, c_ * kh * kw, oh * ow)


def _depthwise_multiplier(c_, groups, cg):
    """Output channels per input channel when the conv is depthwise (one input channel per
    group), else 0."""
    return 1 if cg == 1 and groups == c_ else 0


def conv2d(x, w, stride, padding, dilation, groups):
    """y[n, o] = sum_{c in group(o), i, j} w[o, c, i, j] x[n, c, y*s - p + i*d, x*s - p + j*d]."""
    n_, c_, h_, w_ = x.shape
    o_, cg, kh, kw = w.shape
    oh = conv_out_size(h_, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(w_, kw, stride[1], padding[1], dilation[1])
    x = np.ascontiguousarray(x)
    if _depthwise_multiplier(c_, groups, cg) and groups > 1:
        return _depthwise(x, np.ascontiguousarray(w), stride[0], stride[1], padding[0],
                          padding[1], dilation[0], dilation[1], oh, ow, o_ // c_)
    out = np.empty((n_, o_, oh * ow), dtype=np.result_type(x, w))
    wm = w.reshape(groups, o_ // groups, cg * kh * kw)
    out = out.reshape(n_, groups, o_ // groups, oh * ow)
    per_image = c_ * kh * kw * oh * ow
    step = _chunk(n_, per_image * x.itemsize)
    buffer = _buffer(step * per_image, x.dtype)
    for start in range(0, n_, step):
        cols = _patches(x[start:start + step], kh, kw, stride, padding, dilation, oh, ow, buffer)
        cols = cols.reshape(-1, groups, cg * kh * kw, oh * ow)
        np.matmul(wm, cols, out=out[start:start + step])
    return out.reshape(n_, o_, oh, ow)


def conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """The adjoint of conv2d in its input; w laid out (C_in, C_out/groups, kh, kw)."""
    n_, c_, h_, w_ = x.shape
    _, og, kh, kw = w.shape
    cg = c_ // groups
    ho = (h_ - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (w_ - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    x = np.ascontiguousarray(x)
    if (stride == (1, 1) and groups == 1 and output_padding == (0, 0) and og >= c_
            and padding[0] <= dilation[0] * (kh - 1) and padding[1] <= dilation[1] * (kw - 1)):
        # stride 1 and at least as many output as input channels: the adjoint is an ordinary
        # convolution with the kernel flipped and its in/out channels swapped, and im2col over
        # the fewer input channels beats col2im over the output ones (measured: 49 vs 92 ms for
        # 64 -> 64 channels at 56x56; col2im wins 0.6 vs 6.8 ms for 32 -> 1 channel)
        flipped = np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
        pad = (dilation[0] * (kh - 1) - padding[0], dilation[1] * (kw - 1) - padding[1])
        return conv2d(x, flipped, (1, 1), pad, dilation, 1)
    if og == 1 and groups > 1:
        # one output channel per group (the input gradient of a depthwise conv with channel
        # multiplier cg): w's layout (groups*cg, 1, kh, kw) is the depthwise kernel's
        return _depthwise_transpose(x, np.ascontiguousarray(w), ho, wo, stride[0], stride[1],
                                    padding[0], padding[1], dilation[0], dilation[1], cg)
    wm = np.ascontiguousarray(w.reshape(groups, cg, og * kh * kw).transpose(0, 2, 1))
    if _is_pointwise(kh, kw, stride, padding) and output_padding == (0, 0):
        return np.matmul(wm, x.reshape(n_, groups, cg, h_ * w_)).reshape(n_, groups * og, h_, w_)
    out = np.empty((n_, groups * og, ho, wo), dtype=np.result_type(x, w))
    per_image = groups * og * kh * kw * h_ * w_
    step = _chunk(n_, per_image * x.itemsize)
    buffer = _buffer(step * per_image, out.dtype)
    for start in range(0, n_, step):
        xs = x[start:start + step]
        k = xs.shape[0]
        cols = buffer[:k * per_image].reshape(k, groups, og * kh * kw, h_ * w_)
        np.matmul(wm, xs.reshape(k, groups, cg, h_ * w_), out=cols)
        _col2im(cols.reshape(k, groups * og, kh, kw, h_, w_), out[start:start + step],
                stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])
    return out


def conv2d_weight(x, gy, weight_shape, stride, padding, dilation, groups):
    """dL/dw of conv2d: gw[o, c, i, j] = sum_{n,y,x} gy[n, o, y, x] x[n, c, y*s - p + i*d, ...]."""
    n_, c_ = x.shape[:2]
    o_, cg, kh, kw = weight_shape
    oh, ow = gy.shape[2], gy.shape[3]
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy)
    if _depthwise_multiplier(c_, groups, cg) and groups > 1:
        return _depthwise_weight(x, gy, kh, kw, stride[0], stride[1], padding[0], padding[1],
                                 dilation[0], dilation[1], o_ // c_)
    gw = np.zeros((groups, o_ // groups, cg * kh * kw), dtype=np.result_type(x, gy))
    per_image = c_ * kh * kw * oh * ow
    step = _chunk(n_, per_image * x.itemsize)
    buffer = _buffer(step * per_image, x.dtype)
    for start in range(0, n_, step):
        cols = _patches(x[start:start + step], kh, kw, stride, padding, dilation, oh, ow, buffer)
        k = cols.shape[0]
        cols = cols.reshape(k, groups, cg * kh * kw, oh * ow)
        gym = gy[start:start + step].reshape(k, groups, o_ // groups, oh * ow)
        # a batched GEMM reading cols transposed in place (BLAS's trans flag), then a sum over
        # the chunk; stacking the chunk into one GEMM would copy cols (measured 3x slower)
        gw += np.matmul(gym, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return gw.reshape(weight_shape)
