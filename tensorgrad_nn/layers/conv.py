"""Conv1d/2d/3d, LazyConv2d, ConvTranspose1d/2d/3d, and slugnet's Convolution wrapper."""

from __future__ import annotations

import math

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..module import Module, Parameter, UninitializedParameter
from .linear import seed_init

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _check_conv(name, in_channels, out_channels, groups, padding_mode) -> None:
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"{name}: padding_mode must be one of "
                         f"{', '.join(map(repr, _PADDING_MODES))}, got {padding_mode!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels {in_channels} and out_channels "
                         f"{out_channels} must be divisible by groups={groups}")


def _conv_parameters(layer, bias: bool, dtype, device) -> None:
    """A convolution's weight (C_out, C_in/groups, *k) and bias, initialised as PyTorch's."""
    layer.weight = Parameter(tg.empty(layer.out_channels, layer.in_channels // layer.groups,
                                      *layer.kernel_size, dtype=dtype, device=device))
    if bias:
        layer.bias = Parameter(tg.empty(layer.out_channels, dtype=dtype, device=device))
    else:
        layer.register_parameter("bias", None)
    layer.reset_parameters()


class Conv2d(Module):
    """x: (N, C_in, H, W) -> (N, C_out, H', W'); W: (C_out, C_in/groups, kh, kw);
    W, b ~ U(-k, k), k = 1/sqrt(C_in/groups * kh * kw) (PyTorch's default).
    groups=C_in with C_out=C_in is depthwise; a 1x1 kernel mixes channels only."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None, device=None):
        super().__init__()
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of "
                             f"{', '.join(map(repr, _PADDING_MODES))}, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation, self.groups = _pair(dilation), groups
        self.padding_mode = padding_mode
        if in_channels is not None:
            if in_channels % groups or out_channels % groups:
                raise ValueError(f"Conv2d: in_channels {in_channels} and out_channels "
                                 f"{out_channels} must be divisible by groups={groups}")
            self.weight = Parameter(tg.empty(out_channels, in_channels // groups,
                                             *self.kernel_size, dtype=dtype, device=device))
            self.bias = Parameter(tg.empty(out_channels, dtype=dtype, device=device)) if bias \
                else None
            if not bias:
                self.register_parameter("bias", None)
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x, activation=None):
        """activation="relu": relu(self(x)) as one fused primitive (what Sequential calls)."""
        if self.padding_mode == "zeros":
            return tg.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                             self.dilation, self.groups, activation=activation)
        # PyTorch's order: pad the input in the mode, then convolve without padding
        return tg.conv2d(tg.pad(x, self._pads(), mode=self.padding_mode), self.weight,
                         self.bias, self.stride, 0, self.dilation, self.groups,
                         activation=activation)

    def _pads(self) -> tuple:
        """(left, right, top, bottom) for tg.pad: 'same' splits d (k - 1) as conv2d does."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            return (totals[1] // 2, totals[1] - totals[1] // 2,
                    totals[0] // 2, totals[0] - totals[0] // 2)
        return (self.padding[1], self.padding[1], self.padding[0], self.padding[0])

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv3d(Module):
    """x: (N, C_in, D, H, W) -> (N, C_out, D', H', W'); W: (C_out, C_in/groups, kd, kh, kw),
    initialised as PyTorch's; runs as functional.conv3d (2-d kernels per depth tap)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None, device=None):
        super().__init__()
        _check_conv("Conv3d", in_channels, out_channels, groups, padding_mode)
        triple = F._triple
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = triple(kernel_size, "kernel_size", "Conv3d")
        self.stride = triple(stride, "stride", "Conv3d")
        self.padding = triple(padding, "padding", "Conv3d")
        self.dilation, self.groups = triple(dilation, "dilation", "Conv3d"), groups
        self.padding_mode = padding_mode
        _conv_parameters(self, bias, dtype, device)

    reset_parameters = Conv2d.reset_parameters

    def forward(self, x):
        if self.padding_mode == "zeros":
            return F.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                            self.groups)
        widths = []
        for k, d, p in zip(reversed(self.kernel_size), reversed(self.dilation),
                           reversed((0, 0, 0) if self.padding == "valid" else self.padding)):
            total = d * (k - 1) if self.padding == "same" else 2 * p
            widths += [total // 2, total - total // 2]
        return F.conv3d(tg.pad(x, tuple(widths), mode=self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0, 0, 0), "valid"):
            s += f", padding={self.padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(Module):
    """x: (N, C_in, L) -> (N, C_out, L'); W: (C_out, C_in/groups, k), initialised as PyTorch's.
    Runs as a 2-d convolution over a height of 1, on the same kernels."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None, device=None):
        super().__init__()
        _check_conv("Conv1d", in_channels, out_channels, groups, padding_mode)
        one = F._one
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (one(kernel_size, "kernel_size", "Conv1d"),)
        self.stride = (one(stride, "stride", "Conv1d"),)
        pad = one(padding, "padding", "Conv1d")
        self.padding = pad if isinstance(pad, str) else (pad,)
        self.dilation, self.groups = (one(dilation, "dilation", "Conv1d"),), groups
        self.padding_mode = padding_mode
        _conv_parameters(self, bias, dtype, device)

    reset_parameters = Conv2d.reset_parameters

    def forward(self, x):
        if self.padding_mode == "zeros":
            return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                            self.groups)
        if self.padding == "valid":
            left = right = 0
        elif self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            left, right = total // 2, total - total // 2
        else:
            left = right = self.padding[0]
        return F.conv1d(tg.pad(x, (left, right), mode=self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0,), "valid"):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s


class LazyConv2d(Conv2d):
    """Conv2d whose in_channels is read from the first input."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None,
                 device=None):
        super().__init__(None, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, dtype, device)
        self.weight = UninitializedParameter(dtype)
        if bias:
            self.bias = UninitializedParameter(dtype)
        else:
            self.register_parameter("bias", None)
        self._device = device

    def initialize(self, in_channels: int, dtype=None) -> None:
        if in_channels % self.groups:
            raise ValueError(f"LazyConv2d: {in_channels} input channels are not divisible by "
                             f"groups={self.groups}")
        self.in_channels = in_channels
        self.weight.materialize((self.out_channels, in_channels // self.groups,
                                 *self.kernel_size), dtype, self._device)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,), dtype, self._device)
        self.reset_parameters()

    def _on_load(self) -> None:
        if self.in_channels is None and not self.weight._uninitialized:
            self.in_channels = self.weight.shape[1] * self.groups

    def forward(self, x):
        if self.in_channels is None:
            self.initialize(x.shape[-3], x.dtype if x.dtype.kind == "f" else None)
        return super().forward(x)


class Convolution(LazyConv2d):
    """Slugnet's Convolution(nb_kernel, kernel_size, stride=1, inshape=None, init=None,
    activation=None): a 'valid' convolution with nb_kernel output channels and an optional
    activation; inshape (None, C, H, W) fixes the input channels up front."""

    def __init__(self, nb_kernel: int, kernel_size, stride=1, inshape=None, init=None,
                 activation=None):
        super().__init__(nb_kernel, kernel_size, stride=stride)
        self._init = init
        self.activation = activation
        if inshape is not None:
            self.initialize(inshape[-3])

    def reset_parameters(self) -> None:
        seed_init(self, super().reset_parameters)

    def forward(self, x):
        y = super().forward(x)
        return y if self.activation is None else self.activation(y)


def _transposed_parameters(layer, bias: bool, dtype, device) -> None:
    """A transposed convolution's weight (C_in, C_out/groups, *k) and bias, initialised as
    PyTorch's (Kaiming-uniform with a = sqrt(5); bias U(-b, b), b = 1/sqrt(fan_in))."""
    layer.weight = Parameter(tg.empty(layer.in_channels, layer.out_channels // layer.groups,
                                      *layer.kernel_size, dtype=dtype, device=device))
    if bias:
        layer.bias = Parameter(tg.empty(layer.out_channels, dtype=dtype, device=device))
    else:
        layer.register_parameter("bias", None)
    init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
    if bias:
        bound = 1 / math.sqrt(init.fan_in_and_fan_out(layer.weight)[0])
        init.uniform_(layer.bias, -bound, bound)


class ConvTranspose2d(Module):
    """x: (N, C_in, H, W) -> (N, C_out, (H-1) s - 2p + d (k-1) + output_padding + 1, ...);
    W: (C_in, C_out/groups, kh, kw)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, dtype=None,
                 device=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding, self.output_padding = _pair(padding), _pair(output_padding)
        self.groups, self.dilation = groups, _pair(dilation)
        _transposed_parameters(self, bias, dtype, device)

    def forward(self, x):
        return tg.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                   self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class ConvTranspose1d(Module):
    """x: (N, C_in, L) -> (N, C_out, (L-1) s - 2p + d (k-1) + output_padding + 1);
    W: (C_in, C_out/groups, k), initialised as PyTorch's."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, dtype=None,
                 device=None):
        super().__init__()
        one = F._one
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (one(kernel_size, "kernel_size", "ConvTranspose1d"),)
        self.stride = (one(stride, "stride", "ConvTranspose1d"),)
        self.padding = (one(padding, "padding", "ConvTranspose1d"),)
        self.output_padding = (one(output_padding, "output_padding", "ConvTranspose1d"),)
        self.groups, self.dilation = groups, (one(dilation, "dilation", "ConvTranspose1d"),)
        _transposed_parameters(self, bias, dtype, device)

    def forward(self, x):
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class ConvTranspose3d(Module):
    """x: (N, C_in, D, H, W) -> (N, C_out, (D-1) s - 2p + d (k-1) + output_padding + 1, ...);
    W: (C_in, C_out/groups, kd, kh, kw), initialised as PyTorch's."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, dtype=None,
                 device=None):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose3d: in_channels {in_channels} and out_channels "
                             f"{out_channels} must be divisible by groups={groups}")
        triple = F._triple
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = triple(kernel_size, "kernel_size", "ConvTranspose3d")
        self.stride = triple(stride, "stride", "ConvTranspose3d")
        self.padding = triple(padding, "padding", "ConvTranspose3d")
        self.output_padding = triple(output_padding, "output_padding", "ConvTranspose3d")
        self.groups, self.dilation = groups, triple(dilation, "dilation", "ConvTranspose3d")
        _transposed_parameters(self, bias, dtype, device)

    def forward(self, x):
        return F.conv_transpose3d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
