"""Reduction CPU kernels over a tuple of axes."""

import numpy as np

__all__ = ["sum", "mean", "amax", "amin", "var", "argmax", "argmin", "all_finite"]


def sum(x, axes, keepdims):  # noqa: A001
    return np.sum(x, axis=axes, keepdims=keepdims)


def mean(x, axes, keepdims):
    return np.mean(x, axis=axes, keepdims=keepdims)


def amax(x, axes, keepdims):
    return np.amax(x, axis=axes, keepdims=keepdims)


def amin(x, axes, keepdims):
    return np.amin(x, axis=axes, keepdims=keepdims)


def var(x, axes, ddof, keepdims):
    count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:  # no degrees of freedom: nan, as PyTorch, without numpy's warning
        return np.full(np.sum(x, axis=axes, keepdims=keepdims).shape, np.nan, dtype=x.dtype)
    return np.var(x, axis=axes, ddof=ddof, keepdims=keepdims)


def argmax(x, axis, keepdims):
    return np.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, axis, keepdims):
    return np.argmin(x, axis=axis, keepdims=keepdims)


def all_finite(x) -> bool:
    return bool(np.isfinite(x).all())
