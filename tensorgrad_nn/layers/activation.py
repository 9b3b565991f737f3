"""Activation layers, Identity, Elementwise(fn) (Wolfram's ElementwiseLayer) and Total."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from ..module import Module, Parameter


class Identity(Module):
    def forward(self, x):
        return x


class ReLU(Module):
    """max(x, 0). inplace=True overwrites the input (PyTorch's argument)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.relu_() if self.inplace else tg.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class RReLU(Module):
    """Randomized leaky ReLU: a slope from U(lower, upper) per element while training, their
    mean in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3):
        super().__init__()
        self.lower, self.upper = lower, upper

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}"


class ELU(Module):
    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """x Phi(x): exact (erf) by default, approximate='tanh' for the tanh form."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)


class _OneCall(Module):
    """An activation that is one call of tensorgrad_nn.functional with fixed arguments."""

    fn = staticmethod(lambda x: x)

    def forward(self, x):
        return type(self).fn(x)


class SiLU(_OneCall):
    """x sigmoid(x)."""

    fn = staticmethod(F.silu)


class Mish(_OneCall):
    """x tanh(softplus(x))."""

    fn = staticmethod(F.mish)


class LogSigmoid(_OneCall):
    fn = staticmethod(F.logsigmoid)


class Softsign(_OneCall):
    fn = staticmethod(F.softsign)


class ReLU6(_OneCall):
    fn = staticmethod(F.relu6)


class SELU(_OneCall):
    fn = staticmethod(F.selu)


class Hardsigmoid(_OneCall):
    fn = staticmethod(F.hardsigmoid)


class Hardswish(_OneCall):
    fn = staticmethod(F.hardswish)


class Tanhshrink(_OneCall):
    fn = staticmethod(F.tanhshrink)


class _WithArgs(Module):
    """An activation that is one call of tensorgrad_nn.functional with keyword arguments kept
    as attributes (their names are PyTorch's)."""

    fn = staticmethod(lambda x: x)
    args: tuple = ()

    def forward(self, x):
        return type(self).fn(x, *(getattr(self, a) for a in self.args))

    def extra_repr(self) -> str:
        return ", ".join(f"{a}={getattr(self, a)}" for a in self.args)


class GLU(_WithArgs):
    """a sigmoid(b) for the two halves of x along dim."""

    fn, args = staticmethod(F.glu), ("dim",)

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class Softmin(_WithArgs):
    fn, args = staticmethod(F.softmin), ("dim",)

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class Threshold(_WithArgs):
    """x where x > threshold, value elsewhere."""

    fn, args = staticmethod(F.threshold), ("threshold", "value")

    def __init__(self, threshold: float, value: float):
        super().__init__()
        self.threshold, self.value = threshold, value


class Hardshrink(_WithArgs):
    fn, args = staticmethod(F.hardshrink), ("lambd",)

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd


class Softshrink(_WithArgs):
    fn, args = staticmethod(F.softshrink), ("lambd",)

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd


class CELU(_WithArgs):
    fn, args = staticmethod(F.celu), ("alpha",)

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha


class PReLU(Module):
    """x where x > 0, a x elsewhere, with a learned slope a: one shared (num_parameters=1) or
    one per channel (dim 1), initialised to init."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(tg.full((num_parameters,), init,
                                        dtype=dtype or tg.get_default_dtype()))

    def reset_parameters(self) -> None:
        with tg.no_grad():
            self.weight.fill_(self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear past the threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is above max_val {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Sigmoid(Module):
    def forward(self, x):
        return tg.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return tg.tanh(x)


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) input, at every location."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise tg.ShapeError(f"Softmax2d: expected (N, C, H, W) or (C, H, W) input, got "
                                f"shape {tuple(x.shape)}")
        return x.softmax(-3)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along dim (the last by default)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.log_softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


_NAMED = {
    "tanh": tg.tanh, "sigmoid": tg.sigmoid, "logisticsigmoid": tg.sigmoid, "relu": tg.relu,
    "ramp": tg.relu, "exp": tg.exp, "log": tg.log, "sqrt": tg.sqrt, "abs": tg.abs,
}


class Elementwise(Module):
    """Applies any differentiable elementwise function: Elementwise(tg.tanh),
    Elementwise(lambda x: x * x.sigmoid()), or a name such as 'Tanh' or 'LogisticSigmoid'."""

    def __init__(self, fn):
        super().__init__()
        if isinstance(fn, str):
            key = fn.lower()
            if key not in _NAMED:
                raise ValueError(f"Elementwise: unknown function {fn!r}; pass a callable")
            fn = _NAMED[key]
        if not callable(fn):
            raise TypeError(f"Elementwise: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, x):
        return self.fn(x)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", "fn")


class Total(Module):
    """Sums its inputs elementwise (Wolfram's TotalLayer)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
