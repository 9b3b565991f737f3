"""Pooling primitives. Each backward is itself a primitive with a fast kernel, and the backward of
that one is the forward again (max-pool: scatter <-> gather at the argmax; avg-pool: linear)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import pair


class MaxPool2d(Function):
    """y[n, c, i, j] = max of x over the window at (i s - p, j s - p);  dx = gy routed to the
    argmax of each window (exactly one element per window, the first on ties)."""

    @staticmethod
    def forward(ctx, x, kernel=(), stride=(), padding=(), out_size=()):
        y, ctx.argmax = ctx.backend.max_pool2d(x, kernel, stride, padding, out_size)
        ctx.in_size = x.shape[2:]
        return y

    @staticmethod
    def backward(ctx, gy):
        return MaxPool2dBackward.apply(gy, argmax=ctx.argmax, in_size=ctx.in_size)


class MaxPool2dBackward(Function):
    """gx = scatter-add of gy to the argmax positions;  d(gy) = ggx gathered at the argmax."""

    @staticmethod
    def forward(ctx, gy, argmax=None, in_size=()):
        ctx.argmax = argmax
        return ctx.backend.max_pool2d_backward(gy, argmax, in_size)

    @staticmethod
    def backward(ctx, ggx):
        n_, c_, h_, w_ = ggx.shape
        arg = ctx.argmax.reshape(n_ * c_, -1)
        rows = np.arange(n_ * c_).reshape(-1, 1)
        return ggx.reshape(n_ * c_, h_ * w_)[rows, arg].reshape(ctx.argmax.shape)


class AvgPool2d(Function):
    """y[n, c, i, j] = mean of x over the window;  dx = gy / window size spread over it."""

    @staticmethod
    def forward(ctx, x, kernel=(), stride=(), padding=(), out_size=(), count_include_pad=True):
        ctx.conf = (kernel, stride, padding, count_include_pad)
        ctx.in_size = x.shape[2:]
        return ctx.backend.avg_pool2d(x, kernel, stride, padding, out_size, count_include_pad)

    @staticmethod
    def backward(ctx, gy):
        kernel, stride, padding, include = ctx.conf
        return AvgPool2dBackward.apply(gy, in_size=ctx.in_size, kernel=kernel, stride=stride,
                                       padding=padding, count_include_pad=include)


class AvgPool2dBackward(Function):
    """gx = avg-pool's adjoint applied to gy;  d(gy) = avg_pool2d(ggx) (the map is linear)."""

    @staticmethod
    def forward(ctx, gy, in_size=(), kernel=(), stride=(), padding=(), count_include_pad=True):
        ctx.conf = (kernel, stride, padding, count_include_pad)
        ctx.out_size = gy.shape[2:]
        return ctx.backend.avg_pool2d_backward(gy, in_size, kernel, stride, padding,
                                               count_include_pad)

    @staticmethod
    def backward(ctx, ggx):
        kernel, stride, padding, include = ctx.conf
        return AvgPool2d.apply(ggx, kernel=kernel, stride=stride, padding=padding,
                               out_size=ctx.out_size, count_include_pad=include)


# ----- the functions users call ----------------------------------------------------------------


def _pool_args(op, x, kernel_size, stride, padding):
    if x.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected input of shape (N, C, H, W), got {shape_str(x.shape)}")
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None or stride == () else pair(op, "stride", stride)
    padding = pair(op, "padding", padding)
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{op}: kernel_size {kernel} and stride {stride} must be positive")
    if min(padding) < 0 or any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be between 0 and half the kernel "
                         f"{kernel}")
    h_, w_ = x.shape[-2:]
    if h_ + 2 * padding[0] < kernel[0] or w_ + 2 * padding[1] < kernel[1]:
        raise ShapeError(f"{op}: kernel {kernel} is larger than the padded input "
                         f"{(h_ + 2 * padding[0], w_ + 2 * padding[1])} (input "
                         f"{shape_str(x.shape)}, padding {padding})")
    out = ((h_ + 2 * padding[0] - kernel[0]) // stride[0] + 1,
           (w_ + 2 * padding[1] - kernel[1]) // stride[1] + 1)
    return kernel, stride, padding, out


def max_pool2d(input, kernel_size, stride=None, padding=0, return_indices: bool = False):
    """Max over kernel_size windows (stride defaults to kernel_size); padding counts as -inf."""
    kernel, stride, padding, out = _pool_args("max_pool2d", input, kernel_size, stride, padding)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    if x.dtype.kind != "f":
        raise TypeError(f"max_pool2d: expected a floating-point input, got {x.dtype}")
    y = MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, out_size=out)
    if input.ndim == 3:
        y = y.squeeze(0)
    if return_indices:
        argmax = y._node.argmax if y._node else _argmax_of(x, kernel, stride, padding, out)
        if argmax.dtype != np.int64:  # the CPU's 2x2 kernel keeps int32; PyTorch gives int64
            argmax = argmax.astype(np.int64)
        return y, Tensor._make(argmax, x._device, False, None)
    return y


def _argmax_of(x, kernel, stride, padding, out):
    return x._device.backend.max_pool2d(x._data, kernel, stride, padding, out)[1]


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
    """Mean over kernel_size windows (stride defaults to kernel_size)."""
    kernel, stride, padding, out = _pool_args("avg_pool2d", input, kernel_size, stride, padding)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    if x.dtype.kind != "f":
        raise TypeError(f"avg_pool2d: expected a floating-point input, got {x.dtype}")
    y = AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, out_size=out,
                        count_include_pad=count_include_pad)
    return y.squeeze(0) if input.ndim == 3 else y
