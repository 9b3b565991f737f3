"""Indexing primitives: getitem (basic slicing and integer-array indexing) and its adjoint
index_add (scatter-add, summing repeated indices). Each is the other's backward."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor


class GetItem(Function):
    """y = x[index];  dx = index_add(zeros(x.shape), index, gy)."""

    may_view = True
    _scatter = True

    @staticmethod
    def forward(ctx, x, index=()):
        ctx.in_shape, ctx.index = x.shape, index
        try:
            return ctx.backend.getitem(x, index)
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor of shape {shape_str(x.shape)})") from None

    @staticmethod
    def backward(ctx, gy):
        return index_add(gy, ctx.index, ctx.in_shape)


class IndexAdd(Function):
    """y = zeros(shape) with y[index] += v (repeats summed);  dv = gy[index]."""

    @staticmethod
    def forward(ctx, v, index=(), shape=()):
        ctx.index = index
        return ctx.backend.index_add(shape, index, v, v.dtype)

    @staticmethod
    def backward(ctx, gy):
        return GetItem.apply(gy, index=ctx.index)


def normalize_index(index):
    """Tensors in an index become arrays; boolean masks become integer arrays (nonzero)."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item._device.backend.to_host(item._data)  # indices are worked out on the host
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray) or hasattr(item, "__cuda_array_interface__"):
            if item.dtype == np.bool_:
                out.extend(np.nonzero(np.asarray(item)))
                continue
            if item.dtype.kind not in "iu":
                raise IndexError(
                    f"getitem: tensors used as indices must be integer or bool, got {item.dtype}"
                )
        out.append(item)
    return tuple(out) if isinstance(index, tuple) or len(out) != 1 else out[0]


def getitem(x, index) -> Tensor:
    return GetItem.apply(x, index=normalize_index(index))


def index_add(values, index, shape) -> Tensor:
    """zeros(shape) with values added at index (the adjoint of getitem)."""
    return IndexAdd.apply(values, index=normalize_index(index), shape=tuple(shape))


def take_along_dim(x, indices, dim: int) -> Tensor:
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.ndim != x.ndim:
        raise ShapeError(
            f"take_along_dim: indices of shape {shape_str(idx.shape)} must have as many dims as "
            f"the input {shape_str(x.shape)}"
        )
    dim = dim % x.ndim
    index = tuple(
        idx if d == dim else np.arange(n).reshape((-1,) + (1,) * (x.ndim - d - 1))
        for d, n in enumerate(x.shape)
    )
    return getitem(x, index)


def _positions(op, x, dim, index):
    """index (an integer tensor or array with x's number of dims, no longer than x along any
    dim but `dim`) as the full index tuple of the elements it names: PyTorch's
    out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, and so on."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if getattr(idx, "dtype", np.dtype(np.int64)).kind not in "iu":
        raise TypeError(f"{op}: index must be integers, got {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ShapeError(f"{op}: index of shape {shape_str(idx.shape)} must have as many dims as "
                         f"the input {shape_str(x.shape)}")
    axis = dim % x.ndim if x.ndim else 0
    for d, (n, m) in enumerate(zip(idx.shape, x.shape)):
        if d != axis and n > m:
            raise ShapeError(f"{op}: index of shape {shape_str(idx.shape)} is larger than the "
                             f"input {shape_str(x.shape)} along dim {d}")
    return tuple(idx if d == axis else np.arange(n).reshape((-1,) + (1,) * (x.ndim - d - 1))
                 for d, n in enumerate(idx.shape))


def gather(input, dim: int, index) -> Tensor:
    """out = input gathered along dim at index (PyTorch's gather: out has index's shape)."""
    return getitem(input, _positions("gather", input, dim, index))


def scatter_add(input, dim: int, index, src) -> Tensor:
    """input with src added at the positions index names along dim (out of place; repeats
    sum), differentiable in input and src."""
    where = _positions("scatter_add", input, dim, index)
    shape = where[dim % input.ndim].shape
    part = src[tuple(slice(0, n) for n in shape)] if tuple(src.shape) != tuple(shape) else src
    return input + index_add(part, where, input.shape)


def index_select(input, dim: int, index) -> Tensor:
    """The slices of input at the 1-d index along dim."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim != 1:
        raise ShapeError(f"index_select: index must be 1-d, got shape {shape_str(idx.shape)}")
    axis = dim % input.ndim
    return getitem(input, (slice(None),) * axis + (idx,))
