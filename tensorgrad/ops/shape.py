"""Shape primitives: reshape, permute, expand and its adjoint sum_to, cat, pad. Squeeze, unsqueeze,
flatten, transpose and stack are compositions of these."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import normalize_dim, normalize_dims


class Reshape(Function):
    """y = x viewed with a new shape;  dx = gy reshaped back."""

    may_view = True

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.in_shape = x.shape
        try:
            return ctx.backend.reshape(x, shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {shape_str(x.shape)} ({x.size} "
                f"elements) into {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, gy):
        return reshape(gy, ctx.in_shape)


class Permute(Function):
    """y = x with its dims reordered;  dx = gy with the inverse order."""

    may_view = True

    @staticmethod
    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return ctx.backend.transpose(x, dims)

    @staticmethod
    def backward(ctx, gy):
        return permute(gy, tuple(np.argsort(ctx.dims)))


class Expand(Function):
    """y = x broadcast to shape (no copy);  dx = sum_to(gy, x.shape)."""

    may_view = True

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.in_shape = x.shape
        try:
            return ctx.backend.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(
                f"expand: cannot expand shape {shape_str(x.shape)} to {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, gy):
        return sum_to(gy, ctx.in_shape)


class SumTo(Function):
    """y = x summed over the dims broadcasting would add or stretch to reach x.shape;  dx = gy
    expanded back. The engine uses it to return gradients of broadcast inputs to their shapes."""

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.in_shape = x.shape
        return ctx.backend.sum_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return expand(gy, ctx.in_shape)


class Cat(Function):
    """y = the inputs joined along dim;  each dx_i = the slice of gy that came from x_i."""

    @staticmethod
    def forward(ctx, *xs, dim=0):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        try:
            return ctx.backend.concatenate(xs, dim)
        except ValueError:
            shapes = ", ".join(shape_str(x.shape) for x in xs)
            raise ShapeError(
                f"cat: shapes {shapes} must match except in dim {dim}"
            ) from None

    @staticmethod
    def backward(ctx, gy):
        grads = []
        start = 0
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            index = (slice(None),) * ctx.dim + (slice(start, start + size),)
            grads.append(gy[index] if need else None)
            start += size
        return tuple(grads)


class Pad(Function):
    """y = x with constant borders; widths ((before, after) per dim);  dx = the middle of gy."""

    @staticmethod
    def forward(ctx, x, widths=(), value=0.0):
        ctx.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return ctx.backend.pad(x, widths, value)

    @staticmethod
    def backward(ctx, gy):
        return gy[ctx.index]


# ----- the functions users call ----------------------------------------------------------------


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def reshape(x, *shape) -> Tensor:
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def permute(x, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the dims of shape {x.shape}")
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0: int, dim1: int) -> Tensor:
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    dims = list(range(x.ndim))
    a = normalize_dim("transpose", dim0, x.ndim)
    b = normalize_dim("transpose", dim1, x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, dims)


def expand(x, *shape) -> Tensor:
    """Broadcast to shape; -1 keeps a dim's size (PyTorch's expand)."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: cannot expand shape {shape_str(x.shape)} to {shape}")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    if shape == x.shape:
        return x
    return Expand.apply(x, shape=shape)


def broadcast_to(x, shape) -> Tensor:
    return expand(x, shape)


def sum_to(x, shape) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, x.shape[lead:])):
        raise ShapeError(f"sum_to: cannot sum shape {shape_str(x.shape)} to {shape}")
    return SumTo.apply(x, shape=shape)


def squeeze(x, dim=None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = {normalize_dim("squeeze", d, x.ndim) for d in dims} if x.ndim else set()
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def unsqueeze(x, dim: int) -> Tensor:
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise ShapeError(f"unsqueeze: dim {dim} is out of range for a tensor with {x.ndim} dims")
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim("flatten", start_dim, x.ndim)
    end = normalize_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    middle = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (middle,) + x.shape[end + 1:])


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    first = tensors[0]
    if any(t.ndim != first.ndim for t in tensors):
        shapes = ", ".join(shape_str(t.shape) for t in tensors)
        raise ShapeError(f"cat: tensors must have the same number of dims, got {shapes}")
    dtypes = [t.dtype for t in tensors]
    floats = [d for d in dtypes if d.kind == "f"]
    # PyTorch's rule: integers meeting floats take the widest float (int64 + float32 is
    # float32, where numpy would say float64)
    dtype = np.result_type(*floats) if floats else np.result_type(*dtypes)
    tensors = [t.to(dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(*tensors, dim=normalize_dim("cat", dim, first.ndim))


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shape = tensors[0].shape
    if any(t.shape != shape for t in tensors):
        shapes = ", ".join(shape_str(t.shape) for t in tensors)
        raise ShapeError(f"stack: all tensors must have the same shape, got {shapes}")
    if not -len(shape) - 1 <= dim <= len(shape):
        raise ShapeError(f"stack: dim {dim} is out of range for tensors with {len(shape)} dims")
    return cat([unsqueeze(t, dim) for t in tensors], dim=dim % (len(shape) + 1))


def pad(x, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's pad: `pad` lists (left, right) for the last dim, then the one before, ...
    mode 'constant' fills with `value`; 'reflect' mirrors without repeating the edge
    (pads < the dim's size), 'replicate' repeats the edge, 'circular' wraps around (pads <= the
    dim's size). The last three gather the padded dims by index, so gradients sum back."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _PAD_MODES))}, got "
                         f"{mode!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"pad: {pad} must hold (before, after) pairs for at most {x.ndim} dims")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding {pad} is not supported; slice instead")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return Pad.apply(x, widths=tuple(widths), value=value)
    for dim, (before, after) in enumerate(widths):
        if before or after:
            x = x[(slice(None),) * dim + (_pad_index(mode, x.shape, dim, before, after),)]
    return x


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(mode, shape, dim, before, after) -> np.ndarray:
    """The source position along `dim` of each padded position -before .. n + after - 1."""
    n = shape[dim]
    limit = n - 1 if mode == "reflect" else n
    if n == 0 or max(before, after) > limit:
        raise ShapeError(f"pad: {mode} padding ({before}, {after}) of dim {dim} needs each side "
                         f"{'below' if mode == 'reflect' else 'at most'} its size {n} (input "
                         f"{shape_str(shape)})")
    i = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    i = np.abs(i)  # reflect: mirror at 0, then at n - 1
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


def flip(x, dims) -> Tensor:
    """x reversed along each of dims (a view's gradient: reversed back)."""
    axes = normalize_dims("flip", dims, x.ndim) or ()
    index = [slice(None)] * x.ndim
    for d in axes:
        index[d] = slice(None, None, -1)
    return x[tuple(index)]


def repeat(x, *sizes) -> Tensor:
    """x tiled sizes[i] times along each dim (PyTorch's repeat; more sizes than dims add leading
    dims). An expand and a reshape: the gradient sums the copies."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < x.ndim or any(s < 0 for s in sizes):
        raise ShapeError(f"repeat: sizes {sizes} must be non-negative, one per dim of "
                         f"{shape_str(x.shape)} at least")
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + tuple(x.shape))
    spread, tiled = [], []
    for r, n in zip(sizes, x.shape):
        spread += [1, n]
        tiled += [r, n]
    return reshape(expand(reshape(x, tuple(spread)), tuple(tiled)),
                   tuple(r * n for r, n in zip(sizes, x.shape)))


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of x along dim: pieces of split_size (the last one shorter), or of the listed
    sizes (which must add up to the dim's size)."""
    axis = normalize_dim("split", dim, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 1 and n:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(f"split: sections {sizes} must add up to dim {dim}'s size {n} "
                             f"(shape {shape_str(x.shape)})")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * axis + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces along dim, each ceil(size / chunks) long but the last."""
    if chunks < 1:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[normalize_dim("chunk", dim, x.ndim)]
    return split(x, max(1, -(-n // chunks)), dim)
