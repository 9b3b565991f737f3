"""Special-function primitives: lgamma, digamma, polygamma, erfinv (kernels in
backends/cpu/special.py). Each backward is another of them, so every order differentiates:
lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1),
erfinv'(x) = sqrt(pi) / 2 exp(erfinv(x)^2)."""

from __future__ import annotations

import math

from ..tensor import Tensor
from .elementwise import _float, _Unary


class Lgamma(_Unary):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.lgamma(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * digamma(x)


class Digamma(_Unary):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.digamma(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * polygamma(1, x)


class Polygamma(_Unary):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.order = n
        return ctx.backend.polygamma(n, x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * polygamma(ctx.order + 1, x), None


class Erfinv(_Unary):
    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.erfinv(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return gy * (y * y).exp() * (math.sqrt(math.pi) / 2)


def lgamma(x: Tensor) -> Tensor:
    """log |Gamma(x)|, elementwise."""
    return Lgamma._apply_one(_float(x))


def digamma(x: Tensor) -> Tensor:
    """psi(x) = d/dx log Gamma(x), elementwise (-inf at 0, nan at negative integers)."""
    return Digamma._apply_one(_float(x))


def polygamma(n: int, x: Tensor) -> Tensor:
    """The n-th derivative of digamma (n = 0 is digamma itself), elementwise."""
    if int(n) != n or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
    if n == 0:
        return digamma(x)
    return Polygamma._apply_one(_float(x), int(n))


def erfinv(x: Tensor) -> Tensor:
    """The inverse error function on (-1, 1) (+-inf at +-1, nan beyond)."""
    return Erfinv._apply_one(_float(x))
