"""Convolution primitives, closed under differentiation (as in Chainer and PyTorch):

- Conv2d(x, w):           dx = conv_transpose2d(gy, w),   dw = conv2d_weight(x, gy)
- ConvTranspose2d(x, w):  dx = conv2d(gy, w),             dw = conv2d_weight(gy, x)
- Conv2dWeight(x, gy):    dx = conv_transpose2d(gy, ggw), dgy = conv2d(x, ggw)

so every order of derivative runs on the same three fast kernels.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..errors import DtypeError, ShapeError, shape_str
from ..tensor import Tensor
from ._util import pair, relu_grad


def _out_size(size, k, s, p, d) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


class Conv2d(Function):
    """y[n, o, i, j] = sum_{c, a, b} w[o, c, a, b] x[n, g(o) c, i s - p + a d, j s - p + b d]
    (+ bias[o], added in place: one tape node and no extra pass);  db = gy summed over n, i, j.

    activation="relu": y = max(conv + bias, 0), the bias and the ReLU in one pass on the
    convolution's output; in backward g = gy [y > 0] and the bias's gradient in one pass, then
    dx and dw from g (as Linear's)."""

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                activation=None):
        ctx.conf = (stride, padding, dilation, groups)
        ctx.activation = activation
        y = ctx.backend.conv2d(x, w, stride, padding, dilation, groups)
        if activation == "relu":
            ctx.backend.add_planes_relu_(y, b)
            ctx.save_for_backward(x, w, y)
        else:
            ctx.save_for_backward(x, w)
            if b is not None:
                ctx.backend.inplace("add", y, ctx.backend.reshape(b, (1, -1, 1, 1)))
        return y

    @staticmethod
    def backward(ctx, gy):
        saved = ctx.saved_tensors
        x, w = saved[0], saved[1]
        stride, padding, dilation, groups = ctx.conf
        need = ctx.needs_input_grad
        need_b = len(need) > 2 and need[2]
        gb = None
        if ctx.activation == "relu":
            gy, gb = relu_grad(ctx, saved[2], gy, need_b, per="channel")
        gx = _input_grad(gy, w, x.shape, ctx.conf) if need[0] else None
        gw = None
        if need[1]:
            gw = Conv2dWeight.apply(x, gy, weight_shape=w.shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
        if len(need) == 2:
            return gx, gw
        if need_b and gb is None:
            gb = gy.sum((0, 2, 3))
        return gx, gw, gb


class ConvTranspose2d(Function):
    """y = the adjoint of conv2d in its input, weight (C_in, C_out/groups, kh, kw)."""

    @staticmethod
    def forward(ctx, x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1),
                groups=1):
        ctx.conf = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return ctx.backend.conv_transpose2d(x, w, stride, padding, output_padding, dilation,
                                            groups)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        need_x, need_w = ctx.needs_input_grad
        gx = gw = None
        if need_x:
            gx = _cropped(Conv2d.apply(gy, w, stride=stride, padding=padding,
                                       dilation=dilation, groups=groups), x.shape)
        if need_w:
            gw = Conv2dWeight.apply(gy, x, weight_shape=w.shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
        return gx, gw


class Conv2dWeight(Function):
    """gw = dL/dw of conv2d(x, w) given gy: gw[o, c, a, b] = sum_{n, i, j} gy[n, o, i, j]
    x[n, g(o) c, i s - p + a d, j s - p + b d]. Bilinear in (x, gy)."""

    @staticmethod
    def forward(ctx, x, gy, weight_shape=(), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                groups=1):
        ctx.conf = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, gy)
        return ctx.backend.conv2d_weight(x, gy, weight_shape, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.conf
        need_x, need_gy = ctx.needs_input_grad
        gx = _input_grad(gy, ggw, x.shape, ctx.conf) if need_x else None
        ggy = None
        if need_gy:
            ggy = _cropped(Conv2d.apply(x, ggw, stride=stride, padding=padding,
                                        dilation=dilation, groups=groups), gy.shape)
        return gx, ggy


def _cropped(y, shape):
    """y's leading rows and columns to the given spatial shape: a convolution over a transposed
    convolution's output whose output_padding reached the stride (allowed below the dilation)
    has whole windows past the transposed convolution's input, which are not its outputs."""
    h, w = shape[2], shape[3]
    if y.shape[2] != h or y.shape[3] != w:
        return y[:, :, :h, :w]
    return y


def _input_grad(gy, w, x_shape, conf):
    """d/dx of conv2d(x, w) given gy: the transposed convolution that lands on x's shape."""
    stride, padding, dilation, groups = conf
    output_padding = _output_padding(x_shape, gy.shape, w.shape, stride, padding, dilation)
    return ConvTranspose2d.apply(gy, w, stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation, groups=groups)


def _output_padding(x_shape, y_shape, w_shape, stride, padding, dilation) -> tuple:
    """The output_padding that makes conv_transpose2d of y_shape come back to x_shape."""
    out = []
    for i in range(2):
        size = (y_shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (
            w_shape[2 + i] - 1) + 1
        out.append(x_shape[2 + i] - size)
    return tuple(out)


# ----- the functions users call ----------------------------------------------------------------


def _check_common(op, x, weight, stride, dilation, groups):
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected input of shape (N, C, H, W), got {shape_str(x.shape)}")
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-d weight, got {shape_str(weight.shape)}")
    if x.dtype != weight.dtype:
        raise DtypeError(f"{op}: input dtype {x.dtype} and weight dtype {weight.dtype} differ")
    if x.dtype.kind != "f":
        raise DtypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: stride {stride} and dilation {dilation} must be positive")
    if groups < 1:
        raise ValueError(f"{op}: groups must be positive, got {groups}")


def _unbatched(x):
    return x.unsqueeze(0) if x.ndim == 3 else x


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           activation=None) -> Tensor:
    """2-d cross-correlation. input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw);
    padding an int, a pair, 'valid' or 'same' (stride 1; even kernels pad more on the right).
    activation="relu" (tensorgrad's own): relu(conv2d(...)) as one fused primitive, what
    nn.Sequential runs for a Conv2d followed by a ReLU."""
    if activation not in (None, "relu"):
        raise ValueError(f"conv2d: activation must be None or 'relu', got {activation!r}")
    x = _unbatched(input)
    stride, dilation = pair("conv2d", "stride", stride), pair("conv2d", "dilation", dilation)
    _check_common("conv2d", x, weight, stride, dilation, groups)
    o_, cg, kh, kw = weight.shape
    if x.shape[1] != cg * groups:
        raise ShapeError(
            f"conv2d: input {shape_str(x.shape)} has {x.shape[1]} channels but weight "
            f"{shape_str(weight.shape)} with groups={groups} expects {cg * groups}")
    if o_ % groups:
        raise ShapeError(f"conv2d: {o_} output channels are not divisible by groups={groups}")
    if isinstance(padding, str):
        x, padding = _string_padding(x, padding, (kh, kw), stride, dilation)
    padding = pair("conv2d", "padding", padding)
    for i, (k, name) in enumerate(((kh, "height"), (kw, "width"))):
        span = dilation[i] * (k - 1) + 1
        if x.shape[2 + i] + 2 * padding[i] < span:
            raise ShapeError(
                f"conv2d: kernel {shape_str(weight.shape[2:])} (dilation {dilation}) is larger "
                f"than the padded input {shape_str(x.shape[2:])} + padding {padding} in {name}")
    conf = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias is None:
        y = Conv2d.apply(x, weight, **conf, activation=activation)
    else:
        if not isinstance(bias, Tensor) or tuple(bias.shape) != (o_,):
            raise ShapeError(f"conv2d: bias must be a tensor of shape ({o_},), got "
                             f"{shape_str(getattr(bias, 'shape', ()))}")
        if bias.dtype != weight.dtype or x.dtype != weight.dtype:
            y = Conv2d.apply(x, weight, **conf) + bias.reshape(1, -1, 1, 1)  # mixed dtypes
            y = y if activation is None else y.relu()
        else:
            y = Conv2d.apply(x, weight, bias, **conf, activation=activation)
    return y.squeeze(0) if input.ndim == 3 else y


def _string_padding(x, mode, kernel, stride, dilation):
    if mode == "valid":
        return x, (0, 0)
    if mode != "same":
        raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {mode!r}")
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
    totals = [dilation[i] * (kernel[i] - 1) for i in range(2)]
    before = [t // 2 for t in totals]
    after = [t - b for t, b in zip(totals, before)]
    if before == after:
        return x, tuple(before)
    return x.pad((before[1], after[1], before[0], after[0])), (0, 0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed convolution (the gradient of conv2d in its input). input (N, C_in, H, W);
    weight (C_in, C_out/groups, kh, kw); output size (H-1) s - 2p + d (k-1) + output_padding + 1."""
    x = _unbatched(input)
    stride, dilation = pair("conv_transpose2d", "stride", stride), pair(
        "conv_transpose2d", "dilation", dilation)
    padding = pair("conv_transpose2d", "padding", padding)
    output_padding = pair("conv_transpose2d", "output_padding", output_padding)
    _check_common("conv_transpose2d", x, weight, stride, dilation, groups)
    if x.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"conv_transpose2d: input {shape_str(x.shape)} has {x.shape[1]} channels but weight "
            f"{shape_str(weight.shape)} expects {weight.shape[0]}")
    if x.shape[1] % groups:
        raise ShapeError(f"conv_transpose2d: {x.shape[1]} input channels are not divisible by "
                         f"groups={groups}")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller "
                         f"than stride {stride} or dilation {dilation}")
    for i in range(2):
        size = (x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (
            weight.shape[2 + i] - 1) + output_padding[i] + 1
        if size < 1:
            raise ShapeError(f"conv_transpose2d: padding {padding} leaves no output for input "
                             f"{shape_str(x.shape)} and weight {shape_str(weight.shape)}")
    y = ConvTranspose2d.apply(x, weight, stride=stride, padding=padding,
                              output_padding=output_padding, dilation=dilation, groups=groups)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y.squeeze(0) if input.ndim == 3 else y


def conv2d_weight(input, grad_output, weight_shape, stride=1, padding=0, dilation=1,
                  groups=1) -> Tensor:
    """The gradient of conv2d with respect to its weight (PyTorch's conv2d_weight)."""
    stride = pair("conv2d_weight", "stride", stride)
    padding = pair("conv2d_weight", "padding", padding)
    dilation = pair("conv2d_weight", "dilation", dilation)
    return Conv2dWeight.apply(input, grad_output, weight_shape=tuple(weight_shape), stride=stride,
                              padding=padding, dilation=dilation, groups=groups)
