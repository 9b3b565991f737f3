"""Flatten, Unflatten, Reshape, Upsample, PixelShuffle/Unshuffle and the padding layers."""

from __future__ import annotations

import tensorgrad as tg

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
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by `scale_factor`
    (PyTorch's Upsample): 'nearest', 'linear', 'bilinear' or 'trilinear'
    (functional.interpolate)."""

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


class UpsamplingNearest2d(Upsample):
    """Upsample with mode 'nearest' (PyTorch's)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode 'bilinear' and align_corners=True (PyTorch's)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, "bilinear", align_corners=True)


class Unflatten(Module):
    """Expand dim into unflattened_size: (N, 12) -> (N, 3, 4) with Unflatten(1, (3, 4))."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        from .. import functional as F

        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        from .. import functional as F

        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class _Pad2d(Module):
    """Pads the last two dims by padding: one int for all four sides, or (left, right, top,
    bottom), PyTorch's order."""

    mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__}: padding must be an int or (left, right, "
                             f"top, bottom), got {padding}")
        self.value = value

    def forward(self, x):
        return tg.pad(x, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}"


class ZeroPad2d(_Pad2d):
    def __init__(self, padding):
        super().__init__(padding)


class ConstantPad2d(_Pad2d):
    pass


class ReflectionPad2d(_Pad2d):
    mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(_Pad2d):
    mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class CircularPad2d(_Pad2d):
    mode = "circular"

    def __init__(self, padding):
        super().__init__(padding)


class _Pad1d(_Pad2d):
    """Pads the last dim by padding: one int for both sides, or (left, right)."""

    def __init__(self, padding, value: float = 0.0):
        Module.__init__(self)
        self.padding = (padding,) * 2 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2:
            raise ValueError(f"{type(self).__name__}: padding must be an int or (left, right), "
                             f"got {padding}")
        self.value = value


class ZeroPad1d(_Pad1d):
    def __init__(self, padding):
        super().__init__(padding)


class ConstantPad1d(_Pad1d):
    pass


class ReflectionPad1d(_Pad1d):
    mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad1d(_Pad1d):
    mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class CircularPad1d(_Pad1d):
    mode = "circular"

    def __init__(self, padding):
        super().__init__(padding)


class Unfold(Module):
    """im2col as a layer: (N, C, H, W) -> (N, C kh kw, L) (functional.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x):
        from .. import functional as F

        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Unfold):
    """col2im as a layer: (N, C kh kw, L) -> (N, C, *output_size), overlaps summed."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, x):
        from .. import functional as F

        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()


class ChannelShuffle(Module):
    """ShuffleNet's channel shuffle over `groups` groups."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        from .. import functional as F

        return F.channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
