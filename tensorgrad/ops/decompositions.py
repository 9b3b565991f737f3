"""Primitives of tensorgrad.linalg: inverse, determinant, log|determinant|, solve and Cholesky,
batched over leading dims (numpy's LAPACK on the CPU). Each backward is written in tensor ops
of these same primitives, so second derivatives are exact too (real inputs):

- Inv:       Y = A^-1;        dA = -Y^T gY Y^T
- Det:       d = det A;       dA = g d A^-T
- LogAbsDet: l = log|det A|;  dA = g A^-T
- Solve:     X = A^-1 B;      dB = A^-T gX,  dA = -dB X^T
- Cholesky:  A = L L^T;       dA = sym(L^-T Phi(L^T gL) L^-1), Phi: the lower triangle with its
             diagonal halved, sym(M) = (M + M^T) / 2 (PyTorch's formula; Murray 2016)
- Eigh:      A = V diag(w) V^T (symmetric A); dA = V (diag(gw) + skew(V^T gV) / E) V^T with
             E[i, j] = w[j] - w[i] off the diagonal, skew(M) = (M - M^T) / 2 (PyTorch's; the
             eigenvectors' gradient is undefined where eigenvalues repeat). One output, packed
             (..., n + 1, n): the eigenvalues in row 0, the eigenvectors below.
- Svd:       A = U diag(S) Vh (reduced, k = min(m, n)); PyTorch's svd_backward: with
             E[j, l] = S[l]^2 - S[j]^2 off the diagonal and skew(M) = M - M^T,
             core = (skew(U^T gU) S + S skew(Vh gV)) / E + diag(gS), dA = U core Vh, plus
             (I - U U^T) gU S^-1 Vh for tall A or U S^-1 gVh (I - V Vh) for wide A. Undefined
             for repeated or zero singular values when U or Vh carry gradient. One output,
             packed (..., m k + k + k n).
- Qr:        A = Q R (reduced). For m >= n: M = R gR^T - gQ^T Q, dA = (gQ + Q copyltu(M)) R^-T
             with copyltu(M) = tril(M) + tril(M, -1)^T; for m < n, A = [X | Y] with X square:
             dY = Q gR_Y and dX the square case with gQ + Y gR_Y^T. One output, packed
             (..., m k + k n).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..creation import eye
from ..errors import ShapeError, shape_str
from ..tensor import Tensor


class LinAlgError(ValueError):
    """A matrix tensorgrad.linalg cannot factor: singular, or not positive-definite."""


def _lapack(op, fn, *arrays):
    try:
        out = fn(*arrays)
    except np.linalg.LinAlgError as e:
        shapes = " and ".join(shape_str(a.shape) for a in arrays)
        raise LinAlgError(f"linalg.{op}: {e} (input of shape {shapes})") from None
    return out


class Inv(Function):
    @staticmethod
    def forward(ctx, a):
        y = _lapack("inv", ctx.backend.inv, a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ gy @ yt)


class Det(Function):
    @staticmethod
    def forward(ctx, a):
        d = _lapack("det", ctx.backend.det, a)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        return (g * d)[..., None, None] * Inv.apply(a).mT


class LogAbsDet(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _lapack("slogdet", ctx.backend.slogdet, a)[1]

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g[..., None, None] * Inv.apply(a).mT


class Solve(Function):
    @staticmethod
    def forward(ctx, a, b):
        x = _lapack("solve", ctx.backend.solve, a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, gx):
        a, x = ctx.saved_tensors
        need_a, _ = ctx.needs_input_grad
        gb = Solve.apply(a.mT, gx)
        return (-(gb @ x.mT) if need_a else None), gb


class Cholesky(Function):
    @staticmethod
    def forward(ctx, a):
        lower = _lapack("cholesky", ctx.backend.cholesky, a)
        ctx.save_for_backward(lower)
        return lower

    @staticmethod
    def backward(ctx, g):
        from .composite import tril
        from .functions import diag_embed, diagonal

        (lower,) = ctx.saved_tensors
        phi = tril(lower.mT @ g)
        phi = phi - 0.5 * diag_embed(diagonal(phi, 0, -2, -1))
        inv_l = Inv.apply(lower)
        ga = inv_l.mT @ phi @ inv_l
        return 0.5 * (ga + ga.mT)


class Eigh(Function):
    @staticmethod
    def forward(ctx, a):
        packed = _lapack("eigh", ctx.backend.eigh, a)
        ctx.save_for_backward(packed)
        return packed

    @staticmethod
    def backward(ctx, g):
        from .functions import diag_embed

        (packed,) = ctx.saved_tensors
        w, v = packed[..., 0, :], packed[..., 1:, :]
        gw, gv = g[..., 0, :], g[..., 1:, :]
        vtgv = v.mT @ gv
        # w[j] - w[i], and 1 on the diagonal, where the skew part is 0
        gaps = w.unsqueeze(-2) - w.unsqueeze(-1) + eye(w.shape[-1], dtype=w.dtype,
                                                       device=w.device)
        inner = 0.5 * (vtgv - vtgv.mT) / gaps + diag_embed(gw)
        return v @ inner @ v.mT


def unpack_svd(packed: Tensor, m: int, n: int):
    """(U, S, Vh) from Svd's packed output."""
    k = min(m, n)
    lead = tuple(packed.shape[:-1])
    u = packed[..., :m * k].reshape(lead + (m, k))
    s = packed[..., m * k:m * k + k]
    vh = packed[..., m * k + k:].reshape(lead + (k, n))
    return u, s, vh


class Svd(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.dims = a.shape[-2:]
        packed = _lapack("svd", ctx.backend.svd, a)
        ctx.save_for_backward(packed)
        return packed

    @staticmethod
    def backward(ctx, g):
        from .functions import diag_embed

        (packed,) = ctx.saved_tensors
        m, n = ctx.dims
        u, s, vh = unpack_svd(packed, m, n)
        gu, gs, gvh = unpack_svd(g, m, n)
        uhgu = u.mT @ gu
        vhgv = vh @ gvh.mT
        s2 = s * s
        gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye(s.shape[-1], dtype=s.dtype,
                                                         device=s.device)
        core = ((uhgu - uhgu.mT) * s.unsqueeze(-2)
                + s.unsqueeze(-1) * (vhgv - vhgv.mT)) / gaps + diag_embed(gs)
        if m > n:  # tall: the part of gU outside U's columns
            gu_sinv = gu / s.unsqueeze(-2)
            return (u @ core + gu_sinv - u @ (u.mT @ gu_sinv)) @ vh
        if n > m:  # wide: the part of gVh outside Vh's rows
            sinv_gvh = gvh / s.unsqueeze(-1)
            return u @ (core @ vh + sinv_gvh - (sinv_gvh @ vh.mT) @ vh)
        return u @ core @ vh


def unpack_qr(packed: Tensor, m: int, n: int):
    """(Q, R) from Qr's packed output."""
    k = min(m, n)
    lead = tuple(packed.shape[:-1])
    return (packed[..., :m * k].reshape(lead + (m, k)),
            packed[..., m * k:].reshape(lead + (k, n)))


def _qr_tall_grad(q, r, gq, gr):
    """dA for A = Q R with m >= n (R square, invertible)."""
    from .composite import tril

    m = r @ gr.mT - gq.mT @ q
    copied = tril(m) + tril(m, -1).mT
    rhs = gq + q @ copied  # dA = rhs R^-T, i.e. dA^T = R^-1 rhs^T
    return Solve.apply(r, rhs.mT).mT


class Qr(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.dims = a.shape[-2:]
        packed = _lapack("qr", ctx.backend.qr, a)
        ctx.save_for_backward(a, packed)
        return packed

    @staticmethod
    def backward(ctx, g):
        from ..ops.shape import cat

        a, packed = ctx.saved_tensors
        m, n = ctx.dims
        q, r = unpack_qr(packed, m, n)
        gq, gr = unpack_qr(g, m, n)
        if m >= n:
            return _qr_tall_grad(q, r, gq, gr)
        y, gr_x, gr_y = a[..., m:], gr[..., :m], gr[..., m:]
        gx = _qr_tall_grad(q, r[..., :m], gq + y @ gr_y.mT, gr_x)
        return cat([gx, q @ gr_y], -1)


def square(op: str, a: Tensor) -> Tensor:
    """a, checked to be a floating tensor of square matrices (..., n, n)."""
    if not isinstance(a, Tensor):
        raise TypeError(f"linalg.{op}: expected a tensor, got {type(a).__name__}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{op}: expected square matrices (..., n, n), got shape "
                         f"{shape_str(a.shape)}")
    if a.dtype.kind != "f":
        raise TypeError(f"linalg.{op}: expected a floating-point tensor, got {a.dtype}")
    return a
