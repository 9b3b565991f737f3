"""Matrix product: 2-d and batched with broadcasting; 1-d operands are promoted as numpy does."""

from __future__ import annotations

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import relu_grad


class MatMul(Function):
    """y = a @ b (ndim >= 2, batch dims broadcast);  da = gy @ b^T, db = a^T @ gy."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return ctx.backend.matmul(a, b)
        except ValueError:
            raise ShapeError(
                f"matmul: batch dims of shapes {shape_str(a.shape)} and {shape_str(b.shape)} "
                "cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gy @ b.mT if need_a else None
        gb = None
        if need_b and b.ndim == 2 and a.ndim > 2:  # one GEMM over the stack, not a sum of them
            gb = a.reshape(-1, a.shape[-1]).mT @ gy.reshape(-1, gy.shape[-1])
        elif need_b:
            gb = a.mT @ gy
        return ga, gb


def matmul(a, b) -> Tensor:
    """a @ b: 1-d @ 1-d is a dot product; a 1-d operand gets a dim added and removed again."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul: expected two tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes "
                         f"{shape_str(a.shape)} and {shape_str(b.shape)}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} do not "
                         f"align ({k_a} != {k_b})")
    if a.dtype != b.dtype:
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            wide = a.dtype if a.dtype.itemsize >= b.dtype.itemsize else b.dtype
            a, b = a.to(wide), b.to(wide)
        else:
            raise TypeError(f"matmul: dtypes {a.dtype} and {b.dtype} differ")
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    y = MatMul.apply(a2, b2)
    if b.ndim == 1:
        y = y.squeeze(-1)
    if a.ndim == 1:
        y = y.squeeze(-2) if y.ndim >= 2 else y.squeeze(-1)
    return y


class Linear(Function):
    """y = x @ w^T + b for x (..., in), w (out, in), b (out,) or none: one GEMM with the bias
    added in place, where matmul, transpose and add made three tape nodes and two more passes.
    dx = gy @ w, dw = gy^T x (summed over every leading dim), db = gy summed likewise.

    activation="relu" makes it y = max(x @ w^T + b, 0): the bias and the ReLU in one pass on
    the GEMM's output, and in backward ReLU's gradient and the bias's column sum in one pass
    (g = gy [y > 0], then dx, dw, db from g as above): four passes fewer per layer than Linear
    then ReLU, and no second activation-sized array."""

    @staticmethod
    def forward(ctx, x, w, b=None, activation=None):
        backend = ctx.backend
        y = backend.matmul(x, backend.transpose(w, (1, 0)))
        ctx.activation = activation
        if activation == "relu":
            backend.add_rows_relu_(y, b)
            ctx.save_for_backward(x, w, y)
        else:
            ctx.save_for_backward(x, w)
            if b is not None:
                backend.add_rows_(y, b)
        return y

    @staticmethod
    def backward(ctx, gy):
        saved = ctx.saved_tensors
        x, w = saved[0], saved[1]
        need = ctx.needs_input_grad
        need_b = len(need) > 2 and need[2]
        gb = None
        if ctx.activation == "relu":
            gy, gb = relu_grad(ctx, saved[2], gy, need_b, per="feature")
        gx = gy @ w if need[0] else None
        gw = None
        if need[1] or (need_b and gb is None):
            g2 = gy if gy.ndim == 2 else gy.reshape(-1, gy.shape[-1])
            if need[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = g2.mT @ x2
            if need_b and gb is None:
                gb = g2.sum(0)
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


def linear(input, weight, bias=None, *, activation=None) -> Tensor:
    """y = input @ weight^T + bias (PyTorch's torch.nn.functional.linear): input (..., in),
    weight (out, in), bias (out,) or None. activation="relu" (tensorgrad's own) gives
    relu(input @ weight^T + bias) as one fused primitive: what nn.Sequential runs for a Linear
    followed by a ReLU."""
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a tensor, got {type(t).__name__}")
    if weight.ndim != 2 or input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear: input of shape {shape_str(input.shape)} has "
            f"{input.shape[-1] if input.ndim else 0} features but weight "
            f"{shape_str(weight.shape)} expects {weight.shape[-1] if weight.ndim else '?'} "
            "(weight must be (out_features, in_features))"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"linear: bias of shape {shape_str(bias.shape)} does not match weight "
                         f"{shape_str(weight.shape)}; expected ({weight.shape[0]},)")
    dtypes = {t.dtype for t in (input, weight, bias) if t is not None}
    if len(dtypes) > 1 or input.ndim == 1 or next(iter(dtypes)).kind != "f":
        y = matmul(input, weight.mT)  # mixed dtypes and 1-d input: the general path
        y = y if bias is None else y + bias
        return y if activation is None else y.relu()
    if bias is None:
        return Linear.apply(input, weight, activation=activation)
    return Linear.apply(input, weight, bias, activation=activation)
