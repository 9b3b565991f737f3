"""Linear (alias Dense) and LazyLinear: y = x W^T + b, W of shape (out, in); Bilinear."""

from __future__ import annotations

import math

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..containers import _plain
from ..module import Module, Parameter, UninitializedParameter
from .activation import ReLU


class Linear(Module):
    """x: (N, *, in) -> (N, *, out); W ~ U(-k, k), b ~ U(-k, k), k = 1/sqrt(in) (PyTorch)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None,
                 device=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(tg.empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(tg.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x, activation=None):
        """activation="relu": relu(self(x)) as one fused primitive (what Sequential calls)."""
        return tg.linear(x, self.weight, self.bias, activation=activation)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(Linear):
    """Linear whose in_features is read from the first input (Wolfram and Keras infer it too)."""

    def __init__(self, out_features: int, bias: bool = True, dtype=None, device=None):
        Module.__init__(self)
        self.in_features, self.out_features = None, out_features
        self.weight = UninitializedParameter(dtype)
        if bias:
            self.bias = UninitializedParameter(dtype)
        else:
            self.register_parameter("bias", None)
        self._device = device

    def initialize(self, in_features: int, dtype=None) -> None:
        self.in_features = in_features
        self.weight.materialize((self.out_features, in_features), dtype, self._device)
        if self.bias is not None:
            self.bias.materialize((self.out_features,), dtype, self._device)
        self.reset_parameters()

    def _on_load(self) -> None:
        if self.in_features is None and not self.weight._uninitialized:
            self.in_features = self.weight.shape[1]

    def forward(self, x):
        if self.in_features is None:
            self.initialize(x.shape[-1], x.dtype if x.dtype.kind == "f" else None)
        return F.linear(x, self.weight, self.bias)


class Dense(LazyLinear):
    """Slugnet's Dense(outshape, inshape=None, activation=None, init=None): a linear layer whose
    input size may be inferred, followed by an optional activation module or function.

    init: a function like tensorgrad_nn.init.xavier_uniform_ applied to the weight (the bias
    starts at zero then); None keeps PyTorch's default.
    """

    def __init__(self, outshape: int, inshape: int | None = None, activation=None, init=None):
        super().__init__(outshape)
        self.activation = activation if activation is None or isinstance(
            activation, Module) else _FunctionLayer(activation)
        self._init = init
        if inshape is not None:
            self.initialize(inshape)

    def reset_parameters(self) -> None:
        seed_init(self, super().reset_parameters)

    def forward(self, x):
        if _plain(self.activation, ReLU):  # one fused primitive, as in Sequential
            if self.in_features is None:
                self.initialize(x.shape[-1], x.dtype if x.dtype.kind == "f" else None)
            return tg.linear(x, self.weight, self.bias, activation="relu")
        y = super().forward(x)
        return y if self.activation is None else self.activation(y)


def seed_init(layer, default) -> None:
    """The seeds' layers take init=: a function applied to the weight, the bias set to zero;
    init=None keeps the PyTorch default (`default`)."""
    if layer._init is None:
        default()
        return
    layer._init(layer.weight)
    if layer.bias is not None:
        init.zeros_(layer.bias)


class _FunctionLayer(Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class Bilinear(Module):
    """y = x1^T W x2 + b for x1 (*, in1), x2 (*, in2): weight (out, in1, in2), bias (out,),
    both U(-k, k) with k = 1/sqrt(in1) (PyTorch's)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, dtype=None, device=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(tg.empty(out_features, in1_features, in2_features, dtype=dtype,
                                         device=device))
        if bias:
            self.bias = Parameter(tg.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x1, x2):
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
