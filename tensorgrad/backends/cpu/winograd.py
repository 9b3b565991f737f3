"""3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, 2016).

Each 2x2 block of outputs comes from a 4x4 tile of the input: with d the tile, g the kernel,

    Y = A^T [(G g G^T) * (B^T d B)] A        (* elementwise, summed over input channels)

so the convolution becomes 16 GEMMs, one per element of the 4x4 transformed tile,
U[k] (O, C) @ V[k] (C, tiles), with 16 multiply-adds per 4 outputs per channel pair against
the direct form's 36: 2.25x fewer flops, the transforms being additions only. The weight
gradient is the same map's adjoint: dU[k] = dM[k] @ V[k]^T with dM = A gy A^T per tile, then
dg = G^T dU G. Float32 results differ from the direct sum by a few ulps of the largest term
(the transforms add at most 4 inputs twice); F(4x4, 3x3), with 4x fewer flops, loses about
10x more precision and was not taken.

The transforms subtract inputs that the direct sum never combines: an infinite input gives
NaN (inf - inf) in outputs whose direct sum is finite or infinite. So the kernels report
whether their inputs were finite, and the callers fall back to the direct sum where not.

Layouts: v and m are (16, channels, tiles) with tiles ordered (image, tile row, tile column),
tile rows th = ceil(oh / 2), tile columns tw = ceil(ow / 2).
"""

import numpy as np

from ._jit import njit

# Where a 4 KiB page holds a whole number of the 16 planes' strides, the 16 streams a transform
# reads or writes at once fall into the same cache sets: (32, 64, 56, 56)'s input transform took
# 76 ms per batch against 10 with the planes 256 bytes apart.
PLANE_SKEW_BYTES = 256


def tiles(oh, ow):
    """(tile rows, tile columns) covering an (oh, ow) output."""
    return (oh + 1) // 2, (ow + 1) // 2


def planes(buffer, channels, columns):
    """A (16, channels, columns) view of buffer whose planes lie PLANE_SKEW_BYTES past a
    multiple of 4 KiB apart; buffer must hold planes_size(channels, columns, itemsize)."""
    stride = _plane_stride(channels * columns, buffer.itemsize)
    return buffer[:16 * stride].reshape(16, stride)[:, :channels * columns].reshape(
        16, channels, columns)


def planes_size(channels, columns, itemsize):
    return 16 * _plane_stride(channels * columns, itemsize)


def _plane_stride(elements, itemsize):
    page, skew = 4096 // itemsize, PLANE_SKEW_BYTES // itemsize
    return elements + (skew - elements) % page


@njit()
def input_tiles(x, v, ph, pw, th, tw):
    """v[k, c, (b*th + ty)*tw + tx] = (B^T d B)[k // 4, k % 4], d the 4x4 window of x[b, c]
    at (2ty - ph, 2tx - pw), zero outside the image; B^T = [[1,0,-1,0], [0,1,1,0],
    [0,-1,1,0], [0,1,0,-1]]. Returns whether x was all finite (above). Scalar per tile:
    vectorised along a tile row instead (7 tiles at 14x14), it ran 1.7x slower."""
    n_, c_, h_, w_ = x.shape
    hp, wp = 2 * th + 2, 2 * tw + 2
    hh, ww = min(h_, hp - ph), min(w_, wp - pw)
    pad = np.zeros((hp, wp), dtype=x.dtype)  # the border stays 0, the image is overwritten
    bad = 0
    for plane in range(n_ * c_):
        b, c = plane // c_, plane % c_
        if _copy_in(x[b, c], pad, ph, pw, hh, ww):
            bad += 1
        for ty in range(th):
            r0, r1, r2, r3 = pad[2 * ty], pad[2 * ty + 1], pad[2 * ty + 2], pad[2 * ty + 3]
            first = (b * th + ty) * tw
            for tx in range(tw):
                j = 2 * tx
                # B^T d, column by column: t_iq for q = 0..3
                t00, t10, t20, t30 = _bt_column(r0[j], r1[j], r2[j], r3[j])
                t01, t11, t21, t31 = _bt_column(r0[j + 1], r1[j + 1], r2[j + 1], r3[j + 1])
                t02, t12, t22, t32 = _bt_column(r0[j + 2], r1[j + 2], r2[j + 2], r3[j + 2])
                t03, t13, t23, t33 = _bt_column(r0[j + 3], r1[j + 3], r2[j + 3], r3[j + 3])
                k = first + tx
                _b_row(v, 0, c, k, t00, t01, t02, t03)
                _b_row(v, 4, c, k, t10, t11, t12, t13)
                _b_row(v, 8, c, k, t20, t21, t22, t23)
                _b_row(v, 12, c, k, t30, t31, t32, t33)
    return bad == 0


@njit()
def input_tiles_t(x, v, ph, pw, th, tw):
    """input_tiles into v laid out (16, tiles, C), for the weight gradient: its GEMMs
    dM[k] (O, tiles) @ V[k] (tiles, C) then read both operands along rows ((64, 245) @ (245,
    32) on one core: 0.14 against 0.235 ms with V[k] (C, tiles) transposed). Each image is
    first copied channels-last into a padded block, so a tile's channels are written in a row
    (written per plane with a channel stride instead, the transform took 1.6x as long)."""
    n_, c_, h_, w_ = x.shape
    hp, wp = 2 * th + 2, 2 * tw + 2
    hh, ww = min(h_, hp - ph), min(w_, wp - pw)
    pad = np.zeros((hp, wp, c_), dtype=x.dtype)  # the border stays 0, the image is overwritten
    bad = False
    for b in range(n_):
        for c in range(c_):
            src = x[b, c]
            for i in range(hh):
                row, out = src[i], pad[ph + i]
                for j in range(ww):
                    val = row[j]
                    out[pw + j, c] = val
                    bad |= (val - val) != 0
        for ty in range(th):
            r0, r1, r2, r3 = pad[2 * ty], pad[2 * ty + 1], pad[2 * ty + 2], pad[2 * ty + 3]
            for tx in range(tw):
                k, j = (b * th + ty) * tw + tx, 2 * tx
                for c in range(c_):
                    t00, t10, t20, t30 = _bt_column(r0[j, c], r1[j, c], r2[j, c], r3[j, c])
                    t01, t11, t21, t31 = _bt_column(r0[j + 1, c], r1[j + 1, c], r2[j + 1, c],
                                                    r3[j + 1, c])
                    t02, t12, t22, t32 = _bt_column(r0[j + 2, c], r1[j + 2, c], r2[j + 2, c],
                                                    r3[j + 2, c])
                    t03, t13, t23, t33 = _bt_column(r0[j + 3, c], r1[j + 3, c], r2[j + 3, c],
                                                    r3[j + 3, c])
                    _b_row(v, 0, k, c, t00, t01, t02, t03)
                    _b_row(v, 4, k, c, t10, t11, t12, t13)
                    _b_row(v, 8, k, c, t20, t21, t22, t23)
                    _b_row(v, 12, k, c, t30, t31, t32, t33)
    return not bad


@njit(inline="always")
def _copy_in(src, dst, y0, x0, hh, ww):
    """dst[y0:y0+hh, x0:x0+ww] = src[:hh, :ww]; returns whether a value copied was not finite
    (v - v is 0 for finite v, NaN otherwise; an or-reduction vectorises, a sum would not)."""
    bad = False
    for i in range(hh):
        row, out = src[i], dst[y0 + i]
        for j in range(ww):
            v = row[j]
            out[x0 + j] = v
            bad |= (v - v) != 0
    return bad


@njit(inline="always")
def _bt_column(d0, d1, d2, d3):
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(inline="always")
def _b_row(v, k, i, j, t0, t1, t2, t3):
    """Row k // 4 of B^T d B into planes k..k+3 at v[., i, j]: (channel, tile) for input_tiles,
    (tile, channel) for input_tiles_t."""
    v[k, i, j] = t0 - t2
    v[k + 1, i, j] = t1 + t2
    v[k + 2, i, j] = t2 - t1
    v[k + 3, i, j] = t1 - t3


@njit()
def output_tiles(m, out, th, tw):
    """out[b, o] from m (16, O, tiles): each tile's 2x2 outputs A^T M A, A^T = [[1,1,1,0],
    [0,1,-1,-1]]; outputs past out's edge (odd sizes) are dropped."""
    n_, o_, oh, ow = out.shape
    even = oh == 2 * th and ow == 2 * tw
    plane = np.empty((2 * th, 2 * tw), dtype=out.dtype)
    for bo in range(n_ * o_):
        b, o = bo // o_, bo % o_
        dst = out[b, o] if even else plane
        for ty in range(th):
            first = (b * th + ty) * tw
            y0, y1 = dst[2 * ty], dst[2 * ty + 1]
            for tx in range(tw):
                k = first + tx
                # A^T M: s0q = m0q + m1q + m2q, s1q = m1q - m2q - m3q
                s00, s10 = _at_column(m[0, o, k], m[4, o, k], m[8, o, k], m[12, o, k])
                s01, s11 = _at_column(m[1, o, k], m[5, o, k], m[9, o, k], m[13, o, k])
                s02, s12 = _at_column(m[2, o, k], m[6, o, k], m[10, o, k], m[14, o, k])
                s03, s13 = _at_column(m[3, o, k], m[7, o, k], m[11, o, k], m[15, o, k])
                y0[2 * tx], y0[2 * tx + 1] = _at_column(s00, s01, s02, s03)
                y1[2 * tx], y1[2 * tx + 1] = _at_column(s10, s11, s12, s13)
        if not even:
            out[b, o] = plane[:oh, :ow]


@njit(inline="always")
def _at_column(m0, m1, m2, m3):
    return m0 + m1 + m2, m1 - m2 - m3


@njit()
def grad_tiles(gy, m, th, tw):
    """m[k, o, tile] = (A g A^T)[k // 4, k % 4], g the tile's 2x2 outputs of gy (zero past
    its edge): the adjoint of output_tiles. Returns whether gy was all finite."""
    n_, o_, oh, ow = gy.shape
    even = oh == 2 * th and ow == 2 * tw
    plane = np.zeros((2 * th, 2 * tw), dtype=gy.dtype)  # past gy's edge it stays 0
    bad = 0
    for bo in range(n_ * o_):
        b, o = bo // o_, bo % o_
        found = False
        src = gy[b, o]
        if not even:
            _copy_in(src, plane, 0, 0, oh, ow)
            src = plane
        for ty in range(th):
            first = (b * th + ty) * tw
            g0, g1 = src[2 * ty], src[2 * ty + 1]
            for tx in range(tw):
                a, b_ = g0[2 * tx], g0[2 * tx + 1]
                c, d = g1[2 * tx], g1[2 * tx + 1]
                found |= (a + b_ + c + d) - (a + b_ + c + d) != 0
                # rows of A g are (a, b), (a+c, b+d), (a-c, b-d), (-c, -d); a row (p, q)
                # times A^T is (p, p+q, p-q, -q)
                k = first + tx
                _a_row(m, 0, o, k, a, b_)
                _a_row(m, 4, o, k, a + c, b_ + d)
                _a_row(m, 8, o, k, a - c, b_ - d)
                _a_row(m, 12, o, k, -c, -d)
        if found:
            bad += 1
    return bad == 0


@njit(inline="always")
def _a_row(m, k, o, col, p, q):
    m[k, o, col] = p
    m[k + 1, o, col] = p + q
    m[k + 2, o, col] = p - q
    m[k + 3, o, col] = -q


_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def kernel_tiles(w):
    """U (16, O, C) = G w[o, c] G^T per channel pair."""
    o_, c_ = w.shape[:2]
    g = _G.astype(w.dtype)
    u = np.matmul(np.matmul(g, w), g.T)  # (O, C, 4, 4)
    return np.ascontiguousarray(u.reshape(o_, c_, 16).transpose(2, 0, 1))


def kernel_grad(du):
    """dw (O, C, 3, 3) = G^T dU G, the adjoint of kernel_tiles, from dU (16, O, C)."""
    k_, o_, c_ = du.shape
    g = _G.astype(du.dtype)
    d = du.transpose(1, 2, 0).reshape(o_, c_, 4, 4)
    return np.matmul(np.matmul(g.T, d), g)
