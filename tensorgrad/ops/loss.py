"""Fused loss primitives: the softmax-cross-entropy pair as one tape node.

Composed from primitives, log_softmax followed by a gather and a weighted sum records about
fifteen nodes and as many passes over the logits; fused, the forward makes one log_softmax and
the backward one (softmax - onehot) * weight * gy. Under create_graph=True the backward is
written in tensor ops instead, so second derivatives stay exact.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.mode import _grad_enabled
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from .composite import log_softmax, softmax
from .elementwise import _direct


class SoftmaxCrossEntropy(Function):
    """loss[n] = -weight[n] * log_softmax(x)[n, labels[n]] for x (N, C) (summed over n when
    reduce); dx = (softmax(x) - onehot(labels)) * weight[:, None] * gy,
    dweight = -log_softmax(x)[n, labels[n]] * gy. The labels are an integer tensor on x's
    device, read there by the kernels: no host copy on a GPU."""

    @staticmethod
    def forward(ctx, x, weight, labels, reduce=True):
        b = ctx.backend
        shifted = b.subtract(x, b.amax(x, (1,), True))
        logp = b.subtract(shifted, b.log(b.sum(b.exp(shifted), (1,), True)))
        loss = b.multiply(b.negative(b.take_rows(logp, labels)), weight)
        ctx.save_for_backward(x, weight)
        ctx.logp = logp
        ctx.labels = labels
        return b.sum(loss, (0,), False) if reduce else loss

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        n, c = x.shape
        b = ctx.backend
        need_x, need_w = ctx.needs_input_grad[:2]
        if _grad_enabled.get():  # create_graph: a differentiable formula in tensor ops
            onehot = b.zeros((n, c), x.dtype)
            b.sub_at_rows_(onehot, ctx.labels, b.full((n,), -1, x.dtype))
            onehot = Tensor._make(onehot, x.device, False, None)
            gx = (softmax(x, 1) - onehot) * (weight * gy).reshape(n, 1) if need_x else None
            gw = -(log_softmax(x, 1) * onehot).sum(1) * gy if need_w else None
            return gx, gw, None
        gx = gw = None
        if need_x:
            scale = b.multiply(weight._data, gy._data)
            gx = b.multiply(b.exp(ctx.logp), b.reshape(scale, (n, 1)))
            b.sub_at_rows_(gx, ctx.labels, scale)
            gx = _direct(ctx, gx)
        if need_w:
            picked = b.take_rows(ctx.logp, ctx.labels)
            gw = _direct(ctx, b.multiply(b.negative(picked), gy._data))
        return gx, gw, None


def label_range(target: Tensor):
    """(min, max) of an integer tensor, read without a device->host copy when the device
    backend remembers it from the host array the tensor was made from."""
    data = target._data
    if target._device.type != "cpu":
        known = getattr(target._device.backend, "known_range", None)
        found = known(data) if known is not None else None
        if found is not None:
            return found
        data = target._device.backend.to_host(data)
    return (int(data.min()), int(data.max())) if data.size else (0, 0)


def softmax_cross_entropy(logits: Tensor, target, weight=None, reduction: str = "sum") -> Tensor:
    """-weight[n] * log_softmax(logits, 1)[n, target[n]] for logits (N, C) and class indices
    target (N,), summed over n ('sum') or per row ('none'); weight (N,) defaults to ones and is
    differentiable too. One tape node (what tensorgrad_nn's cross_entropy uses for 2-d
    logits)."""
    if not isinstance(logits, Tensor) or logits.ndim != 2 or logits.dtype.kind != "f":
        raise ShapeError(f"softmax_cross_entropy: logits must be a float tensor (N, C), got "
                         f"{shape_str(getattr(logits, 'shape', ()))}")
    if reduction not in ("sum", "none"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'sum' or 'none', got "
                         f"{reduction!r}")
    n, c = logits.shape
    if not isinstance(target, Tensor) or target.device != logits.device:
        host = target.numpy() if isinstance(target, Tensor) else target
        target = Tensor(np.asarray(host), device=logits.device)
    if target.dtype.kind not in "iu" or tuple(target.shape) != (n,):
        raise ShapeError(f"softmax_cross_entropy: target must be integer class indices of shape "
                         f"({n},), got {target.dtype} {shape_str(target.shape)}")
    lo, hi = label_range(target)
    if n and (lo < 0 or hi >= c):
        raise IndexError(f"softmax_cross_entropy: target {lo if lo < 0 else hi} is out of range "
                         f"for {c} classes")
    if weight is None:
        weight = Tensor._make(logits.device.backend.ones((n,), logits.dtype), logits.device,
                              False, None)
    if not isinstance(weight, Tensor):
        weight = Tensor(np.asarray(weight, dtype=logits.dtype), device=logits.device)
    if tuple(weight.shape) != (n,):
        raise ShapeError(f"softmax_cross_entropy: weight must have shape ({n},), got "
                         f"{shape_str(weight.shape)}")
    if weight.dtype != logits.dtype:
        weight = weight.to(logits.dtype)
    return SoftmaxCrossEntropy.apply(logits, weight, target, reduce=reduction == "sum")
