"""The one place CPU kernels get their Numba decorator: cached to disk where that is possible."""

import os

# OpenBLAS (numpy's GEMM) and Numba's OpenMP workers share the cores. With GNU OpenMP's default
# busy-waiting, a parallel kernel launched right after a GEMM ran 30x slower here (8.9 ms instead
# of 0.3 ms); passive waiting removes that. It must be set before the OpenMP runtime loads, i.e.
# before the first parallel kernel; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba  # noqa: E402


def njit(**options):
    """numba.njit with cache=True, falling back to no cache where nothing is writable."""
    options.setdefault("cache", True)
    options.setdefault("nogil", True)

    def decorate(fn):
        try:
            return numba.njit(**options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(**{**options, "cache": False})(fn)

    return decorate


prange = numba.prange
