"""BatchNorm1d/2d (running statistics, train/eval) and LayerNorm, composed from primitives."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..module import Module, Parameter


class _BatchNorm(Module):
    _dims: tuple

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(tg.ones(num_features, dtype=dtype))
            self.bias = Parameter(tg.zeros(num_features, dtype=dtype))
        if track_running_stats:
            self.register_buffer("running_mean", tg.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", tg.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tg.tensor(0))

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check(self, x):
        raise NotImplementedError

    def forward(self, x):
        self._check(x)
        dims = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training or not self.track_running_stats:
            mean = x.mean(dims, keepdim=True)
            var = x.var(dims, correction=0, keepdim=True)
            if self.training and self.track_running_stats:
                n = x.numel() // self.num_features
                with tg.no_grad():
                    self.num_batches_tracked.add_(1)
                    m = self.momentum
                    if m is None:  # PyTorch's cumulative average: batch k weighs 1/k
                        m = 1.0 / float(self.num_batches_tracked.item())
                    self.running_mean.mul_(1 - m).add_(mean.detach().reshape(-1) * m)
                    unbiased = var.detach().reshape(-1) * (n / max(n - 1, 1))
                    self.running_var.mul_(1 - m).add_(unbiased * m)
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
        y = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """(N, C) or (N, C, L): normalise each channel over the batch (and length)."""

    def _check(self, x):
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise tg.ShapeError(f"BatchNorm1d: expected (N, {self.num_features}) or "
                                f"(N, {self.num_features}, L), got {tuple(x.shape)}")


class BatchNorm2d(_BatchNorm):
    """(N, C, H, W): normalise each channel over the batch and positions."""

    def _check(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise tg.ShapeError(f"BatchNorm2d: expected (N, {self.num_features}, H, W), got "
                                f"{tuple(x.shape)}")


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) dims of each sample."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
            normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(tg.ones(*shape, dtype=dtype))
            self.bias = Parameter(tg.zeros(*shape, dtype=dtype))

    def forward(self, x):
        if self.elementwise_affine:
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return F.layer_norm(x, self.normalized_shape, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
