"""Indexing on the device: the flat source positions of an index are worked out on the host
(numpy's indexing rules, on an arange) and copied over once; gathers and scatter-adds (atomic)
then run on the device."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .launch import launch
from .memory import asarray, empty, flat, forget_range, to_host, zeros

__all__ = ["getitem", "index_add", "index_add_", "setitem", "take_rows", "sub_at_rows_"]


@cuda.jit
def _take(x, idx, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = x[idx[i]]


@cuda.jit
def _scatter_add(values, idx, out):
    i = cuda.grid(1)
    if i < idx.size:
        cuda.atomic.add(out, idx[i], values[i])


@cuda.jit
def _put(values, idx, out):
    i = cuda.grid(1)
    if i < idx.size:
        out[idx[i]] = values[i]


@cuda.jit
def _take_rows(x, labels, out):
    n = cuda.grid(1)
    if n < out.size:
        out[n] = x[n, labels[n]]


@cuda.jit
def _sub_at_rows(x, labels, values):
    n = cuda.grid(1)
    if n < labels.size:
        x[n, labels[n]] -= values[n]


def take_rows(x, labels):
    """x[n, labels[n]] for a 2-d x and device labels (N,): no host index positions."""
    out = empty((x.shape[0],), x.dtype)
    launch(_take_rows, x.shape[0], x, asarray(labels), out)
    return out


def sub_at_rows_(x, labels, values) -> None:
    """x[n, labels[n]] -= values[n], in place (one label per row: no two threads collide)."""
    launch(_sub_at_rows, x.shape[0], x, asarray(labels), values)


def _host_index(index):
    items = index if isinstance(index, tuple) else (index,)
    out = tuple(to_host(i) if hasattr(i, "copy_to_host") else i for i in items)
    return out if isinstance(index, tuple) else out[0]


def _positions(shape, index) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[_host_index(index)]


def getitem(x, index):
    pos = np.asarray(_positions(x.shape, index))
    out = empty(pos.shape, x.dtype)
    launch(_take, out.size, flat(x) if x.ndim else x.reshape(1), asarray(pos.reshape(-1)),
           flat(out) if out.ndim else out.reshape(1))
    return out


def index_add(shape, index, values, dtype):
    out = zeros(shape, dtype)
    index_add_(out, index, values)
    return out


def index_add_(out, index, values) -> None:
    """out[index] += values in place (atomic adds: repeated indices sum)."""
    forget_range(out)
    pos = np.asarray(_positions(out.shape, index))
    vals = values if values.shape == pos.shape else _broadcast(values, pos.shape)
    launch(_scatter_add, pos.size, flat(vals) if vals.ndim else vals.reshape(1),
           asarray(pos.reshape(-1)), flat(out) if out.ndim else out.reshape(1))


def setitem(x, index, values) -> None:
    forget_range(x)
    pos = np.asarray(_positions(x.shape, index))
    vals = asarray(np.asarray(values, dtype=x.dtype)) if not hasattr(values, "copy_to_host") \
        else values
    vals = vals if vals.shape == pos.shape else _broadcast(vals, pos.shape)
    launch(_put, pos.size, flat(vals) if vals.ndim else vals.reshape(1),
           asarray(pos.reshape(-1)), flat(x) if x.ndim else x.reshape(1))


def _broadcast(a, shape):
    from .shape import broadcast_to

    return broadcast_to(a, shape)


KERNELS = {"_take": _take, "_scatter_add": _scatter_add, "_put": _put,
           "_take_rows": _take_rows, "_sub_at_rows": _sub_at_rows}
