"""Reduction primitives over one or more dims, with keepdim: sum, mean, amax, amin, var."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from ._util import normalize_dims
from .elementwise import Sqrt, _constant, _float, where


def _kept_shape(in_shape, axes) -> tuple:
    """in_shape with the reduced axes set to 1 (the keepdim shape)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else n for i, n in enumerate(in_shape))


def _count(in_shape, axes) -> int:
    if axes is None:
        return int(np.prod(in_shape, dtype=np.int64))
    return int(np.prod([in_shape[i] for i in axes], dtype=np.int64))


class Sum(Function):
    """y = sum_{dims} x;  dx = gy broadcast back over the summed dims."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return ctx.backend.sum(x, axes, keepdim)

    @staticmethod
    def backward(ctx, gy):
        if not ctx.keepdim:
            gy = gy.reshape(_kept_shape(ctx.in_shape, ctx.axes))
        return gy.expand(ctx.in_shape)


class Mean(Function):
    """y = mean_{dims} x;  dx = gy / n broadcast back over the reduced dims."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        with np.errstate(invalid="ignore", divide="ignore"):
            return ctx.backend.mean(x, axes, keepdim)

    @staticmethod
    def backward(ctx, gy):
        if not ctx.keepdim:
            gy = gy.reshape(_kept_shape(ctx.in_shape, ctx.axes))
        return (gy / _count(ctx.in_shape, ctx.axes)).expand(ctx.in_shape)


class _Extremum(Function):
    """Shared by Amax and Amin: dx = gy spread evenly over the elements equal to the result."""

    kernel = ""

    @classmethod
    def forward(cls, ctx, x, axes=None, keepdim=False):
        _check_nonempty(cls.kernel, x, axes)
        ctx.axes, ctx.keepdim = axes, keepdim
        y = getattr(ctx.backend, cls.kernel)(x, axes, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        hit = (x == y.detach().reshape(kept)).to(gy.dtype)
        share = hit / hit.sum(ctx.axes, keepdim=True)  # a constant: no grad flows through it
        if not ctx.keepdim:
            gy = gy.reshape(kept)
        return gy * share


class Amax(_Extremum):
    """y = max_{dims} x;  dx = gy spread evenly over the elements equal to the max."""

    kernel = "amax"


class Amin(_Extremum):
    """y = min_{dims} x;  dx = gy spread evenly over the elements equal to the min."""

    kernel = "amin"


def _check_nonempty(op, x, axes):
    if x.size == 0 and (axes is None or any(x.shape[a] == 0 for a in axes)):
        raise ShapeError(f"{op}: cannot reduce over an empty dim of shape {tuple(x.shape)}")


class Var(Function):
    """y = sum_{dims} (x - mean)^2 / (n - correction);  dx = gy 2 (x - mean) / (n - correction)."""

    @staticmethod
    def forward(ctx, x, axes=None, correction=1, keepdim=False):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return ctx.backend.var(x, axes, correction, keepdim)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        if not ctx.keepdim:
            gy = gy.reshape(kept)
        dof = _count(x.shape, ctx.axes) - ctx.correction
        centered = x - x.mean(ctx.axes, keepdim=True)
        return gy * centered * (2.0 / dof if dof > 0 else float("nan"))


class Prod(Function):
    """y = prod_{dims} x;  dx = gy * (the product of the others): y / x where x != 0; where x is
    a group's only zero, the product of the group's other elements; 0 where it has two zeros
    (no division by zero anywhere)."""

    @staticmethod
    def forward(ctx, x, axes=None, keepdim=False):
        ctx.axes, ctx.keepdim = axes, keepdim
        y = ctx.backend.prod(x, axes, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axes)
        if not ctx.keepdim:
            gy, y = gy.reshape(kept), y.reshape(kept)
        zero = x == 0
        zeros = zero.to(np.int64).sum(ctx.axes, keepdim=True)
        others = where(zero, 1.0, x).prod(ctx.axes, keepdim=True)  # a lone zero's partners
        at_zero = where(zeros == 1, others, 0.0)
        return gy * where(zero, at_zero, y / where(zero, 1.0, x))


# ----- the functions users call ----------------------------------------------------------------


def _accumulating(x, dtype=None):
    """x in the dtype a running sum or product takes: the one asked for, else int64 for bools
    and small integers (PyTorch's rule), else its own."""
    if dtype is not None:
        return x.to(dtype)
    if x._data.dtype.kind in "bi" and x._data.dtype.itemsize < 8:
        return x.to(np.int64)
    return x


def sum(x, dim=None, keepdim: bool = False, dtype=None) -> Tensor:  # noqa: A001
    x = _accumulating(x, dtype)
    return Sum.apply(x, axes=normalize_dims("sum", dim, x.ndim), keepdim=keepdim)


def mean(x, dim=None, keepdim: bool = False) -> Tensor:
    return Mean.apply(_float(x), axes=normalize_dims("mean", dim, x.ndim), keepdim=keepdim)


def amax(x, dim=None, keepdim: bool = False) -> Tensor:
    return Amax.apply(x, axes=normalize_dims("amax", dim, x.ndim), keepdim=keepdim)


def amin(x, dim=None, keepdim: bool = False) -> Tensor:
    return Amin.apply(x, axes=normalize_dims("amin", dim, x.ndim), keepdim=keepdim)


def var(x, dim=None, correction: int = 1, keepdim: bool = False, unbiased=None) -> Tensor:
    """Variance with Bessel's correction by default (PyTorch's `correction=1`)."""
    if unbiased is not None:
        correction = int(bool(unbiased))
    axes = normalize_dims("var", dim, x.ndim)
    return Var.apply(_float(x), axes=axes, correction=correction, keepdim=keepdim)


class Std(Sqrt):
    """std = sqrt(var);  dvar = gy / (2 std), and 0 where std = 0 (a constant sample), where
    sqrt's own gradient would be gy / 0: PyTorch's std backward masks those to 0 likewise."""

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        positive = y > 0
        return where(positive, gy / (where(positive, y, 1.0) * 2), 0.0)


def std(x, dim=None, correction: int = 1, keepdim: bool = False, unbiased=None) -> Tensor:
    """The square root of var (same arguments); its gradient is 0 where it is 0."""
    return Std.apply(var(x, dim, correction, keepdim, unbiased))


MinMax = namedtuple("MinMax", ["values", "indices"])


def _arg(op: str, x, dim, keepdim):
    backend = x._device.backend
    if dim is None:
        flat = x._data.reshape(-1)
        if flat.size == 0:
            raise ShapeError(f"{op}: cannot reduce an empty tensor")
        return _constant(getattr(backend, op)(flat, 0, False), x)
    axis = normalize_dims(op, dim, x.ndim)
    axis = axis[0] if axis else None
    if axis is not None and x.shape[axis] == 0:
        raise ShapeError(f"{op}: cannot reduce over an empty dim of shape {tuple(x.shape)}")
    return _constant(getattr(backend, op)(x._data, axis, keepdim), x)


def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmax", x, dim, keepdim)


def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmin", x, dim, keepdim)


def _min_max(op: str, x, dim, keepdim):
    """max(x) -> amax over everything; max(x, dim) -> (values, indices); the gradient of values
    goes to the element the index names (PyTorch's semantics)."""
    if dim is None:
        return (amax if op == "argmax" else amin)(x)
    axis = normalize_dims(op, dim, x.ndim)
    if not axis:
        return MinMax(x, _constant(np.zeros(x.shape, dtype=np.int64), x))
    (axis,) = axis
    indices = _arg(op, x, axis, True)
    index = tuple(
        indices._data if d == axis else np.arange(n).reshape((-1,) + (1,) * (x.ndim - d - 1))
        for d, n in enumerate(x.shape)
    )
    values = x[index]
    if not keepdim:
        values = values.squeeze(axis)
        indices = _constant(indices._data.squeeze(axis), x)
    return MinMax(values, indices)


def max(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The max over all elements, or (values, indices) over dim; max(x, other_tensor) is the
    elementwise maximum (PyTorch's three forms)."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(x, dim)
    return _min_max("argmax", x, dim, keepdim)


def min(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The min over all elements, or (values, indices) over dim; min(x, other_tensor) is the
    elementwise minimum."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(x, dim)
    return _min_max("argmin", x, dim, keepdim)


class CumSum(Function):
    """y[..., i, ...] = sum_{k <= i} x[..., k, ...] along one dim;  dx = gy summed from the end
    (the reversed cumulative sum of gy)."""

    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        return ctx.backend.cumsum(x, axis)

    @staticmethod
    def backward(ctx, gy):
        flip = (slice(None),) * ctx.axis + (slice(None, None, -1),)
        return cumsum(gy[flip], ctx.axis)[flip]


def cumsum(x, dim: int) -> Tensor:
    """The running sum along dim (PyTorch's cumsum; small integers sum as int64)."""
    x = _accumulating(x)
    if x.ndim == 0:
        return x.reshape(1).cumsum(0).reshape(())
    return CumSum.apply(x, axis=normalize_dims("cumsum", dim, x.ndim)[0])


SortResult = namedtuple("SortResult", ["values", "indices"])


def _ordered(op, x, dim, descending):
    """(indices along dim in order, dim); stable ascending, or its reverse."""
    if x.ndim == 0:
        return None, 0
    axis = normalize_dims(op, dim, x.ndim)[0]
    order = x._device.backend.argsort(x._data, axis)
    if descending:
        order = order[(slice(None),) * axis + (slice(None, None, -1),)]
        if x._device.type == "cpu":
            order = np.ascontiguousarray(order)
    return order, axis


def sort(x, dim: int = -1, descending: bool = False) -> SortResult:
    """(values, indices) along dim, ascending by default (NaN counts as the largest); the
    values are x gathered at the indices, so gradients flow back to where each came from."""
    from .indexing import take_along_dim

    order, axis = _ordered("sort", x, dim, descending)
    if order is None:
        return SortResult(x, _constant(np.zeros((), np.int64), x))
    indices = _constant(order, x)
    return SortResult(take_along_dim(x, indices, axis), indices)


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:  # noqa: A002
    """The k largest (or smallest) values along dim and their indices, in order."""
    from .indexing import take_along_dim

    n = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= n:
        raise ShapeError(f"topk: k={k} is out of range for dim {dim} of size {n} (shape "
                         f"{tuple(x.shape)})")
    order, axis = _ordered("topk", x, dim, largest)
    if order is None:
        return SortResult(x, _constant(np.zeros((), np.int64), x))
    order = order[(slice(None),) * axis + (slice(0, k),)]
    if x._device.type == "cpu":
        order = np.ascontiguousarray(order)
    indices = _constant(order, x)
    return SortResult(take_along_dim(x, indices, axis), indices)


def prod(x, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The product over dim (all elements by default); small integers multiply as int64."""
    x = _accumulating(x, dtype)
    return Prod.apply(x, axes=normalize_dims("prod", dim, x.ndim), keepdim=keepdim)


def any_(x, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (over dim, or all) is nonzero: a bool tensor, no gradient."""
    return _constant(x._device.backend.compare("ne", x._data, 0), x).to(np.int64).sum(
        dim, keepdim=keepdim) > 0


def all_(x, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (over dim, or all) is nonzero: a bool tensor, no gradient."""
    return _constant(x._device.backend.compare("eq", x._data, 0), x).to(np.int64).sum(
        dim, keepdim=keepdim) == 0
