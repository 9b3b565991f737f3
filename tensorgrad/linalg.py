"""tensorgrad.linalg: PyTorch's torch.linalg for real matrices, differentiable to any order.

inv, det, slogdet, logdet, solve, cholesky, eigh (symmetric matrices) and svd are primitives
(tensorgrad.ops.decompositions: numpy's LAPACK forward, backward in tensor ops); svdvals, pinv,
vector_norm, matrix_norm and norm are composed. Inputs are batched over leading dims. On a CUDA
tensor the factorisations run on the host. Also qr (reduced) and lstsq (through the SVD). Not
here yet: eig (non-symmetric).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .dtypes import get_default_dtype
from .errors import ShapeError, shape_str
from .ops.composite import norm as _norm
from .ops.decompositions import (
    Cholesky,
    Det,
    Eigh,
    Inv,
    LinAlgError,
    LogAbsDet,
    Qr,
    Solve,
    Svd,
    square,
    unpack_qr,
    unpack_svd,
)
from .tensor import Tensor

__all__ = ["inv", "det", "slogdet", "logdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "qr", "lstsq", "vector_norm", "matrix_norm", "norm",
           "LinAlgError"]


def inv(A: Tensor) -> Tensor:
    """A^-1 for square A (..., n, n); a singular A raises LinAlgError."""
    return Inv.apply(square("inv", A))


def det(A: Tensor) -> Tensor:
    """det A (...,). Its gradient g det(A) A^-T needs A invertible (LinAlgError otherwise)."""
    return Det.apply(square("det", A))


def slogdet(A: Tensor) -> tuple[Tensor, Tensor]:
    """(sign, log|det A|): the sign a constant, the logarithm differentiable (g A^-T)."""
    A = square("slogdet", A)
    sign = A._device.backend.slogdet(A._data)[0]
    return Tensor._make(sign, A._device, False, None), LogAbsDet.apply(A)


def logdet(A: Tensor) -> Tensor:
    """log det A: nan where det A < 0, -inf where it is 0 (PyTorch's)."""
    sign, logabs = slogdet(A)
    return logabs + sign.log()


def solve(A: Tensor, B: Tensor) -> Tensor:
    """X with A X = B: A (..., n, n); B (..., n, k), or (n,) / (..., n) when it is a vector (a
    vector B gives a vector X); batch dims broadcast."""
    A = square("solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve: B must be a tensor, got {type(B).__name__}")
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    B2 = B.unsqueeze(-1) if vector else B
    if B2.ndim < 2 or B2.shape[-2] != n:
        raise ShapeError(f"linalg.solve: A of shape {shape_str(A.shape)} and B of shape "
                         f"{shape_str(B.shape)} do not align (B needs {n} rows)")
    if B2.dtype != A.dtype:
        raise TypeError(f"linalg.solve: A and B dtypes differ ({A.dtype}, {B.dtype})")
    try:
        X = Solve.apply(A, B2)
    except ValueError as e:
        if isinstance(e, LinAlgError):
            raise
        raise ShapeError(f"linalg.solve: batch dims of A {shape_str(A.shape)} and B "
                         f"{shape_str(B.shape)} cannot be broadcast together") from None
    return X.squeeze(-1) if vector else X


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (lower; L^T with upper=True) of a symmetric positive-definite A =
    L L^T; only A's lower triangle is read. LinAlgError where A is not positive-definite."""
    lower = Cholesky.apply(square("cholesky", A))
    return lower.mT if upper else lower


def eigh(A: Tensor, UPLO: str = "L") -> tuple[Tensor, Tensor]:
    """(eigenvalues ascending (..., n), eigenvectors (..., n, n), column j for eigenvalue j) of
    the symmetric matrices A, read from their lower triangle (UPLO="U": the upper one). Both
    differentiable; the eigenvectors' gradient is inf/nan where eigenvalues repeat (as PyTorch)
    and only a loss that does not depend on their signs has one."""
    A = square("eigh", A)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    packed = Eigh.apply(A if UPLO == "L" else A.mT)
    return packed[..., 0, :], packed[..., 1:, :]


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of the symmetric matrices A, ascending (eigh's first result)."""
    return eigh(A, UPLO)[0]


def svd(A: Tensor, full_matrices: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """The reduced SVD A = U diag(S) Vh of (..., m, n): U (..., m, k), S (..., k) descending, Vh
    (..., k, n), k = min(m, n); all three differentiable (U's and Vh's gradients are undefined
    where singular values repeat or vanish, and only a loss blind to their signs has one).
    full_matrices=True (the square U and Vh) is not supported."""
    if full_matrices:
        raise ValueError("linalg.svd: full_matrices=True is not supported; pass False (the "
                         "reduced SVD)")
    if not isinstance(A, Tensor) or A.ndim < 2 or A.dtype.kind != "f":
        raise ShapeError(f"linalg.svd: expected a floating tensor of matrices (..., m, n), got "
                         f"{shape_str(getattr(A, 'shape', ()))}")
    return unpack_svd(Svd.apply(A), A.shape[-2], A.shape[-1])


def svdvals(A: Tensor) -> Tensor:
    """The singular values (..., k), descending; their gradient is U diag(g) Vh."""
    return svd(A)[1]


def pinv(A: Tensor, rtol: float | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse (..., n, m) from the SVD, singular values below rtol
    times the largest dropped (rtol default: max(m, n) times the dtype's eps, as PyTorch)."""
    u, s, vh = svd(A)
    if rtol is None:
        rtol = max(A.shape[-2:]) * float(np.finfo(A.dtype).eps)
    keep = s > rtol * s.amax(-1, keepdim=True).detach()
    s_inv = keep.to(s.dtype) / s.where(keep, 1.0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def qr(A: Tensor, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """The reduced QR A = Q R of (..., m, n): Q (..., m, k) with orthonormal columns, R (..., k, n)
    upper triangular, k = min(m, n); both differentiable (R's leading k columns must be
    invertible). mode 'complete' and 'r' are not supported."""
    if mode != "reduced":
        raise ValueError(f"linalg.qr: only mode='reduced' is supported, got {mode!r}")
    if not isinstance(A, Tensor) or A.ndim < 2 or A.dtype.kind != "f":
        raise ShapeError(f"linalg.qr: expected a floating tensor of matrices (..., m, n), got "
                         f"{shape_str(getattr(A, 'shape', ()))}")
    return unpack_qr(Qr.apply(A), A.shape[-2], A.shape[-1])


LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None) -> LstsqResult:
    """The least-squares solution X of A X = B (..., m, n) (..., m, k), minimum-norm where A is
    rank-deficient, through the pseudo-inverse (differentiable in A and B); residuals, the
    squared residual norms per column, where m > n and A has full rank (else empty); rank and
    the singular values (PyTorch's gelsd driver's outputs)."""
    vector = B.ndim == A.ndim - 1
    B2 = B.unsqueeze(-1) if vector else B
    u, s, vh = svd(A)
    if rcond is None:
        rcond = max(A.shape[-2:]) * float(np.finfo(A.dtype).eps)
    keep = s > rcond * s.amax(-1, keepdim=True).detach()
    s_inv = keep.to(s.dtype) / s.where(keep, 1.0)
    X = (vh.mT * s_inv.unsqueeze(-2)) @ (u.mT @ B2)
    rank = keep.to(np.int64).sum(-1)
    m, n = A.shape[-2:]
    if m > n and bool((rank == n).all()):
        residuals = ((A @ X - B2) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    else:
        residuals = Tensor(np.zeros(0, dtype=A.dtype))
    return LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, s)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False) -> Tensor:
    """The ord-norm of x over dim (every element by default): ord 2, 1, inf, -inf, 0 (the count of
    non-zeros, no gradient) or any other number (sum |x|^ord)^(1/ord)."""
    if ord == 0:
        nonzero = (x != 0).to(x.dtype if x.dtype.kind == "f" else get_default_dtype())
        return nonzero.sum(dim, keepdim=keepdim)
    if ord == "fro":
        raise ValueError("linalg.vector_norm: ord='fro' is a matrix norm; use ord=2")
    if isinstance(ord, (int, float)) and ord < 0 and ord != -math.inf:
        return (x.abs() ** ord).sum(dim, keepdim=keepdim) ** (1.0 / ord)
    return _norm(x, ord, dim, keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """The ord-norm of the matrices in dims dim: 'fro', 'nuc' (the sum of singular values), 2 / -2
    (the largest / smallest), 1 / -1 (largest / smallest column sum of |A|), inf / -inf
    (largest / smallest row sum)."""
    if A.ndim < 2:
        raise ShapeError(f"linalg.matrix_norm: expected matrices (..., m, n), got shape "
                         f"{shape_str(A.shape)}")
    rows, cols = (d % A.ndim for d in dim)
    if rows == cols:
        raise ValueError(f"linalg.matrix_norm: dim must name two different dims, got {dim}")
    if ord == "fro":
        return _norm(A, "fro", (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((rows, cols), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        return out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols)) if keepdim else out
    if ord in (1, -1, math.inf, -math.inf):
        summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(kept, keepdim=True) if ord > 0 else sums.amin(kept, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, "
                     f"got {ord!r}")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False) -> Tensor:
    """PyTorch's linalg.norm: ord None is the 2-norm of the flattened tensor (of dim where
    given); a matrix ord (or a 2-tuple dim) is matrix_norm; else vector_norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if (dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim)
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: ord={ord!r} is a matrix norm; give 2-d input or two dims")
    return vector_norm(A, ord, dim, keepdim)
