"""Indexing CPU kernels: gather (getitem) and its adjoint scatter-add (index_add)."""

import numpy as np

__all__ = ["getitem", "index_add", "setitem"]


def getitem(x, index):
    return x[index]


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items
    )


def index_add(shape, index, values, dtype):
    """zeros(shape)[index] += values, summing repeated indices (np.add.at for array indices)."""
    out = np.zeros(shape, dtype=dtype)
    if _is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


def setitem(x, index, values):
    x[index] = values
