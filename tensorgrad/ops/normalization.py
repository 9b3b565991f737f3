"""Standardisation as one primitive: (x - mean) / sqrt(var + eps) over some dims, the core of
layer, batch, group and instance norm, whose composed formula takes a dozen tape nodes and as
many passes forward and backward. On the CPU; other devices compose the formula, as does the
backward under create_graph=True, so every order of derivative stays available."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backends import CPU
from ..tensor import Tensor
from ._util import normalize_dims
from .elementwise import _direct, _recording


def _formula(x: Tensor, dims: tuple, eps: float) -> Tensor:
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, correction=0, keepdim=True)
    return (x - mean) / (var + eps).sqrt()


class Standardize(Function):
    """y = (x - m) / s over dims, m the mean, s = sqrt(biased variance + eps);
    dx = (gy - mean(gy) - y mean(gy y)) / s, the means over the same dims."""

    @staticmethod
    def forward(ctx, x, dims=(), eps=1e-5):
        mean = x.mean(dims, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=dims, keepdims=True)
        inv = 1.0 / np.sqrt(var + eps)
        y = centred
        y *= inv
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, y, inv.astype(x.dtype, copy=False))
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:  # the same formula in tensor ops, recorded
            (x,) = ctx.saved_tensors[:1]  # (raises the usual error after a free)
            dims = ctx.dims
            centred = x - x.mean(dims, keepdim=True)
            inv = 1.0 / ((centred * centred).mean(dims, keepdim=True) + ctx.eps).sqrt()
            y = centred * inv
            return (gy - gy.mean(dims, keepdim=True)
                    - y * (gy * y).mean(dims, keepdim=True)) * inv
        _, y, inv = ctx._saved
        g = gy._data
        dims = ctx.dims
        gx = g - g.mean(dims, keepdims=True)
        gx -= y * np.mean(g * y, axis=dims, keepdims=True)
        gx *= inv
        return _direct(ctx, gx)


def standardize(x: Tensor, dims, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) over dims (biased variance), one primitive on the CPU."""
    dims = normalize_dims("standardize", dims, x.ndim)
    if x.device is not CPU or x.dtype.kind != "f" or x.numel() == 0:
        return _formula(x, dims, eps)
    return Standardize.apply(x, dims=dims, eps=eps)
