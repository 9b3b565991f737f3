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


class SoftmaxCrossEntropy(Function):
    """loss[n] = -weight[n] * log_softmax(x)[n, labels[n]] for x (N, C) (summed over n when
    reduce); dx = (softmax(x) - onehot(labels)) * weight[:, None] * gy,
    dweight = -log_softmax(x)[n, labels[n]] * gy."""

    @staticmethod
    def forward(ctx, x, weight, labels, reduce):
        b = ctx.backend
        shifted = b.subtract(x, b.amax(x, (1,), True))
        logp = b.subtract(shifted, b.log(b.sum(b.exp(shifted), (1,), True)))
        rows = np.arange(x.shape[0])
        loss = b.multiply(b.negative(b.getitem(logp, (rows, labels))), weight)
        ctx.save_for_backward(x, weight)
        ctx.logp = logp
        ctx.labels = labels
        return b.sum(loss, (0,), False) if reduce else loss

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved_tensors
        n, c = x.shape
        rows = np.arange(n)
        need_x, need_w = ctx.needs_input_grad
        if _grad_enabled.get():  # create_graph: a differentiable formula in tensor ops
            onehot = np.zeros((n, c), dtype=x.dtype)
            onehot[rows, ctx.labels] = 1
            onehot = Tensor(onehot, device=x.device)
            gx = (softmax(x, 1) - onehot) * (weight * gy).reshape(n, 1) if need_x else None
            gw = -(log_softmax(x, 1) * onehot).sum(1) * gy if need_w else None
            return gx, gw
        b = ctx.backend
        gx = gw = None
        if need_x:
            scale = b.multiply(weight._data, gy._data)
            gx = b.multiply(b.exp(ctx.logp), b.reshape(scale, (n, 1)))
            gx = b.subtract(gx, b.index_add((n, c), (rows, ctx.labels), scale, gx.dtype))
            gx = Tensor._make(gx, x.device, False, None)
        if need_w:
            picked = b.getitem(ctx.logp, (rows, ctx.labels))
            gw = Tensor._make(b.multiply(b.negative(picked), gy._data), x.device, False, None)
        return gx, gw


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
    labels = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise ShapeError(f"softmax_cross_entropy: target must be integer class indices of shape "
                         f"({n},), got {labels.dtype} {shape_str(labels.shape)}")
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        bad = labels[(labels < 0) | (labels >= c)][0]
        raise IndexError(f"softmax_cross_entropy: target {int(bad)} is out of range for {c} "
                         "classes")
    if weight is None:
        weight = np.ones(n, dtype=logits.dtype)
    if not isinstance(weight, Tensor):
        weight = Tensor(np.asarray(weight, dtype=logits.dtype), device=logits.device)
    if tuple(weight.shape) != (n,):
        raise ShapeError(f"softmax_cross_entropy: weight must have shape ({n},), got "
                         f"{shape_str(weight.shape)}")
    if weight.dtype != logits.dtype:
        weight = weight.to(logits.dtype)
    return SoftmaxCrossEntropy.apply(logits, weight, labels=labels,
                                     reduce=reduction == "sum")
