"""The one place CPU kernels get their Numba decorator: cached to disk where that is possible,
and safe in forked processes."""

import functools
import os
import types

# OpenBLAS (numpy's GEMM) and Numba's OpenMP workers share the cores. With GNU OpenMP's default
# busy-waiting, a parallel kernel launched right after a GEMM ran 30x slower here (8.9 ms instead
# of 0.3 ms); passive waiting removes that. It must be set before the OpenMP runtime loads, i.e.
# before the first parallel kernel; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba  # noqa: E402
import numpy as np  # noqa: E402

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


# Below this many array elements (all array arguments together) a parallel launch costs more
# than it saves: waking the sleeping OpenMP workers took ~0.1 ms here, more than a whole small
# pooling kernel. Measured in one process, alternating thresholds (2^17, 2^20, 2^21, 2^22, all
# serial): 2^20 was fastest or tied on every workload (LeNet-5 step 7.37 -> 7.11 ms, 1-channel
# conv fwd+bwd 2.08 -> 1.97 ms against 2^17); all-serial lost 1.4x on depthwise and max-pool,
# 2^21 lost 1.5x on max-pool.
PARALLEL_MIN_ELEMENTS = 1 << 20


def _serial_twin(fn, options):
    """fn compiled without parallel=True, under its own name so both versions cache side by
    side (Numba keys its on-disk cache by the function's qualified name)."""
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial",
                              fn.__defaults__, fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_serial"
    twin.__module__ = fn.__module__
    return _compile(twin, {**options, "parallel": False})


def njit(**options):
    """numba.njit with cache=True, nogil=True and error_model="numpy". A parallel kernel runs its
    serial twin on small arrays and in forked child processes.

    error_model="numpy": a float division by zero gives inf or NaN (IEEE, as numpy and PyTorch)
    instead of Python's ZeroDivisionError. Python's model tests every divisor, which also keeps
    LLVM from vectorising any loop that divides: the serial Adam kernel took 0.50 ms on 157k
    float32 elements with it and 0.06 without (prange loops always used numpy's model)."""
    options.setdefault("cache", True)
    options.setdefault("nogil", True)
    options.setdefault("error_model", "numpy")

    def decorate(fn):
        kernel = _compile(fn, options)
        if not options.get("parallel"):
            return kernel
        serial = []

        @functools.wraps(fn)
        def launch(*args):
            if not _forked:
                work = 0
                for a in args:
                    if isinstance(a, np.ndarray):
                        work += a.size
                if work >= PARALLEL_MIN_ELEMENTS:
                    return kernel(*args)
            if not serial:
                serial.append(_serial_twin(fn, options))
            return serial[0](*args)

        launch.kernel = kernel
        return launch

    return decorate
