"""tensorgrad.special: PyTorch's torch.special (and scipy.special's names), differentiable.

gammaln, digamma (psi), polygamma, multigammaln, erf, erfc, erfinv, ndtr, ndtri, log_ndtr,
expit, logit, xlogy, xlog1py, entr, sinc, log1p, expm1, exp2, logsumexp, softmax, log_softmax.
"""

from __future__ import annotations

import math

from .ops.composite import log_softmax, logsumexp, softmax  # noqa: F401  (re-exported)
from .ops.elementwise import _float, erf, expm1, log1p, sigmoid  # noqa: F401
from .ops.functions import exp2, logit, xlogy  # noqa: F401  (re-exported)
from .ops.special import digamma, erfinv, lgamma, polygamma
from .tensor import Tensor

__all__ = ["gammaln", "digamma", "psi", "polygamma", "multigammaln", "erf", "erfc", "erfinv",
           "ndtr", "ndtri", "log_ndtr", "expit", "logit", "xlogy", "xlog1py", "entr", "sinc",
           "log1p", "expm1", "exp2", "logsumexp", "softmax", "log_softmax"]

gammaln = lgamma
psi = digamma
expit = sigmoid


def erfc(x: Tensor) -> Tensor:
    """1 - erf(x)."""
    return 1.0 - erf(_float(x))


def ndtr(x: Tensor) -> Tensor:
    """The standard normal CDF."""
    return 0.5 * (1.0 + erf(_float(x) * (1 / math.sqrt(2))))


def ndtri(p: Tensor) -> Tensor:
    """The inverse of ndtr: the standard normal quantile of p."""
    return math.sqrt(2) * erfinv(2.0 * _float(p) - 1.0)


def log_ndtr(x: Tensor) -> Tensor:
    """log ndtr(x)."""
    return ndtr(x).log()


def multigammaln(a: Tensor, p: int) -> Tensor:
    """log of the multivariate gamma function of dimension p: p(p-1)/4 log(pi) +
    sum_{j<p} lgamma(a - j/2)."""
    if int(p) != p or p < 1:
        raise ValueError(f"multigammaln: p must be a positive integer, got {p!r}")
    a = _float(a)
    total = lgamma(a)
    for j in range(1, int(p)):
        total = total + lgamma(a - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def xlog1py(x: Tensor, y: Tensor) -> Tensor:
    """x * log1p(y), 0 where x is 0."""
    x = _float(x)
    return x * log1p(_float(y).where(x != 0, 0.0))


def entr(x: Tensor) -> Tensor:
    """-x log x for x > 0, 0 at 0, -inf below."""
    x = _float(x)
    positive = x.where(x > 0, 1.0)
    return (-(x * positive.log())).where(x >= 0, -math.inf)


def sinc(x: Tensor) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0 (the normalised sinc)."""
    x = _float(x)
    px = x * math.pi
    safe = px.where(x != 0, 1.0)
    return (safe.sin() / safe).where(x != 0, 1.0)

