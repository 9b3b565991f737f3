"""Matrix product: a shared-memory tiled kernel for large products, a one-thread-per-output
kernel for small ones (cheaper to launch, and in Numba's simulator it avoids thousands of
syncthreads); one grid layer per batch entry. tensorgrad.linalg's factorisations run on the
host (the CPU backend's, numpy's LAPACK)."""

from __future__ import annotations

import numpy as np
from numba import cuda, float32, float64

from ..cpu import linalg as host
from .memory import asarray, empty, flat, to_host

__all__ = ["matmul", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "svd", "qr"]


def _on_host(fn):
    """A factorisation of tensorgrad.linalg run by numpy's LAPACK on the host: the operands are
    copied there and the results back (small matrices are what these serve; no CUDA solver is
    wrapped yet)."""
    def run(*arrays):
        on_host = [to_host(a) for a in arrays]
        out = fn(*on_host)
        dtype = on_host[0].dtype
        if isinstance(out, tuple):
            return tuple(asarray(np.array(o, dtype=dtype, order="C")) for o in out)
        return asarray(np.array(out, dtype=dtype, order="C"))

    run.__name__ = fn.__name__
    return run


inv, det, slogdet, solve, cholesky, eigh, svd, qr = (_on_host(f) for f in (
    host.inv, host.det, host.slogdet, host.solve, host.cholesky, host.eigh, host.svd, host.qr))

TILE = 16


def _make(dtype):
    @cuda.jit
    def kernel(a, b, out, m, k, n, a_step, b_step):
        sa = cuda.shared.array((TILE, TILE), dtype)
        sb = cuda.shared.array((TILE, TILE), dtype)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        col = cuda.blockIdx.x * TILE + tx
        row = cuda.blockIdx.y * TILE + ty
        z = cuda.blockIdx.z
        a0, b0, o0 = z * a_step, z * b_step, z * m * n
        acc = dtype(0)
        for t in range((k + TILE - 1) // TILE):
            ka = t * TILE + tx
            kb = t * TILE + ty
            sa[ty, tx] = a[a0 + row * k + ka] if row < m and ka < k else 0
            sb[ty, tx] = b[b0 + kb * n + col] if kb < k and col < n else 0
            cuda.syncthreads()
            for q in range(TILE):
                acc += sa[ty, q] * sb[q, tx]
            cuda.syncthreads()
        if row < m and col < n:
            out[o0 + row * n + col] = acc

    return kernel


_KERNEL = {np.dtype(np.float32): _make(float32), np.dtype(np.float64): _make(float64)}
TILED_MIN_WORK = 1 << 18  # m * k * n below this: the simple kernel


@cuda.jit
def _simple(a, b, out, m, k, n, a_step, b_step):
    t = cuda.grid(1)
    if t >= out.size:
        return
    z = t // (m * n)
    r = t % (m * n)
    row, col = r // n, r % n
    a0, b0 = z * a_step + row * k, z * b_step + col
    acc = a[a0] * 0
    for q in range(k):
        acc += a[a0 + q] * b[b0 + q * n]
    out[t] = acc


def matmul(a, b, tiled=None):
    """Batched a @ b for ndim >= 2; batch dims broadcast (a broadcast side is read with step 0)."""
    from .shape import broadcast_to

    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    if a_shape[-1] != b_shape[-2]:
        raise ValueError("matmul: shapes do not align")
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    m, k, n = a_shape[-2], a_shape[-1], b_shape[-1]
    nb = int(np.prod(batch)) if batch else 1

    def side(x, rows, cols):
        if tuple(x.shape)[:-2] == batch:
            return x, rows * cols
        if int(np.prod(tuple(x.shape)[:-2])) == 1:
            return x, 0
        return broadcast_to(x, batch + (rows, cols)), rows * cols

    a, a_step = side(a, m, k)
    b, b_step = side(b, k, n)
    dtype = np.result_type(a.dtype, b.dtype)
    out = empty(batch + (m, n), dtype)
    if k == 0 or out.size == 0:
        from .memory import fill

        fill(out, 0)
        return out
    if tiled is None:
        tiled = m * k * n >= TILED_MIN_WORK
    if not tiled:
        from .launch import launch

        launch(_simple, out.size, flat(a), flat(b), flat(out), m, k, n, a_step, b_step)
        return out
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE, nb)
    _KERNEL[dtype][grid, (TILE, TILE)](flat(a), flat(b), flat(out), m, k, n, a_step, b_step)
    return out


KERNELS = {"matmul_f32": _KERNEL[np.dtype(np.float32)], "matmul_f64": _KERNEL[np.dtype(np.float64)],
           "_simple": _simple}
