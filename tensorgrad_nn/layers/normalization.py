"""BatchNorm1d/2d, InstanceNorm1d/2d (running statistics, train/eval), GroupNorm and LayerNorm,
composed from primitives (tensorgrad_nn.functional)."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..module import Module, Parameter


class _NormBase(Module):
    """Per-channel affine parameters and running statistics (PyTorch's names and defaults)."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, dtype):
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

    def _stats(self):
        """(running_mean, running_var, weight, bias), None where not kept."""
        tracked = self.track_running_stats
        return (self.running_mean if tracked else None, self.running_var if tracked else None,
                self.weight if self.affine else None, self.bias if self.affine else None)


class _BatchNorm(_NormBase):
    _dims: tuple

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def _check(self, x):
        raise NotImplementedError

    def forward(self, x):
        self._check(x)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # PyTorch's cumulative average: batch k weighs 1/k
                momentum = 1.0 / float(self.num_batches_tracked.item())
        return F.batch_norm(x, *self._stats(), self.training or not self.track_running_stats,
                            momentum, self.eps)

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


class BatchNorm3d(_BatchNorm):
    """(N, C, D, H, W): normalise each channel over the batch and the volume."""

    def _check(self, x):
        if x.ndim != 5 or x.shape[1] != self.num_features:
            raise tg.ShapeError(f"BatchNorm3d: expected (N, {self.num_features}, D, H, W), got "
                                f"{tuple(x.shape)}")


class _InstanceNorm(_NormBase):
    _spatial: int  # positional dims after (N, C)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def forward(self, x):
        name = type(self).__name__
        batched = x.ndim == self._spatial + 2
        if not batched and x.ndim != self._spatial + 1:
            raise tg.ShapeError(f"{name}: expected a {self._spatial + 2}-d (batched) or "
                                f"{self._spatial + 1}-d input, got {tuple(x.shape)}")
        if not batched:
            x = x.unsqueeze(0)
        if x.shape[1] != self.num_features:
            raise tg.ShapeError(f"{name}: expected {self.num_features} channels, got "
                                f"{tuple(x.shape)}")
        y = F.instance_norm(x, *self._stats(), self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return y if batched else y.squeeze(0)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """(N, C, L) or (C, L): normalise each sample's channels over their length."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """(N, C, H, W) or (C, H, W): normalise each sample's channels over their positions."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """(N, C, D, H, W) or (C, D, H, W): normalise each sample's channels over the volume."""

    _spatial = 3


class GroupNorm(Module):
    """(N, C, *): normalise each sample over groups of C / num_groups channels and their
    positions, then a per-channel affine (weight and bias of shape (C,))."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.affine = affine
        if affine:
            self.weight = Parameter(tg.ones(num_channels, dtype=dtype))
            self.bias = Parameter(tg.zeros(num_channels, dtype=dtype))

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise tg.ShapeError(f"GroupNorm: expected (N, {self.num_channels}, *), got "
                                f"{tuple(x.shape)}")
        if self.affine:
            return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)
        return F.group_norm(x, self.num_groups, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class LocalResponseNorm(Module):
    """x / (k + alpha mean(x^2 over `size` neighbouring channels))^beta (AlexNet's)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


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


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times a learned
    weight (no mean subtraction, no bias); eps None is the dtype's machine epsilon."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
            normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(tg.ones(*shape, dtype=dtype))

    def forward(self, x):
        weight = self.weight if self.elementwise_affine else None
        return F.rms_norm(x, self.normalized_shape, weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"
