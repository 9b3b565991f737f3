"""Reductions over any set of axes: one thread per output element, looping over the reduced
elements (simple and exact; a tree reduction is future work for large reduced sizes)."""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from .elementwise import _offset
from .launch import contiguous_strides, launch, padded
from .memory import empty, flat, to_host

__all__ = ["sum", "mean", "amax", "amin", "var", "argmax", "argmin", "all_finite", "cumsum",
           "argsort", "prod"]

SUM, MEAN, MAX, MIN, VAR, ARGMAX, ARGMIN, PROD = range(8)


@cuda.jit
def _reduce(op, x, out, keep_shape, keep_strides, red_shape, red_strides, count, ddof):
    i = cuda.grid(1)
    if i >= out.size:
        return
    base = _offset(i, keep_shape, keep_strides)
    acc = x[base] * 0
    if op == MAX or op == MIN:
        acc = x[base]
    elif op == PROD:
        acc += 1
    for r in range(count):
        v = x[base + _offset(r, red_shape, red_strides)]
        if op == PROD:
            acc *= v
        elif op == MAX:
            if v > acc or v != v:
                acc = v
        elif op == MIN:
            if v < acc or v != v:
                acc = v
        else:
            acc += v
    if op == MEAN:
        acc = acc / count
    if op == VAR:
        mean = acc / count
        sq = acc * 0
        for r in range(count):
            d = x[base + _offset(r, red_shape, red_strides)] - mean
            sq += d * d
        acc = sq / (count - ddof) if count > ddof else math.nan
    out[i] = acc


@cuda.jit
def _arg(op, x, out, keep_shape, keep_strides, red_shape, red_strides, count):
    i = cuda.grid(1)
    if i >= out.size:
        return
    base = _offset(i, keep_shape, keep_strides)
    best = x[base]
    where = 0
    for r in range(1, count):
        v = x[base + _offset(r, red_shape, red_strides)]
        if (op == ARGMAX and v > best) or (op == ARGMIN and v < best):
            best = v
            where = r
    out[i] = where


def _plan(x, axes):
    axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
    strides = contiguous_strides(x.shape)
    keep = [d for d in range(x.ndim) if d not in axes]
    keep_shape = [x.shape[d] for d in keep]
    red_shape = [x.shape[d] for d in axes]
    count = int(np.prod(red_shape)) if red_shape else 1
    return (axes, padded(keep_shape), padded([strides[d] for d in keep], 0),
            padded(red_shape), padded([strides[d] for d in axes], 0), count, keep_shape)


def _out_shape(x, axes, keepdims):
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    return tuple(n for d, n in enumerate(x.shape) if d not in axes)


def _run(op, x, axes, keepdims, dtype, ddof=0):
    axes, ks, kst, rs, rst, count, _ = _plan(x, axes)
    if count == 0 or x.size == 0:  # nothing to read: sum 0, mean and var nan (as numpy)
        from .memory import full

        empty_value = 0 if op == SUM else (1 if op == PROD else np.nan)
        return full(_out_shape(x, axes, keepdims), empty_value, dtype)
    out = empty(_out_shape(x, axes, keepdims), dtype)
    launch(_reduce, out.size, op, flat(x), flat(out) if out.ndim else out.reshape(1), ks, kst,
           rs, rst, count, ddof)
    return out


def sum(x, axes, keepdims):  # noqa: A001
    return _run(SUM, x, axes, keepdims, x.dtype)


def mean(x, axes, keepdims):
    return _run(MEAN, x, axes, keepdims, x.dtype)


def amax(x, axes, keepdims):
    return _run(MAX, x, axes, keepdims, x.dtype)


def amin(x, axes, keepdims):
    return _run(MIN, x, axes, keepdims, x.dtype)


def var(x, axes, ddof, keepdims):
    return _run(VAR, x, axes, keepdims, x.dtype, ddof)


def prod(x, axes, keepdims):
    return _run(PROD, x, axes, keepdims, x.dtype)


def _run_arg(op, x, axis, keepdims):
    axes = (axis,) if axis is not None else tuple(range(x.ndim))
    _, ks, kst, rs, rst, count, _ = _plan(x, axes)
    out = empty(_out_shape(x, axes, keepdims) if axis is not None else (), np.int64)
    launch(_arg, out.size, op, flat(x), flat(out) if out.ndim else out.reshape(1), ks, kst, rs,
           rst, count)
    return out


def argmax(x, axis, keepdims):
    return _run_arg(ARGMAX, x, axis, keepdims)


def argmin(x, axis, keepdims):
    return _run_arg(ARGMIN, x, axis, keepdims)


def all_finite(x) -> bool:
    from .elementwise import isfinite

    return bool(to_host(isfinite(x)).all())


@cuda.jit
def _cumsum(x, out, n, inner):
    """One thread per line along the summed axis of a contiguous (outer, n, inner) array."""
    t = cuda.grid(1)
    if t >= out.size // max(n, 1):
        return
    base = (t // inner) * n * inner + t % inner
    acc = x[base] * 0
    for k in range(n):
        acc += x[base + k * inner]
        out[base + k * inner] = acc


def cumsum(x, axis):
    out = empty(x.shape, x.dtype)  # device arrays here are contiguous
    n = int(x.shape[axis])
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    if out.size:
        launch(_cumsum, out.size // n, flat(x), flat(out), n, inner)
    return out


def argsort(x, axis):
    """Stable ascending order along axis, computed on the host (a copy each way): sorting
    kernels are future work."""
    from .memory import asarray

    return asarray(np.argsort(to_host(x), axis=axis, kind="stable"))


KERNELS = {"_reduce": _reduce, "_arg": _arg, "_cumsum": _cumsum}
