"""gradcheck: the tape's gradient against central differences, in float64.

f may return a tensor of any shape: it is reduced to the scalar sum(f(x) * v) with a fixed random
v, so one backward checks every output direction at once (JAX's check_grads does the same).
"""

from __future__ import annotations

import numpy as np

from ..autograd.functional import grad
from ..autograd.mode import enable_grad, no_grad
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def _as_float64_inputs(inputs):
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            host = x._device.backend.to_host(x._data)
            out.append(Tensor(np.array(host, dtype=np.float64, order="K"), requires_grad=True))
        else:
            out.append(x)
    return out


def _projection(out, seed):
    rng = np.random.default_rng(seed)
    return Tensor(rng.standard_normal(out.shape), dtype=out.dtype)


def _scalar(f, inputs, v):
    out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    return (out * v).sum()


def numerical_grad(f, inputs, index: int, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f(*inputs) with respect to inputs[index]."""
    x = inputs[index]._data  # perturbed in place, whatever its strides
    g = np.zeros(x.shape, dtype=np.float64)
    with no_grad():
        for k in np.ndindex(*x.shape):
            old = x[k]
            x[k] = old + eps
            up = f(*inputs).item()
            x[k] = old - eps
            down = f(*inputs).item()
            x[k] = old
            g[k] = (up - down) / (2 * eps)
    return g


def gradcheck(f, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0) -> bool:
    """Compare the tape's gradient of f at inputs with central differences (in float64).

    Returns True or raises GradcheckError naming the input, the worst element and both values.
    """
    inputs = _as_float64_inputs(inputs)
    with no_grad():
        v = _projection(f(*inputs), seed)
    scalar = lambda *xs: _scalar(f, xs, v)  # noqa: E731
    with enable_grad():
        y = scalar(*inputs)
        wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
        if not y.requires_grad:
            analytic = [None] * len(wrt)
        else:
            analytic = grad(y, [inputs[i] for i in wrt], allow_unused=True)
    for i, g in zip(wrt, analytic):
        numeric = numerical_grad(scalar, inputs, i, eps)
        got = np.zeros_like(numeric) if g is None else np.asarray(g._data, dtype=np.float64)
        _compare(got, numeric, i, atol, rtol, "gradient")
    return True


def _compare(got, expected, index, atol, rtol, what):
    if got.shape != expected.shape:
        raise GradcheckError(f"gradcheck: {what} of input {index} has shape {got.shape}, "
                             f"expected {expected.shape}")
    err = np.abs(got - expected)
    bound = atol + rtol * np.abs(expected)
    bad = ~(err <= bound)
    if bad.any():
        worst = np.unravel_index(int(np.argmax(np.where(bad, err - bound, -np.inf))), got.shape)
        raise GradcheckError(
            f"gradcheck: {what} of input {index} differs at element {tuple(int(w) for w in worst)}:"
            f" analytic {got[worst]:.8g} vs numerical {expected[worst]:.8g} "
            f"(|diff| {err[worst]:.3g} > atol {atol} + rtol {rtol} * |numerical|); "
            f"{int(bad.sum())} of {bad.size} elements differ"
        )


def gradgradcheck(f, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  seed: int = 0) -> bool:
    """gradcheck of the gradient itself: checks second derivatives (create_graph=True)."""
    inputs = _as_float64_inputs(inputs)
    with no_grad():
        v = _projection(f(*inputs), seed)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_grads(*xs):
        with enable_grad():
            y = _scalar(f, xs, v)
            gs = grad(y, [xs[i] for i in wrt], create_graph=True, allow_unused=True)
        parts = [g.reshape(-1) for g in gs if g is not None]
        from ..ops.shape import cat

        if not parts:
            return Tensor(np.zeros(1))
        return cat(parts)

    return gradcheck(first_grads, *inputs, eps=eps, atol=atol, rtol=rtol, seed=seed + 1)
