"""Every CUDA kernel compiles for a real GPU (PTX via NVVM, no GPU needed), for float32 and
float64: the simulator accepts code that a GPU compiler rejects, so this is checked separately,
outside the simulator (this file runs in the normal test process)."""

import pytest
from numba import cuda, types

from tensorgrad.backends.cuda import (
    conv,
    elementwise,
    indexing,
    linalg,
    memory,
    pooling,
    reduction,
    rng,
    shape,
)

i64 = types.int64
T6 = types.UniTuple(types.int64, 6)
B = types.boolean[::1]
I = types.int64[::1]


def _signatures(f):
    a = f[::1]
    return {
        elementwise._binary: (i64, a, T6, a, T6, a, T6),
        elementwise._compare: (i64, a, T6, a, T6, B, T6),
        elementwise._unary: (i64, a, a),
        elementwise._predicate: (i64, a, B),
        elementwise._where: (B, T6, a, T6, a, T6, a, T6),
        elementwise._clip: (a, f, f, a, types.boolean),
        elementwise._adam: (a, a, a, a) + (types.float64,) * 6,
        memory._fill: (a, f),
        memory._copy: (a, a),
        rng._draw: (types.uint64[:, ::1], a, i64, types.float64, types.float64),
        reduction._reduce: (i64, a, a, T6, T6, T6, T6, i64, i64),
        reduction._arg: (i64, a, I, T6, T6, T6, T6, i64),
        reduction._cumsum: (a, a, i64, i64),
        shape._gather: (a, i64, T6, T6, a),
        shape._scatter: (a, a, i64, T6, T6),
        indexing._take: (a, I, a),
        indexing._scatter_add: (a, I, a),
        indexing._put: (a, I, a),
        indexing._take_rows: (f[:, ::1], I, a),
        indexing._sub_at_rows: (f[:, ::1], I, a),
        linalg._simple: (a, a, a, i64, i64, i64, i64, i64),
        conv._im2col: (a, a) + (i64,) * 13,
        conv._col2im: (a, a) + (i64,) * 13,
        pooling._max_pool: (a, a, I) + (i64,) * 13 + (f,),
        pooling._max_pool_backward: (a, I, a) + (i64,) * 5,
        pooling._avg_pool: (a, a) + (i64,) * 11 + (types.boolean, i64),
        pooling._avg_pool_backward: (a, a) + (i64,) * 11 + (types.boolean, i64),
        linalg._KERNEL[f.name == "float64" and __import__("numpy").dtype("float64")
                       or __import__("numpy").dtype("float32")]: (a, a, a, i64, i64, i64, i64,
                                                                   i64),
    }


@pytest.mark.parametrize("dtype", [types.float32, types.float64], ids=["float32", "float64"])
def test_every_cuda_kernel_compiles_to_ptx(dtype):
    sigs = _signatures(dtype)
    kernels = {**elementwise.KERNELS, **reduction.KERNELS, **shape.KERNELS, **indexing.KERNELS,
               **conv.KERNELS, **pooling.KERNELS, **rng.KERNELS}
    covered = set(sigs)
    assert all(k in covered for k in kernels.values()), "a kernel without a PTX signature"
    for kernel, sig in sigs.items():
        ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(8, 0))
        assert ".visible .entry" in ptx, kernel
