"""More of PyTorch's torch.* functions, composed from primitives (no backward of their own, so
every one has gradients of any order where PyTorch's has them): elementwise math, comparisons
and predicates, matrix products, shape and index manipulation, and order statistics.
Results that are not differentiable (indices, masks, counts) are constants."""

from __future__ import annotations

import math

import numpy as np

from ..creation import full_like, ones_like, zeros_like
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from . import elementwise as E
from . import indexing, linalg, reduction, shape
from ._util import as_tensor_like, normalize_dim, operands

__all__ = [
    "log2", "log10", "exp2", "reciprocal", "rsqrt", "square", "hypot", "logaddexp", "xlogy",
    "lerp", "addcmul", "addcdiv", "logit", "frac", "fmod", "deg2rad", "rad2deg", "nan_to_num",
    "float_power", "logical_not", "isfinite", "isnan", "isinf", "isposinf", "isneginf", "signbit",
    "count_nonzero", "mm", "bmm", "mv", "addmm", "baddbmm", "tensordot", "inner", "kron", "cross",
    "cdist", "dist", "swapaxes", "movedim", "narrow", "select", "roll", "rot90", "fliplr",
    "flipud", "tile", "repeat_interleave", "hstack", "vstack", "dstack", "column_stack",
    "diagonal", "diag_embed", "diag", "trace", "block_diag", "broadcast_tensors", "diff",
    "masked_select", "take", "scatter", "tril_indices", "triu_indices", "meshgrid", "argsort",
    "kthvalue", "median", "quantile", "nansum", "nanmean", "var_mean", "std_mean", "unique",
    "bincount", "searchsorted", "cumprod", "eq", "ne", "lt", "le", "gt", "ge", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
    "swapdims", "moveaxis", "row_stack",
]

# ----- elementwise math ------------------------------------------------------------------------


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def log2(x) -> Tensor:
    return E.log(x) * (1 / math.log(2))


def log10(x) -> Tensor:
    return E.log(x) * (1 / math.log(10))


def exp2(x) -> Tensor:
    return E.exp(E._float(x) * math.log(2))


def reciprocal(x) -> Tensor:
    return 1.0 / E._float(x)


def rsqrt(x) -> Tensor:
    return 1.0 / E.sqrt(x)


def square(x) -> Tensor:
    return x * x


def hypot(a, b) -> Tensor:
    """sqrt(a^2 + b^2)."""
    a, b = operands(a, b)
    return E.sqrt(a * a + b * b)


def logaddexp(a, b) -> Tensor:
    """log(exp(a) + exp(b)) without overflow: max(a, b) + log1p(exp(-|a - b|)), the gap taken
    as 0 where a == b (so two equal infinities give that infinity, not inf - inf)."""
    a, b = operands(a, b)
    gap = E.where(a == b, as_tensor_like(0.0, a).to(a.dtype), E.abs(a - b))
    return E.maximum(a, b) + E.log1p(E.exp(-gap))


def xlogy(x, y) -> Tensor:
    """x log(y), 0 where x == 0 and y <= 0 (PyTorch's gradients: log(y) for x, x / y for y)."""
    x, y = operands(x, y)
    safe = E.where((x == 0) & (y <= 0), as_tensor_like(1.0, y).to(y.dtype), y)
    return x * E.log(safe)


def lerp(start, end, weight) -> Tensor:
    """start + weight (end - start)."""
    return start + weight * (end - start)


def addcmul(input, tensor1, tensor2, value: float = 1) -> Tensor:
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, value: float = 1) -> Tensor:
    return input + value * tensor1 / tensor2


def logit(x, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] first when eps is given."""
    if eps is not None:
        x = E.clamp(x, eps, 1 - eps)
    return E.log(x / (1.0 - x))


def frac(x) -> Tensor:
    """x - trunc(x): the fractional part, with x's sign."""
    return x - E.trunc(x)


def fmod(a, b) -> Tensor:
    """a - trunc(a / b) b: the remainder with the dividend's sign (C's fmod; remainder() takes
    the divisor's)."""
    a, b = operands(a, b)
    if a.dtype.kind != "f":
        return E._constant(a._device.backend.asarray(np.fmod(np.asarray(a), np.asarray(b))), a)
    return a - E.trunc(a / b) * b


def deg2rad(x) -> Tensor:
    return E._float(x) * (math.pi / 180)


def rad2deg(x) -> Tensor:
    return E._float(x) * (180 / math.pi)


def nan_to_num(x, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and lowest finite values by
    default); the gradient is 0 at replaced elements."""
    if x.dtype.kind != "f":
        return x
    info = np.finfo(x.dtype)
    fill = [(isnan(x), nan), (isposinf(x), info.max if posinf is None else posinf),
            (isneginf(x), info.min if neginf is None else neginf)]
    for mask, value in fill:
        x = E.where(mask, as_tensor_like(float(value), x).to(x.dtype), x)
    return x


def float_power(a, b) -> Tensor:
    """a ** b in float64."""
    a, b = operands(a, b)
    return E.pow(a.to(np.float64), b.to(np.float64))


# ----- comparisons and predicates (constants) --------------------------------------------------


def _compare(op):
    def fn(input, other) -> Tensor:
        return E.compare(op, *operands(input, other))

    fn.__name__ = op
    fn.__doc__ = f"input {op} other, elementwise (a bool constant)."
    return fn


eq, ne, lt, le, gt, ge = (_compare(op) for op in ("eq", "ne", "lt", "le", "gt", "ge"))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(x) -> Tensor:
    return E.logical("not", x.to(np.bool_) if x.dtype != np.bool_ else x)


def _logical(op):
    def fn(input, other) -> Tensor:
        a, b = (t.to(np.bool_) if t.dtype != np.bool_ else t for t in (input, _t(other)))
        return E.logical(op, a, b)

    fn.__name__ = f"logical_{op}"
    return fn


logical_and, logical_or, logical_xor = (_logical(op) for op in ("and", "or", "xor"))


def isfinite(x) -> Tensor:
    return x.isfinite() if x.dtype.kind == "f" else E._constant(
        x._device.backend.asarray(np.ones(x.shape, bool)), x)


def isnan(x) -> Tensor:
    return x.isnan() if x.dtype.kind == "f" else E._constant(
        x._device.backend.asarray(np.zeros(x.shape, bool)), x)


def isinf(x) -> Tensor:
    return logical_not(isfinite(x)) & logical_not(isnan(x))


def isposinf(x) -> Tensor:
    return isinf(x) & (x > 0)


def isneginf(x) -> Tensor:
    return isinf(x) & (x < 0)


def signbit(x) -> Tensor:
    """True where the sign bit is set (-0.0 included)."""
    return E._constant(x._device.backend.asarray(np.signbit(np.asarray(x))), x)


def count_nonzero(x, dim=None) -> Tensor:
    return reduction.sum((x != 0).to(np.int64), dim)


# ----- products --------------------------------------------------------------------------------


def _ndim(op: str, x, dims) -> None:
    if x.ndim not in dims:
        raise ShapeError(f"{op}: expected a {' or '.join(f'{d}-d' for d in dims)} tensor, got "
                         f"shape {shape_str(x.shape)}")


def mm(a, b) -> Tensor:
    """The product of two matrices (2-d only, unlike matmul)."""
    _ndim("mm", a, (2,))
    _ndim("mm", b, (2,))
    return linalg.matmul(a, b)


def bmm(a, b) -> Tensor:
    """Batched matrix products of (B, n, m) and (B, m, p) (3-d only, no broadcasting)."""
    _ndim("bmm", a, (3,))
    _ndim("bmm", b, (3,))
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    return linalg.matmul(a, b)


def mv(a, v) -> Tensor:
    _ndim("mv", a, (2,))
    _ndim("mv", v, (1,))
    return linalg.matmul(a, v)


def addmm(input, mat1, mat2, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta input + alpha mat1 @ mat2."""
    product = mm(mat1, mat2)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


def baddbmm(input, batch1, batch2, beta: float = 1, alpha: float = 1) -> Tensor:
    product = bmm(batch1, batch2)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last `dims` dims of a with the first of b, or the listed dims
    ([dims of a], [dims of b])."""
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da, db = [d % a.ndim for d in da], [d % b.ndim for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise ShapeError(f"tensordot: dims {da} of {shape_str(a.shape)} and {db} of "
                         f"{shape_str(b.shape)} do not match")
    keep_a = [d for d in range(a.ndim) if d not in da]
    keep_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    left = shape.permute(a, keep_a + da).reshape(-1, k)
    right = shape.permute(b, db + keep_b).reshape(k, -1)
    return linalg.matmul(left, right).reshape(*[a.shape[d] for d in keep_a],
                                              *[b.shape[d] for d in keep_b])


def inner(a, b) -> Tensor:
    """Sum over the last dims of a and b (a product for 0-d inputs)."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


def kron(a, b) -> Tensor:
    """The Kronecker product: block (i, j) is a[i, j] * b (any number of dims)."""
    nd = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + tuple(a.shape))
    b = b.reshape((1,) * (nd - b.ndim) + tuple(b.shape))
    wide_a = a.reshape(tuple(x for n in a.shape for x in (n, 1)))
    wide_b = b.reshape(tuple(x for n in b.shape for x in (1, n)))
    return (wide_a * wide_b).reshape(*[p * q for p, q in zip(a.shape, b.shape)])


def cross(a, b, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along dim."""
    a, b = operands(a, b)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise ShapeError(f"cross: dim {dim} must have size 3, got {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    a0, a1, a2 = shape.split(a, 1, dim)
    b0, b1, b2 = shape.split(b, 1, dim)
    return shape.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


def cdist(x1, x2, p: float = 2.0) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and of x2 (..., R, M):
    (..., P, R)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: expected (..., P, M) and (..., R, M), got "
                         f"{shape_str(x1.shape)} and {shape_str(x2.shape)}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)


def dist(a, b, p: float = 2.0) -> Tensor:
    """The p-norm of a - b."""
    return (a - b).norm(p)


# ----- shape and index manipulation ------------------------------------------------------------


def swapaxes(x, axis0: int, axis1: int) -> Tensor:
    return shape.transpose(x, axis0, axis1)


swapdims = swapaxes


def movedim(x, source, destination) -> Tensor:
    """Move dims source to positions destination, the others keeping their order."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: {len(src)} source dims but {len(dst)} destinations")
    src = [normalize_dim("movedim", d, x.ndim) for d in src]
    dst = [normalize_dim("movedim", d, x.ndim) for d in dst]
    rest = iter(d for d in range(x.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return shape.permute(x, [placed[i] if i in placed else next(rest) for i in range(x.ndim)])


moveaxis = movedim


def narrow(x, dim: int, start: int, length: int) -> Tensor:
    """The slice start:start + length along dim."""
    dim = normalize_dim("narrow", dim, x.ndim)
    if start < 0:
        start += x.shape[dim]
    if not 0 <= start <= start + length <= x.shape[dim]:
        raise IndexError(f"narrow: {start}:{start + length} is out of range for dim {dim} of "
                         f"shape {shape_str(x.shape)}")
    return x[(slice(None),) * dim + (slice(start, start + length),)]


def select(x, dim: int, index: int) -> Tensor:
    """x[..., index, ...] at dim (that dim removed)."""
    dim = normalize_dim("select", dim, x.ndim)
    return x[(slice(None),) * dim + (index,)]


def _along(x, dim: int, index: np.ndarray) -> Tensor:
    return x[(slice(None),) * dim + (index,)]


def roll(x, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically along dims (over the flattened tensor when dims is None)."""
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    for s, d in zip(shifts, dims):
        d = normalize_dim("roll", d, x.ndim)
        x = _along(x, d, np.roll(np.arange(x.shape[d]), s))
    return x


def rot90(x, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane dims, from the first towards the second."""
    d0, d1 = (normalize_dim("rot90", d, x.ndim) for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: the two dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return shape.transpose(shape.flip(x, d1), d0, d1)
    if k == 2:
        return shape.flip(x, (d0, d1))
    if k == 3:
        return shape.flip(shape.transpose(x, d0, d1), d1)
    return x


def fliplr(x) -> Tensor:
    _ndim("fliplr", x, tuple(range(2, 33)))
    return shape.flip(x, 1)


def flipud(x) -> Tensor:
    _ndim("flipud", x, tuple(range(1, 33)))
    return shape.flip(x, 0)


def tile(x, dims) -> Tensor:
    """x repeated dims times along each dim (dims padded with leading 1s, as PyTorch's)."""
    dims = tuple(dims)
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return shape.repeat(x, *dims)


def repeat_interleave(x, repeats, dim: int | None = None) -> Tensor:
    """Each element (or slice along dim) repeated `repeats` times in place (numpy's repeat)."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    dim = normalize_dim("repeat_interleave", dim, x.ndim)
    counts = np.asarray(repeats.tolist() if isinstance(repeats, Tensor) else repeats)
    if counts.ndim and counts.shape[0] != x.shape[dim]:
        raise ShapeError(f"repeat_interleave: {counts.shape[0]} repeats for dim {dim} of size "
                         f"{x.shape[dim]}")
    return _along(x, dim, np.repeat(np.arange(x.shape[dim]), counts))


def _atleast(x, n: int) -> Tensor:
    if x.ndim >= n:
        return x
    if n == 1:
        return x.reshape(1)
    if n == 2:
        return x.reshape(1, -1)
    return x.reshape(1, -1, 1) if x.ndim <= 1 else x.unsqueeze(-1)


def hstack(tensors) -> Tensor:
    tensors = list(tensors)
    return shape.cat(tensors, 0 if all(t.ndim <= 1 for t in tensors) else 1)


def vstack(tensors) -> Tensor:
    return shape.cat([_atleast(t, 2) for t in tensors], 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    return shape.cat([_atleast(t, 3) for t in tensors], 2)


def column_stack(tensors) -> Tensor:
    return shape.cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the planes (dim1, dim2), as the last dim (offset > 0 above it)."""
    d1, d2 = (normalize_dim("diagonal", d, x.ndim) for d in (dim1, dim2))
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    planes = shape.permute(x, rest + [d1, d2])
    rows, cols = x.shape[d1], x.shape[d2]
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_r, cols - start_c), 0)
    i = np.arange(n)
    return planes[(Ellipsis, i + start_r, i + start_c)]


_diagonal = diagonal


def diag_embed(x, offset: int = 0) -> Tensor:
    """Each last-dim vector of x as the diagonal (offset above it when > 0) of a new matrix in
    the last two dims."""
    n = x.shape[-1] + abs(offset)
    i = np.arange(x.shape[-1])
    rows, cols = i + max(-offset, 0), i + max(offset, 0)
    lead = tuple(x.shape[:-1])
    return indexing.index_add(x, (Ellipsis, rows, cols), lead + (n, n))


def diag(x, diagonal: int = 0) -> Tensor:
    """A 1-d x as the diagonal of a square matrix; a 2-d x's diagonal as a vector."""
    _ndim("diag", x, (1, 2))
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    return _diagonal(x, diagonal)


def trace(x) -> Tensor:
    """The sum of a matrix's main diagonal."""
    _ndim("trace", x, (2,))
    return reduction.sum(diagonal(x))


def block_diag(*tensors) -> Tensor:
    """The matrices (0-, 1- or 2-d) along the diagonal of one matrix, zeros elsewhere."""
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(shape.pad(m, (left, width - left - m.shape[1])))
        left += m.shape[1]
    return shape.cat(rows, 0)


def broadcast_tensors(*tensors) -> tuple:
    target = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(shape.broadcast_to(t, target) for t in tensors)


def diff(x, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along dim (prepend/append joined first)."""
    dim = normalize_dim("diff", dim, x.ndim)
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        x = shape.cat([_t(t) for t in parts], dim)
    for _ in range(n):
        size = x.shape[dim]
        x = narrow(x, dim, 1, size - 1) - narrow(x, dim, 0, size - 1)
    return x


def masked_select(x, mask) -> Tensor:
    """The elements of x where mask (broadcast together) is true, as a 1-d tensor."""
    x, mask = broadcast_tensors(x, _t(mask))
    return x[np.asarray(mask).astype(bool)]


def take(x, index) -> Tensor:
    """The elements of the flattened x at index (index's shape)."""
    return x.reshape(-1)[np.asarray(index.tolist() if isinstance(index, Tensor) else index)]


def scatter(x, dim: int, index, src=None, value=None) -> Tensor:
    """x with src's elements (or value) written where index names along dim (out of place):
    out[index[i][j]][j] = src[i][j] for dim 0; the gradient of x is 0 at written positions."""
    if src is None and value is None:
        raise TypeError("scatter: give src or value")
    if src is None or not isinstance(src, Tensor):
        fill = value if src is None else src
        src = full_like(x, float(fill) if x.dtype.kind == "f" else fill)
        src = src[tuple(slice(0, n) for n in _t(index).shape)]
    written = indexing.scatter_add(zeros_like(x, dtype=np.int64), dim, index,
                                   ones_like(_t(index), dtype=np.int64)) > 0
    values = indexing.scatter_add(zeros_like(x), dim, index, src)
    return E.where(written, values, x)


def tril_indices(row: int, col: int, offset: int = 0) -> Tensor:
    """(2, n) int64 row and column indices of the lower triangle (j <= i + offset)."""
    return Tensor(np.stack(np.tril_indices(row, offset, col)).astype(np.int64))


def triu_indices(row: int, col: int, offset: int = 0) -> Tensor:
    return Tensor(np.stack(np.triu_indices(row, offset, col)).astype(np.int64))


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d tensors ('ij': matrix indexing; 'xy': Cartesian)."""
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else (
        tensors)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    vecs = list(tensors)
    swap = indexing == "xy" and len(vecs) >= 2
    if swap:
        vecs[0], vecs[1] = vecs[1], vecs[0]
    sizes = tuple(v.shape[0] for v in vecs)
    grids = [shape.broadcast_to(v.reshape((1,) * i + (-1,) + (1,) * (len(vecs) - i - 1)), sizes)
             for i, v in enumerate(vecs)]
    if swap:  # built as 'ij' for (y, x, ...): the first two grids trade places
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ----- order statistics and reductions ---------------------------------------------------------


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return reduction.sort(x, dim, descending)[1]


def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element along dim (k from 1)."""
    dim = normalize_dim("kthvalue", dim, x.ndim)
    if not 1 <= k <= x.shape[dim]:
        raise IndexError(f"kthvalue: k = {k} is out of range for dim {dim} of size "
                         f"{x.shape[dim]}")
    values, indices = reduction.sort(x, dim)
    pick = (slice(None),) * dim + (slice(k - 1, k) if keepdim else k - 1,)
    return values[pick], indices[pick]


def median(x, dim: int | None = None, keepdim: bool = False):
    """The lower median (no averaging, as PyTorch's): of all elements when dim is None, else
    (values, indices) along dim."""
    if dim is None:
        flat = x.reshape(-1)
        return kthvalue(flat, (flat.shape[0] + 1) // 2)[0]
    dim = normalize_dim("median", dim, x.ndim)
    return kthvalue(x, (x.shape[dim] + 1) // 2, dim, keepdim)


def quantile(x, q, dim: int | None = None, keepdim: bool = False,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles (q a number or a 1-d tensor in [0, 1]) along dim, interpolating
    linearly between order statistics (or 'lower', 'higher', 'nearest', 'midpoint'); a 1-d q
    adds a leading dim."""
    modes = ("linear", "lower", "higher", "nearest", "midpoint")
    if interpolation not in modes:
        raise ValueError(f"quantile: interpolation must be one of {modes}, got "
                         f"{interpolation!r}")
    qs = np.asarray(q.tolist() if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1 or np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile: q must be a number or a 1-d tensor in [0, 1], got {qs}")
    ndim = x.ndim
    if dim is None:
        x, dim, reduce_all = x.reshape(-1), 0, True
    else:
        dim, reduce_all = normalize_dim("quantile", dim, x.ndim), False
    values = reduction.sort(x, dim)[0]
    n = x.shape[dim]
    pos = qs.reshape(-1) * (n - 1)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    if interpolation == "nearest":
        lo = hi = np.round(pos).astype(np.int64)  # half to even, as PyTorch's
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    frac = 0.5 if interpolation == "midpoint" else (pos - lo)
    below, above = _along(values, dim, lo), _along(values, dim, hi)
    weight = np.broadcast_to(np.asarray(frac, dtype=x.dtype), pos.shape)
    weight = Tensor(weight.reshape((-1,) + (1,) * (x.ndim - dim - 1)), device=x.device)
    out = below + (above - below) * weight  # the q dim sits at dim
    if keepdim and not reduce_all:
        out = out.unsqueeze(dim + 1)
    out = movedim(out, dim, 0)
    if keepdim and reduce_all:
        out = out.reshape((len(pos),) + (1,) * ndim)
    return out if qs.ndim else out[0]


def nansum(x, dim=None, keepdim: bool = False) -> Tensor:
    """The sum, NaNs counted as 0 (their gradient is 0)."""
    return reduction.sum(E.where(isnan(x), as_tensor_like(0.0, x).to(x.dtype), x), dim, keepdim)


def nanmean(x, dim=None, keepdim: bool = False) -> Tensor:
    """The mean of the non-NaN elements."""
    count = reduction.sum(logical_not(isnan(x)).to(x.dtype), dim, keepdim)
    return nansum(x, dim, keepdim) / count


def var_mean(x, dim=None, correction: int = 1, keepdim: bool = False) -> tuple:
    return (reduction.var(x, dim, correction=correction, keepdim=keepdim),
            reduction.mean(x, dim, keepdim))


def std_mean(x, dim=None, correction: int = 1, keepdim: bool = False) -> tuple:
    return (reduction.std(x, dim, correction=correction, keepdim=keepdim),
            reduction.mean(x, dim, keepdim))


def unique(x, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (sorted), with the inverse indices and counts if asked."""
    found = np.unique(np.asarray(x), return_inverse=return_inverse, return_counts=return_counts,
                      axis=dim)
    found = found if isinstance(found, tuple) else (found,)
    out = [Tensor(found[0], device=x.device)]
    if return_inverse:
        out.append(Tensor(found[1].reshape(x.shape if dim is None else -1).astype(np.int64),
                          device=x.device))
    if return_counts:
        out.append(Tensor(found[-1].astype(np.int64), device=x.device))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(x, weights=None, minlength: int = 0) -> Tensor:
    """Counts of each value of a 1-d non-negative integer tensor (summed weights if given)."""
    values = np.asarray(x)
    if values.ndim != 1 or values.dtype.kind not in "iu" or (values.size and values.min() < 0):
        raise ValueError("bincount: expected a 1-d tensor of non-negative integers, got "
                         f"{values.dtype} of shape {shape_str(values.shape)}")
    w = None if weights is None else np.asarray(weights)
    return Tensor(np.bincount(values, w, minlength), device=x.device)


def searchsorted(sorted_sequence, values, right: bool = False, side: str | None = None) -> Tensor:
    """Where each of values would be inserted into the sorted last dim to keep it sorted."""
    side = side or ("right" if right else "left")
    seq, vals = np.asarray(sorted_sequence), np.asarray(_t(values))
    if seq.ndim == 1:
        found = np.searchsorted(seq, vals, side=side)
    else:
        found = np.stack([np.searchsorted(s, v, side=side)
                          for s, v in zip(seq.reshape(-1, seq.shape[-1]),
                                          vals.reshape(-1, vals.shape[-1]))]).reshape(vals.shape)
    return Tensor(found.astype(np.int64), device=sorted_sequence.device)


def cumprod(x, dim: int) -> Tensor:
    """Running products along dim (a product per step, so zeros are exact)."""
    dim = normalize_dim("cumprod", dim, x.ndim)
    steps = shape.split(x, 1, dim)
    out = [steps[0]]
    for s in steps[1:]:
        out.append(out[-1] * s)
    return shape.cat(out, dim)
