"""CUDA kernels (numba.cuda), the same functions by the same names as backends/cpu.

Imported only when a CUDA device is first asked for. Without a GPU (and without Numba's CUDA
simulator, NUMBA_ENABLE_CUDASIM=1) asking for one raises a clear error; tensorgrad never needs
CUDA to import. Every array here is a C-contiguous device array.

Kernels: memory and transfers, elementwise ops with broadcasting, reductions, matmul (tiled,
batched), shape ops, indexing (gather, scatter-add), conv (im2col / col2im around the matmul),
max and average pooling.
"""

from __future__ import annotations


class CudaUnavailableError(RuntimeError):
    """CUDA was asked for but no GPU (or simulator) can be used."""


def _cuda():
    try:
        from numba import cuda
    except Exception:  # noqa: BLE001  (a missing CUDA runtime must not break tensorgrad)
        return None
    return cuda


def is_available() -> bool:
    cuda = _cuda()
    if cuda is None:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # noqa: BLE001
        return False


def check_available() -> None:
    if not is_available():
        raise CudaUnavailableError(
            "tensorgrad: device='cuda' was asked for, but no CUDA GPU is usable here (and "
            "Numba's CUDA simulator is off: set NUMBA_ENABLE_CUDASIM=1 before importing numba to "
            "run the CUDA kernels on the CPU); use device='cpu'"
        )
    _load()


def _load() -> None:
    """Import the kernel modules and export their functions from this package."""
    from . import (
        conv,
        elementwise,
        indexing,
        linalg,
        memory,
        pooling,
        reduction,
        rng,
        shape,
        special,
    )

    for module in (memory, rng, elementwise, reduction, shape, indexing, linalg, conv, pooling,
                   special):
        for name in module.__all__:
            globals()[name] = getattr(module, name)
