"""Functions composed from primitives (no backward of their own): numerically stable softmax,
log_softmax and logsumexp. The max is subtracted as a constant, so exp never overflows and the
gradient is unchanged (the shift cancels)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from .elementwise import _float, as_tensor_like, where


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x), dim)), finite for logits of any size."""
    x = _float(x)
    shift = x.amax(dim, keepdim=True).detach()
    shift = where(shift.isfinite(), shift, 0.0)  # an all -inf row must not give inf - inf
    out = (x - shift).exp().sum(dim, keepdim=True).log() + shift
    return out if keepdim else out.squeeze(dim)


def log_softmax(x, dim: int = -1) -> Tensor:
    """x - logsumexp(x, dim)."""
    x = _float(x)
    return x - logsumexp(x, dim, keepdim=True)


def softmax(x, dim: int = -1) -> Tensor:
    """exp(x - max) / sum(exp(x - max))."""
    x = _float(x)
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def masked_fill(x, mask, value) -> Tensor:
    """x with value wherever mask (broadcast to x) is true (PyTorch's masked_fill)."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"masked_fill: value must be a number or a 0-dim tensor, got shape "
                         f"{shape_str(value.shape)}")
    value = as_tensor_like(value, x).to(x.dtype)
    return where(mask, value, x)


def norm(x, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over dim (all elements by default): p = 2 ('fro'), 1, inf, -inf or any
    other positive number. The 2-norm's gradient is 0 at a zero vector (PyTorch's), not nan."""
    from .reduction import Std

    x = _float(x)
    if p in ("fro", 2, 2.0):
        return Std.apply((x * x).sum(dim, keepdim=keepdim))
    if p in (1, 1.0):
        return x.abs().sum(dim, keepdim=keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return (x.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)
    raise ValueError(f"norm: p must be 'fro', inf, -inf or a positive number, got {p!r}")


def outer(a, b) -> Tensor:
    """a[i] * b[j] for 1-d a and b."""
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-d tensors, got shapes {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def dot(a, b) -> Tensor:
    """sum(a * b) for 1-d a and b of one length."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ShapeError(f"dot: expected two 1-d tensors of one length, got shapes "
                         f"{shape_str(a.shape)} and {shape_str(b.shape)}")
    return a @ b
