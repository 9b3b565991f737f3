"""Activation layers, Identity, Elementwise(fn) (Wolfram's ElementwiseLayer) and Total."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from ..module import Module


class Identity(Module):
    def forward(self, x):
        return x


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x):
        return tg.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


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
