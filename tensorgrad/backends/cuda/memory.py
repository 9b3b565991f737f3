"""Device arrays and every host<->device copy (counted, so tests can check a training step keeps
its data on the device)."""

from __future__ import annotations

import weakref

import numpy as np
from numba import cuda

from .launch import launch

__all__ = ["asarray", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "to_host",
           "copy", "fill", "random_integers", "TRANSFERS", "is_device_array", "known_range",
           "forget_range"]

TRANSFERS = {"host_to_device": 0, "device_to_host": 0}


def is_device_array(a) -> bool:
    return hasattr(a, "copy_to_host") and not isinstance(a, np.ndarray)


def asarray(a, dtype=None):
    if is_device_array(a):
        return a
    host = np.ascontiguousarray(a, dtype=dtype)
    TRANSFERS["host_to_device"] += 1
    out = cuda.to_device(host)
    if host.dtype.kind in "iu" and host.size:
        _remember_range(out, host)
    return out


# (min, max) of the host integers each device array was copied from, by id while it lives:
# class labels are checked against it without copying them back (forgotten on in-place writes)
_RANGES: dict = {}


def _remember_range(device_array, host) -> None:
    key = id(device_array)
    _RANGES[key] = (int(host.min()), int(host.max()))
    weakref.finalize(device_array, _RANGES.pop, key, None)


def known_range(a):
    return _RANGES.get(id(a))


def forget_range(a) -> None:
    _RANGES.pop(id(a), None)


def to_host(a):
    if not is_device_array(a):
        return a
    TRANSFERS["device_to_host"] += 1
    return a.copy_to_host()


@cuda.jit
def _fill(out, value):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = value


@cuda.jit
def _copy(src, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = src[i]


def flat(a):
    return a.reshape(a.size) if a.ndim != 1 else a


def empty(shape, dtype=np.float32):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return cuda.device_array(shape, dtype=np.dtype(dtype))


def fill(a, value) -> None:
    forget_range(a)
    launch(_fill, a.size, flat(a), value)


def full(shape, value, dtype=np.float32):
    out = empty(shape, dtype)
    fill(out, value)
    return out


def zeros(shape, dtype=np.float32):
    return full(shape, 0, dtype)


def ones(shape, dtype=np.float32):
    return full(shape, 1, dtype)


def copy(a):
    out = empty(a.shape, a.dtype)
    launch(_copy, a.size, flat(a), flat(out))
    return out


def arange(*args, dtype=None):
    return asarray(np.arange(*args, dtype=dtype))


def linspace(*args, dtype=None):
    return asarray(np.linspace(*args, dtype=dtype))


def eye(n, m=None, dtype=np.float32):
    return asarray(np.eye(n, m, dtype=dtype))


# Uniform, normal and Bernoulli draws run on the device (rng.py). Integers come from the host
# generator and are copied over (randint and data shuffling, not part of a training step).


def random_integers(gen, low, high, shape, dtype):
    return asarray(gen.integers(low, high, size=shape, dtype=dtype))
