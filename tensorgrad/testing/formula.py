"""check_formula: autodiff against a gradient the user derived by hand, in one call."""

from __future__ import annotations

import numpy as np

from ..autograd.functional import grad
from ..autograd.mode import enable_grad
from ..tensor import Tensor
from .gradcheck import GradcheckError, _compare


def check_formula(f, hand_grad, *inputs, atol: float = 1e-6, rtol: float = 1e-5) -> float:
    """Compare d f / d inputs from the tape with hand_grad(*arrays).

    f: tensors -> scalar tensor. hand_grad: numpy arrays -> one array per input (or one array for
    a single input). Returns the largest absolute difference; raises GradcheckError past the
    tolerances, naming the input and the worst element.
    """
    xs = [Tensor(np.asarray(x._data if isinstance(x, Tensor) else x), requires_grad=True)
          for x in inputs]
    with enable_grad():
        y = f(*xs)
        if y.numel() != 1:
            raise ValueError(f"check_formula: f must return a scalar, got shape {tuple(y.shape)}")
        auto = grad(y, xs, allow_unused=True)
    expected = hand_grad(*[x._data.copy() for x in xs])
    if len(xs) == 1 and not isinstance(expected, (tuple, list)):
        expected = (expected,)
    if len(expected) != len(xs):
        raise ValueError(f"check_formula: hand_grad returned {len(expected)} gradients for "
                         f"{len(xs)} inputs")
    worst = 0.0
    for i, (g, e) in enumerate(zip(auto, expected)):
        got = np.zeros(xs[i].shape) if g is None else np.asarray(g._data, dtype=np.float64)
        e = np.broadcast_to(np.asarray(e, dtype=np.float64), got.shape)
        try:
            _compare(got, e, i, atol, rtol, "autodiff gradient vs hand formula")
        except GradcheckError as err:
            raise GradcheckError(str(err).replace("analytic", "autodiff").replace(
                "numerical", "formula")) from None
        if got.size:
            worst = max(worst, float(np.max(np.abs(got - e))))
    return worst
