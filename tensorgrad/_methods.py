"""Tensor methods that call ops/ (attached here because the op modules import tensor.py)."""

from __future__ import annotations

import numpy as np

from .ops import (
    composite,
    conv,
    elementwise,
    functions,
    indexing,
    linalg,
    pooling,
    reduction,
    shape,
)
from .tensor import Tensor


def _isfinite(self) -> Tensor:
    return elementwise._constant(self._device.backend.isfinite(self._data), self)


def _isnan(self) -> Tensor:
    return elementwise._constant(self._device.backend.isnan(self._data), self)


_METHODS = {
    "exp": elementwise.exp, "log": elementwise.log, "sqrt": elementwise.sqrt,
    "abs": elementwise.abs, "relu": elementwise.relu, "sigmoid": elementwise.sigmoid,
    "tanh": elementwise.tanh, "erf": elementwise.erf, "clamp": elementwise.clamp,
    "clip": elementwise.clamp,
    "pow": elementwise.pow, "maximum": elementwise.maximum, "minimum": elementwise.minimum,
    "sign": elementwise.sign, "add": elementwise.add, "sub": elementwise.sub,
    "mul": elementwise.mul, "div": elementwise.div, "neg": elementwise.neg,
    "isfinite": _isfinite, "isnan": _isnan,
    "sin": elementwise.sin, "cos": elementwise.cos, "log1p": elementwise.log1p,
    "expm1": elementwise.expm1, "floor": elementwise.floor, "ceil": elementwise.ceil,
    "round": elementwise.round, "trunc": elementwise.trunc,
    "remainder": elementwise.remainder, "floor_divide": elementwise.floor_divide,
    "cumsum": reduction.cumsum, "prod": reduction.prod, "sort": reduction.sort,
    "topk": reduction.topk,
    "flip": shape.flip, "repeat": shape.repeat, "split": shape.split, "chunk": shape.chunk,
    "masked_fill": composite.masked_fill, "norm": composite.norm,
    "tril": composite.tril, "triu": composite.triu,
    "sum": reduction.sum, "mean": reduction.mean, "amax": reduction.amax, "amin": reduction.amin,
    "max": reduction.max, "min": reduction.min, "var": reduction.var, "std": reduction.std,
    "argmax": reduction.argmax, "argmin": reduction.argmin,
    "reshape": shape.reshape, "view": shape.reshape, "permute": shape.permute,
    "transpose": shape.transpose, "expand": shape.expand, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "flatten": shape.flatten, "pad": shape.pad,
    "sum_to": shape.sum_to,
    "matmul": linalg.matmul,
    "softmax": composite.softmax, "log_softmax": composite.log_softmax,
    "logsumexp": composite.logsumexp,
    "take_along_dim": indexing.take_along_dim, "gather": indexing.gather,
    "scatter_add": indexing.scatter_add, "index_select": indexing.index_select,
    "conv2d": conv.conv2d, "max_pool2d": pooling.max_pool2d, "avg_pool2d": pooling.avg_pool2d,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)


def _unbind(self, dim: int = 0) -> tuple:
    """The slices along dim, each without that dim."""
    axis = dim % self.ndim
    return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))


def _nonzero(self, as_tuple: bool = False):
    """The indices of the nonzero elements: (n, ndim) int64, or one array per dim."""
    found = np.nonzero(np.asarray(self._device.backend.to_host(self._data)))
    if as_tuple:
        return tuple(elementwise._constant(self._device.backend.asarray(i.astype(np.int64)),
                                           self) for i in found)
    stacked = np.stack(found, axis=1).astype(np.int64) if found else np.zeros((0, 0), np.int64)
    return elementwise._constant(self._device.backend.asarray(stacked), self)


def _contiguous(self) -> Tensor:
    """self, or a C-ordered copy where self's array is not (flattening copies in C order)."""
    data = self._data
    if getattr(data, "flags", None) is not None and not data.flags.c_contiguous:
        return shape.reshape(shape.reshape(self, (-1,)), self.shape)
    return self


def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad: bool = False):
        from .creation import full

        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        out = full(size, fill, dtype=dtype or self.dtype, device=device or self.device)
        return out.requires_grad_() if requires_grad else out

    return method


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False):
    return _new(fill_value)(self, tuple(size), dtype=dtype, device=device,
                            requires_grad=requires_grad)


def _expand_as(self, other) -> Tensor:
    return shape.expand(self, other.shape)


def _reshape_as(self, other) -> Tensor:
    return shape.reshape(self, other.shape)


def _t(self) -> Tensor:
    """Dims reversed (the transpose of a matrix)."""
    return shape.permute(self, tuple(reversed(range(self.ndim))))


def _mt(self) -> Tensor:
    """The last two dims swapped."""
    return shape.transpose(self, -2, -1)


def _reflected(fn):
    """other (op) self, for numbers and arrays on the left of a Tensor."""
    def method(self, other):
        return fn(other, self)

    return method


def _comparison(op):
    def method(self, other):
        return elementwise.compare(op, self, other)

    return method


def _logical(op):
    def method(self, other=None):
        return elementwise.logical(op, self, other)

    return method


_scalar = elementwise._scalar_operator
_OPERATORS = {
    "__add__": _scalar(elementwise.AddScalar, "add", elementwise.add),
    "__radd__": _scalar(elementwise.AddScalar, "add", _reflected(elementwise.add)),
    "__sub__": _scalar(elementwise.AddScalar, "add", elementwise.sub, negate=True),
    "__rsub__": _reflected(elementwise.sub),
    "__mul__": _scalar(elementwise.MulScalar, "multiply", elementwise.mul),
    "__rmul__": _scalar(elementwise.MulScalar, "multiply", _reflected(elementwise.mul)),
    "__truediv__": elementwise.div, "__rtruediv__": _reflected(elementwise.div),
    "__pow__": elementwise.pow, "__rpow__": _reflected(elementwise.pow),
    "__mod__": elementwise.remainder, "__rmod__": _reflected(elementwise.remainder),
    "__floordiv__": elementwise.floor_divide,
    "__rfloordiv__": _reflected(elementwise.floor_divide),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": elementwise.neg, "__abs__": elementwise.abs, "__pos__": lambda self: self,
    "__eq__": _comparison("eq"), "__ne__": _comparison("ne"), "__lt__": _comparison("lt"),
    "__le__": _comparison("le"), "__gt__": _comparison("gt"), "__ge__": _comparison("ge"),
    "__and__": _logical("and"), "__or__": _logical("or"), "__xor__": _logical("xor"),
    "__invert__": _logical("not"), "__getitem__": indexing.getitem,
}

for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)

Tensor.expand_as = _expand_as
Tensor.unbind = _unbind
Tensor.nonzero = _nonzero
Tensor.contiguous = _contiguous
Tensor.type_as = lambda self, other: self.to(other.dtype)
Tensor.new_zeros = _new(0)
Tensor.new_ones = _new(1)
Tensor.new_full = _new_full
Tensor.any = reduction.any_
Tensor.all = reduction.all_
Tensor.reshape_as = _reshape_as
Tensor.T = property(_t)
Tensor.mT = property(_mt)
Tensor.t = _t


# PyTorch's other Tensor methods (ops/functions.py and the inverse and hyperbolic primitives)
_MORE = {
    "tan": elementwise.tan, "asin": elementwise.asin, "acos": elementwise.acos,
    "atan": elementwise.atan, "sinh": elementwise.sinh, "cosh": elementwise.cosh,
    "asinh": elementwise.asinh, "acosh": elementwise.acosh, "atanh": elementwise.atanh,
    "atan2": elementwise.atan2, "arcsin": elementwise.asin, "arccos": elementwise.acos,
    "arctan": elementwise.atan, "arcsinh": elementwise.asinh, "arccosh": elementwise.acosh,
    "arctanh": elementwise.atanh, "arctan2": elementwise.atan2, "sgn": elementwise.sign,
}
for _name in (
        "log2 log10 exp2 reciprocal rsqrt square hypot logaddexp xlogy lerp addcmul addcdiv logit "
        "frac fmod deg2rad rad2deg nan_to_num float_power eq ne lt le gt ge greater "
        "greater_equal less less_equal not_equal logical_not logical_and logical_or logical_xor "
        "isinf isposinf isneginf signbit count_nonzero mm bmm mv addmm baddbmm inner kron cross "
        "dist swapaxes swapdims movedim moveaxis narrow select roll rot90 fliplr flipud tile "
        "repeat_interleave diagonal diag_embed diag trace diff masked_select take scatter argsort "
        "kthvalue median quantile nansum nanmean unique bincount cumprod").split():
    _MORE[_name] = getattr(functions, _name)
for _name, _fn in _MORE.items():
    setattr(Tensor, _name, _fn)
