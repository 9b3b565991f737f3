"""Tensor methods that call ops/ (attached here because the op modules import tensor.py)."""

from __future__ import annotations

import numpy as np

from . import creation
from .ops import (
    composite,
    conv,
    elementwise,
    functions,
    functions_more,
    indexing,
    linalg,
    pooling,
    reduction,
    shape,
    special,
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
for _name in (
        "cummax cummin logcumsumexp histc index_copy index_fill masked_scatter aminmax "
        "nanmedian nanquantile mode heaviside logaddexp2 copysign renorm unflatten "
        "tensor_split vdot argwhere erfc sinc cov corrcoef scatter_reduce").split():
    _MORE[_name] = getattr(functions_more, _name)
for _name, _fn in _MORE.items():
    setattr(Tensor, _name, _fn)


# ----- PyTorch's in-place variants, from the out-of-place ops: on the graph they rebase the
# tensor (recorded, as add_ does); off it they write the new values into its array

def _in_place(name, fn):
    def method(self, *args, **kwargs):
        self._check_inplace(name)
        if self._on_graph() or any(isinstance(a, Tensor) and a._requires_grad and
                                   elementwise._recording() for a in args):
            return self._rebase(name, lambda old: fn(old, *args, **kwargs))
        out = fn(Tensor._make(self._data, self._device, False, None), *args, **kwargs)
        if tuple(out.shape) != tuple(self.shape):
            raise RuntimeError(f"{name}: the result's shape {tuple(out.shape)} differs from the "
                               f"tensor's {tuple(self.shape)}; use the out-of-place op")
        data = out._data if out.dtype == self.dtype else out._data.astype(self.dtype)
        self._device.backend.setitem(self._data, Ellipsis, data)
        self._bump()
        return self

    method.__name__ = name
    method.__doc__ = f"In place: self = {name[:-1]}(self, ...)."
    return method


for _name, _fn in {
        "exp_": elementwise.exp, "log_": elementwise.log, "neg_": elementwise.neg,
        "sqrt_": elementwise.sqrt, "relu_": elementwise.relu, "sigmoid_": elementwise.sigmoid,
        "tanh_": elementwise.tanh, "abs_": elementwise.abs, "pow_": elementwise.pow,
        "tril_": composite.tril, "triu_": composite.triu, "masked_fill_": composite.masked_fill,
        "scatter_": functions.scatter, "scatter_add_": indexing.scatter_add,
        "lerp_": functions.lerp, "addcmul_": functions.addcmul, "addcdiv_": functions.addcdiv,
        "nan_to_num_": functions.nan_to_num, "floor_": elementwise.floor,
        "ceil_": elementwise.ceil, "round_": elementwise.round, "trunc_": elementwise.trunc,
        "fmod_": functions.fmod, "remainder_": elementwise.remainder,
}.items():
    setattr(Tensor, _name, _in_place(_name, _fn))


def _index_add(self, dim: int, index, source, alpha: float = 1) -> Tensor:
    """self with source's slices added at positions index along dim (PyTorch's index_add)."""
    axis = dim % self.ndim
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    where = (slice(None),) * axis + (idx,)
    return self + indexing.index_add(source if alpha == 1 else source * alpha, where,
                                     self.shape)


def _index_fill(self, dim: int, index, value) -> Tensor:
    """self with value written at positions index along dim."""
    axis = dim % self.ndim
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    mask = np.zeros(self.shape[axis], dtype=bool)
    mask[idx] = True
    mask = Tensor(mask.reshape((-1,) + (1,) * (self.ndim - axis - 1)), device=self.device)
    return composite.masked_fill(self, mask, value)


def _where(self, condition, other) -> Tensor:
    """self where condition, else other (x.where(cond, y) is where(cond, x, y))."""
    return elementwise.where(condition, self, other)


def _unflatten(self, dim: int, sizes) -> Tensor:
    dim = dim % self.ndim
    return shape.reshape(self, tuple(self.shape[:dim]) + tuple(sizes) + tuple(self.shape[dim + 1:]))


def _unfold(self, dimension: int, size: int, step: int) -> Tensor:
    """Every window of `size` elements along dimension, `step` apart, as a new last dim."""
    axis = dimension % self.ndim
    count = (self.shape[axis] - size) // step + 1
    if size > self.shape[axis] or count < 1 or step < 1:
        raise ValueError(f"unfold: windows of {size} (step {step}) do not fit dim {axis} of "
                         f"shape {tuple(self.shape)}")
    index = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    windows = self[(slice(None),) * axis + (index,)]  # (..., count, size, ...)
    return functions.movedim(windows, axis + 1, -1)


def _new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    out = Tensor(data.detach()._data if isinstance(data, Tensor) else data,
                 dtype=dtype or self.dtype, device=device or self.device)
    return out.requires_grad_() if requires_grad else out


Tensor.lgamma = special.lgamma
Tensor.digamma = special.digamma
Tensor.erfinv = special.erfinv
Tensor.polygamma = lambda self, n: special.polygamma(n, self)
Tensor.bernoulli = lambda self, p=None: creation.bernoulli(self, p)
Tensor.multinomial = lambda self, num_samples, replacement=False: creation.multinomial(
    self, num_samples, replacement)
Tensor.index_add = _index_add
Tensor.index_fill = _index_fill
Tensor.where = _where
Tensor.unflatten = _unflatten
Tensor.unfold = _unfold
Tensor.new_tensor = _new_tensor
Tensor.new_empty = _new(0)
Tensor.view_as = _reshape_as
Tensor.absolute = elementwise.abs
Tensor.true_divide = elementwise.div
Tensor.dot = composite.dot
Tensor.allclose = composite.allclose
Tensor.isclose = composite.isclose
Tensor.equal = composite.equal
Tensor.is_floating_point = lambda self: self.dtype.kind == "f"
Tensor.ndimension = Tensor.dim
Tensor.nelement = Tensor.numel
Tensor.clamp_min = lambda self, min: self.clamp(min=min)  # noqa: A002  (PyTorch's names)
Tensor.clamp_max = lambda self, max: self.clamp(max=max)  # noqa: A002
Tensor.outer = composite.outer
Tensor.msort = lambda self: self.sort(0)[0]
Tensor.H = property(lambda self: self.mT if self.ndim == 2 else self.T)  # real: no conjugation
Tensor.mH = property(lambda self: self.mT)
Tensor.element_size = lambda self: self.dtype.itemsize
