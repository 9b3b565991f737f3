"""Pooling primitives. Each backward is itself a primitive with a fast kernel, and the backward of
that one is the forward again (max-pool: scatter <-> gather at the argmax; avg-pool: linear)."""

from __future__ import annotations

import operator

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import pair


class MaxPool2d(Function):
    """y[n, c, i, j] = max of x over the window at (i s - p, j s - p), taps d apart;  dx = gy
    routed to the argmax of each window (exactly one element per window, the first on ties)."""

    @staticmethod
    def forward(ctx, x, kernel=(), stride=(), padding=(), out_size=(), dilation=(1, 1),
                valid=None):
        y, ctx.argmax = ctx.backend.max_pool2d(x, kernel, stride, padding, out_size, dilation)
        ctx.in_size = x.shape[2:]
        ctx.valid = valid
        return y

    @staticmethod
    def backward(ctx, gy):
        return MaxPool2dBackward.apply(gy, argmax=ctx.argmax, in_size=ctx.in_size,
                                       valid=ctx.valid)


class MaxPool2dBackward(Function):
    """gx = scatter-add of gy to the argmax positions;  d(gy) = ggx gathered at the argmax."""

    @staticmethod
    def forward(ctx, gy, argmax=None, in_size=(), valid=None):
        ctx.argmax = argmax
        ctx.valid = valid
        return ctx.backend.max_pool2d_backward(gy, argmax, in_size)

    @staticmethod
    def backward(ctx, ggx):
        n_, c_, h_, w_ = ggx.shape
        arg = ctx.argmax.reshape(n_ * c_, -1)
        rows = np.arange(n_ * c_).reshape(-1, 1)
        picked = ggx.reshape(n_ * c_, h_ * w_)[rows, arg].reshape(ctx.argmax.shape)
        if ctx.valid is not None:  # windows of padding only (argmax -1) have no input
            from ..creation import tensor
            from .elementwise import where

            picked = where(tensor(ctx.valid, device=ggx.device), picked, 0.0)
        return picked


class AvgPool2d(Function):
    """y[n, c, i, j] = the sum of x over the window / its divisor: the window's size within the
    padded input (count_include_pad), or within the input, or `divisor` where it is nonzero
    (PyTorch's divisor_override);  dx = gy / divisor spread over the window."""

    @staticmethod
    def forward(ctx, x, kernel=(), stride=(), padding=(), out_size=(), count_include_pad=True,
                divisor=0):
        ctx.conf = (kernel, stride, padding, count_include_pad, divisor)
        ctx.in_size = x.shape[2:]
        return ctx.backend.avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad,
                                      divisor)

    @staticmethod
    def backward(ctx, gy):
        kernel, stride, padding, include, divisor = ctx.conf
        return AvgPool2dBackward.apply(gy, in_size=ctx.in_size, kernel=kernel, stride=stride,
                                       padding=padding, count_include_pad=include,
                                       divisor=divisor)


class AvgPool2dBackward(Function):
    """gx = avg-pool's adjoint applied to gy;  d(gy) = avg_pool2d(ggx) (the map is linear)."""

    @staticmethod
    def forward(ctx, gy, in_size=(), kernel=(), stride=(), padding=(), count_include_pad=True,
                divisor=0):
        ctx.conf = (kernel, stride, padding, count_include_pad, divisor)
        ctx.out_size = gy.shape[2:]
        return ctx.backend.avg_pool2d_backward(gy, in_size, kernel, stride, padding,
                                               count_include_pad, divisor)

    @staticmethod
    def backward(ctx, ggx):
        kernel, stride, padding, include, divisor = ctx.conf
        return AvgPool2d.apply(ggx, kernel=kernel, stride=stride, padding=padding,
                               out_size=ctx.out_size, count_include_pad=include, divisor=divisor)


# ----- the functions users call ----------------------------------------------------------------


def _pooled_size(size, k, s, p, d, ceil_mode) -> int:
    """PyTorch's pooling output size: floor or ceil of the windows' count, where a last window
    in ceil mode must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(op, x, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    if x.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected input of shape (N, C, H, W), got {shape_str(x.shape)}")
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or stride == () else pair(op, "stride", stride)
    padding = pair(op, "padding", padding)
    dilation = pair(op, "dilation", dilation)
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{op}: kernel_size {kernel} and stride {stride} must be positive")
    if min(dilation) < 1:
        raise ValueError(f"{op}: dilation {dilation} must be positive")
    if min(padding) < 0 or any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be between 0 and half the kernel "
                         f"{kernel}")
    h_, w_ = x.shape[-2:]
    out = tuple(_pooled_size(size, k, s, p, d, ceil_mode)
                for size, k, s, p, d in zip((h_, w_), kernel, stride, padding, dilation))
    if min(out) < 1:
        what = f"kernel {kernel}" + (f" dilated by {dilation}" if dilation != (1, 1) else "")
        raise ShapeError(f"{op}: {what} is larger than the padded input "
                         f"{(h_ + 2 * padding[0], w_ + 2 * padding[1])} (input "
                         f"{shape_str(x.shape)}, padding {padding}, output size {out})")
    return kernel, stride, padding, dilation, out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over kernel_size windows (stride defaults to kernel_size; PyTorch's argument order);
    padding counts as -inf; dilation spaces a window's taps; ceil_mode keeps a last window that
    runs past the input (but starts inside it or its left padding)."""
    kernel, stride, padding, dilation, out = _pool_args("max_pool2d", input, kernel_size, stride,
                                                        padding, dilation, ceil_mode)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    if x.dtype.kind != "f":
        raise TypeError(f"max_pool2d: expected a floating-point input, got {x.dtype}")
    y = MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, out_size=out,
                        dilation=dilation, valid=_inside(x.shape[2:], kernel, stride, padding,
                                                         dilation, out))
    if input.ndim == 3:
        y = y.squeeze(0)
    if return_indices:
        argmax = (y._node.argmax if y._node
                  else _argmax_of(x, kernel, stride, padding, out, dilation))
        if argmax.dtype != np.int64:  # the CPU's 2x2 kernel keeps int32; PyTorch gives int64
            argmax = argmax.astype(np.int64)
        if input.ndim == 3:
            argmax = argmax[0]
        return y, Tensor._make(argmax, x._device, False, None)
    return y


def _inside(in_size, kernel, stride, padding, dilation, out):
    """None where every window has a tap inside the input (always without dilation: padding is
    at most half the kernel), else the (oh, ow) mask of those that do: a dilated window can
    fall entirely in the padding, where PyTorch's max is -inf, and its argmax is -1."""
    if dilation == (1, 1):
        return None
    axes = [np.array([any(0 <= o * s - p + i * d < size for i in range(k)) for o in range(n)])
            for size, k, s, p, d, n in zip(in_size, kernel, stride, padding, dilation, out)]
    valid = axes[0][:, None] & axes[1][None, :]
    return None if valid.all() else valid


def _argmax_of(x, kernel, stride, padding, out, dilation):
    return x._device.backend.max_pool2d(x._data, kernel, stride, padding, out, dilation)[1]


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """Mean over kernel_size windows (stride defaults to kernel_size; PyTorch's argument order).
    count_include_pad: padding zeros count in the divisor (never the part of a ceil_mode
    window past the padding); divisor_override: divide every window's sum by this instead."""
    kernel, stride, padding, _, out = _pool_args("avg_pool2d", input, kernel_size, stride,
                                                 padding, 1, ceil_mode)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    if x.dtype.kind != "f":
        raise TypeError(f"avg_pool2d: expected a floating-point input, got {x.dtype}")
    divisor = 0
    if divisor_override is not None:
        try:
            divisor = operator.index(divisor_override)
        except TypeError:
            divisor = 0
        if divisor < 1 or isinstance(divisor_override, bool):
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got "
                             f"{divisor_override!r}")
    y = AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, out_size=out,
                        count_include_pad=bool(count_include_pad), divisor=divisor)
    return y.squeeze(0) if input.ndim == 3 else y
