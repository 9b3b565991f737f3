"""The one place CPU kernels get their Numba decorator: cached to disk where that is possible,
and safe in forked processes."""

import functools
import os

# OpenBLAS (numpy's GEMM) and Numba's OpenMP workers share the cores. With GNU OpenMP's default
# busy-waiting, a parallel kernel launched right after a GEMM ran 30x slower here (8.9 ms instead
# of 0.3 ms); passive waiting removes that. It must be set before the OpenMP runtime loads, i.e.
# before the first parallel kernel; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba  # noqa: E402

prange = numba.prange

# GNU OpenMP is not fork-safe: a forked child (a multiprocessing worker, say) that launches a
# parallel kernel after its parent did hangs. Children therefore run serial twins of the kernels.
_forked = False


def _mark_forked() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_mark_forked)


def _compile(fn, options):
    try:
        return numba.njit(**options)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(**{**options, "cache": False})(fn)


def njit(**options):
    """numba.njit with cache=True and nogil=True; parallel kernels fall back to a serial
    compilation in forked child processes."""
    options.setdefault("cache", True)
    options.setdefault("nogil", True)

    def decorate(fn):
        kernel = _compile(fn, options)
        if not options.get("parallel"):
            return kernel
        serial = []

        @functools.wraps(fn)
        def launch(*args):
            if not _forked:
                return kernel(*args)
            if not serial:
                serial.append(_compile(fn, {**options, "parallel": False, "cache": False}))
            return serial[0](*args)

        launch.kernel = kernel
        return launch

    return decorate
