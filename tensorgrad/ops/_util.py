"""Helpers the op modules share: turning operands into tensors and normalising dims."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor


def as_tensor_like(value, like: Tensor) -> Tensor:
    """A constant tensor for a Python/numpy scalar or array operand of `like` (PyTorch's rules: a
    Python float keeps a float tensor's dtype and makes an integer tensor float32)."""
    if isinstance(value, Tensor):
        return value
    dtype = like._data.dtype
    key = None
    if value.__class__ in (bool, int, float):
        key = (value.__class__, value, dtype, like._device)
        cached = _CONSTANTS.get(key)
        if cached is not None:
            return cached
    if isinstance(value, (bool, int, float)):
        if dtype.kind in "iub" and isinstance(value, float):
            from ..dtypes import get_default_dtype

            dtype = get_default_dtype()
        elif dtype.kind == "b" and not isinstance(value, bool):
            dtype = np.dtype(np.int64)
        array = np.asarray(value, dtype=dtype)
    else:
        array = np.asarray(value)
        if array.dtype.kind == "f" and dtype.kind == "f":
            array = array.astype(dtype, copy=False)
    if like._device.type != "cpu":
        array = like._device.backend.asarray(array)
    out = Tensor._make(array, like._device, False, None)
    if key is not None and value and len(_CONSTANTS) < 4096:  # not 0: -0.0 == 0.0
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
        _CONSTANTS[key] = out
    return out


# Python scalars met as operands (x * 2.0, 1 - y, ...) become read-only 0-d tensors, made once
_CONSTANTS: dict = {}


def constant_array(value, dtype, device):
    """A Python number as a read-only 0-d array of dtype on device, made once per value (but
    for zeros: -0.0 == 0.0, and a cache would give one for the other)."""
    key = (value, dtype, id(device))
    array = _SCALARS.get(key)
    if array is None:
        array = np.asarray(value, dtype=dtype)
        if device.type != "cpu":
            array = device.backend.asarray(array)
        else:
            array.flags.writeable = False
        if value and len(_SCALARS) < 4096:
            _SCALARS[key] = array
    return array


# constant_array's cache: (value, dtype, id(device)) -> 0-d array. Devices are singletons.
_SCALARS: dict = {}


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both as tensors; an integer/bool tensor meeting a float one takes its dtype (PyTorch's
    rule: int64 + float32 is float32, where numpy would say float64)."""
    if isinstance(a, Tensor):
        b = as_tensor_like(b, a)
    else:
        a = as_tensor_like(a, b)
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        if da.kind == "f" and db.kind != "f":
            b = Tensor._make(b._data.astype(da), b._device, False, None)
        elif db.kind == "f" and da.kind != "f":
            a = Tensor._make(a._data.astype(db), a._device, False, None)
    return a, b


def normalize_dims(op: str, dim, ndim: int) -> tuple[int, ...] | None:
    """dim (int, tuple of ints or None) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if ndim == 0:
        for d in dims:
            if int(d) not in (0, -1):
                raise ShapeError(f"{op}: dim {d} is out of range for a 0-dim tensor")
        return ()
    out = []
    for d in dims:
        d = int(d)
        if not -ndim <= d < ndim:
            raise ShapeError(f"{op}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(d % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: dim {dims} repeats an axis")
    return tuple(sorted(out))


def normalize_dim(op: str, dim: int, ndim: int) -> int:
    return normalize_dims(op, dim, ndim)[0]


def pair(op: str, name: str, value) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value}")
    return value


def relu_grad(ctx, y, gy, need_bias: bool, per: str):
    """(gy [y > 0], None or the bias's gradient) for the backward of a primitive with a fused
    ReLU (Linear, Conv2d) whose output y was saved: in tensor ops while a backward is recorded
    (create_graph), else one pass, summing the bias's gradient with it where it is needed, per
    "feature" (every dim but the last: Linear) or per "channel" (every dim but 1: Conv2d)."""
    from ..autograd.mode import _grad_enabled

    backend, device = ctx.backend, y._device
    if _grad_enabled.get():
        return gy * Tensor._make(backend.relu_mask(y._data), device, False, None), None
    if need_bias:
        fused = backend.relu_backward_rows if per == "feature" else backend.relu_backward_planes
        g, total = fused(y._data, gy._data)
        return Tensor._make(g, device, False, None), Tensor._make(total, device, False, None)
    return Tensor._make(backend.relu_backward(y._data, gy._data), device, False, None), None
