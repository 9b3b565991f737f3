"""Matrix product: 2-d and batched with broadcasting; 1-d operands are promoted as numpy does."""

from __future__ import annotations

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor


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
        gb = a.mT @ gy if need_b else None
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
