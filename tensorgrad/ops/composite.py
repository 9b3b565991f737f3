"""Functions composed from primitives (no backward of their own): numerically stable softmax,
log_softmax and logsumexp. The max is subtracted as a constant, so exp never overflows and the
gradient is unchanged (the shift cancels)."""

from __future__ import annotations

from ..tensor import Tensor
from .elementwise import _float, where


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
