"""Indexing CPU kernels: gather (getitem) and its adjoint scatter-add (index_add)."""

import numpy as np

__all__ = ["getitem", "index_add", "index_add_", "setitem", "take_rows", "sub_at_rows_"]


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


def index_add_(out, index, values) -> None:
    """out[index] += values in place, summing repeated indices."""
    if _is_basic(index):
        out[index] += values
    else:
        np.add.at(out, index, values)


def setitem(x, index, values):
    x[index] = values


def take_rows(x, labels):
    """x[n, labels[n]] for a 2-d x."""
    return x[np.arange(x.shape[0]), labels]


def sub_at_rows_(x, labels, values) -> None:
    """x[n, labels[n]] -= values[n], in place."""
    x[np.arange(x.shape[0]), labels] -= values
