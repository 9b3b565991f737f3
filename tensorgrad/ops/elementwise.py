"""Elementwise primitives. Backward formulas are tensor ops, so they are differentiable again;
gradients of broadcast operands are summed back to their shapes by the engine, not here."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import _FIRST_OF_TWO, Function
from ..autograd.mode import _anomaly, _grad_enabled
from ..dtypes import get_default_dtype
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import _SCALARS, as_tensor_like, constant_array, operands


def _recording() -> bool:
    """Whether a backward formula is being recorded (create_graph=True). When it is not, the
    common backward formulas below compute on arrays directly (_direct): going through a
    primitive's apply would only add Python overhead to a result nobody differentiates."""
    return _grad_enabled.get()


def _direct(ctx, array) -> Tensor:
    """array (a backward formula's result) as a constant tensor: Tensor._make, inlined."""
    if array.__class__ is not np.ndarray and isinstance(array, np.generic):
        array = np.asarray(array)
    t = _new_tensor(Tensor)
    t._data = array
    t._device = ctx.device
    t._requires_grad = False
    t._node = None
    t._vc = [0]
    t.grad = None
    return t


_new_tensor = object.__new__


def _broadcast(op: str, fn, a, b):
    try:
        return fn(a, b)
    except ValueError as e:
        if "broadcast" not in str(e):
            raise
        raise ShapeError(
            f"{op}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast "
            "together"
        ) from None


class _Unary(Function):
    """An op of one tensor x (any further inputs are numbers) whose output and gradient have
    x's shape and dtype; the engine takes the short path for it (Function._unary)."""

    _unary = True


class Add(Function):
    """y = a + b;  da = gy, db = gy."""

    @staticmethod
    def forward(ctx, a, b):
        return _broadcast("add", ctx.backend.add, a, b)

    @staticmethod
    def backward(ctx, gy):
        return gy, gy


class Sub(Function):
    """y = a - b;  da = gy, db = -gy."""

    @staticmethod
    def forward(ctx, a, b):
        return _broadcast("sub", ctx.backend.subtract, a, b)

    @staticmethod
    def backward(ctx, gy):
        if not ctx.needs_input_grad[1]:
            return gy, None
        if _recording():
            return gy, -gy
        return gy, _direct(ctx, ctx.backend.negative(gy._data))


class Mul(Function):
    """y = a * b;  da = gy * b, db = gy * a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcast("mul", ctx.backend.multiply, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if _recording():
            return (gy * b if need_a else None), (gy * a if need_b else None)
        mul = ctx.backend.multiply
        return (_direct(ctx, mul(gy._data, b._data)) if need_a else None,
                _direct(ctx, mul(gy._data, a._data)) if need_b else None)


class Div(Function):
    """y = a / b;  da = gy / b, db = -gy * a / b**2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcast("div", ctx.backend.divide, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gy / b if need_a else None
        gb = -gy * a / (b * b) if need_b else None
        return ga, gb


class AddScalar(_Unary):
    """y = x + c for a Python number c (x - c is x + (-c), exact in IEEE arithmetic);  dx = gy.
    The scalar is a plain argument, not a tensor: nothing saved, no constant tensor on the tape
    (PyTorch's add.Scalar). Taken for float tensors only, where c keeps x's dtype."""

    @staticmethod
    def forward(ctx, x, value):
        return ctx.backend.add(x, constant_array(value, x.dtype, ctx.device))

    @staticmethod
    def backward(ctx, gy):
        return gy, None


class MulScalar(_Unary):
    """y = x * c for a Python number c;  dx = gy * c (PyTorch's mul.Scalar)."""

    @staticmethod
    def forward(ctx, x, value):
        # a 0-d array of x's dtype: numpy takes it in 310 ns, a Python float in 570
        ctx.constant = constant_array(value, x.dtype, ctx.device)
        return ctx.backend.multiply(x, ctx.constant)

    @staticmethod
    def backward(ctx, gy):
        value = ctx.inputs[1]
        if _recording() or gy._data.dtype != ctx.constant.dtype:
            return MulScalar._apply_one(gy, value), None
        return _direct(ctx, ctx.backend.multiply(gy._data, ctx.constant)), None


_NUMBERS = (float, int)  # not bool: True * x follows the tensor-tensor rules


class Neg(_Unary):
    """y = -x;  dx = -gy."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.negative(x)

    @staticmethod
    def backward(ctx, gy):
        return -gy


class Pow(Function):
    """y = a ** b;  da = gy * b * a**(b - 1), db = gy * y * log(a) (0 where a <= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        y = _broadcast("pow", ctx.backend.power, a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gy * b * a ** (b - 1) if need_a else None
        gb = None
        if need_b:
            positive = a > 0
            gb = gy * y * where(positive, log(where(positive, a, 1.0)), 0.0)
        return ga, gb


class Exp(_Unary):
    """y = exp(x);  dx = gy * y."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        if _recording():
            return gy * y
        return _direct(ctx, ctx.backend.multiply(gy._data, y._data))


class Log(_Unary):
    """y = log(x);  dx = gy / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ctx.backend.log(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy / x


class Sqrt(_Unary):
    """y = sqrt(x);  dx = gy / (2 y)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = ctx.backend.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return gy / (y * 2)


class Abs(_Unary):
    """y = |x|;  dx = gy * sign(x) (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.abs(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * _constant(x._device.backend.sign(x._data), x)


class Maximum(Function):
    """y = max(a, b);  da = gy where a > b, db = gy where b > a; ties split gy in half."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcast("maximum", ctx.backend.maximum, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        share = (a > b).to(gy.dtype) + (a == b).to(gy.dtype) * 0.5
        need_a, need_b = ctx.needs_input_grad
        return (gy * share if need_a else None), (gy * (1 - share) if need_b else None)


class Minimum(Function):
    """y = min(a, b);  da = gy where a < b, db = gy where b < a; ties split gy in half."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcast("minimum", ctx.backend.minimum, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        share = (a < b).to(gy.dtype) + (a == b).to(gy.dtype) * 0.5
        need_a, need_b = ctx.needs_input_grad
        return (gy * share if need_a else None), (gy * (1 - share) if need_b else None)


class Relu(_Unary):
    """y = max(x, 0);  dx = gy * [x > 0]."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.relu(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        if _recording():
            return gy * _constant(ctx.backend.relu_mask(y._data), y)
        # one fused pass (gy where y > 0) where mask-then-multiply made two and a temporary
        return _direct(ctx, ctx.backend.relu_backward(y._data, gy._data))


class Sigmoid(_Unary):
    """y = 1 / (1 + exp(-x));  dx = gy * y * (1 - y) (one fused kernel: SigmoidBackward)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        if _recording():
            return SigmoidBackward.apply(y, gy)
        return _direct(ctx, ctx.backend.sigmoid_backward(y._data, gy._data))


class SigmoidBackward(Function):
    """g = gy * y * (1 - y);  dy = gg * gy * (1 - 2 y), dgy = SigmoidBackward(y, gg)."""

    @staticmethod
    def forward(ctx, y, gy):
        ctx.save_for_backward(y, gy)
        return ctx.backend.sigmoid_backward(y, gy)

    @staticmethod
    def backward(ctx, gg):
        y, gy = ctx.saved_tensors
        need_y, need_gy = ctx.needs_input_grad
        gy_ = gg * gy * (1 - y * 2) if need_y else None
        return gy_, (SigmoidBackward.apply(y, gg) if need_gy else None)


class Tanh(_Unary):
    """y = tanh(x);  dx = gy * (1 - y**2) (one fused kernel: TanhBackward)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        if _recording():
            return TanhBackward.apply(y, gy)
        return _direct(ctx, ctx.backend.tanh_backward(y._data, gy._data))


class TanhBackward(Function):
    """g = gy * (1 - y^2);  dy = -2 gg * gy * y, dgy = TanhBackward(y, gg)."""

    @staticmethod
    def forward(ctx, y, gy):
        ctx.save_for_backward(y, gy)
        return ctx.backend.tanh_backward(y, gy)

    @staticmethod
    def backward(ctx, gg):
        y, gy = ctx.saved_tensors
        need_y, need_gy = ctx.needs_input_grad
        gy_ = gg * gy * y * -2.0 if need_y else None
        return gy_, (TanhBackward.apply(y, gg) if need_gy else None)


class Erf(_Unary):
    """y = erf(x);  dx = gy * 2 / sqrt(pi) * exp(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.erf(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


class Sin(_Unary):
    """y = sin(x);  dx = gy * cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.sin(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * cos(x)


class Cos(_Unary):
    """y = cos(x);  dx = -gy * sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.cos(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return -(gy * sin(x))


class _Elementary(_Unary):
    """y = f(x) for a numpy-named backend function `kernel` (NaN outside f's domain, as numpy
    and PyTorch); subclasses give dx as derivative(x, y, gy), in tensor ops, so it has its own
    gradient."""

    kernel = ""

    @classmethod
    def forward(cls, ctx, x):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = getattr(ctx.backend, cls.kernel)(x)
        ctx.save_for_backward(x, y)
        return y

    @classmethod
    def backward(cls, ctx, gy):
        x, y = ctx.saved_tensors
        return cls.derivative(x, y, gy)

    @staticmethod
    def derivative(x, y, gy):
        raise NotImplementedError


class Tan(_Elementary):
    """dx = gy (1 + y^2)."""

    kernel = "tan"

    @staticmethod
    def derivative(x, y, gy):
        return gy * (y * y + 1.0)


class Asin(_Elementary):
    """dx = gy / sqrt(1 - x^2)."""

    kernel = "arcsin"

    @staticmethod
    def derivative(x, y, gy):
        return gy / (1.0 - x * x).sqrt()


class Acos(_Elementary):
    """dx = -gy / sqrt(1 - x^2)."""

    kernel = "arccos"

    @staticmethod
    def derivative(x, y, gy):
        return -gy / (1.0 - x * x).sqrt()


class Atan(_Elementary):
    """dx = gy / (1 + x^2)."""

    kernel = "arctan"

    @staticmethod
    def derivative(x, y, gy):
        return gy / (x * x + 1.0)


class Sinh(_Elementary):
    """dx = gy cosh(x)."""

    kernel = "sinh"

    @staticmethod
    def derivative(x, y, gy):
        return gy * cosh(x)


class Cosh(_Elementary):
    """dx = gy sinh(x)."""

    kernel = "cosh"

    @staticmethod
    def derivative(x, y, gy):
        return gy * sinh(x)


class Asinh(_Elementary):
    """dx = gy / sqrt(x^2 + 1)."""

    kernel = "arcsinh"

    @staticmethod
    def derivative(x, y, gy):
        return gy / (x * x + 1.0).sqrt()


class Acosh(_Elementary):
    """dx = gy / sqrt((x - 1)(x + 1))."""

    kernel = "arccosh"

    @staticmethod
    def derivative(x, y, gy):
        return gy / ((x - 1.0) * (x + 1.0)).sqrt()


class Atanh(_Elementary):
    """dx = gy / (1 - x^2)."""

    kernel = "arctanh"

    @staticmethod
    def derivative(x, y, gy):
        return gy / (1.0 - x * x)


class Atan2(Function):
    """y = atan2(a, b), the angle of (b, a);  da = gy b / (a^2 + b^2), db = -gy a / (a^2 + b^2)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcast("atan2", ctx.backend.arctan2, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        scale = gy / (a * a + b * b)
        need_a, need_b = ctx.needs_input_grad
        return (scale * b if need_a else None), (-(scale * a) if need_b else None)


class Log1p(_Unary):
    """y = log(1 + x), accurate for small x;  dx = gy / (1 + x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ctx.backend.log1p(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy / (x + 1.0)


class Expm1(_Unary):
    """y = exp(x) - 1, accurate for small x;  dx = gy * (y + 1)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved_tensors
        return gy * (y + 1.0)


class _Step(_Unary):
    """A piecewise-constant map (floor, ceil, round, trunc): its gradient is 0 almost
    everywhere, and 0 is what PyTorch returns, so a graph through it stays differentiable."""

    kernel = ""

    @classmethod
    def forward(cls, ctx, x):
        return getattr(ctx.backend, cls.kernel)(x)

    @staticmethod
    def backward(ctx, gy):
        return gy * 0.0


class Floor(_Step):
    kernel = "floor"


class Sign(_Step):
    """-1, 0 or 1 (NaN stays NaN)."""

    kernel = "sign"


class Ceil(_Step):
    kernel = "ceil"


class Round(_Step):
    """Half to even, as numpy's and PyTorch's round."""

    kernel = "round"


class Trunc(_Step):
    kernel = "trunc"


class Remainder(Function):
    """y = a - floor(a / b) * b (the divisor's sign: Python's %, PyTorch's remainder);
    da = gy, db = -gy * floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcast("remainder", ctx.backend.remainder, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        gb = -(gy * floor(a / b)) if need_b else None
        return (gy if need_a else None), gb


class Where(Function):
    """y = cond ? a : b;  da = cond ? gy : 0, db = cond ? 0 : gy."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        try:
            return ctx.backend.where(cond, a, b)
        except ValueError:
            raise ShapeError(
                f"where: shapes {shape_str(cond.shape)}, {shape_str(a.shape)} and "
                f"{shape_str(b.shape)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, gy):
        cond = ctx.inputs[0]
        _, need_a, need_b = ctx.needs_input_grad
        return None, (where(cond, gy, 0.0) if need_a else None), (
            where(cond, 0.0, gy) if need_b else None)


class Clamp(_Unary):
    """y = min(max(x, lo), hi);  dx = gy where lo <= x <= hi, else 0."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return ctx.backend.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * _constant(ctx.backend.clamp_mask(x._data, ctx.lo, ctx.hi), gy)


class Cast(Function):
    """y = x as dtype;  dx = gy as x's dtype."""

    @staticmethod
    def forward(ctx, x, dtype=None):
        ctx.in_dtype = x.dtype
        return ctx.backend.cast(x, dtype)

    @staticmethod
    def backward(ctx, gy):
        return cast(gy, ctx.in_dtype)


class Clone(_Unary):
    """y = copy of x;  dx = gy."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.copy(x)

    @staticmethod
    def backward(ctx, gy):
        return gy


class ToDevice(Function):
    """y = x copied to another device;  dx = gy copied back."""

    may_view = True

    @staticmethod
    def forward(ctx, x, device=None):
        ctx.source = ctx.device
        ctx.device = device
        if device.type == "cpu":
            return ctx.source.backend.to_host(x)
        return device.backend.asarray(x)

    @staticmethod
    def backward(ctx, gy):
        return to_device(gy, ctx.source)


# ----- the functions users call ----------------------------------------------------------------


def _constant(array, like: Tensor) -> Tensor:
    return Tensor._make(array, like._device, False, None)


def _float(x: Tensor) -> Tensor:
    """Integer tensors become float32 before float math, as in PyTorch (exp, log, sqrt, ...)."""
    if x._data.dtype.kind != "f":
        return cast(x, get_default_dtype())
    return x


# x (op) number on a float tensor runs as AddScalar / MulScalar (checked inline: this is the
# hottest Python in a small network)


def add(a, b) -> Tensor:
    if b.__class__ in _NUMBERS and a.__class__ is Tensor and a._data.dtype.kind == "f":
        return AddScalar._apply_one(a, b)
    if a.__class__ in _NUMBERS and b.__class__ is Tensor and b._data.dtype.kind == "f":
        return AddScalar._apply_one(b, a)
    return Add.apply(*operands(a, b))


def sub(a, b) -> Tensor:
    if b.__class__ in _NUMBERS and a.__class__ is Tensor and a._data.dtype.kind == "f":
        return AddScalar._apply_one(a, -b)
    return Sub.apply(*operands(a, b))


def mul(a, b) -> Tensor:
    if b.__class__ in _NUMBERS and a.__class__ is Tensor and a._data.dtype.kind == "f":
        return MulScalar._apply_one(a, b)
    if a.__class__ in _NUMBERS and b.__class__ is Tensor and b._data.dtype.kind == "f":
        return MulScalar._apply_one(b, a)
    return Mul.apply(*operands(a, b))


def _scalar_operator(cls, ufunc, general, negate=False):
    """Tensor's operator method (x * 0.5, x + 1.0, x - 1.0, 2.0 * x) for a float tensor and a
    Python float whose constant array is cached: the node cls._apply_one would make (MulScalar
    keeps its constant, AddScalar does not need it), built in one frame instead of four (the
    operator, _apply_one, forward, constant_array). A chain of 100 such ops, forward and
    backward, 3.0-3.1 -> 2.8 us per op. Everything else (other operands, a constant not cached
    yet, a backend not loaded, detect_anomaly) takes `general`, which caches the constant."""
    keep = cls is MulScalar

    def operator(x, value):
        if value.__class__ is not float or _anomaly.get():
            return general(x, value)
        operand = -value if negate else value  # x - c runs as x + (-c)
        data = x._data
        device = x._device
        backend = device._backend
        const = _SCALARS.get((operand, data.dtype, id(device)))
        if const is None or backend is None or data.dtype.kind != "f":
            return general(x, value)
        out = getattr(backend, ufunc)(data, const)
        if out.__class__ is not np.ndarray and isinstance(out, np.generic):
            out = np.asarray(out)  # numpy ufuncs turn 0-d arrays into scalars
        result = _new_tensor(Tensor)
        result._data = out
        result._device = device
        result._vc = [0]
        result.grad = None
        if x._requires_grad and _grad_enabled.get():
            ctx = _new_tensor(cls)
            ctx.device = device
            ctx.backend = backend
            if keep:
                ctx.constant = const
            ctx.inputs = (x, operand)
            ctx.needs_input_grad = _FIRST_OF_TWO
            result._requires_grad = True
            result._node = ctx
        else:
            result._requires_grad = False
            result._node = None
        return result

    return operator



def div(a, b) -> Tensor:
    a, b = operands(a, b)
    if a._data.dtype.kind != "f" and b._data.dtype.kind != "f":
        a, b = _float(a), _float(b)
    return Div.apply(a, b)


def neg(x) -> Tensor:
    return Neg._apply_one(x)


def pow(a, b) -> Tensor:  # noqa: A001
    a, b = operands(a, b)
    if b._data.dtype.kind == "f" and a._data.dtype.kind != "f":
        a = _float(a)
    return Pow.apply(a, b)


def exp(x) -> Tensor:
    return Exp._apply_one(_float(x))


def log(x) -> Tensor:
    return Log._apply_one(_float(x))


def sqrt(x) -> Tensor:
    return Sqrt._apply_one(_float(x))


def abs(x) -> Tensor:  # noqa: A001
    return Abs._apply_one(x)


def maximum(a, b) -> Tensor:
    return Maximum.apply(*operands(a, b))


def minimum(a, b) -> Tensor:
    return Minimum.apply(*operands(a, b))


def relu(x) -> Tensor:
    return Relu._apply_one(x)


def sigmoid(x) -> Tensor:
    return Sigmoid._apply_one(_float(x))


def tanh(x) -> Tensor:
    return Tanh._apply_one(_float(x))


def erf(x) -> Tensor:
    return Erf._apply_one(_float(x))


def sin(x) -> Tensor:
    return Sin._apply_one(_float(x))


def cos(x) -> Tensor:
    return Cos._apply_one(_float(x))


def log1p(x) -> Tensor:
    return Log1p._apply_one(_float(x))


def expm1(x) -> Tensor:
    return Expm1._apply_one(_float(x))


def tan(x) -> Tensor:
    return Tan._apply_one(_float(x))


def asin(x) -> Tensor:
    return Asin._apply_one(_float(x))


def acos(x) -> Tensor:
    return Acos._apply_one(_float(x))


def atan(x) -> Tensor:
    return Atan._apply_one(_float(x))


def sinh(x) -> Tensor:
    return Sinh._apply_one(_float(x))


def cosh(x) -> Tensor:
    return Cosh._apply_one(_float(x))


def asinh(x) -> Tensor:
    return Asinh._apply_one(_float(x))


def acosh(x) -> Tensor:
    return Acosh._apply_one(_float(x))


def atanh(x) -> Tensor:
    return Atanh._apply_one(_float(x))


def atan2(a, b) -> Tensor:
    """The angle of the point (b, a) in (-pi, pi] (PyTorch's atan2(input, other))."""
    a, b = operands(a, b)
    return Atan2.apply(_float(a), _float(b))


def _step(cls, x) -> Tensor:
    if x._data.dtype.kind != "f":  # integers (and bools) are already whole: PyTorch copies
        return _constant(x._data.copy(), x)
    return cls._apply_one(x)


def floor(x) -> Tensor:
    return _step(Floor, x)


def ceil(x) -> Tensor:
    return _step(Ceil, x)


def round(x) -> Tensor:  # noqa: A001
    """To the nearest integer, halves to even (PyTorch's torch.round)."""
    return _step(Round, x)


def trunc(x) -> Tensor:
    return _step(Trunc, x)


def remainder(a, b) -> Tensor:
    """a % b with the divisor's sign (Python's and PyTorch's %, numpy's remainder)."""
    a, b = operands(a, b)
    if a._data.dtype.kind != "f" and b._data.dtype.kind != "f":
        if not _nonzero(b):
            raise ZeroDivisionError("remainder: integer division by zero")
        return _constant(a._device.backend.remainder(a._data, b._data), a)
    return Remainder.apply(a, b)


def floor_divide(a, b) -> Tensor:
    """a // b rounded toward -inf (Python's //). Not differentiable (as in PyTorch): the result
    is a constant tensor."""
    a, b = operands(a, b)
    if a._data.dtype.kind != "f" and b._data.dtype.kind != "f" and not _nonzero(b):
        raise ZeroDivisionError("floor_divide: integer division by zero")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _constant(_broadcast("floor_divide", a._device.backend.floor_divide, a._data,
                                    b._data), a)


def _nonzero(b) -> bool:
    data = b._data if b._device.type == "cpu" else b._device.backend.to_host(b._data)
    return bool(np.all(data != 0))


def where(cond, a, b) -> Tensor:
    """Elements of a where cond is true, else of b (broadcast together)."""
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    if like is None:
        like = Tensor(np.asarray(a, dtype=get_default_dtype()))
    a = as_tensor_like(a, like)
    b = as_tensor_like(b, like)
    if not isinstance(cond, Tensor):
        cond = Tensor._make(like._device.backend.asarray(np.asarray(cond, dtype=bool)),
                            like._device, False, None)
    elif cond._data.dtype != np.bool_:
        cond = _constant(cond._device.backend.cast(cond._data, np.bool_), cond)
    return Where.apply(cond, a, b)


def clamp(x, min=None, max=None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return Clamp.apply(x, lo=min, hi=max)


def cast(x, dtype) -> Tensor:
    if x._data.dtype == dtype:
        return x
    return Cast.apply(x, dtype=np.dtype(dtype))


def clone(x) -> Tensor:
    return Clone.apply(x)


def to_device(x, device) -> Tensor:
    if x._device is device:
        return x
    return ToDevice.apply(x, device=device)


# ----- non-differentiable helpers: their results are constants -----------------------------------


def sign(x) -> Tensor:
    """-1, 0 or 1: differentiable with gradient 0, as PyTorch's (a constant for integers)."""
    if x._data.dtype.kind != "f":
        return _constant(x._device.backend.sign(x._data), x)
    return Sign._apply_one(x)


def compare(op: str, a, b) -> Tensor:
    a, b = operands(a, b)
    try:
        out = a._device.backend.compare(op, a._data, b._data)
    except ValueError:
        raise ShapeError(
            f"{op}: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be broadcast "
            "together"
        ) from None
    return _constant(out, a)


def logical(op: str, a, b=None) -> Tensor:
    if b is None:
        return _constant(a._device.backend.logical(op, a._data), a)
    a, b = operands(a, b)
    return _constant(a._device.backend.logical(op, a._data, b._data), a)
