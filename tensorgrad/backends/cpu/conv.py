"""Convolution on the CPU: Numba im2col / col2im kernels around BLAS GEMMs, in chunks of images
so the patch buffer stays in cache and is reused (a fresh 200 MB im2col buffer cost more in page
faults than the GEMM itself); direct Numba loops for depthwise convolutions, where a GEMM per
channel is too small to pay. Three patch layouts, chosen per shape by _layout: the stacked grid
(stride 1), the chunk-wide matrix (other convolutions with >= 64 patch rows) and per-image
im2col (the rest: few patch rows, groups).

Layouts follow PyTorch: x (N, C, H, W); conv weight (O, C/groups, kh, kw); transposed-conv weight
(C, O/groups, kh, kw).
"""

import threading

import numpy as np

from . import _lanes, winograd
from ._jit import njit, prange

__all__ = ["conv2d", "conv_transpose2d", "conv2d_weight", "conv_out_size"]

CHUNK_BYTES = 4 << 20  # patch buffer per chunk of images
LANE_CHUNK_BYTES = 1 << 20  # the same where chunks run on parallel lanes, one core each
# Smaller convolutions (all patches together) run their chunks serially: LeNet-5's second conv
# (3.8 MB of patches) lost ~1 ms per training step on two lanes.
LANES_MIN_BYTES = 8 << 20
# Winograd F(2x2, 3x3) from this many channels on both sides and this many bytes of transformed
# planes (all images; below it a single-threaded BLAS only)
WINOGRAD_MIN_CHANNELS = 16
WINOGRAD_LANES_MIN_BYTES = 4 << 20
MIN_PATCH_ROWS = 64  # fewer rows (C*kh*kw) than this: per-image GEMMs (the 1-channel shapes)


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


@njit(inline="always")
def _copy_window(pad, block, y0, x0, sh, sw):
    """block[y, x] = pad[y0 + y*sh, x0 + x*sw]: one tap's (oh, ow) window of a zero-bordered
    plane, row by row as slices (no bounds tests; LLVM vectorises the unit-stride rows)."""
    oh, ow = block.shape
    for y in range(oh):
        row = pad[y0 + y * sh]
        out = block[y]
        if sw == 1:
            seg = row[x0:x0 + ow]
            for t in range(ow):
                out[t] = seg[t]
        else:
            seg_s = row[x0:x0 + (ow - 1) * sw + 1:sw]
            for t in range(ow):
                out[t] = seg_s[t]


@njit(parallel=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """cols[n, c, i, j, y, x] = x[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] (0 outside). Each
    plane is copied into a zero-bordered one first (_fill_padded) and the patch rows are then
    copied as slices: no bounds test per element (LeNet-5's first convolution, 53 images of
    (1, 32, 32) 5x5: 0.30 -> 0.23 ms; (64, 1, 28, 28) 3x3 padded: 0.18 -> 0.15 ms)."""
    n_, c_, h_, w_ = x.shape
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    for nc in prange(n_ * c_):
        n = nc // c_
        c = nc % c_
        pad = np.zeros((hp, wp), dtype=x.dtype)
        _fill_padded(pad, x, n, c, ph, pw)
        for i in range(kh):
            for j in range(kw):
                _copy_window(pad, cols[n, c, i, j], i * dh, j * dw, sh, sw)


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


# ----- stride-1 convolutions on a stacked grid ------------------------------------------------
# The chunk's images are stacked, unpadded, into one flat plane per channel (image b's pixel
# (y, x) at (b*H + y)*W + x, zeros before and after the whole stack). A stride-1 window's tap
# (i, j) reads the same plane shifted by dy*W + dx (dy = i*dh - ph, dx = j*dw - pw), so the
# patch matrix is kh*kw contiguous copies per channel (im2col tests bounds per element) and the
# GEMM spans the whole chunk, one wide product instead of a batch of per-image ones (150 -> 190
# GFLOP/s here). Where a tap hangs over an image's edge the shifted plane reads the neighbouring
# row or image instead of padding; those entries are zeroed afterwards (_zero_outside: columns
# strided, rows contiguous). Output (b, y, x) is column (b*H + y)*W + x, so a 'same' convolution
# computes no position it throws away. The grid used to share zero padding between rows and
# images instead (pitch W + pw, H + ph rows per image): 15% more GEMM columns at 14x14; without
# them the three passes of (64,32,14,14)->64 went 11.4 -> 10.5 ms and of (32,64,56,56)->64
# 149.5 -> 145 ms. These copies are serial Numba: large convolutions run whole chunks (copies
# and a single-threaded GEMM) on parallel lanes instead (_lanes.py); Numba-parallel copies
# between multi-threaded GEMMs lost, handing the cores back and forth between two thread pools
# cost more than the copies gained from a second core (11.2 vs 11.9 ms for the three passes of
# (64,32,14,14)->64).


@njit(inline="always")
def _put_rows(flat, plane, start, pitch):
    """flat[start + y*pitch + x] = plane[y, x]: a 2-d plane into a flattened padded one."""
    h_, w_ = plane.shape
    for y in range(h_):
        dst = flat[start + y * pitch:start + y * pitch + w_]
        src = plane[y]
        for t in range(w_):
            dst[t] = src[t]


@njit(inline="always")
def _get_rows(flat, plane, start, pitch):
    """plane[y, x] = flat[start + y*pitch + x], the inverse of _put_rows."""
    h_, w_ = plane.shape
    for y in range(h_):
        src = flat[start + y * pitch:start + y * pitch + w_]
        dst = plane[y]
        for t in range(w_):
            dst[t] = src[t]


@njit(inline="always")
def _zero_outside(row, n_, h_, w_, dy, dx):
    """Zero the entries of a grid patch row (n_ images of h_ x w_) whose tap, shifted by
    (dy, dx), reads outside its image: there the shifted plane holds a neighbour's pixels."""
    if dx != 0:
        lo = max(0, min(w_, w_ - dx if dx > 0 else 0))
        hi = max(0, min(w_, w_ if dx > 0 else -dx))
        for xx in range(lo, hi):
            for r in range(n_ * h_):
                row[r * w_ + xx] = 0
    if dy != 0:
        lo = max(0, min(h_, h_ - dy if dy > 0 else 0))
        hi = max(0, min(h_, h_ if dy > 0 else -dy))
        for b in range(n_):
            seg = row[(b * h_ + lo) * w_:(b * h_ + hi) * w_]
            for t in range((hi - lo) * w_):
                seg[t] = 0


@njit()
def _grid_patches(x, cols, kh, kw, ph, pw, dh, dw):
    """cols[c, i, j, (b*H + y)*W + x] = x[b, c, y - ph + i*dh, x - pw + j*dw] (0 outside)."""
    n_, c_, h_, w_ = x.shape
    m_ = n_ * h_ * w_
    front = ph * w_ + pw
    back = max(0, (dh * (kh - 1) - ph) * w_ + dw * (kw - 1) - pw)
    plane = np.zeros(front + m_ + back, dtype=x.dtype)
    hw = h_ * w_
    for c in range(c_):
        for b in range(n_):
            _put_rows(plane, x[b, c], front + b * hw, w_)
        for i in range(kh):
            for j in range(kw):
                dy = i * dh - ph
                dx = j * dw - pw
                seg = plane[front + dy * w_ + dx:front + dy * w_ + dx + m_]
                row = cols[c, i, j]
                for m in range(m_):
                    row[m] = seg[m]
                _zero_outside(row, n_, h_, w_, dy, dx)


@njit()
def _grid_col2im(cols, gx, kh, kw, ph, pw, dh, dw):
    """The adjoint of _grid_patches (cols is zeroed where its taps hang over the edges)."""
    n_, c_, h_, w_ = gx.shape
    m_ = n_ * h_ * w_
    front = ph * w_ + pw
    back = max(0, (dh * (kh - 1) - ph) * w_ + dw * (kw - 1) - pw)
    plane = np.empty(front + m_ + back, dtype=gx.dtype)
    hw = h_ * w_
    for c in range(c_):
        plane[:] = 0
        for i in range(kh):
            for j in range(kw):
                dy = i * dh - ph
                dx = j * dw - pw
                row = cols[c, i, j]
                _zero_outside(row, n_, h_, w_, dy, dx)
                seg = plane[front + dy * w_ + dx:front + dy * w_ + dx + m_]
                for m in range(m_):
                    seg[m] += row[m]
        for b in range(n_):
            _get_rows(plane, gx[b, c], front + b * hw, w_)


@njit()
def _from_grid(grid, out, rows, wp):
    """out[b, o, y, x] = grid[o, (b*rows + y)*wp + x]. Where the grid has no gaps each (b, o)
    plane is one flat copy (its rows one by one cost 0.29 against ~0.15 ms per lane for
    (64,64,14,14))."""
    n_, o_, oh, ow = out.shape
    exact = rows == oh and wp == ow
    hw = oh * ow
    for o in range(o_):
        for b in range(n_):
            if exact:
                src = grid[o, b * hw:(b + 1) * hw]
                dst = out[b, o].reshape(hw)
                for t in range(hw):
                    dst[t] = src[t]
            else:
                _get_rows(grid[o], out[b, o], b * rows * wp, wp)


@njit()
def _to_grid(y, grid, rows, wp):
    """grid[o, (b*rows + r)*wp + x] = y[b, o, r, x], zero between the images."""
    n_, o_, oh, ow = y.shape
    gaps = oh < rows or ow < wp
    hw = oh * ow
    for o in range(o_):
        if gaps:
            grid[o, :] = 0
        for b in range(n_):
            if gaps:
                _put_rows(grid[o], y[b, o], b * rows * wp, wp)
            else:
                src = y[b, o].reshape(hw)
                dst = grid[o, b * hw:(b + 1) * hw]
                for t in range(hw):
                    dst[t] = src[t]


# ----- valid stride-1 convolutions on a grid of the output's rows ------------------------------
# A valid convolution (no padding; LeNet-5's 5x5 ones) keeps the input's pitch: image b's output
# (y, x) is column (b*oh + y)*W + x, and tap (i, j)'s patch row for the image is then ONE run of
# oh*W pixels of the flattened plane from i*dh*W + j*dw, instead of oh runs of ow. The columns
# x >= ow are junk (the next row's first pixels, zeros past the plane): the forward drops them
# (_from_grid), gy's grid holds zeros there (_to_grid), so the weight gradient adds junk * 0
# and the input gradient's patch-space product is 0 there (zeroed outright where an operand is
# not finite, as inf * 0 is not 0). W/ow more GEMM columns (1.4x for LeNet-5's 14 -> 10), hence
# VALID_GRID_MAX_WASTE.
# LeNet-5's second convolution against the chunk-wide matrix (below), alternating pairs of
# processes, quiet ones: forward 0.76-0.78 -> 0.62-0.63 ms, input gradient 0.91 -> 0.61-0.65,
# weight gradient 0.78-0.80 -> 0.72-0.75. Both loaded in one process, the three passes:
# (64, 8, 16, 16) -> 16 5x5 4.3-4.5 -> 4.1 ms, (64, 12, 12, 12) -> 16 5x5 2.8-3.0 -> 2.7-2.9,
# (64, 6, 28, 28) -> 16 5x5 level; losses with more output channels, whose GEMM grows with the
# junk ((64, 16, 10, 10) -> 32 3x3 2.0 -> 2.1, (32, 32, 12, 12) -> 64 5x5 forward 1.8-1.9 ->
# 2.4-2.5)
# and with long rows ((16, 3, 32, 32) -> 16 7x7, ow 26: 7.4-7.9 -> 8.7-9.3), hence the limits.
VALID_GRID_MAX_WASTE = 1.5  # at most this many columns per output column
VALID_GRID_MAX_WIDTH = 16  # output rows at most this long
VALID_GRID_MAX_OUT = 16  # output channels at most


@njit(inline="always")
def _zero_junk(row, pitch, ow):
    """Zero the columns x >= ow of a patch row laid out (b*rows + y)*pitch + x."""
    for r in range(row.size // pitch):
        seg = row[r * pitch + ow:(r + 1) * pitch]
        for t in range(pitch - ow):
            seg[t] = 0


@njit()
def _valid_patches(x, cols, oh, dh, dw, exact):
    """cols[c, i, j, (b*oh + y)*W + x] = x[b, c, y + i*dh, x + j*dw] for x < ow (junk beyond;
    zeros there with `exact`)."""
    n_, c_, h_, w_ = x.shape
    kh, kw = cols.shape[1], cols.shape[2]
    span = oh * w_
    hw = h_ * w_
    ow = w_ - dw * (kw - 1)
    for c in range(c_):
        for b in range(n_):
            flat = x[b, c].reshape(hw)
            for i in range(kh):
                for j in range(kw):
                    off = i * dh * w_ + j * dw
                    k = min(span, hw - off)
                    dst = cols[c, i, j, b * span:(b + 1) * span]
                    src = flat[off:off + k]
                    for t in range(k):
                        dst[t] = src[t]
                    dst[k:] = 0
                    if exact:
                        _zero_junk(dst, w_, ow)


@njit()
def _valid_col2im(cols, gx, oh, dh, dw, exact):
    """The adjoint of _valid_patches: gx[b, c] sums the runs of cols[c, :, :, b] (their junk
    columns zeroed first with `exact`)."""
    c_, kh, kw = cols.shape[0], cols.shape[1], cols.shape[2]
    n_, h_, w_ = gx.shape[0], gx.shape[2], gx.shape[3]
    span = oh * w_
    hw = h_ * w_
    ow = w_ - dw * (kw - 1)
    plane = np.empty(hw + dw * (kw - 1), dtype=gx.dtype)
    for c in range(c_):
        for b in range(n_):
            plane[:] = 0
            for i in range(kh):
                for j in range(kw):
                    src = cols[c, i, j, b * span:(b + 1) * span]
                    if exact:
                        _zero_junk(src, w_, ow)
                    seg = plane[i * dh * w_ + j * dw:i * dh * w_ + j * dw + span]
                    for t in range(span):
                        seg[t] += src[t]
            dst = gx[b, c].reshape(hw)
            for t in range(hw):
                dst[t] = plane[t]


# ----- large 'same'-sized stride-1 convolutions: row taps, one GEMM per kernel row -------------
# Where one image's patch matrix is large (7.2 MB for (64, 56, 56) 3x3), two lanes writing and
# then reading theirs ran the forward at ~80% of the GEMM's pace. Instead each image gets only
# the kw horizontal taps of its rows, q[c, j, r*W + x] = x[c, r - ph, x - pw + j*dw] for the
# H + dh*(kh - 1) rows the kernel reaches (zero rows above and below): kernel row i is then the
# column block starting at i*dh*W of the same matrix, a strided view BLAS reads in place, so
# y = sum_i w[:, :, i, :] @ q[:, i*dh*W:][:, :H*W], kh GEMMs with C*kw rows each, and a third of
# the copying. (32, 64, 56, 56) -> 64 forward: 42-43 against 47-49 ms; (8, 64, 112, 112) -> 64
# 50-52 against 55-58; (16, 32, 64, 64) -> 32 5x5 24 against 35; smaller images lose (their
# narrower GEMMs: (64, 32, 28, 28) 12.0 against 11.0 ms), hence ROWS_MIN_BYTES. The backward
# passes take it too (the input gradient as the flipped forward, the weight gradient one GEMM
# per kernel row): level with the grid in the machine's fast phases (42-45 against 42-44 ms,
# 45 against 45), 6-10% faster in its slow ones, which punish large patch matrices most.
ROWS_MIN_BYTES = 4 << 20  # one image's grid patch matrix at least this large


@njit()
def _row_taps(x, b, q, ph, pw, dw):
    """q[c, j, r*W + xx] = x[b, c, r - ph, xx - pw + j*dw] (0 outside the image)."""
    c_, h_, w_ = x.shape[1], x.shape[2], x.shape[3]
    kw = q.shape[1]
    rows = q.shape[2] // w_
    for c in range(c_):
        for j in range(kw):
            taps = q[c, j]
            dx = j * dw - pw
            lo = max(0, min(w_, -dx))
            hi = max(lo, min(w_, w_ - dx))
            for r in range(rows):
                row = taps[r * w_:(r + 1) * w_]
                iy = r - ph
                if iy < 0 or iy >= h_:
                    row[:] = 0
                    continue
                row[:lo] = 0
                src = x[b, c, iy, lo + dx:hi + dx]
                dst = row[lo:hi]
                for t in range(hi - lo):
                    dst[t] = src[t]
                row[hi:] = 0


# ----- other convolutions on a chunk-wide patch matrix -----------------------------------------
# Where neither grid applies (strides, padding the grid would waste) and a patch matrix has
# enough rows to feed a GEMM, the chunk's patches go into
# one (C*kh*kw, n*oh*ow) matrix, channel-major: one GEMM spans the chunk instead of a batch of
# per-image ones that are too small to run near the peak. LeNet-5's second convolution (6 -> 16
# channels, 5x5 on 14x14, batch 64; the valid grid's since), alone: forward 0.99 -> 0.89 ms,
# input gradient 1.39 -> 1.01, weight gradient 1.63 -> 0.93; the LeNet-5 step 6.3-6.5 -> 5.8-5.9;
# (32, 16, 28, 28) -> 32 3x3 stride 2: 5.5 -> 4.6 ms for the three passes. The patch matrix is
# copied one output row (ow values) at a time, which is why the grid, whose rows are whole
# shifted planes, stays faster where it applies (patch copy 0.35 against 0.09 ms per chunk of
# (16, 32, 14, 14)). Columns map to outputs as (b, y, x) -> (b*oh + y)*ow + x, the grid's
# layout, so the grid's gather/scatter kernels (_from_grid, _to_grid) move the outputs.


@njit()
def _wide_patches(x, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[c, i, j, b, y, x] = x[b, c, y*sh - ph + i*dh, x*sw - pw + j*dw] (0 outside)."""
    n_, c_, h_, w_ = x.shape
    oh, ow = cols.shape[4], cols.shape[5]
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    pad = np.zeros((hp, wp), dtype=x.dtype)
    for c in range(c_):
        for b in range(n_):
            _fill_padded(pad, x, b, c, ph, pw)
            for i in range(kh):
                for j in range(kw):
                    _copy_window(pad, cols[c, i, j, b], i * dh, j * dw, sh, sw)


@njit()
def _wide_col2im(cols, gx, sh, sw, ph, pw, dh, dw):
    """The adjoint of _wide_patches: gx[b, c] sums the windows of cols[c, :, :, b]."""
    c_, kh, kw, n_, oh, ow = cols.shape
    h_, w_ = gx.shape[2], gx.shape[3]
    hp = _padded_size(h_, ph, oh, sh, kh, dh)
    wp = _padded_size(w_, pw, ow, sw, kw, dw)
    pad = np.empty((hp, wp), dtype=gx.dtype)
    for c in range(c_):
        for b in range(n_):
            pad[:] = 0
            for i in range(kh):
                for j in range(kw):
                    block = cols[c, i, j, b]
                    for y in range(oh):
                        row = pad[y * sh + i * dh]
                        src = block[y]
                        if sw == 1:
                            seg = row[j * dw:j * dw + ow]
                            for t in range(ow):
                                seg[t] += src[t]
                        else:
                            seg_s = row[j * dw:j * dw + (ow - 1) * sw + 1:sw]
                            for t in range(ow):
                                seg_s[t] += src[t]
            plane = gx[b, c]
            for yy in range(h_):
                src2 = pad[yy + ph, pw:pw + w_]
                dst = plane[yy]
                for t in range(w_):
                    dst[t] = src2[t]


# ----- depthwise convolutions -------------------------------------------------------------------
# Stride 1 runs on each plane flattened with its padding (pitch wp = W + 2*pw): tap (i, j) is
# the plane shifted by i*dh*wp + j*dw, so each tap is one multiply-add over the whole plane
# (positions x >= ow of each row are computed and dropped) instead of one short loop per output
# row: 2-2.4x faster than the row kernels below on (64, 64, 32, 32) 3x3 (forward 3.8 -> 1.7 ms,
# input gradient 5.1 -> 2.3, weight gradient 4.9 -> 2.8). Other strides use the row kernels.
# Each parallel task takes PLANES_PER_TASK planes and allocates its scratch planes once for
# them: an allocation per plane cost the forward 1.38 against 1.15 ms.
PLANES_PER_TASK = 32
# 3x3 stride-1 undilated kernels on planes at least this wide write each output row straight
# from three padded rows, two output rows per pass (they share two of their input rows), instead
# of the flattened pass and its copy out. (64, 64, 32, 32) forward on one thread 2.5-2.9 -> 2.05
# ms, alternating in one process; (32, 32, 56, 56) 2.5 -> 1.7 and (16, 32, 64, 64) 1.6 -> 0.9
# as a prototype. Narrower rows leave too short a loop (14 wide: 1.5 -> 3.5 ms), hence the
# floor. _rows3x3 is a function of its own: inlined into the parallel loop it took 2.75 ms.
DEPTHWISE_ROWS_MIN_WIDTH = 16


@njit()
def _rows3x3(pad, wp, k, out):
    """out[y, x] = sum_ij k[i, j] pad[(y + i)*wp + x + j] (a 3x3 window over the flattened
    padded plane of pitch wp), two output rows at a time."""
    oh, ow = out.shape
    w0, w1, w2, w3, w4 = k[0, 0], k[0, 1], k[0, 2], k[1, 0], k[1, 1]
    w5, w6, w7, w8 = k[1, 2], k[2, 0], k[2, 1], k[2, 2]
    for y in range(0, oh - 1, 2):
        r0 = pad[y * wp:y * wp + wp]
        r1 = pad[(y + 1) * wp:(y + 1) * wp + wp]
        r2 = pad[(y + 2) * wp:(y + 2) * wp + wp]
        r3 = pad[(y + 3) * wp:(y + 3) * wp + wp]
        d0 = out[y]
        d1 = out[y + 1]
        for t in range(ow):
            b0, b1, b2 = r1[t], r1[t + 1], r1[t + 2]
            c0, c1, c2 = r2[t], r2[t + 1], r2[t + 2]
            d0[t] = (w0 * r0[t] + w1 * r0[t + 1] + w2 * r0[t + 2] + w3 * b0 + w4 * b1 + w5 * b2
                     + w6 * c0 + w7 * c1 + w8 * c2)
            d1[t] = (w0 * b0 + w1 * b1 + w2 * b2 + w3 * c0 + w4 * c1 + w5 * c2
                     + w6 * r3[t] + w7 * r3[t + 1] + w8 * r3[t + 2])
    if oh % 2:
        y = oh - 1
        r0 = pad[y * wp:y * wp + wp]
        r1 = pad[(y + 1) * wp:(y + 1) * wp + wp]
        r2 = pad[(y + 2) * wp:(y + 2) * wp + wp]
        d0 = out[y]
        for t in range(ow):
            d0[t] = (w0 * r0[t] + w1 * r0[t + 1] + w2 * r0[t + 2] + w3 * r1[t] + w4 * r1[t + 1]
                     + w5 * r1[t + 2] + w6 * r2[t] + w7 * r2[t + 1] + w8 * r2[t + 2])


@njit(inline="always")
def _shifts3x3(flat, m_, row, col):
    """The nine views flat[i*row + j*col:][:m_] of a 3x3 window over a flattened plane."""
    r2, c2 = 2 * row, 2 * col
    return (flat[0:m_], flat[col:col + m_], flat[c2:c2 + m_],
            flat[row:row + m_], flat[row + col:row + col + m_], flat[row + c2:row + c2 + m_],
            flat[r2:r2 + m_], flat[r2 + col:r2 + col + m_], flat[r2 + c2:r2 + c2 + m_])


@njit(parallel=True)
def _depthwise_s1(x, w, ph, pw, dh, dw, oh, ow, mult, rows):
    """3x3 kernels (nearly every depthwise conv) sum their nine taps in one pass: one store per
    output instead of nine read-modify-writes (forward 2.05 -> 1.24 ms on (64, 64, 32, 32));
    with `rows` (3x3, undilated) row by row into the output (_rows3x3)."""
    n_, c_, h_, w_ = x.shape
    kh, kw = w.shape[2], w.shape[3]
    wp = w_ + 2 * pw
    m_ = oh * wp
    out = np.empty((n_, c_ * mult, oh, ow), dtype=x.dtype)
    for task in prange((n_ * c_ + PLANES_PER_TASK - 1) // PLANES_PER_TASK):
        pad = np.zeros((h_ + 2 * ph + 1) * wp, dtype=x.dtype)
        acc = np.empty(m_, dtype=x.dtype)
        for nc in range(task * PLANES_PER_TASK, min(n_ * c_, (task + 1) * PLANES_PER_TASK)):
            n = nc // c_
            c = nc % c_
            _put_rows(pad, x[n, c], ph * wp + pw, wp)
            for m in range(mult):
                o = c * mult + m
                if rows:
                    _rows3x3(pad, wp, w[o, 0], out[n, o])
                    continue
                if kh == 3 and kw == 3:
                    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _shifts3x3(pad, m_, dh * wp, dw)
                    k = w[o, 0]
                    w0, w1, w2, w3, w4 = k[0, 0], k[0, 1], k[0, 2], k[1, 0], k[1, 1]
                    w5, w6, w7, w8 = k[1, 2], k[2, 0], k[2, 1], k[2, 2]
                    for t in range(m_):
                        acc[t] = (w0 * s0[t] + w1 * s1[t] + w2 * s2[t] + w3 * s3[t]
                                  + w4 * s4[t] + w5 * s5[t] + w6 * s6[t] + w7 * s7[t]
                                  + w8 * s8[t])
                    _get_rows(acc, out[n, o], 0, wp)
                    continue
                acc[:] = 0
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        offset = i * dh * wp + j * dw
                        seg = pad[offset:offset + m_]
                        for t in range(m_):
                            acc[t] += wv * seg[t]
                _get_rows(acc, out[n, o], 0, wp)
    return out


@njit(parallel=True)
def _depthwise_transpose_s1(gy, w, h_, w_, ph, pw, dh, dw, mult):
    """The adjoint of _depthwise_s1 in x."""
    n_, co_, oh, ow = gy.shape
    c_ = co_ // mult
    kh, kw = w.shape[2], w.shape[3]
    wp = w_ + 2 * pw
    m_ = oh * wp
    gx = np.empty((n_, c_, h_, w_), dtype=gy.dtype)
    for task in prange((n_ * c_ + PLANES_PER_TASK - 1) // PLANES_PER_TASK):
        pad = np.empty((h_ + 2 * ph + 1) * wp, dtype=gy.dtype)
        g = np.zeros(m_, dtype=gy.dtype)
        for nc in range(task * PLANES_PER_TASK, min(n_ * c_, (task + 1) * PLANES_PER_TASK)):
            n = nc // c_
            c = nc % c_
            pad[:] = 0
            for m in range(mult):
                o = c * mult + m
                _put_rows(g, gy[n, o], 0, wp)
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        offset = i * dh * wp + j * dw
                        seg = pad[offset:offset + m_]
                        for t in range(m_):
                            seg[t] += wv * g[t]
            _get_rows(pad, gx[n, c], ph * wp + pw, wp)
    return gx


@njit(parallel=True, fastmath={"reassoc", "contract"})
def _depthwise_weight_s1(x, gy, kh, kw, ph, pw, dh, dw, mult):
    """The weight gradient of _depthwise_s1: one dot product per tap over the flattened plane
    (gy's dropped positions held at zero), per image and channel, in parallel over both like the
    forward (the planes in memory order), then summed over the images in float64; a 3x3
    kernel's nine in one pass. Reassociation lets LLVM vectorise the dot products. On
    (64, 64, 32, 32): 2.4 -> 1.6 ms against one channel per thread looping over the images
    (planes 256 KB apart)."""
    n_, c_, h_, w_ = x.shape
    co_, oh = gy.shape[1], gy.shape[2]
    wp = w_ + 2 * pw
    m_ = oh * wp
    parts = np.zeros((n_, co_, kh, kw))
    for task in prange((n_ * c_ + PLANES_PER_TASK - 1) // PLANES_PER_TASK):
        pad = np.zeros((h_ + 2 * ph + 1) * wp, dtype=x.dtype)
        g = np.zeros(m_, dtype=x.dtype)
        for nc in range(task * PLANES_PER_TASK, min(n_ * c_, (task + 1) * PLANES_PER_TASK)):
            n = nc // c_
            c = nc % c_
            _put_rows(pad, x[n, c], ph * wp + pw, wp)
            for m in range(mult):
                o = c * mult + m
                _put_rows(g, gy[n, o], 0, wp)
                a = parts[n, o]
                if kh == 3 and kw == 3:
                    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _shifts3x3(pad, m_, dh * wp, dw)
                    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = x.dtype.type(0)
                    for t in range(m_):
                        gt = g[t]
                        a0 += gt * s0[t]
                        a1 += gt * s1[t]
                        a2 += gt * s2[t]
                        a3 += gt * s3[t]
                        a4 += gt * s4[t]
                        a5 += gt * s5[t]
                        a6 += gt * s6[t]
                        a7 += gt * s7[t]
                        a8 += gt * s8[t]
                    a[0, 0] = a0
                    a[0, 1] = a1
                    a[0, 2] = a2
                    a[1, 0] = a3
                    a[1, 1] = a4
                    a[1, 2] = a5
                    a[2, 0] = a6
                    a[2, 1] = a7
                    a[2, 2] = a8
                    continue
                for i in range(kh):
                    for j in range(kw):
                        offset = i * dh * wp + j * dw
                        seg = pad[offset:offset + m_]
                        total = x.dtype.type(0)
                        for t in range(m_):
                            total += g[t] * seg[t]
                        a[i, j] = total
    gw = np.empty((co_, 1, kh, kw), dtype=x.dtype)
    for o in prange(co_):
        for i in range(kh):
            for j in range(kw):
                s = 0.0
                for n in range(n_):
                    s += parts[n, o, i, j]
                gw[o, 0, i, j] = s
    return gw


@njit(inline="always")
def _padded_size(size, p, out, s, k, d):
    """A padded plane's extent: the input plus padding, or what the last window reads."""
    return max(size + 2 * p, (out - 1) * s + (k - 1) * d + 1)


@njit(inline="always")
def _fill_padded(pad, x, n, c, ph, pw):
    """x[n, c] copied into the interior of a zero-bordered plane at offset (ph, pw): the inner
    loops below then run without bounds tests, over contiguous rows LLVM vectorises. The
    border is never written, so a plane is zeroed once and refilled plane after plane."""
    h_, w_ = x.shape[2], x.shape[3]
    for yy in range(h_):
        dst = pad[yy + ph, pw:pw + w_]
        src = x[n, c, yy]
        for t in range(w_):
            dst[t] = src[t]


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
    for task in prange((n_ * c_ + PLANES_PER_TASK - 1) // PLANES_PER_TASK):
        pad = np.zeros((hp, wp), dtype=x.dtype)
        for nc in range(task * PLANES_PER_TASK, min(n_ * c_, (task + 1) * PLANES_PER_TASK)):
            n = nc // c_
            c = nc % c_
            _fill_padded(pad, x, n, c, ph, pw)
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
    for task in prange((n_ * c_ + PLANES_PER_TASK - 1) // PLANES_PER_TASK):
        pad = np.empty((hp, wp), dtype=gy.dtype)
        for nc in range(task * PLANES_PER_TASK, min(n_ * c_, (task + 1) * PLANES_PER_TASK)):
            n = nc // c_
            c = nc % c_
            pad[:] = 0
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
        pad = np.zeros((hp, wp), dtype=x.dtype)
        for n in range(n_):
            _fill_padded(pad, x, n, c, ph, pw)
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


def _depthwise_rows(kh, kw, dilation, ow):
    """Whether _depthwise_s1 writes rows with _rows3x3."""
    return kh == kw == 3 and dilation == (1, 1) and ow >= DEPTHWISE_ROWS_MIN_WIDTH


def _is_pointwise(kh, kw, stride, padding):
    return kh == 1 and kw == 1 and stride == (1, 1) and padding == (0, 0)


def _chunk(n_, per_image_bytes, limit=None):
    return max(1, min(n_, (limit or CHUNK_BYTES) // max(per_image_bytes, 1)))


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


def _grid_shape(h_, w_, kh, kw, stride, padding, dilation, groups, channels):
    """(rows, pitch) = (h_, w_) of the stacked grid for a convolution whose image is (h_, w_),
    or None where the grid does not apply (strides, groups, an output larger than the image) or
    does not pay: few patch rows (the 1-channel shape ran 2-3x slower on it) or more than a
    quarter of the grid thrown away (LeNet-5's 5x5 valid convolutions)."""
    if stride != (1, 1) or groups != 1 or channels * kh * kw < MIN_PATCH_ROWS:
        return None
    oh = h_ + 2 * padding[0] - dilation[0] * (kh - 1)
    ow = w_ + 2 * padding[1] - dilation[1] * (kw - 1)
    if not (0 < oh <= h_ and 0 < ow <= w_) or h_ * w_ > 1.25 * oh * ow:
        return None
    return h_, w_


def _valid_grid(h_, w_, kh, kw, stride, padding, groups, channels, oh, ow, out_channels):
    """Whether a convolution takes the valid grid (rows oh, pitch W; above): it saves copying
    per output row and costs GEMM columns, so it pays for short rows and few output channels."""
    return (stride == (1, 1) and padding == (0, 0) and groups == 1 and oh < h_
            and channels * kh * kw >= MIN_PATCH_ROWS and 0 < ow <= VALID_GRID_MAX_WIDTH
            and out_channels <= VALID_GRID_MAX_OUT and w_ <= VALID_GRID_MAX_WASTE * ow)


def _layout(h_, w_, kh, kw, stride, padding, dilation, groups, channels, oh, ow, out_channels):
    """How a convolution (channels in, out_channels out) lays its patch matrix over a chunk of
    images: (wide, rows, pitch), its
    columns (b, y, x) -> (b*rows + y)*pitch + x; the stacked grid (wide False, rows H) where it
    applies, the valid grid (wide False, rows oh < H, pitch W) for valid ones, else the
    chunk-wide matrix (wide True, rows oh, pitch ow) where the patch matrix has enough rows and
    no group splits it; None for the per-image im2col below."""
    grid = _grid_shape(h_, w_, kh, kw, stride, padding, dilation, groups, channels)
    if grid is not None:
        return (False,) + grid
    if _valid_grid(h_, w_, kh, kw, stride, padding, groups, channels, oh, ow, out_channels):
        return False, oh, w_
    if (groups == 1 and channels * kh * kw >= MIN_PATCH_ROWS
            and not _is_pointwise(kh, kw, stride, padding)):
        return True, oh, ow
    return None


def _fill_patches(xs, cols, kh, kw, stride, padding, dilation, layout, exact=False):
    """The chunk xs's patch matrix into cols (C*kh*kw, columns of the layout); with `exact`
    the valid grid's junk columns are zeros where xs is not all finite."""
    wide, rows, pitch = layout
    c_ = xs.shape[1]
    if not wide and rows < xs.shape[2]:
        _valid_patches(xs, cols.reshape(c_, kh, kw, -1), rows, dilation[0], dilation[1],
                       exact and not np.isfinite(xs).all())
    elif wide:
        _wide_patches(xs, cols.reshape(c_, kh, kw, xs.shape[0], rows, pitch), kh, kw,
                      stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])
    else:
        _grid_patches(xs, cols.reshape(c_, kh, kw, cols.shape[1]), kh, kw, padding[0],
                      padding[1], dilation[0], dilation[1])


def _add_patches(cols, gx, kh, kw, stride, padding, dilation, layout, exact=False):
    """The adjoint of _fill_patches: gx (a chunk of images) from its patch-space gradient;
    `exact`: zero the valid grid's junk columns first (an operand was not finite)."""
    wide, rows, pitch = layout
    c_ = gx.shape[1]
    if not wide and rows < gx.shape[2]:
        _valid_col2im(cols.reshape(c_, kh, kw, -1), gx, rows, dilation[0], dilation[1], exact)
    elif wide:
        _wide_col2im(cols.reshape(c_, kh, kw, gx.shape[0], rows, pitch), gx, stride[0],
                     stride[1], padding[0], padding[1], dilation[0], dilation[1])
    else:
        _grid_col2im(cols.reshape(c_, kh, kw, cols.shape[1]), gx, kh, kw, padding[0],
                     padding[1], dilation[0], dilation[1])


def _for_chunks(n_, per_image_bytes, body):
    """[body(start, stop) for each chunk of the n_ images], on parallel lanes where BLAS has
    threads to give (_lanes.py), with chunks sized for one core's cache there."""
    lanes = _lanes.count() if n_ * per_image_bytes >= LANES_MIN_BYTES else 1
    step = _chunk(n_, per_image_bytes, LANE_CHUNK_BYTES if lanes > 1 else CHUNK_BYTES)
    bounds = [(start, min(n_, start + step)) for start in range(0, n_, step)]
    return _lanes.map_chunks(body, bounds, lanes)


def _own_grid(images, rows, pitch, oh, ow):
    """Whether a chunk's grid is its one image's (O, oh*ow) plane itself: one image, no gaps.
    Then the GEMMs read and write the image's planes in place; the copies to and from a grid
    buffer (0.8 MB per image and pass at 56x56, three passes) are left out."""
    return images == 1 and rows == oh and pitch == ow


def _grid_of(gy, start, stop, rows, pitch, dtype):
    """gy[start:stop] (contiguous) in the layout's grid: a view of its one image where
    _own_grid, else copied into a scratch grid."""
    o_, oh, ow = gy.shape[1:]
    if _own_grid(stop - start, rows, pitch, oh, ow) and gy.dtype == dtype:
        return gy[start].reshape(o_, oh * ow)
    grid = _buffer(o_ * (stop - start) * rows * pitch, dtype, slot=1).reshape(o_, -1)
    _to_grid(gy[start:stop], grid, rows, pitch)
    return grid


def _conv2d_wide(x, w, stride, padding, dilation, oh, ow, layout):
    """A convolution as one GEMM per chunk of images over the layout's patch matrix."""
    n_, c_ = x.shape[:2]
    o_, _, kh, kw = w.shape
    _, rows, pitch = layout
    k_ = c_ * kh * kw
    out = np.empty((n_, o_, oh, ow), dtype=np.result_type(x, w))
    wm = np.ascontiguousarray(w).reshape(o_, k_)

    def chunk(start, stop):
        m_ = (stop - start) * rows * pitch
        cols = _buffer(k_ * m_, x.dtype).reshape(k_, m_)
        _fill_patches(x[start:stop], cols, kh, kw, stride, padding, dilation, layout)
        if _own_grid(stop - start, rows, pitch, oh, ow):
            np.matmul(wm, cols, out=out[start].reshape(o_, m_))
            return
        grid = _buffer(o_ * m_, out.dtype, slot=1).reshape(o_, m_)
        np.matmul(wm, cols, out=grid)
        _from_grid(grid, out[start:stop], rows, pitch)

    _for_chunks(n_, k_ * rows * pitch * x.itemsize, chunk)
    return out


def _uses_rows(x_shape, kh, kw, stride, padding, dilation, groups, oh, ow):
    """Whether a convolution's passes take the row taps: stride 1, one group, output the input's
    size, at least MIN_PATCH_ROWS rows per GEMM and a grid patch matrix of ROWS_MIN_BYTES per
    image."""
    _, c_, h_, w_ = x_shape
    return (stride == (1, 1) and groups == 1 and (oh, ow) == (h_, w_)
            and c_ * kw >= MIN_PATCH_ROWS and c_ * kh * kw * h_ * w_ * 4 >= ROWS_MIN_BYTES)


def _conv2d_rows(x, w, padding, dilation):
    """The row-tap forward (above), image by image, on lanes where they are free."""
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = w.shape
    hw = h_ * w_
    span = (h_ + dilation[0] * (kh - 1)) * w_
    out = np.empty((n_, o_, h_, w_), dtype=np.result_type(x, w))
    rows = [np.ascontiguousarray(w[:, :, i, :]).reshape(o_, c_ * kw) for i in range(kh)]

    def images(start, stop):
        q = _buffer(c_ * kw * span, x.dtype).reshape(c_, kw, span)
        taps = q.reshape(c_ * kw, span)
        part = _buffer(o_ * hw, out.dtype, slot=1).reshape(o_, hw)
        for b in range(start, stop):
            _row_taps(x, b, q, padding[0], padding[1], dilation[1])
            y = out[b].reshape(o_, hw)
            np.matmul(rows[0], taps[:, :hw], out=y)
            for i in range(1, kh):
                first = i * dilation[0] * w_
                np.matmul(rows[i], taps[:, first:first + hw], out=part)
                y += part

    _for_chunks(n_, c_ * kh * kw * hw * x.itemsize, images)
    return out


def _conv2d_weight_rows(x, gy, weight_shape, padding, dilation):
    """The weight gradient over the row-tap matrix: kernel row i's part, (C*kw, O), is the
    view of that row's taps times gy^T (read transposed through BLAS's flag), image by image
    and summed. (32, 64, 56, 56) -> 64: 52-54 against 55-61 ms for the grid's patch matrix in
    a slow phase of the machine, 45 against 45 in a fast one."""
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = weight_shape
    hw = h_ * w_
    span = (h_ + dilation[0] * (kh - 1)) * w_
    dtype = np.result_type(x, gy)

    def images(start, stop):
        q = _buffer(c_ * kw * span, x.dtype).reshape(c_, kw, span)
        taps = q.reshape(c_ * kw, span)
        part = _buffer(c_ * kw * o_, dtype, slot=1).reshape(c_ * kw, o_)
        acc = np.zeros((kh, c_ * kw, o_), dtype=dtype)
        for b in range(start, stop):
            _row_taps(x, b, q, padding[0], padding[1], dilation[1])
            g = gy[b].reshape(o_, hw).T
            for i in range(kh):
                first = i * dilation[0] * w_
                np.matmul(taps[:, first:first + hw], g, out=part)
                acc[i] += part
        return acc

    parts = _for_chunks(n_, c_ * kh * kw * hw * x.itemsize, images)
    acc = parts[0]
    for more in parts[1:]:
        acc += more
    # (kh, C, kw, O) -> (O, C, kh, kw)
    return np.ascontiguousarray(acc.reshape(kh, c_, kw, o_).transpose(3, 1, 0, 2))


def _conv_transpose2d_wide(gy, w, stride, padding, dilation, ho, wo, layout):
    """The input gradient on the layout's patch matrix: the patch-space gradient w^T gy as one
    GEMM per chunk, then its windows summed back. On the grid this beat the flipped-kernel
    convolution on both 32-64-channel shapes (3.7 vs 4.6 ms, 47 vs 50 ms)."""
    n_, o_ = gy.shape[:2]
    _, c_, kh, kw = w.shape
    _, rows, pitch = layout
    k_ = c_ * kh * kw
    gx = np.empty((n_, c_, ho, wo), dtype=np.result_type(gy, w))
    wt = np.ascontiguousarray(w.reshape(o_, k_).T)
    exact = rows < ho and not np.isfinite(wt).all()  # the valid grid's junk is not w^T 0 = 0

    def chunk(start, stop):
        m_ = (stop - start) * rows * pitch
        grid = _grid_of(gy, start, stop, rows, pitch, gx.dtype)
        cols = _buffer(k_ * m_, gx.dtype).reshape(k_, m_)
        np.matmul(wt, grid, out=cols)
        _add_patches(cols, gx[start:stop], kh, kw, stride, padding, dilation, layout, exact)

    _for_chunks(n_, k_ * rows * pitch * gy.itemsize, chunk)
    return gx


def _conv2d_weight_wide(x, gy, weight_shape, stride, padding, dilation, layout):
    """gw^T = patches @ gy^T over each chunk's patch matrix (gy in the grid's layout, read
    transposed through BLAS's flag), summed over the chunks. On the lanes this beat copying gy
    into the transposed layout first (56x56 weight gradient 47.7-50.8 -> 43.9-47.4 ms best of
    runs): the GEMM lost ~5% to the flag, the copy had cost more."""
    n_, c_ = x.shape[:2]
    o_, _, kh, kw = weight_shape
    _, rows, pitch = layout
    dtype = np.result_type(x, gy)
    k_ = c_ * kh * kw

    def chunk(start, stop):
        m_ = (stop - start) * rows * pitch
        cols = _buffer(k_ * m_, x.dtype).reshape(k_, m_)
        _fill_patches(x[start:stop], cols, kh, kw, stride, padding, dilation, layout,
                      exact=True)
        return np.matmul(cols, _grid_of(gy, start, stop, rows, pitch, dtype).T)

    parts = _for_chunks(n_, k_ * rows * pitch * x.itemsize, chunk)
    acc = parts[0]
    for part in parts[1:]:
        acc += part
    return np.ascontiguousarray(acc.T).reshape(weight_shape)


def _uses_winograd(c_, o_, kh, kw, stride, dilation, groups):
    """Whether a convolution runs as Winograd's F(2x2, 3x3) (winograd.py): 3x3, stride 1, no
    dilation or groups, and enough channels both ways that the GEMMs outweigh the transforms."""
    return (kh == kw == 3 and stride == (1, 1) and dilation == (1, 1) and groups == 1
            and min(c_, o_) >= WINOGRAD_MIN_CHANNELS)


def _winograd_lanes(x, th, tw, channels):
    """The lanes a Winograd convolution of x runs its chunks on, or 0 where it should take the
    direct sum instead. Its transforms run one chunk per core, so it pays where every core that
    BLAS would use takes chunks (lanes), or where BLAS is single-threaded anyway; with BLAS on
    two threads and the transforms on one (the lanes held by other busy threads, as beside a
    Linear layer's GEMMs), (64, 32, 28, 28) -> 64 took 54 against 41 ms for the three passes
    (with one BLAS thread 58 against 67, with lanes 29 against 35)."""
    per_image = winograd.planes_size(channels, th * tw, x.itemsize) * x.itemsize
    threads = _lanes.blas_threads()
    if threads <= 1:
        return 1
    if x.shape[0] * per_image < WINOGRAD_LANES_MIN_BYTES:
        return 0
    lanes = _lanes.count()
    return lanes if lanes >= threads else 0


def _winograd_chunks(x, th, tw, channels, lanes, body):
    """body(start, stop) over chunks of x's images, each chunk's planes (16, channels, tiles)
    sized for a core's cache, on the lanes."""
    n_ = x.shape[0]
    per_image = winograd.planes_size(channels, th * tw, x.itemsize) * x.itemsize
    step = _chunk(n_, per_image, LANE_CHUNK_BYTES if lanes > 1 else CHUNK_BYTES)
    bounds = [(start, min(n_, start + step)) for start in range(0, n_, step)]
    return _lanes.map_chunks(body, bounds, lanes)


def _winograd_buffers(c_, o_, tiles, dtype, tiles_first=False):
    """The chunk's input planes v (16, C, tiles), or (16, tiles, C) with tiles_first, and
    output planes m (16, O, tiles), in this thread's scratch buffers."""
    size = np.dtype(dtype).itemsize
    v = _buffer(winograd.planes_size(c_, tiles, size), dtype)
    v = winograd.planes(v, tiles, c_) if tiles_first else winograd.planes(v, c_, tiles)
    m = winograd.planes(_buffer(winograd.planes_size(o_, tiles, size), dtype, slot=1), o_,
                        tiles)
    return v, m


def _conv2d_winograd(x, w, padding):
    """A 3x3 stride-1 convolution as Winograd's F(2x2, 3x3): per chunk of images, the input
    tiles' transforms V, the 16 GEMMs U[k] @ V[k], and the outputs' inverse transform. None
    where x or w is not all finite (winograd.py's NaN from inf - inf): the direct sum's."""
    n_, c_, h_, w_ = x.shape
    o_ = w.shape[0]
    oh, ow = h_ + 2 * padding[0] - 2, w_ + 2 * padding[1] - 2
    th, tw = winograd.tiles(oh, ow)
    lanes = _winograd_lanes(x, th, tw, max(c_, o_))
    if not lanes or not np.isfinite(w).all():
        return None
    dtype = np.result_type(x, w)
    u = winograd.kernel_tiles(w.astype(dtype, copy=False))
    out = np.empty((n_, o_, oh, ow), dtype=dtype)
    x = x.astype(dtype, copy=False)

    def chunk(start, stop):
        v, m = _winograd_buffers(c_, o_, (stop - start) * th * tw, dtype)
        if not winograd.input_tiles(x[start:stop], v, padding[0], padding[1], th, tw):
            return False
        np.matmul(u, v, out=m)
        winograd.output_tiles(m, out[start:stop], th, tw)
        return True

    return out if all(_winograd_chunks(x, th, tw, max(c_, o_), lanes, chunk)) else None


def _conv2d_weight_winograd(x, gy, padding):
    """The weight gradient as the adjoint of _conv2d_winograd: dU[k] = dM[k] @ V[k]^T with
    dM the output gradient's tiles A g A^T, summed over the chunks, then G^T dU G. None where
    x or gy is not all finite."""
    c_ = x.shape[1]
    o_, oh, ow = gy.shape[1:]
    th, tw = winograd.tiles(oh, ow)
    lanes = _winograd_lanes(x, th, tw, max(c_, o_))
    if not lanes:
        return None
    dtype = np.result_type(x, gy)
    x, gy = x.astype(dtype, copy=False), gy.astype(dtype, copy=False)

    def chunk(start, stop):
        v, m = _winograd_buffers(c_, o_, (stop - start) * th * tw, dtype, tiles_first=True)
        if not winograd.input_tiles_t(x[start:stop], v, padding[0], padding[1], th, tw):
            return None
        if not winograd.grad_tiles(gy[start:stop], m, th, tw):
            return None
        return np.matmul(m, v)

    parts = _winograd_chunks(x, th, tw, max(c_, o_), lanes, chunk)
    if any(part is None for part in parts):
        return None
    du = parts[0]
    for part in parts[1:]:
        du += part
    return winograd.kernel_grad(du)


def conv2d(x, w, stride, padding, dilation, groups):
    """y[n, o] = sum_{c in group(o), i, j} w[o, c, i, j] x[n, c, y*s - p + i*d, x*s - p + j*d]."""
    n_, c_, h_, w_ = x.shape
    o_, cg, kh, kw = w.shape
    oh = conv_out_size(h_, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(w_, kw, stride[1], padding[1], dilation[1])
    x = np.ascontiguousarray(x)
    if _depthwise_multiplier(c_, groups, cg) and groups > 1:
        w = np.ascontiguousarray(w)
        if stride == (1, 1):
            return _depthwise_s1(x, w, padding[0], padding[1], dilation[0], dilation[1], oh, ow,
                                 o_ // c_, _depthwise_rows(kh, kw, dilation, ow))
        return _depthwise(x, w, stride[0], stride[1], padding[0], padding[1], dilation[0],
                          dilation[1], oh, ow, o_ // c_)
    if _uses_winograd(c_, o_, kh, kw, stride, dilation, groups):
        out = _conv2d_winograd(x, w, padding)
        if out is not None:
            return out
    if _uses_rows(x.shape, kh, kw, stride, padding, dilation, groups, oh, ow):
        return _conv2d_rows(x, w, padding, dilation)
    layout = _layout(h_, w_, kh, kw, stride, padding, dilation, groups, c_, oh, ow, o_)
    if layout is not None:
        return _conv2d_wide(x, w, stride, padding, dilation, oh, ow, layout)
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


def _flipped(w):
    """A transposed convolution's kernel (C_in, C_out, kh, kw) as the equivalent forward
    convolution's: in and out channels swapped, both spatial axes reversed."""
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def conv_transpose2d(x, w, stride, padding, output_padding, dilation, groups):
    """The adjoint of conv2d in its input; w laid out (C_in, C_out/groups, kh, kw)."""
    n_, c_, h_, w_ = x.shape
    _, og, kh, kw = w.shape
    cg = c_ // groups
    ho = (h_ - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (w_ - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    x = np.ascontiguousarray(x)
    # stride 1: the adjoint is an ordinary convolution with the kernel flipped and its in/out
    # channels swapped, padded by what the kernel reaches beyond the original padding
    flips = (stride == (1, 1) and groups == 1 and output_padding == (0, 0)
             and padding[0] <= dilation[0] * (kh - 1) and padding[1] <= dilation[1] * (kw - 1))
    pad = (dilation[0] * (kh - 1) - padding[0], dilation[1] * (kw - 1) - padding[1])
    if flips and _uses_winograd(c_, og, kh, kw, stride, dilation, groups):
        out = _conv2d_winograd(x, _flipped(w), pad)
        if out is not None:
            return out
    if flips and _uses_rows(x.shape, kh, kw, stride, pad, dilation, groups, ho, wo):
        # large 'same'-sized ones as a row-tap forward: 47-50 against 49-58 ms for the grid's
        # col2im at (32, 64, 56, 56) in a slow phase of the machine, 42-45 against 42-44 in a
        # fast one (the smaller patch matrix is what the slow phases punish least)
        return _conv2d_rows(x, _flipped(w), pad, dilation)
    layout = _layout(ho, wo, kh, kw, stride, padding, dilation, groups, og, h_, w_, c_)
    if layout is not None and not layout[0] and output_padding == (0, 0):
        return _conv_transpose2d_wide(x, w, stride, padding, dilation, ho, wo, layout)
    if flips and og >= c_:
        # at least as many output as input channels: im2col over the fewer input channels
        # beats col2im over the output ones (measured: 49 vs 92 ms for 64 -> 64 channels at
        # 56x56; col2im wins 0.6 vs 6.8 ms for 32 -> 1 channel)
        return conv2d(x, _flipped(w), (1, 1), pad, dilation, 1)
    if og == 1 and groups > 1:
        # one output channel per group (the input gradient of a depthwise conv with channel
        # multiplier cg): w's layout (groups*cg, 1, kh, kw) is the depthwise kernel's
        w = np.ascontiguousarray(w)
        reach = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        if (stride == (1, 1) and cg == 1 and kh == kw == 3 and output_padding == (0, 0)
                and padding[0] <= reach[0] and padding[1] <= reach[1]):
            # one channel each way and stride 1: the adjoint is the depthwise conv of x with
            # the kernel flipped, whose 3x3 kernel gathers instead of scattering (2.1 -> 1.3 ms)
            flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1])
            return _depthwise_s1(x, flipped, reach[0] - padding[0], reach[1] - padding[1],
                                 dilation[0], dilation[1], ho, wo, 1,
                                 _depthwise_rows(kh, kw, dilation, wo))
        if stride == (1, 1):
            return _depthwise_transpose_s1(x, w, ho, wo, padding[0], padding[1], dilation[0],
                                           dilation[1], cg)
        return _depthwise_transpose(x, w, ho, wo, stride[0], stride[1], padding[0], padding[1],
                                    dilation[0], dilation[1], cg)
    if layout is not None and layout[0]:
        return _conv_transpose2d_wide(x, w, stride, padding, dilation, ho, wo, layout)
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
        if stride == (1, 1):
            return _depthwise_weight_s1(x, gy, kh, kw, padding[0], padding[1], dilation[0],
                                        dilation[1], o_ // c_)
        return _depthwise_weight(x, gy, kh, kw, stride[0], stride[1], padding[0], padding[1],
                                 dilation[0], dilation[1], o_ // c_)
    if (_uses_winograd(c_, o_, kh, kw, stride, dilation, groups)
            and (oh, ow) == (x.shape[2] + 2 * padding[0] - 2, x.shape[3] + 2 * padding[1] - 2)):
        gw = _conv2d_weight_winograd(x, gy, padding)
        if gw is not None:
            return gw
    if _uses_rows(x.shape, kh, kw, stride, padding, dilation, groups, oh, ow):
        return _conv2d_weight_rows(x, gy, weight_shape, padding, dilation)
    layout = _layout(x.shape[2], x.shape[3], kh, kw, stride, padding, dilation, groups, c_, oh,
                     ow, o_)
    if layout is not None:
        return _conv2d_weight_wide(x, gy, weight_shape, stride, padding, dilation, layout)
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
