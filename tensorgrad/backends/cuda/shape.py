"""Shape kernels: every result is a new C-contiguous array (a strided gather), except reshape,
which is a view."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .elementwise import _offset
from .launch import broadcast_strides, contiguous_strides, launch, padded
from .memory import empty, fill, flat

__all__ = ["reshape", "transpose", "broadcast_to", "sum_to", "concatenate", "pad", "contiguous",
           "gather_strided", "scatter_strided"]


@cuda.jit
def _gather(x, base, shape, strides, out):
    """out[i] = x[base + offset(i)]: transposes, broadcasts and slices with steps."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = x[base + _offset(i, shape, strides)]


@cuda.jit
def _scatter(src, out, base, shape, strides):
    """out[base + offset(i)] = src[i]: writes a block into a region of a larger array."""
    i = cuda.grid(1)
    if i < src.size:
        out[base + _offset(i, shape, strides)] = src[i]


def gather_strided(x, shape, strides, base=0):
    out = empty(shape, x.dtype)
    launch(_gather, out.size, flat(x) if x.ndim else x.reshape(1), base, padded(shape),
           padded(strides, 0), flat(out) if out.ndim else out.reshape(1))
    return out


def scatter_strided(src, out, shape, strides, base=0) -> None:
    launch(_scatter, src.size, flat(src) if src.ndim else src.reshape(1),
           flat(out) if out.ndim else out.reshape(1), base, padded(shape), padded(strides, 0))


def _resolve(size, shape):
    shape = tuple(int(n) for n in shape)
    if -1 in shape:
        known = int(np.prod([n for n in shape if n != -1]))
        shape = tuple(size // max(known, 1) if n == -1 else n for n in shape)
    if int(np.prod(shape)) != size:
        raise ValueError("cannot reshape")
    return shape


def reshape(x, shape):
    return x.reshape(_resolve(x.size, shape))


def contiguous(x):
    return x


def transpose(x, axes):
    strides = contiguous_strides(x.shape)
    return gather_strided(x, tuple(x.shape[a] for a in axes), tuple(strides[a] for a in axes))


def broadcast_to(x, shape):
    shape = tuple(shape)
    np.broadcast_shapes(x.shape, shape)  # raises ValueError when they do not fit
    return gather_strided(x, shape, broadcast_strides(x.shape, shape)[-len(shape):]
                          if shape else ())


def sum_to(x, shape):
    from .reduction import sum as reduce_sum

    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and x.shape[lead + i] != 1)
    y = reduce_sum(x, axes, True) if axes else x
    return reshape(y, shape)


def concatenate(arrays, axis):
    shapes = [a.shape for a in arrays]
    out_shape = list(shapes[0])
    out_shape[axis] = sum(s[axis] for s in shapes)
    for s in shapes:
        if len(s) != len(out_shape) or any(s[d] != out_shape[d] for d in range(len(s))
                                           if d != axis):
            raise ValueError("concatenate: shapes differ")
    out = empty(tuple(out_shape), np.result_type(*[a.dtype for a in arrays]))
    strides = contiguous_strides(out_shape)
    start = 0
    for a in arrays:
        scatter_strided(a, out, a.shape, strides, start * strides[axis])
        start += a.shape[axis]
    return out


def pad(x, widths, value):
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths))
    out = empty(out_shape, x.dtype)
    fill(out, value)
    strides = contiguous_strides(out_shape)
    base = sum(lo * s for (lo, _), s in zip(widths, strides))
    scatter_strided(x, out, x.shape, strides, base)
    return out


KERNELS = {"_gather": _gather, "_scatter": _scatter}
