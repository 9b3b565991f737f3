"""Elementwise CUDA kernels with numpy broadcasting: one thread per output element, which reads
its inputs through broadcast strides (0 along stretched dims) passed as fixed-size tuples."""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from ...errors import ShapeError
from .launch import MAXD, broadcast_strides, launch, padded
from .memory import asarray, empty, flat, forget_range

__all__ = [
    "add", "subtract", "multiply", "divide", "negative", "power", "exp", "log", "sqrt", "abs",
    "sign", "maximum", "minimum", "relu", "relu_mask", "sigmoid", "tanh", "where", "clip",
    "cast", "compare", "logical", "clamp_mask", "isfinite", "isnan", "sigmoid_backward",
    "relu_backward", "tanh_backward", "inplace", "add_rows_", "erf", "adam_step", "KERNELS",
    "add_rows_relu_", "relu_backward_rows", "add_planes_relu_", "relu_backward_planes",
    "sin", "cos", "log1p", "expm1", "floor", "ceil", "round", "trunc", "remainder",
    "floor_divide", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "arctan2",
]

ADD, SUB, MUL, DIV, POW, MAX, MIN, SIG_BWD, TANH_BWD, RELU_BWD, REM, FLOORDIV, ATAN2 = range(13)
EQ, NE, LT, LE, GT, GE, AND, OR, XOR = range(9)
(NEG, EXP, LOG, SQRT, ABS, SIGN, RELU, RELU_MASK, SIGMOID, TANH, ISFINITE, ISNAN,
 NOT, IDENTITY, ERF, SIN, COS, LOG1P, EXPM1, FLOOR, CEIL, ROUND, TRUNC, TAN, ASIN, ACOS, ATAN,
 SINH, COSH, ASINH, ACOSH, ATANH) = range(32)


@cuda.jit(device=True, inline=True)
def _offset(i, shape, strides):
    """Element offset of flat output index i read through strides (shape, strides: MAXD-tuples)."""
    off = 0
    for k in range(MAXD):
        d = MAXD - 1 - k
        n = shape[d]
        off += (i % n) * strides[d]
        i //= n
    return off


@cuda.jit(device=True, inline=True)
def _arith(op, x, y):
    if op == ADD:
        return x + y
    if op == SUB:
        return x - y
    if op == MUL:
        return x * y
    if op == DIV:
        return x / y
    if op == POW:
        return x ** y
    if op == MAX:
        return x if x > y or x != x else y
    if op == MIN:
        return x if x < y or x != x else y
    if op == SIG_BWD:  # x = y (the sigmoid's output), y = gy
        return y * x * (1 - x)
    if op == RELU_BWD:  # x = the ReLU's output, y = gy
        return y if x > 0 else y * 0  # gy * [y > 0], NaN * 0 included
    if op == REM:  # the divisor's sign, as Python's % (x - floor(x / y) * y for floats)
        return x % y
    if op == FLOORDIV:
        return x // y
    if op == ATAN2:
        return math.atan2(x, y)
    return y * (1 - x * x)  # TANH_BWD


@cuda.jit
def _binary(op, a, sa, b, sb, out, shape):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _arith(op, a[_offset(i, shape, sa)], b[_offset(i, shape, sb)])


@cuda.jit(device=True, inline=True)
def _test(op, x, y):
    if op == EQ:
        return x == y
    if op == NE:
        return x != y
    if op == LT:
        return x < y
    if op == LE:
        return x <= y
    if op == GT:
        return x > y
    if op == GE:
        return x >= y
    if op == AND:
        return bool(x) and bool(y)
    if op == OR:
        return bool(x) or bool(y)
    return bool(x) != bool(y)  # XOR


@cuda.jit
def _compare(op, a, sa, b, sb, out, shape):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _test(op, a[_offset(i, shape, sa)], b[_offset(i, shape, sb)])


@cuda.jit(device=True, inline=True)
def _math(op, x):
    if op == NEG:
        return -x
    if op == EXP:
        return math.exp(x)
    if op == LOG:
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    if op == SQRT:
        return math.sqrt(x) if x >= 0 else math.nan
    if op == ABS:
        return x if x >= 0 else -x  # not abs(): this module's abs is the host function
    if op == SIGN:
        return 1 if x > 0 else (-1 if x < 0 else 0)
    if op == RELU:
        return x if x > 0 else x * 0
    if op == RELU_MASK:
        return 1 if x > 0 else 0
    if op == SIGMOID:
        return 0.5 * math.tanh(0.5 * x) + 0.5
    if op == TANH:
        return math.tanh(x)
    if op == ERF:
        return math.erf(x)
    if op == SIN:
        return math.sin(x)
    if op == COS:
        return math.cos(x)
    if op == LOG1P:
        return math.log1p(x) if x >= -1 else math.nan
    if op == EXPM1:
        return math.expm1(x)
    if op == FLOOR:
        return _floor(x)
    if op == CEIL:
        return -_floor(-x)
    if op == ROUND:  # half to even, as numpy's and PyTorch's
        f = _floor(x)
        d = x - f  # exact
        if d > 0.5 or (d == 0.5 and f % 2 != 0):
            return f + 1
        return f
    if op == TRUNC:
        return _floor(x) if x >= 0 else -_floor(-x)
    return _inverse_or_hyperbolic(op, x)


@cuda.jit(device=True, inline=True)
def _inverse_or_hyperbolic(op, x):
    """tan, the inverse trigonometric and the hyperbolic functions, NaN outside their domains
    and infinite past float64's range (Python's math, which the simulator runs, raises there)."""
    if op == TAN:
        return math.tan(x)
    if op == ASIN:
        return math.asin(x) if -1 <= x <= 1 else math.nan
    if op == ACOS:
        return math.acos(x) if -1 <= x <= 1 else math.nan
    if op == ATAN:
        return math.atan(x)
    if op == SINH:
        return math.sinh(x) if -710 < x < 710 else x * math.inf
    if op == COSH:
        return math.cosh(x) if -710 < x < 710 else math.inf + x * 0
    if op == ASINH:
        return math.asinh(x)
    if op == ACOSH:
        return math.acosh(x) if x >= 1 else math.nan
    if op == ATANH:
        if -1 < x < 1:
            return math.atanh(x)
        return x * math.inf if x == 1 or x == -1 else math.nan
    return x  # IDENTITY (a cast: the store converts)


@cuda.jit(device=True, inline=True)
def _floor(x):
    """floor(x) as a float (math.floor returns an int: no NaN, no infinity, overflow past
    2^63): x less its fractional part x % 1, both exact in IEEE arithmetic."""
    if math.isinf(x) or math.isnan(x):
        return x
    return x - x % 1.0


@cuda.jit
def _unary(op, a, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = _math(op, a[i])


@cuda.jit
def _predicate(op, a, out):
    i = cuda.grid(1)
    if i < out.size:
        x = a[i]
        if op == ISFINITE:
            out[i] = not (math.isinf(x) or math.isnan(x))
        elif op == ISNAN:
            out[i] = math.isnan(x)
        else:  # NOT
            out[i] = not x


@cuda.jit
def _where(c, sc, a, sa, b, sb, out, shape):
    i = cuda.grid(1)
    if i < out.size:
        if c[_offset(i, shape, sc)]:
            out[i] = a[_offset(i, shape, sa)]
        else:
            out[i] = b[_offset(i, shape, sb)]


@cuda.jit
def _clip(a, lo, hi, out, mask):
    i = cuda.grid(1)
    if i < out.size:
        x = a[i]
        inside = x >= lo and x <= hi
        if mask:
            out[i] = 1 if inside else 0
        else:
            out[i] = lo if x < lo else (hi if x > hi else x)


def _broadcast_shape(op, *shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be "
                         "broadcast together") from None


_SCALARS: dict = {}


def _device(x, dtype=None):
    """Device arrays pass through; Python scalars become cached 0-d device arrays (so in-place
    updates such as buf.mul_(0.9) copy nothing per step); host arrays are copied."""
    if isinstance(x, (bool, int, float)):
        key = (type(x), x, np.dtype(dtype) if dtype is not None else None)
        if key not in _SCALARS:
            _SCALARS[key] = asarray(np.asarray(x, dtype=dtype))
        return _SCALARS[key]
    if np.isscalar(x) or isinstance(x, np.ndarray):
        return asarray(np.asarray(x, dtype=dtype))
    return x


def _run_binary(kernel, op, a, b, dtype, out=None):
    a, b = _device(a), _device(b)
    shape = _broadcast_shape("cuda", a.shape, b.shape)
    if out is None:
        out = empty(shape, dtype)
    launch(kernel, out.size, op, flat(a), broadcast_strides(a.shape, shape), flat(b),
           broadcast_strides(b.shape, shape), flat(out), padded(shape))
    return out


def _arith_op(op):
    def run(a, b):
        a, b = _device(a), _device(b)
        return _run_binary(_binary, op, a, b, np.result_type(a.dtype, b.dtype))

    return run


add, subtract, multiply, divide = (_arith_op(k) for k in (ADD, SUB, MUL, DIV))
power, maximum, minimum = (_arith_op(k) for k in (POW, MAX, MIN))
sigmoid_backward, tanh_backward = _arith_op(SIG_BWD), _arith_op(TANH_BWD)
relu_backward = _arith_op(RELU_BWD)
remainder, floor_divide = _arith_op(REM), _arith_op(FLOORDIV)
arctan2 = _arith_op(ATAN2)

_COMPARE = {"eq": EQ, "ne": NE, "lt": LT, "le": LE, "gt": GT, "ge": GE}
_LOGICAL = {"and": AND, "or": OR, "xor": XOR}


def compare(op, a, b):
    return _run_binary(_compare, _COMPARE[op], a, b, np.bool_)


def logical(op, a, b=None):
    if op == "not":
        out = empty(a.shape, np.bool_)
        launch(_predicate, a.size, NOT, flat(a), flat(out))
        return out
    return _run_binary(_compare, _LOGICAL[op], a, b, np.bool_)


def _unary_op(op, keep_dtype=True):
    def run(x):
        out = empty(x.shape, x.dtype if keep_dtype else np.result_type(x.dtype, np.float32))
        launch(_unary, x.size, op, flat(x), flat(out))
        return out

    return run


negative, exp, log, sqrt = (_unary_op(k) for k in (NEG, EXP, LOG, SQRT))
abs, sign, relu, relu_mask = (_unary_op(k) for k in (ABS, SIGN, RELU, RELU_MASK))  # noqa: A001
sigmoid, tanh, erf = _unary_op(SIGMOID), _unary_op(TANH), _unary_op(ERF)
sin, cos, log1p, expm1 = (_unary_op(k) for k in (SIN, COS, LOG1P, EXPM1))
floor, ceil, round, trunc = (_unary_op(k) for k in (FLOOR, CEIL, ROUND, TRUNC))  # noqa: A001
tan, arcsin, arccos, arctan = (_unary_op(k) for k in (TAN, ASIN, ACOS, ATAN))
sinh, cosh, arcsinh, arccosh, arctanh = (_unary_op(k) for k in (SINH, COSH, ASINH, ACOSH,
                                                                  ATANH))


def cast(x, dtype):
    out = empty(x.shape, dtype)
    launch(_unary, x.size, IDENTITY, flat(x), flat(out))
    return out


def isfinite(x):
    out = empty(x.shape, np.bool_)
    launch(_predicate, x.size, ISFINITE, flat(x), flat(out))
    return out


def isnan(x):
    out = empty(x.shape, np.bool_)
    launch(_predicate, x.size, ISNAN, flat(x), flat(out))
    return out


def where(cond, a, b):
    cond, a, b = _device(cond), _device(a), _device(b)
    shape = _broadcast_shape("where", cond.shape, a.shape, b.shape)
    out = empty(shape, np.result_type(a.dtype, b.dtype))
    launch(_where, out.size, flat(cond), broadcast_strides(cond.shape, shape), flat(a),
           broadcast_strides(a.shape, shape), flat(b), broadcast_strides(b.shape, shape),
           flat(out), padded(shape))
    return out


def _bounds(x, lo, hi):
    info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
    return (info.min if lo is None else lo), (info.max if hi is None else hi)


def clip(x, lo, hi):
    lo, hi = _bounds(x, lo, hi)
    out = empty(x.shape, x.dtype)
    launch(_clip, x.size, flat(x), x.dtype.type(lo), x.dtype.type(hi), flat(out), False)
    return out


def clamp_mask(x, lo, hi):
    lo, hi = _bounds(x, lo, hi)
    out = empty(x.shape, x.dtype)
    launch(_clip, x.size, flat(x), x.dtype.type(lo), x.dtype.type(hi), flat(out), True)
    return out


_INPLACE = {"add": ADD, "subtract": SUB, "multiply": MUL, "divide": DIV}


def inplace(op, a, b) -> None:
    """a <- a (op) b, b broadcast to a's shape (Tensor.add_ and friends)."""
    forget_range(a)
    _run_binary(_binary, _INPLACE[op], a, _device(b, a.dtype), a.dtype, out=a)


def add_rows_(y, b) -> None:
    """y += b in place, b broadcast over y's rows (Linear's bias)."""
    inplace("add", y, b)


def add_rows_relu_(y, b) -> None:
    """y = max(y + b, 0) in place (b None: max(y, 0)): Linear+ReLU's forward, two launches."""
    if b is not None:
        add_rows_(y, b)
    launch(_unary, y.size, RELU, flat(y), flat(y))


def relu_backward_rows(y, gy):
    """(gy * [y > 0], its sum over every dim but the last): Linear+ReLU's backward."""
    from .reduction import sum as _sum

    g = relu_backward(y, gy)
    return g, _sum(g, tuple(range(g.ndim - 1)), False)


def add_planes_relu_(y, b) -> None:
    """y = max(y + b[c], 0) in place for y (N, C, ...) (b None: max(y, 0)): conv+ReLU."""
    from .shape import reshape

    if b is not None:
        inplace("add", y, reshape(b, (1, b.size) + (1,) * (y.ndim - 2)))
    launch(_unary, y.size, RELU, flat(y), flat(y))


def relu_backward_planes(y, gy):
    """(gy * [y > 0], its sum over every dim but 1): conv+ReLU's backward."""
    from .reduction import sum as _sum

    g = relu_backward(y, gy)
    return g, _sum(g, (0,) + tuple(range(2, g.ndim)), False)


@cuda.jit
def _adam(p, g, m, v, lr, b1, b2, eps, bc1, bc2_sqrt):
    i = cuda.grid(1)
    if i < p.size:
        gi = g[i]
        mi = b1 * m[i] + (1 - b1) * gi
        vi = b2 * v[i] + (1 - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= lr / bc1 * mi / (math.sqrt(vi) / bc2_sqrt + eps)


def adam_step(p, g, m, v, lr, b1, b2, eps, step) -> None:
    """One Adam update in place, one kernel: the step's scalars travel as kernel arguments,
    where the tensor-op formula would copy a new bias-correction constant over every step."""
    launch(_adam, p.size, flat(p), flat(g), flat(m), flat(v), float(lr), float(b1), float(b2),
           float(eps), 1 - b1 ** step, math.sqrt(1 - b2 ** step))


# Every kernel with the argument types it is launched with, for compile_ptx in the tests.
KERNELS = {"_binary": _binary, "_compare": _compare, "_unary": _unary,
           "_predicate": _predicate, "_where": _where, "_clip": _clip, "_adam": _adam}
