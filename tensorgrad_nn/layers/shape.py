"""Flatten and Reshape layers."""

from __future__ import annotations

from ..module import Module


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...) by default (start_dim=1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Reshape(Module):
    """Reshape every sample to shape (the batch dim is kept): (N, ...) -> (N, *shape)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
            else tuple(shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Upsample(Module):
    """Resize (N, C, H, W) to `size` or by `scale_factor` (PyTorch's Upsample): 'nearest' or
    'bilinear' (functional.interpolate)."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None):
        super().__init__()
        self.size, self.scale_factor = size, scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x):
        from .. import functional as F

        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
