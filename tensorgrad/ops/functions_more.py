"""Still more of PyTorch's torch.* functions, composed from primitives like functions.py's (so
gradients of any order wherever PyTorch has them): running extremes and log-sum-exp,
histograms and buckets, NaN-aware order statistics, scatter/index variants, statistics (cov,
corrcoef), integration (trapezoid), and dtype promotion queries. Indices, counts and masks are
constants; indices follow PyTorch's choice among ties."""

from __future__ import annotations

import itertools
import math
from collections import namedtuple

import numpy as np

from ..creation import ones_like, zeros_like
from ..dtypes import get_default_dtype
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from . import elementwise as E
from . import indexing, reduction, shape
from ._util import as_tensor_like, normalize_dim
from .functions import _atleast, _t, diagonal, logaddexp, meshgrid, narrow, searchsorted

__all__ = [
    "cummax", "cummin", "logcumsumexp", "histc", "histogram", "bucketize", "cartesian_prod",
    "combinations", "scatter_reduce", "index_copy", "index_fill", "masked_scatter", "argwhere",
    "vdot", "aminmax", "nanmedian", "nanquantile", "mode", "heaviside", "logaddexp2",
    "copysign", "cov", "corrcoef", "tensor_split", "atleast_1d", "atleast_2d", "atleast_3d",
    "unflatten", "result_type", "promote_types", "can_cast", "vander", "trapezoid", "trapz",
    "cumulative_trapezoid", "renorm", "erfc", "sinc",
]

MinMaxValues = namedtuple("aminmax", ["min", "max"])
Histogram = namedtuple("histogram", ["hist", "bin_edges"])
ValuesIndices = namedtuple("values_indices", ["values", "indices"])


def _constant(array, like: Tensor) -> Tensor:
    return Tensor(np.asarray(array), device=like.device)


def _host(x) -> np.ndarray:
    return np.asarray(x.detach() if isinstance(x, Tensor) else x)


# ----- running extremes and log-sum-exp ---------------------------------------------------------


def _running(op: str, x, dim: int, better):
    """(values, indices) of a running extreme along dim: the index moves to each element at
    least as good as the extreme so far (the last of ties, as PyTorch's) and to each NaN,
    which then stays the extreme."""
    dim = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return ValuesIndices(x, _constant(np.zeros((), np.int64), x))
    data = np.moveaxis(_host(x), dim, -1)
    extreme = better.accumulate(data, axis=-1)
    steps = np.arange(data.shape[-1])
    moved = (data == extreme) | (np.isnan(data) if data.dtype.kind == "f" else False)
    index = np.maximum.accumulate(np.where(moved, steps, 0), axis=-1)
    indices = _constant(np.ascontiguousarray(np.moveaxis(index, -1, dim)).astype(np.int64), x)
    return ValuesIndices(indexing.gather(x, dim, indices), indices)


def cummax(x, dim: int):
    """(values, indices): the running maximum along dim; gradients flow to the elements that
    were the maximum."""
    return _running("cummax", x, dim, np.maximum)


def cummin(x, dim: int):
    """(values, indices): the running minimum along dim."""
    return _running("cummin", x, dim, np.minimum)


def logcumsumexp(x, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along dim without overflow: a running logaddexp, one step per
    element (exact where a single exp-shift would underflow the earlier terms)."""
    dim = normalize_dim("logcumsumexp", dim, x.ndim)
    if x.ndim == 0:
        return x
    steps = shape.split(x, 1, dim)
    out = [steps[0]]
    for s in steps[1:]:
        out.append(logaddexp(out[-1], s))
    return shape.cat(out, dim)


# ----- histograms and buckets -------------------------------------------------------------------


def histc(x, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of x's elements in `bins` equal bins over [min, max] (x's own range where both
    are 0), in x's dtype; elements outside are left out, the maximum counts in the last bin."""
    data = _host(x).reshape(-1)
    if data.dtype.kind != "f":
        raise TypeError(f"histc: expected a floating tensor, got {data.dtype}")
    if bins < 1:
        raise ValueError(f"histc: bins must be positive, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise ValueError(f"histc: max {hi} must not be below min {lo}")
    counts, _ = np.histogram(data, bins=bins, range=(lo, hi))
    return _constant(counts.astype(data.dtype), x)


def histogram(x, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """(hist, bin_edges) as numpy.histogram: `bins` a count (equal bins over `range` or x's
    range) or a 1-d tensor of edges."""
    data = _host(x).reshape(-1)
    edges = _host(bins) if isinstance(bins, Tensor) else bins
    w = None if weight is None else _host(weight).reshape(-1)
    hist, out_edges = np.histogram(data, bins=edges, range=range, weights=w, density=density)
    return Histogram(_constant(hist.astype(data.dtype), x), _constant(out_edges.astype(
        data.dtype), x))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each element among the sorted 1-d boundaries: i with boundaries[i-1] <
    x <= boundaries[i] (right=False), or boundaries[i-1] <= x < boundaries[i] (right=True)."""
    b = _t(boundaries)
    if b.ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-d, got shape {shape_str(b.shape)}")
    found = searchsorted(b, _t(input), side="right" if right else "left")
    return found.to(np.int32) if out_int32 else found


# ----- combinatorics ----------------------------------------------------------------------------


def cartesian_prod(*tensors) -> Tensor:
    """The Cartesian product of 1-d tensors as rows (n1*n2*..., k); one tensor: itself."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return shape.stack([g.reshape(-1) for g in grids], 1)


def combinations(x, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a 1-d tensor's elements as rows, in itertools' order."""
    if x.ndim != 1:
        raise ShapeError(f"combinations: expected a 1-d tensor, got shape {shape_str(x.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else (
        itertools.combinations)
    rows = list(pick(range(x.shape[0]), r))
    if not rows or r == 0:
        return x[np.zeros((0, r), dtype=np.int64)]
    return x[np.asarray(rows, dtype=np.int64)]


# ----- scatter and index variants ---------------------------------------------------------------


def _targets(op, x, dim, index):
    """The flat position in x that each element of index names (index's shape, along dim)."""
    idx = _host(index).astype(np.int64)
    if idx.ndim != x.ndim:
        raise ShapeError(f"{op}: index {shape_str(idx.shape)} must have the dims of input "
                         f"{shape_str(x.shape)}")
    n = x.shape[dim]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index out of range for dim {dim} of size {n}")
    coords = list(np.indices(idx.shape, sparse=True))
    coords[dim] = idx % n
    return np.ravel_multi_index(tuple(np.broadcast_arrays(*coords)), x.shape)


def scatter_reduce(input, dim: int, index, src, reduce: str,  # noqa: A002
                   *, include_self: bool = True) -> Tensor:
    """input with src's elements reduced into the positions index names along dim ('sum',
    'prod', 'mean', 'amax', 'amin'), out of place; positions nothing is scattered to keep
    input. Each position's contributors are gathered into a row (padded with the reduction's
    identity) and reduced with the differentiable reductions: amax/amin share the gradient
    evenly among tied contributors (with include_self=False PyTorch 2.13 also counts an equal
    input value among the ties, which then takes a share though it is not reduced), prod's
    gradient is exact with zeros."""
    reductions = ("sum", "prod", "mean", "amax", "amin")
    if reduce not in reductions:
        raise ValueError(f"scatter_reduce: reduce must be one of {reductions}, got {reduce!r}")
    x = input
    dim = normalize_dim("scatter_reduce", dim, x.ndim)
    src = as_tensor_like(src, x)
    idx = _host(index)
    if any(i > s for i, s in zip(idx.shape, src.shape)):
        raise ShapeError(f"scatter_reduce: index {shape_str(idx.shape)} is larger than src "
                         f"{shape_str(src.shape)}")
    src = src[tuple(slice(0, n) for n in idx.shape)]
    targets = _targets("scatter_reduce", x, dim, idx).reshape(-1)
    size = int(np.prod(x.shape))
    counts = np.bincount(targets, minlength=size)
    written = _constant((counts > 0).reshape(x.shape), x)
    if reduce in ("sum", "mean"):
        total = indexing.scatter_add(x if include_self else zeros_like(x), dim, index, src)
        if reduce == "sum":
            return total if include_self else E.where(written, total, x)
        n = counts + (1 if include_self else 0)
        return E.where(written, total / _constant(np.maximum(n, 1).reshape(x.shape).astype(
            x.dtype), x), x)
    # a row per position: [x (if include_self), its contributors, identity padding]
    order = np.argsort(targets, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.empty_like(targets)
    slot[order] = np.arange(targets.size) - starts[targets[order]]
    lead = 1 if include_self else 0
    width = lead + (int(counts.max()) if counts.size else 0)
    identity = {"prod": 1.0, "amax": -np.inf, "amin": np.inf}[reduce]
    pool = shape.cat([x.reshape(-1), src.reshape(-1),
                      as_tensor_like(np.full(1, identity, dtype=x.dtype), x)])
    rows = np.full((size, width), size + targets.size, dtype=np.int64)
    if include_self:
        rows[:, 0] = np.arange(size)
    rows[targets, lead + slot] = size + np.arange(targets.size)
    gathered = pool[rows]
    if reduce == "prod":
        out = reduction.prod(gathered, 1)
    else:
        out = (reduction.amax if reduce == "amax" else reduction.amin)(gathered, 1)
    return E.where(written, out.reshape(x.shape), x) if not include_self else out.reshape(
        x.shape)


def _index_rows(op, x, dim, index):
    dim = normalize_dim(op, dim, x.ndim)
    idx = _host(index).astype(np.int64).reshape(-1)
    n = x.shape[dim]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index out of range for dim {dim} of size {n}")
    mask_shape = [1] * x.ndim
    mask_shape[dim] = n
    hit = np.zeros(n, dtype=bool)
    hit[idx % n] = True
    return dim, idx % n, _constant(hit.reshape(mask_shape), x)


def index_copy(input, dim: int, index, source) -> Tensor:  # noqa: A002
    """input with its slices index[i] along dim replaced by source's slice i (out of place)."""
    dim, idx, hit = _index_rows("index_copy", input, dim, index)
    source = as_tensor_like(source, input)
    if source.ndim != input.ndim or source.shape[dim] != idx.size:
        raise ShapeError(f"index_copy: source {shape_str(source.shape)} must have "
                         f"{idx.size} slices along dim {dim} of input {shape_str(input.shape)}")
    row = np.zeros(input.shape[dim], dtype=np.int64)
    row[idx] = np.arange(idx.size)  # the last of repeated indices wins
    return E.where(hit, indexing.index_select(source, dim, _constant(row, input)), input)


def index_fill(input, dim: int, index, value) -> Tensor:  # noqa: A002
    """input with its slices index along dim set to value (a number or a 0-d tensor)."""
    _, _, hit = _index_rows("index_fill", input, dim, index)
    return E.where(hit, as_tensor_like(value, input).to(input.dtype), input)


def masked_scatter(input, mask, source) -> Tensor:  # noqa: A002
    """input with the positions where mask (broadcast to input) is true filled, in row-major
    order, with source's leading elements."""
    m = np.broadcast_to(_host(mask).astype(bool), tuple(input.shape))
    need = int(m.sum())
    flat = source.reshape(-1)
    if flat.shape[0] < need:
        raise ShapeError(f"masked_scatter: source has {flat.shape[0]} elements, the mask "
                         f"selects {need}")
    pointer = np.clip(np.cumsum(m.reshape(-1)) - 1, 0, None).reshape(m.shape)
    placed = flat[pointer] if need else zeros_like(input)
    return E.where(_constant(m, input), placed, input)


def argwhere(x) -> Tensor:
    """The (n, ndim) indices of x's non-zero elements."""
    return x.nonzero()


def vdot(a, b) -> Tensor:
    """The dot product of two 1-d tensors (real: dot)."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ShapeError(f"vdot: expected two 1-d tensors of one size, got {shape_str(a.shape)}"
                         f" and {shape_str(b.shape)}")
    return reduction.sum(a * b)


# ----- order statistics -------------------------------------------------------------------------


def aminmax(x, *, dim: int | None = None, keepdim: bool = False):
    """(min, max) together."""
    return MinMaxValues(reduction.amin(x, dim, keepdim), reduction.amax(x, dim, keepdim))


def _nan_order(op, x, dim):
    """x sorted along dim with NaNs last, and the non-NaN count of each slice."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    dim = normalize_dim(op, dim, x.ndim)
    values, indices = reduction.sort(x, dim)
    valid = (~np.isnan(_host(x))).sum(axis=dim, keepdims=True)
    return values, indices, valid, dim


def nanmedian(x, dim: int | None = None, keepdim: bool = False):
    """The lower median of the non-NaN elements (NaN where all are NaN): of all elements
    when dim is None, else (values, indices) along dim."""
    reduce_all = dim is None
    values, indices, valid, axis = _nan_order("nanmedian", x, dim)
    pick = _constant(np.maximum(valid - 1, 0) // 2, x)
    out = indexing.take_along_dim(values, pick, axis)
    where = indexing.take_along_dim(indices, pick, axis)
    if reduce_all:
        return out.reshape(())
    if not keepdim:
        out, where = out.squeeze(axis), where.squeeze(axis)
    return ValuesIndices(out, where)


def nanquantile(x, q, dim: int | None = None, keepdim: bool = False,
                interpolation: str = "linear") -> Tensor:
    """quantile over the non-NaN elements of each slice (NaN where all are NaN)."""
    modes = ("linear", "lower", "higher", "nearest", "midpoint")
    if interpolation not in modes:
        raise ValueError(f"nanquantile: interpolation must be one of {modes}, got "
                         f"{interpolation!r}")
    qs = np.asarray(_host(q), dtype=np.float64)
    if qs.ndim > 1 or np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"nanquantile: q must be a number or a 1-d tensor in [0, 1], got {qs}")
    ndim, reduce_all = x.ndim, dim is None
    values, _, valid, axis = _nan_order("nanquantile", x, dim)
    outs = []
    for qq in qs.reshape(-1):
        pos = qq * np.maximum(valid - 1, 0)
        lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
        if interpolation == "nearest":
            lo = hi = np.round(pos).astype(np.int64)
        elif interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        frac = np.full(pos.shape, 0.5) if interpolation == "midpoint" else pos - lo
        below = indexing.take_along_dim(values, _constant(lo, x), axis)
        above = indexing.take_along_dim(values, _constant(hi, x), axis)
        out = below + (above - below) * _constant(frac.astype(x.dtype), x)
        out = E.where(_constant(valid > 0, x), out, as_tensor_like(float("nan"), out))
        if reduce_all:
            out = out.reshape((1,) * ndim if keepdim else ())
        elif not keepdim:
            out = out.squeeze(axis)
        outs.append(out)
    return shape.stack(outs, 0) if qs.ndim else outs[0]


def mode(x, dim: int = -1, keepdim: bool = False):
    """(values, indices): the most frequent value along dim (the smallest among equally
    frequent ones) and the index of its last occurrence, as PyTorch's."""
    dim = normalize_dim("mode", dim, x.ndim) if x.ndim else 0
    data = np.moveaxis(_host(x), dim, -1) if x.ndim else _host(x).reshape(1)
    flat = data.reshape(-1, data.shape[-1])
    index = np.empty(flat.shape[0], dtype=np.int64)
    for r, row in enumerate(flat):
        found, counts = np.unique(row, return_counts=True)
        best = found[np.argmax(counts)]  # np.unique sorts: argmax takes the smallest of ties
        index[r] = np.flatnonzero(row == best)[-1] if best == best else np.flatnonzero(
            np.isnan(row))[-1]
    if not x.ndim:
        return ValuesIndices(x, _constant(np.zeros((), np.int64), x))
    index = index.reshape(data.shape[:-1] + (1,))
    index = _constant(np.ascontiguousarray(np.moveaxis(index, -1, dim)), x)
    values = indexing.take_along_dim(x, index, dim)
    if not keepdim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    return ValuesIndices(values, index)


# ----- elementwise ------------------------------------------------------------------------------


def heaviside(input, values) -> Tensor:  # noqa: A002
    """0 where input < 0, values where input == 0, 1 where input > 0 (not differentiable, as
    PyTorch's)."""
    x, v = _host(input), _host(as_tensor_like(values, input))
    return _constant(np.heaviside(x, v).astype(np.result_type(x, v)), input)


def logaddexp2(a, b) -> Tensor:
    """log2(2^a + 2^b) without overflow."""
    ln2 = math.log(2)
    return logaddexp(_t(a) * ln2, _t(b) * ln2) * (1 / ln2)


def copysign(a, b) -> Tensor:
    """|a| with the sign of b (b's sign bit: -0.0 counts as negative); the gradient flows to
    a only."""
    a = _t(a)
    negative = np.signbit(_host(as_tensor_like(b, a)))
    sign = _constant(np.where(negative, -1, 1).astype(a.dtype if a.dtype.kind == "f" else
                                                      get_default_dtype()), a)
    return E.abs(a) * sign


def erfc(x) -> Tensor:
    from ..special import erfc as _erfc

    return _erfc(x)


def sinc(x) -> Tensor:
    from ..special import sinc as _sinc

    return _sinc(x)


def renorm(input, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """input with each slice along dim whose p-norm exceeds maxnorm scaled down to maxnorm
    (by maxnorm / (norm + 1e-7), PyTorch's factor)."""
    x = input
    dim = normalize_dim("renorm", dim, x.ndim)
    others = tuple(d for d in range(x.ndim) if d != dim)
    norms = reduction.sum(E.abs(x) ** p, others, keepdim=True) ** (1.0 / p)
    factor = E.where(norms > maxnorm, maxnorm / (norms + 1e-7), as_tensor_like(1.0, norms))
    return x * factor


# ----- statistics and integration ---------------------------------------------------------------


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:  # noqa: A002
    """The covariance matrix of the rows (variables) over the columns (observations), with
    integer frequency and/or float observation weights, as numpy.cov / PyTorch's."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if input.ndim > 2:
        raise ShapeError(f"cov: expected a 1-d or 2-d tensor, got {shape_str(input.shape)}")
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = as_tensor_like(fweights, x).to(x.dtype)
    if aweights is not None:
        a = as_tensor_like(aweights, x).to(x.dtype)
        w = a if w is None else w * a
    if w is None:
        mean = reduction.mean(x, 1, keepdim=True)
        centered = x - mean
        out = centered @ centered.transpose(0, 1) / (n - correction)
    else:
        total = reduction.sum(w)
        mean = reduction.sum(x * w, 1, keepdim=True) / total
        centered = x - mean
        if aweights is None or correction == 0:
            norm = total - correction
        else:
            norm = total - correction * reduction.sum(w * as_tensor_like(aweights, x).to(
                x.dtype)) / total
        out = (centered * w) @ centered.transpose(0, 1) / norm
    return out.reshape(()) if x.shape[0] == 1 else out


def corrcoef(input) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = E.sqrt(diagonal(c))
    out = c / d.reshape(-1, 1) / d.reshape(1, -1)
    return E.clamp(out, -1.0, 1.0)


def trapezoid(y, x=None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along dim: spacing dx (default 1) or sample points x."""
    dim = normalize_dim("trapezoid", dim, y.ndim)
    n = y.shape[dim]
    if n == 0:
        return reduction.sum(y, dim)
    pairs = narrow(y, dim, 1, n - 1) + narrow(y, dim, 0, n - 1)
    if x is None:
        return reduction.sum(pairs, dim) * (0.5 * (1.0 if dx is None else dx))
    x = as_tensor_like(x, y)
    steps = _steps(x, dim, y.ndim)
    return reduction.sum(pairs * steps, dim) * 0.5


trapz = trapezoid


def _steps(x, dim, ndim):
    if x.ndim == 1:
        d = x[1:] - x[:-1]
        return d.reshape((-1,) + (1,) * (ndim - dim - 1))
    size = x.shape[dim]
    return narrow(x, dim, 1, size - 1) - narrow(x, dim, 0, size - 1)


def cumulative_trapezoid(y, x=None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The running trapezoidal rule along dim (one element shorter than y along dim)."""
    dim = normalize_dim("cumulative_trapezoid", dim, y.ndim)
    n = y.shape[dim]
    pairs = narrow(y, dim, 1, n - 1) + narrow(y, dim, 0, n - 1)
    if x is None:
        return reduction.cumsum(pairs, dim) * (0.5 * (1.0 if dx is None else dx))
    return reduction.cumsum(pairs * _steps(as_tensor_like(x, y), dim, y.ndim), dim) * 0.5


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-d x: columns x^(N-1), ..., x^0 (increasing: x^0 first)."""
    if x.ndim != 1:
        raise ShapeError(f"vander: expected a 1-d tensor, got shape {shape_str(x.shape)}")
    n = x.shape[0] if N is None else N
    powers = range(n) if increasing else range(n - 1, -1, -1)
    cols = [ones_like(x) if k == 0 else x ** k for k in powers] if n else []
    if not cols:
        return x.reshape(-1, 1)[:, :0]
    return shape.stack(cols, 1)


# ----- shapes -----------------------------------------------------------------------------------


def _atleast_each(tensors, n):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = tuple(_atleast(_t(t), n) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    return _atleast_each(tensors, 1)


def atleast_2d(*tensors):
    return _atleast_each(tensors, 2)


def atleast_3d(*tensors):
    return _atleast_each(tensors, 3)


def tensor_split(x, indices_or_sections, dim: int = 0) -> tuple:
    """Views of x split along dim: into n nearly equal parts (the first size % n one longer),
    or at the given indices, as numpy.array_split."""
    dim = normalize_dim("tensor_split", dim, x.ndim)
    size = x.shape[dim]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.tolist()
    if isinstance(spec, (int, np.integer)):
        if spec < 1:
            raise ValueError(f"tensor_split: sections must be positive, got {spec}")
        base, extra = divmod(size, int(spec))
        bounds = np.cumsum([0] + [base + (1 if i < extra else 0) for i in range(int(spec))])
    else:
        cuts = [min(max(int(i) if i >= 0 else int(i) + size, 0), size) for i in spec]
        bounds = [0] + cuts + [size]
    return tuple(narrow(x, dim, int(a), max(int(b) - int(a), 0))  # bounds lie in [0, size]
                 for a, b in zip(bounds[:-1], bounds[1:]))


def unflatten(x, dim: int, sizes) -> Tensor:
    """dim split into sizes (one may be -1)."""
    dim = normalize_dim("unflatten", dim, x.ndim)
    return x.reshape(tuple(x.shape[:dim]) + tuple(sizes) + tuple(x.shape[dim + 1:]))


# ----- dtype promotion --------------------------------------------------------------------------

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _dtype_of(value):
    if isinstance(value, Tensor):
        return value.dtype, False
    if isinstance(value, bool):
        return np.dtype(bool), True
    if isinstance(value, int):
        return np.dtype(np.int64), True
    if isinstance(value, float):
        return get_default_dtype(), True
    return np.dtype(value), False


def promote_types(type1, type2):
    """PyTorch's promotion of two dtypes: the higher category (bool < integer < float) wins,
    within one category the wider type (uint8 with int8: int16)."""
    a, b = np.dtype(type1), np.dtype(type2)
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb and (ca == 2 or cb == 2):
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op of the two gives: a Python number takes the tensor's dtype
    unless its category is higher (a float with an integer tensor: the default float)."""
    (a, a_scalar), (b, b_scalar) = _dtype_of(tensor1), _dtype_of(tensor2)
    if a_scalar != b_scalar:
        (t, _), (s, _) = ((a, 0), (b, 0)) if b_scalar else ((b, 0), (a, 0))
        return t if _CATEGORY[s.kind] <= _CATEGORY[t.kind] else (
            get_default_dtype() if s.kind == "f" else s)
    return promote_types(a, b)


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow from_ -> to: never to a lower category (float to
    integer, anything but bool to bool)."""
    return _CATEGORY[np.dtype(from_).kind] <= _CATEGORY[np.dtype(to).kind]
