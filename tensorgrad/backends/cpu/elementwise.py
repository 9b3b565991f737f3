"""Elementwise CPU kernels: numpy ufuncs (vectorised; a Numba call costs more on small arrays)."""

import numpy as np

__all__ = [
    "add", "subtract", "multiply", "divide", "negative", "power", "exp", "log", "sqrt", "abs",
    "sign", "maximum", "minimum", "relu", "relu_backward", "relu_mask", "sigmoid", "tanh", "where",
    "clip", "cast", "compare", "logical", "clamp_mask", "inplace", "add_rows_", "add_rows_relu_",
    "relu_backward_rows", "add_planes_relu_", "relu_backward_planes", "fill",
    "sin", "cos", "log1p", "expm1", "floor", "ceil", "round", "trunc", "remainder",
    "floor_divide", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "arctan2",
]

add = np.add
subtract = np.subtract
multiply = np.multiply
divide = np.divide
negative = np.negative
power = np.power
exp = np.exp
log = np.log
sqrt = np.sqrt
abs = np.abs  # noqa: A001
sign = np.sign
maximum = np.maximum
minimum = np.minimum
tanh = np.tanh
where = np.where
clip = np.clip
sin = np.sin
cos = np.cos
log1p = np.log1p
expm1 = np.expm1
floor = np.floor
ceil = np.ceil
round = np.round  # noqa: A001  (half to even, as PyTorch's)
trunc = np.trunc
remainder = np.remainder  # the divisor's sign (Python's %, PyTorch's remainder)
floor_divide = np.floor_divide
tan, arcsin, arccos, arctan = np.tan, np.arcsin, np.arccos, np.arctan
sinh, cosh, arcsinh, arccosh, arctanh = np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh
arctan2 = np.arctan2


# From this many elements on, ReLU, its backward and the bias add run as Numba kernels on all
# cores (1M floats: 0.12 against numpy's 0.37 ms). Below it numpy's call costs less than Numba's
# dispatch, and a small network never loads Numba at all (its import adds ~120 MiB of RSS: an
# MLP at batch 128 peaked at 165 instead of 43 MiB with the threshold at 2^14).
FUSED_MIN_ELEMENTS = 1 << 17
_fused = None


def _fused_kernels():
    global _fused
    from . import fused

    _fused = fused
    return fused


def relu(x):
    if x.size >= FUSED_MIN_ELEMENTS and x.dtype.kind == "f":
        return (_fused or _fused_kernels()).relu_large(x)
    return np.maximum(x, 0)


def relu_backward(y, gy):
    """gy * [y > 0] (the gradient of ReLU given its output)."""
    if y.size >= FUSED_MIN_ELEMENTS and y.dtype == gy.dtype:
        return (_fused or _fused_kernels()).relu_backward(y, gy)
    return np.multiply(gy, y > 0)


def add_rows_(y, b):
    """y += b in place, b broadcast over y's rows (Linear's bias)."""
    if (y.ndim == 2 and y.size >= FUSED_MIN_ELEMENTS and y.flags.c_contiguous
            and y.dtype == b.dtype and y.dtype.kind == "f"):
        (_fused or _fused_kernels()).add_rows_(y, b)
    else:
        inplace("add", y, b)


def _as_rows(y, *others):
    """y and others as 2-D (rows, last dim) views where the Linear+ReLU kernels apply: large,
    floating, C-contiguous, one dtype, y writeable. None otherwise."""
    if (y.ndim == 0 or y.size < FUSED_MIN_ELEMENTS or y.dtype.kind != "f"
            or not (y.flags.c_contiguous and y.flags.writeable)
            or not all(a.dtype == y.dtype and a.flags.c_contiguous for a in others)):
        return None
    return [a.reshape(-1, a.shape[-1]) for a in (y, *others)]


def add_rows_relu_(y, b):
    """y = max(y + b, 0) in place (b None: max(y, 0)), b broadcast along y's last dim:
    Linear+ReLU's forward on its GEMM's output, one pass. NaN stays NaN."""
    rows = _as_rows(y) if b is None else _as_rows(y, b)
    if rows is not None:
        (_fused or _fused_kernels()).add_rows_relu_(rows[0], b)
        return
    if b is not None:
        inplace("add", y, b)
    np.maximum(y, 0, out=y)


def relu_backward_rows(y, gy):
    """(gy * [y > 0], its sum over every dim but the last): Linear+ReLU's backward, the second
    the bias's gradient. One pass on large C-contiguous arrays."""
    rows = _as_rows(y, gy) if y.shape == gy.shape else None
    if rows is not None:
        g, total = (_fused or _fused_kernels()).relu_backward_rows(*rows)
        return g.reshape(y.shape), total
    g = relu_backward(y, gy)
    return g, g.reshape(-1, g.shape[-1]).sum(0)


def _as_planes(y, *others):
    """(N, C, rest) views of y and others (N, C, ...) where the conv+ReLU kernels apply."""
    if (y.ndim < 3 or y.size < FUSED_MIN_ELEMENTS or y.dtype.kind != "f"
            or not (y.flags.c_contiguous and y.flags.writeable)
            or not all(a.dtype == y.dtype and a.flags.c_contiguous and a.shape == y.shape
                       for a in others)):
        return None
    return [a.reshape(y.shape[0], y.shape[1], -1) for a in (y, *others)]


def add_planes_relu_(y, b):
    """y = max(y + b[c], 0) in place for y (N, C, ...) (b None: max(y, 0)): a convolution's bias
    and ReLU on its output, one pass. NaN stays NaN."""
    planes = _as_planes(y)
    if planes is not None and (b is None or (b.dtype == y.dtype and b.flags.c_contiguous)):
        (_fused or _fused_kernels()).add_planes_relu_(planes[0], b)
        return
    if b is not None:
        inplace("add", y, b.reshape((1, -1) + (1,) * (y.ndim - 2)))
    np.maximum(y, 0, out=y)


def relu_backward_planes(y, gy):
    """(gy * [y > 0], its sum over every dim but 1): a convolution+ReLU's backward, the second
    the bias's gradient. One pass on large C-contiguous arrays."""
    planes = _as_planes(y, gy)
    if planes is not None:
        g, total = (_fused or _fused_kernels()).relu_backward_planes(*planes)
        return g.reshape(y.shape), total
    g = relu_backward(y, gy)
    return g, g.sum((0,) + tuple(range(2, g.ndim)))


def relu_mask(x):
    """1 where x > 0 else 0, in x's dtype."""
    return (x > 0).astype(x.dtype)


def sigmoid(x):
    """1 / (1 + exp(-x)) as 0.5 tanh(x / 2) + 0.5: no overflow for any x, three passes in place."""
    y = np.multiply(x, 0.5, out=np.empty_like(x))
    np.tanh(y, out=y)
    y *= 0.5
    y += 0.5
    return y


def cast(x, dtype):
    return x.astype(dtype)


_COMPARE = {
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
}
_LOGICAL = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}


def compare(op, a, b):
    return _COMPARE[op](a, b)


def logical(op, a, b=None):
    if op == "not":
        return np.logical_not(a)
    return _LOGICAL[op](a, b)


def clamp_mask(x, lo, hi):
    """1 where lo <= x <= hi (a missing bound is no bound), else 0, in x's dtype."""
    inside = np.ones(x.shape, dtype=bool) if lo is None else x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside.astype(x.dtype)


isfinite = np.isfinite
isnan = np.isnan
__all__ += ["isfinite", "isnan"]


_INPLACE = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide}


def inplace(op, a, b):
    """a <- a (op) b (Tensor.add_ and friends); b broadcasts to a's shape."""
    _INPLACE[op](a, b, out=a, casting="same_kind")


def fill(a, value):
    a[...] = value
