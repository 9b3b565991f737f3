"""Shape CPU kernels: views where numpy gives views, copies only where the layout must change."""

import numpy as np

from . import reduction

__all__ = ["reshape", "transpose", "broadcast_to", "sum_to", "concatenate", "pad", "contiguous"]


def reshape(x, shape):
    return np.reshape(x, shape)


def transpose(x, axes):
    return np.transpose(x, axes)


def broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def sum_to(x, shape):
    """Sum x over the axes numpy broadcasting added or stretched to reach x.shape from shape."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    y = reduction.sum(x, axes, True) if axes else x
    return y.reshape(shape)


def concatenate(arrays, axis):
    return np.concatenate(arrays, axis=axis)


def pad(x, widths, value):
    return np.pad(x, widths, mode="constant", constant_values=value)


def contiguous(x):
    return np.ascontiguousarray(x)
