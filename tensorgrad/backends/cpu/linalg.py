"""Matrix products on the CPU: numpy's matmul (BLAS), batched and broadcast; and the
factorisations of tensorgrad.linalg (numpy's LAPACK: float32 stays float32)."""

import numpy as np

__all__ = ["matmul", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "svd", "qr"]

inv = np.linalg.inv
solve = np.linalg.solve  # b (..., n, k), broadcast over batch dims
cholesky = np.linalg.cholesky  # the lower factor


def det(a):
    """det a as an array in a's dtype (numpy gives a scalar for one matrix)."""
    return np.asarray(np.linalg.det(a), dtype=a.dtype)


def eigh(a):
    """The eigenvalues (ascending) and orthonormal eigenvectors of symmetric a (its lower
    triangle), packed as one (..., n + 1, n) array: row 0 the eigenvalues, rows 1: the vectors
    (column j for eigenvalue j)."""
    w, v = np.linalg.eigh(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def svd(a):
    """The reduced SVD a = U diag(S) Vh of (..., m, n), k = min(m, n), packed as one array
    (..., m*k + k + k*n): U's entries, then S (descending), then Vh's."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    lead = a.shape[:-2]
    return np.concatenate([u.reshape(lead + (-1,)), s, vh.reshape(lead + (-1,))], axis=-1)


def qr(a):
    """The reduced QR a = Q R of (..., m, n), k = min(m, n), packed as one array (..., m*k + k*n):
    Q's entries, then R's (upper triangular)."""
    q, r = np.linalg.qr(a, mode="reduced")
    lead = a.shape[:-2]
    return np.concatenate([q.reshape(lead + (-1,)), r.reshape(lead + (-1,))], axis=-1)


def slogdet(a):
    """(sign, log|det a|) as two arrays in a's dtype."""
    sign, logabs = np.linalg.slogdet(a)
    return np.asarray(sign, dtype=a.dtype), np.asarray(logabs, dtype=a.dtype)


def matmul(a, b):
    """a @ b as numpy's matmul, except that a stack of matrices (..., M, K) times one matrix
    (K, N) runs as one (... M) x K GEMM (on a C-ordered copy of the stack where it is strided):
    numpy calls BLAS once per matrix of the stack, 3-4x slower for a Linear layer over (batch,
    tokens, features), and a copy costs a fifth of that."""
    if b.ndim == 2 and a.ndim > 2:
        out = np.matmul(np.ascontiguousarray(a).reshape(-1, a.shape[-1]), b)
        return out.reshape(a.shape[:-1] + (b.shape[-1],))
    return np.matmul(a, b)
