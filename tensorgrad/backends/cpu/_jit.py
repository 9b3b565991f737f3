"""The one place CPU kernels get their Numba decorator: cached to disk where that is possible."""

import numba


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
