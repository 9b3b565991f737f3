"""Functions composed from primitives (no backward of their own): numerically stable softmax,
log_softmax and logsumexp. The max is subtracted as a constant, so exp never overflows and the
gradient is unchanged (the shift cancels)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from .elementwise import _float, as_tensor_like, where


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x), dim)), finite for logits of any size."""
    x = _float(x)
    shift = x.amax(dim, keepdim=True).detach()
    shift = where(shift.isfinite(), shift, 0.0)  # an all -inf row must not give inf - inf
    out = (x - shift).exp().sum(dim, keepdim=True).log() + shift
    return out if keepdim else out.squeeze(dim)


def log_softmax(x, dim: int = -1) -> Tensor:
    """x - logsumexp(x, dim)."""
    x = _float(x)
    return x - logsumexp(x, dim, keepdim=True)


def softmax(x, dim: int = -1) -> Tensor:
    """exp(x - max) / sum(exp(x - max))."""
    x = _float(x)
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def masked_fill(x, mask, value) -> Tensor:
    """x with value wherever mask (broadcast to x) is true (PyTorch's masked_fill)."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"masked_fill: value must be a number or a 0-dim tensor, got shape "
                         f"{shape_str(value.shape)}")
    value = as_tensor_like(value, x).to(x.dtype)
    return where(mask, value, x)


def _triangle(x, diagonal: int, lower: bool, op: str) -> Tensor:
    if x.ndim < 2:
        raise ShapeError(f"{op}: expected a tensor of 2 or more dims, got shape "
                         f"{shape_str(x.shape)}")
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, diagonal, dtype=bool)
    if not lower:
        keep = ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    keep = Tensor(keep, device=x.device)
    return where(keep, x, as_tensor_like(0, x).to(x.dtype))


def tril(x, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (j <= i + diagonal), zeros above."""
    return _triangle(x, diagonal, True, "tril")


def triu(x, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (j >= i + diagonal), zeros below."""
    return _triangle(x, diagonal, False, "triu")


def norm(x, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over dim (all elements by default): p = 2 ('fro'), 1, inf, -inf or any
    other positive number. The 2-norm's gradient is 0 at a zero vector (PyTorch's), not nan."""
    from .reduction import Std

    x = _float(x)
    if p in ("fro", 2, 2.0):
        return Std.apply((x * x).sum(dim, keepdim=keepdim))
    if p in (1, 1.0):
        return x.abs().sum(dim, keepdim=keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return (x.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)
    raise ValueError(f"norm: p must be 'fro', inf, -inf or a positive number, got {p!r}")


def outer(a, b) -> Tensor:
    """a[i] * b[j] for 1-d a and b."""
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-d tensors, got shapes {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def dot(a, b) -> Tensor:
    """sum(a * b) for 1-d a and b of one length."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ShapeError(f"dot: expected two 1-d tensors of one length, got shapes "
                         f"{shape_str(a.shape)} and {shape_str(b.shape)}")
    return a @ b


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (numpy's and PyTorch's notation: 'ij,jk->ik', implicit outputs,
    '...', repeated letters for diagonals), composed from permute, reshape, sum and batched
    matmul, so it is differentiable to any order and runs on either device. Operands are
    contracted left to right, each pair as one BLAS product over its batch letters."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, Tensor) for t in operands):
        raise TypeError("einsum: expected one or more tensors after the equation")
    inputs, output = _parse_einsum(equation.replace(" ", ""), operands)
    terms = []
    for t, letters in zip(operands, inputs):
        t, letters = _diagonals(t, letters)
        terms.append((t, letters))
    sizes: dict = {}
    for t, letters in terms:
        for letter, n in zip(letters, t.shape):
            if sizes.get(letter, 1) not in (1, n) and n != 1:
                raise ShapeError(f"einsum: {equation!r}: letter {letter!r} has sizes "
                                 f"{sizes[letter]} and {n} (operand shapes "
                                 f"{', '.join(shape_str(o.shape) for o in operands)})")
            sizes[letter] = max(sizes.get(letter, 1), n)
    t, letters = terms[0]
    for k in range(1, len(terms) + 1):
        later = set(output).union(*(set(ls) for _, ls in terms[k:]))
        t, letters = _sum_out(t, letters, later)
        if k == len(terms):
            break
        u, other = terms[k]
        u, other = _sum_out(u, other, later | set(letters))
        t, letters = _contract(t, letters, u, other, later, sizes)
    if sorted(letters) != sorted(output):
        raise ShapeError(f"einsum: {equation!r}: output letters {output!r} are not among the "
                         "inputs'")
    t = t.expand(tuple(sizes[c] for c in letters)) if letters else t
    return t.permute(tuple(letters.index(c) for c in output)) if len(output) > 1 else t


_ELLIPSIS = "".join(chr(c) for c in range(0x3B1, 0x3B1 + 24))  # Greek letters stand for '...'


def _parse_einsum(equation, operands):
    lhs, arrow, rhs = equation.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(specs)} operands, got "
                         f"{len(operands)}")
    ell = max((t.ndim - len(s.replace("...", "")) for s, t in zip(specs, operands)
               if "..." in s), default=0)
    inputs = []
    for spec, t in zip(specs, operands):
        plain = spec.replace("...", "")
        if not all(c.isalpha() and c.isascii() for c in plain):
            raise ValueError(f"einsum: {equation!r}: subscripts must be letters")
        if "..." in spec:
            n = t.ndim - len(plain)
            spec = spec.replace("...", _ELLIPSIS[ell - n:ell])
        if len(spec) != t.ndim:
            raise ShapeError(f"einsum: {equation!r}: subscripts {spec!r} for an operand of "
                             f"shape {shape_str(t.shape)}")
        inputs.append(spec)
    if arrow:
        output = rhs.replace("...", _ELLIPSIS[:ell])
    else:  # implicit: the ellipsis dims, then each letter used once, in alphabetical order
        counts: dict = {}
        for c in "".join(inputs):
            counts[c] = counts.get(c, 0) + 1
        output = _ELLIPSIS[:ell] + "".join(sorted(c for c, k in counts.items()
                                                  if k == 1 and c not in _ELLIPSIS))
    if len(set(output)) != len(output):
        raise ValueError(f"einsum: {equation!r}: an output letter repeats")
    return inputs, output


def _diagonals(t, letters):
    """Repeated letters within one operand ('ii'): their diagonal, as one axis at the end."""
    while len(set(letters)) != len(letters):
        c = next(c for c in letters if letters.count(c) > 1)
        first = letters.index(c)
        second = letters.index(c, first + 1)
        if t.shape[first] != t.shape[second]:
            raise ShapeError(f"einsum: letter {c!r} repeats over sizes {t.shape[first]} and "
                             f"{t.shape[second]}")
        rest = [i for i in range(t.ndim) if i not in (first, second)]
        t = t.permute(tuple(rest) + (first, second))
        diag = np.arange(t.shape[-1])
        t = t[(Ellipsis, diag, diag)]
        letters = "".join(letters[i] for i in rest) + c
    return t, letters


def _sum_out(t, letters, keep):
    """Sum away the letters of t that nothing later needs."""
    gone = tuple(i for i, c in enumerate(letters) if c not in keep)
    if not gone:
        return t, letters
    return t.sum(gone), "".join(c for c in letters if c in keep)


def _contract(a, la, b, lb, later, sizes):
    """a (letters la) with b (lb) as one batched matmul: batch letters (in both, still needed),
    contracted ones (in both, needed by nothing later), and each side's own."""
    batch = [c for c in la if c in lb and c in later]
    summed = [c for c in la if c in lb and c not in later]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]

    def arrange(t, letters, order, shape):
        t = t.permute(tuple(letters.index(c) for c in order)) if len(order) > 1 else t
        full = tuple(sizes[c] if c in batch else t.shape[i] for i, c in enumerate(order))
        if full != tuple(t.shape):  # a broadcast '...' dim of size 1
            t = t.expand(full)
        return t.reshape(shape)

    nb = int(np.prod([sizes[c] for c in batch], dtype=np.int64))
    nl = int(np.prod([sizes[c] for c in left], dtype=np.int64))
    nk = int(np.prod([sizes[c] for c in summed], dtype=np.int64))
    nr = int(np.prod([sizes[c] for c in right], dtype=np.int64))
    a2 = arrange(a, la, batch + left + summed, (nb, nl, nk))
    b2 = arrange(b, lb, batch + summed + right, (nb, nk, nr))
    out = a2 @ b2
    letters = batch + left + right
    return out.reshape(tuple(sizes[c] for c in letters)), "".join(letters)


def isclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol |b| elementwise (numpy's and PyTorch's), a bool tensor."""
    from .elementwise import _constant

    x = a._device.backend.to_host(a._data)
    y = b._device.backend.to_host(b._data) if isinstance(b, Tensor) else b
    return _constant(a._device.backend.asarray(np.isclose(x, y, rtol, atol, equal_nan)), a)


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.all(isclose(a, b, rtol, atol, equal_nan).numpy()))


def equal(a, b) -> bool:
    """Same shape and the same values."""
    return tuple(a.shape) == tuple(b.shape) and bool(np.array_equal(
        a._device.backend.to_host(a._data), b._device.backend.to_host(b._data)))
