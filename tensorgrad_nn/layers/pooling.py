"""Pooling layers: MaxPool2d, AvgPool2d (slugnet's MeanPooling), AdaptiveAvgPool2d."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from ..module import Module


class MaxPool2d(Module):
    """Max over kernel_size windows; stride defaults to kernel_size (PyTorch's arguments)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return tg.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                             ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxUnpool2d(Module):
    """forward(input, indices, output_size=None): max_pool2d's values back at their indices."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x, indices, output_size=None):
        from .. import functional as F

        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}")


class AvgPool2d(Module):
    """Mean over kernel_size windows; stride defaults to kernel_size (PyTorch's arguments)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    _pool = staticmethod(tg.avg_pool2d)

    def forward(self, x):
        return self._pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}")


class MaxPool1d(Module):
    """Max over kernel_size windows along L of (N, C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    _pool = staticmethod(F.max_pool1d)

    def forward(self, x):
        return self._pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class AvgPool1d(Module):
    """Mean over kernel_size windows along L of (N, C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class MaxPool3d(MaxPool1d):
    """Max over kernel_size windows of (N, C, D, H, W); stride defaults to kernel_size."""

    _pool = staticmethod(F.max_pool3d)


class AvgPool3d(AvgPool2d):
    """Mean over kernel_size windows of (N, C, D, H, W) (PyTorch's arguments)."""

    _pool = staticmethod(F.avg_pool3d)


class MeanPooling(AvgPool2d):
    """Slugnet's MeanPooling(pool_size, inshape=None): non-overlapping mean pooling."""

    def __init__(self, pool_size, inshape=None):
        super().__init__(pool_size)
        self.inshape = inshape


class _AdaptivePool2d(Module):
    """Pools (N, C, H, W) or (C, H, W) to (..., *output_size) with PyTorch's bin edges
    [floor(i H / out), ceil((i + 1) H / out)); None in output_size keeps that size."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = (output_size, output_size) if isinstance(output_size, int) else tuple(
            output_size)

    def _whole(self, x):
        raise NotImplementedError

    def _even(self, x, kernel):
        raise NotImplementedError

    def _bin(self, x):
        raise NotImplementedError

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise tg.ShapeError(f"{type(self).__name__}: expected (N, C, H, W) or (C, H, W), "
                                f"got {tuple(x.shape)}")
        oh, ow = (x.shape[-2] if s is None else s for s in self.output_size)
        h, w = x.shape[-2:]
        if (oh, ow) == (1, 1):
            return self._whole(x)
        if h % oh == 0 and w % ow == 0:
            return self._even(x, (h // oh, w // ow))
        rows = []
        for i in range(oh):
            h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
            cols = [self._bin(x[..., h0:h1, (j * w) // ow:-((-(j + 1) * w) // ow)])
                    for j in range(ow)]
            rows.append(tg.stack(cols, -1))
        return tg.stack(rows, -2)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool2d):
    """The mean of each bin."""

    def _whole(self, x):
        return x.mean((-2, -1), keepdim=True)

    def _even(self, x, kernel):
        return tg.avg_pool2d(x, kernel)

    def _bin(self, x):
        return x.mean((-2, -1))


class AdaptiveMaxPool2d(_AdaptivePool2d):
    """The maximum of each bin."""

    def _whole(self, x):
        return x.amax((-2, -1), keepdim=True)

    def _even(self, x, kernel):
        return tg.max_pool2d(x, kernel)

    def _bin(self, x):
        return x.amax((-2, -1))


class _AdaptivePool3d(Module):
    """Pools (N, C, D, H, W) or (C, D, H, W) to (..., *output_size) over PyTorch's bins, which
    are boxes: the 2-d adaptive pool over each depth slice, then the bins along depth (a
    box's mean or max is that of its slices')."""

    _plane: type  # the 2-d adaptive pool

    def __init__(self, output_size):
        super().__init__()
        self.output_size = (output_size,) * 3 if isinstance(output_size, int) or \
            output_size is None else tuple(output_size)
        if len(self.output_size) != 3:
            raise ValueError(f"{type(self).__name__}: output_size must be an int or a 3-tuple, "
                             f"got {output_size}")

    def _reduce(self, x, dim):
        raise NotImplementedError

    def forward(self, x):
        x5, unbatched = F._volume(x, type(self).__name__)
        n_, c_, d_, h_, w_ = x5.shape
        od, oh, ow = (size if s is None else s
                      for s, size in zip(self.output_size, (d_, h_, w_)))
        y = self._plane((oh, ow))(x5.reshape(n_, c_ * d_, h_, w_))
        y = y.reshape(n_, c_, d_, oh, ow)
        if od != d_:
            y = tg.stack([self._reduce(y[:, :, (i * d_) // od:-((-(i + 1) * d_) // od)], 2)
                          for i in range(od)], 2)
        return y[0] if unbatched else y

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool3d(_AdaptivePool3d):
    """The mean of each bin."""

    _plane = AdaptiveAvgPool2d

    def _reduce(self, x, dim):
        return x.mean(dim)


class AdaptiveMaxPool3d(_AdaptivePool3d):
    """The maximum of each bin (return_indices is not supported)."""

    _plane = AdaptiveMaxPool2d

    def __init__(self, output_size, return_indices: bool = False):
        if return_indices:
            raise NotImplementedError("AdaptiveMaxPool3d: return_indices is not supported")
        super().__init__(output_size)

    def _reduce(self, x, dim):
        return x.amax(dim)


class GlobalAvgPool2d(Module):
    """(N, C, H, W) -> (N, C): the mean over all positions."""

    def forward(self, x):
        return x.mean((-2, -1))


class AdaptiveAvgPool1d(Module):
    """(N, C, L) or (C, L) -> (..., output_size): the mean of each of PyTorch's bins."""

    def __init__(self, output_size: int):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        from .. import functional as F

        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveAvgPool1d):
    """(N, C, L) or (C, L) -> (..., output_size): the maximum of each of PyTorch's bins."""

    def forward(self, x):
        from .. import functional as F

        return F.adaptive_max_pool1d(x, self.output_size)


class LPPool2d(Module):
    """(sum of x^p over each window)^(1/p): p = 1 sum pooling, large p near max pooling."""

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, x):
        from .. import functional as F

        return F.lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}"


class LPPool1d(LPPool2d):
    def forward(self, x):
        from .. import functional as F

        return F.lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
