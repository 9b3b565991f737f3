"""Reduction CPU kernels over a tuple of axes."""

import math

import numpy as np

__all__ = ["sum", "mean", "amax", "amin", "var", "argmax", "argmin", "all_finite", "cumsum",
           "argsort", "prod"]


# numpy reduces along a short last axis one row at a time: (5000, 10) float32 takes 105 us to
# sum over its rows and 236 to max them (the logits of a batch of 5000), where a matrix-vector
# product with ones takes 13 and a running np.maximum over the 10 columns 44. Summing over the
# leading axis of a tall matrix (a bias gradient) is likewise 0.16 ms as numpy's row-by-row
# loop and 0.03-0.07 as a product with ones (OpenBLAS's gemv, on both cores).
SHORT_ROW = 32  # the longest last axis taken column by column
MANY_ROWS = 1024  # below this many rows numpy's own loop is as fast


def _short_rows(x, axes):
    """x as a (rows, C) matrix when axes is its last axis and its rows are many and short."""
    n = x.ndim
    if n >= 2 and axes == (n - 1,) and 0 < x.shape[-1] <= SHORT_ROW and x.flags.c_contiguous:
        if x.size >= MANY_ROWS * x.shape[-1]:
            return x.reshape(-1, x.shape[-1])
    return None


def _tall(x, axes):
    """x as a (rows, C) matrix when axes are its leading axes and the rows are many."""
    k = len(axes) if axes else 0  # axes are sorted and distinct: leading iff they end at k - 1
    if 0 < k < x.ndim and axes[-1] == k - 1:
        rows = math.prod(x.shape[:k])
        if rows >= MANY_ROWS and x.flags.c_contiguous:
            return x.reshape(rows, -1)
    return None


def _ones(n, dtype):
    ones = _ONES.get((n, dtype))
    if ones is None:
        ones = _ONES[(n, dtype)] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


_ONES: dict = {}


def _kept(result, x, axes, keepdims):
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keepdims else tuple(
        d for i, d in enumerate(x.shape) if i not in axes)
    return result.reshape(shape)


def _sum_by_gemv(x, axes, keepdims):
    """The sum as a product with ones where one of the routes above applies, else None."""
    if x.dtype.kind != "f":
        return None
    rows = _short_rows(x, axes)
    if rows is not None:
        return _kept(np.matmul(rows, _ones(rows.shape[1], x.dtype)), x, axes, keepdims)
    rows = _tall(x, axes)
    if rows is not None:
        return _kept(np.matmul(_ones(rows.shape[0], x.dtype), rows), x, axes, keepdims)
    return None


def sum(x, axes, keepdims):  # noqa: A001
    total = _sum_by_gemv(x, axes, keepdims)
    return np.sum(x, axis=axes, keepdims=keepdims) if total is None else total


def mean(x, axes, keepdims):
    total = _sum_by_gemv(x, axes, keepdims)
    if total is None:
        return np.mean(x, axis=axes, keepdims=keepdims)
    return np.true_divide(total, x.size // max(total.size, 1), out=total)


def _columnwise(fn, rows):
    out = rows[:, 0].copy()
    for j in range(1, rows.shape[1]):
        fn(out, rows[:, j], out=out)
    return out


def amax(x, axes, keepdims):
    rows = _short_rows(x, axes)
    if rows is not None:
        return _kept(_columnwise(np.maximum, rows), x, axes, keepdims)
    return np.amax(x, axis=axes, keepdims=keepdims)


def amin(x, axes, keepdims):
    rows = _short_rows(x, axes)
    if rows is not None:
        return _kept(_columnwise(np.minimum, rows), x, axes, keepdims)
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


def cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def argsort(x, axis):
    """Stable ascending order along axis (NaN last, as the largest)."""
    return np.argsort(x, axis=axis, kind="stable")


def prod(x, axes, keepdims):
    return np.prod(x, axis=axes, keepdims=keepdims)
