"""tensorgrad.distributions: PyTorch's torch.distributions for the common cases, built from
tensor ops, so log_prob, entropy, kl_divergence and rsample are differentiable in the
parameters (the reparameterisation trick of VAEs and the score function of REINFORCE).

Normal, Uniform, Bernoulli, Categorical, OneHotCategorical, MultivariateNormal, Independent,
Exponential, Laplace, LogNormal, Cauchy, Gumbel, HalfNormal (all with rsample where PyTorch has
it), Gamma, Beta, Dirichlet, Poisson, StudentT, Geometric, Binomial (sample only);
kl_divergence for pairs of one family (Normal, Bernoulli, Categorical,
OneHotCategorical, MultivariateNormal, Exponential, Gamma, Beta, Dirichlet, Poisson, HalfNormal,
Cauchy, Gumbel, Geometric, Binomial of one total_count). Parameters broadcast to a
batch_shape; sample(sample_shape) returns sample_shape + batch_shape + event_shape.
"""

from __future__ import annotations

import math

import numpy as np

from . import linalg
from .creation import rand, randn
from .errors import ShapeError, shape_str
from .ops.shape import broadcast_to
from .tensor import Tensor

__all__ = ["Distribution", "Normal", "Uniform", "Bernoulli", "Categorical",
           "MultivariateNormal", "Independent", "Exponential", "Laplace", "LogNormal", "Gamma",
           "Beta", "Dirichlet", "Poisson", "Cauchy", "Gumbel", "HalfNormal", "StudentT",
           "Geometric", "Binomial", "OneHotCategorical", "kl_divergence"]


def _tensor(value, like=None) -> Tensor:
    if isinstance(value, Tensor):
        return value
    dtype = like.dtype if isinstance(like, Tensor) and like.dtype.kind == "f" else None
    return Tensor(np.asarray(value, dtype=dtype or np.float32))


def _broadcast(*values):
    tensors = [_tensor(v) for v in values]
    like = next((t for t in tensors if t.dtype.kind == "f"), tensors[0])
    tensors = [t if t.dtype == like.dtype else t.to(like.dtype) for t in tensors]
    try:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:
        raise ShapeError("distributions: parameters of shapes "
                         f"{', '.join(shape_str(t.shape) for t in tensors)} do not broadcast"
                         ) from None
    return [t if tuple(t.shape) == shape else broadcast_to(t, shape) for t in tensors]


def _check_positive(dist: str, allow_zero: bool = False, **params) -> None:
    """ValueError naming the distribution and the parameter where one is not positive (or
    negative, with allow_zero)."""
    for name, t in params.items():
        values = t.detach().to("cpu").numpy()
        if np.any(values < 0) if allow_zero else np.any(values <= 0):
            bound = "non-negative" if allow_zero else "positive"
            raise ValueError(f"{dist}: {name} must be {bound}")


class Distribution:
    """batch_shape, event_shape, sample / rsample, log_prob, entropy, mean, variance."""

    has_rsample = False
    batch_shape: tuple = ()
    event_shape: tuple = ()

    def _extended(self, sample_shape) -> tuple:
        return tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)

    def sample(self, sample_shape=()) -> Tensor:
        """A draw, not differentiable (its gradient is what REINFORCE estimates)."""
        return self._draw(tuple(sample_shape)).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised draw: differentiable in the parameters."""
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample "
                                      "(rsample); use sample with a score-function estimator")
        return self._draw(tuple(sample_shape))

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={self.batch_shape}, " \
               f"event_shape={self.event_shape})"


class _LocScale(Distribution):
    """A law of loc + scale * Z (Z of a fixed law): parameters broadcast, scale positive."""

    has_rsample = True

    def __init__(self, loc, scale):
        self.loc, self.scale = _broadcast(loc, scale)
        _check_positive(type(self).__name__, scale=self.scale)
        self.batch_shape = tuple(self.loc.shape)

    def _uniform(self, sample_shape) -> Tensor:
        return rand(self._extended(sample_shape), dtype=self.loc.dtype, device=self.loc.device)


class Normal(_LocScale):
    """N(loc, scale^2)."""

    def _draw(self, sample_shape):
        eps = randn(self._extended(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.loc)
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - 0.5 * math.log(2 * math.pi)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value) -> Tensor:
        value = _tensor(value, self.loc)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self.scale * self.scale


class Uniform(Distribution):
    """Uniform on [low, high)."""

    has_rsample = True

    def __init__(self, low, high):
        self.low, self.high = _broadcast(low, high)
        if np.any(self.low.detach().numpy() >= self.high.detach().numpy()):
            raise ValueError("Uniform: low must be below high")
        self.batch_shape = tuple(self.low.shape)

    def _draw(self, sample_shape):
        u = rand(self._extended(sample_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.low)
        inside = (value >= self.low) & (value < self.high)
        log_density = -(self.high - self.low).log()
        return log_density.where(inside, -math.inf)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12


def _logits_from_probs(probs, eps_floor=True):
    p = probs.clamp(min=float(np.finfo(probs.dtype).tiny)) if eps_floor else probs
    return p.log()


class Bernoulli(Distribution):
    """1 with probability probs (or sigmoid(logits)), else 0."""

    def __init__(self, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give exactly one of probs and logits")
        if probs is not None:
            (self.probs,) = _broadcast(probs)
            self.logits = _logits_from_probs(self.probs) - _logits_from_probs(1 - self.probs)
        else:
            (self.logits,) = _broadcast(logits)
            self.probs = self.logits.sigmoid()
        self.batch_shape = tuple(self.probs.shape)

    def _draw(self, sample_shape):
        u = rand(self._extended(sample_shape), dtype=self.probs.dtype, device=self.probs.device)
        return (u < self.probs.detach()).to(self.probs.dtype)

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.logits)
        # -BCE with logits, stable: value * l - softplus(l)
        return value * self.logits - _softplus(self.logits)

    def entropy(self) -> Tensor:
        return _softplus(self.logits) - self.probs * self.logits

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)


def _softplus(x: Tensor) -> Tensor:
    return x.clamp(min=0) + (-x.abs()).exp().log1p()


class Categorical(Distribution):
    """Category k with probability probs[..., k] (or softmax(logits)[..., k]); probs need not be
    normalised."""

    def __init__(self, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give exactly one of probs and logits")
        if probs is not None:
            probs = _tensor(probs)
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = _logits_from_probs(self.probs)
        else:
            logits = _tensor(logits)
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.exp()
        if self.probs.ndim < 1:
            raise ShapeError("Categorical: probs/logits need a last dim of categories")
        self.batch_shape = tuple(self.probs.shape[:-1])
        self.num_categories = self.probs.shape[-1]

    def _draw(self, sample_shape):
        from .creation import multinomial

        flat = self.probs.detach().reshape(-1, self.num_categories)
        n = int(np.prod(sample_shape)) if sample_shape else 1
        draws = multinomial(flat, n, replacement=True)  # (batch, n)
        return draws.mT.reshape(tuple(sample_shape) + tuple(self.batch_shape))

    def log_prob(self, value) -> Tensor:
        value = _tensor(value)
        if value.dtype.kind not in "iu":
            value = value.to(np.int64)
        shape = np.broadcast_shapes(tuple(value.shape), self.batch_shape)
        logits = broadcast_to(self.logits, shape + (self.num_categories,))
        index = broadcast_to(value, shape).unsqueeze(-1)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        return -(self.probs * self.logits).sum(-1)

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError("Categorical: the mean of categories is undefined")


class MultivariateNormal(Distribution):
    """N(loc, covariance_matrix), or given scale_tril (the Cholesky factor L, covariance L L^T)
    or precision_matrix; event_shape (d,)."""

    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None):
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("MultivariateNormal: give exactly one of covariance_matrix, "
                             "precision_matrix and scale_tril")
        loc = _tensor(loc)
        if scale_tril is not None:
            tril = _tensor(scale_tril, loc)
        elif covariance_matrix is not None:
            tril = linalg.cholesky(_tensor(covariance_matrix, loc))
        else:
            tril = linalg.cholesky(linalg.inv(_tensor(precision_matrix, loc)))
        d = loc.shape[-1]
        if tril.shape[-2:] != (d, d):
            raise ShapeError(f"MultivariateNormal: loc {shape_str(loc.shape)} and a "
                             f"{shape_str(tril.shape)} scale do not agree")
        batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(tril.shape[:-2]))
        self.loc = broadcast_to(loc, batch + (d,))
        self.scale_tril = broadcast_to(tril, batch + (d, d))
        self.batch_shape, self.event_shape = batch, (d,)

    def _draw(self, sample_shape):
        eps = randn(self._extended(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        from .ops.functions import diagonal

        return diagonal(self.scale_tril, 0, -2, -1).abs().log().sum(-1)

    def log_prob(self, value) -> Tensor:
        diff = _tensor(value, self.loc) - self.loc
        shape = tuple(diff.shape[:-1])
        tril = broadcast_to(self.scale_tril, shape + self.event_shape * 2)
        z = linalg.solve(tril, diff.unsqueeze(-1)).squeeze(-1)
        d = self.event_shape[0]
        return -0.5 * (z * z).sum(-1) - self._half_log_det() - 0.5 * d * math.log(2 * math.pi)

    def entropy(self) -> Tensor:
        d = self.event_shape[0]
        return 0.5 * d * (1 + math.log(2 * math.pi)) + self._half_log_det()

    @property
    def covariance_matrix(self) -> Tensor:
        return self.scale_tril @ self.scale_tril.mT

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.scale_tril ** 2).sum(-1)


class Independent(Distribution):
    """base's last reinterpreted_batch_ndims batch dims as event dims: log_prob and entropy sum
    over them (a diagonal Gaussian as Independent(Normal(mu, sigma), 1))."""

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int):
        k = reinterpreted_batch_ndims
        if not 0 <= k <= len(base_distribution.batch_shape):
            raise ValueError(f"Independent: reinterpreted_batch_ndims {k} exceeds the base's "
                             f"batch_shape {base_distribution.batch_shape}")
        self.base, self.k = base_distribution, k
        batch = tuple(base_distribution.batch_shape)
        self.batch_shape = batch[:len(batch) - k]
        self.event_shape = batch[len(batch) - k:] + tuple(base_distribution.event_shape)
        self.has_rsample = base_distribution.has_rsample

    def _draw(self, sample_shape):
        return self.base._draw(sample_shape)

    def _sum(self, t: Tensor) -> Tensor:
        return t.sum(tuple(range(-self.k, 0))) if self.k else t

    def log_prob(self, value) -> Tensor:
        return self._sum(self.base.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum(self.base.entropy())

    @property
    def mean(self) -> Tensor:
        return self.base.mean

    @property
    def variance(self) -> Tensor:
        return self.base.variance


def _host_draw(dist, sample_shape, draw):
    """A draw computed by numpy's generator on the host from the parameters' values (the laws
    without a reparameterised sampler here), as a constant tensor like the parameters'."""
    from .random import generator

    params = [t.detach().to("cpu").numpy() for t in dist._params()]
    shape = tuple(sample_shape) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    like = dist._params()[0]
    values = np.asarray(draw(generator(), params, shape), dtype=like.dtype)
    return Tensor(values, device=like.device)


class Exponential(Distribution):
    """Density rate exp(-rate x) on x >= 0."""

    has_rsample = True

    def __init__(self, rate):
        (self.rate,) = _broadcast(rate)
        _check_positive("Exponential", rate=self.rate)
        self.batch_shape = tuple(self.rate.shape)

    def _draw(self, sample_shape):
        u = rand(self._extended(sample_shape), dtype=self.rate.dtype, device=self.rate.device)
        return -(1 - u).log() / self.rate

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.rate)
        return (self.rate.log() - self.rate * value).where(value >= 0, -math.inf)

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

    @property
    def mean(self) -> Tensor:
        return 1 / self.rate

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2


class Laplace(_LocScale):
    """Density exp(-|x - loc| / scale) / (2 scale)."""

    def _draw(self, sample_shape):
        u = self._uniform(sample_shape)
        u = u - 0.5
        return self.loc - self.scale * u.sign() * (1 - 2 * u.abs()).log()

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.loc)
        return -(value - self.loc).abs() / self.scale - (2 * self.scale).log()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2


class LogNormal(Distribution):
    """exp of a Normal(loc, scale)."""

    has_rsample = True

    def __init__(self, loc, scale):
        self.base = Normal(loc, scale)
        self.loc, self.scale = self.base.loc, self.base.scale
        self.batch_shape = self.base.batch_shape

    def _draw(self, sample_shape):
        return self.base._draw(sample_shape).exp()

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.loc)
        log_value = value.where(value > 0, 1.0).log()
        return (self.base.log_prob(log_value) - log_value).where(value > 0, -math.inf)

    def entropy(self) -> Tensor:
        return self.base.entropy() + self.loc

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale ** 2
        return (s2.exp() - 1) * (2 * self.loc + s2).exp()


class Gamma(Distribution):
    """Density rate^a x^(a-1) exp(-rate x) / Gamma(a), a the concentration."""

    def __init__(self, concentration, rate):
        self.concentration, self.rate = _broadcast(concentration, rate)
        _check_positive("Gamma", concentration=self.concentration, rate=self.rate)
        self.batch_shape = tuple(self.rate.shape)

    def _params(self):
        return [self.concentration, self.rate]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape, lambda g, p, shape: g.gamma(p[0], 1 / p[1], shape))

    def log_prob(self, value) -> Tensor:
        from .special import gammaln, xlogy

        value = _tensor(value, self.rate)
        a, b = self.concentration, self.rate
        return xlogy(a, b) + xlogy(a - 1, value) - b * value - gammaln(a)

    def entropy(self) -> Tensor:
        from .special import digamma, gammaln

        a = self.concentration
        return a - self.rate.log() + gammaln(a) + (1 - a) * digamma(a)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2


class Dirichlet(Distribution):
    """On the simplex: density prod x_k^(a_k - 1) / B(a); event_shape (K,)."""

    def __init__(self, concentration):
        self.concentration = _tensor(concentration)
        if self.concentration.ndim < 1:
            raise ShapeError("Dirichlet: concentration needs a last dim of categories")
        _check_positive("Dirichlet", concentration=self.concentration)
        self.batch_shape = tuple(self.concentration.shape[:-1])
        self.event_shape = tuple(self.concentration.shape[-1:])

    def _params(self):
        return [self.concentration]

    def _draw(self, sample_shape):
        def draw(g, p, shape):
            x = g.gamma(np.broadcast_to(p[0], shape))
            return x / x.sum(-1, keepdims=True)
        return _host_draw(self, sample_shape, draw)

    def _log_norm(self) -> Tensor:
        from .special import gammaln

        a = self.concentration
        return gammaln(a).sum(-1) - gammaln(a.sum(-1))

    def log_prob(self, value) -> Tensor:
        from .special import xlogy

        value = _tensor(value, self.concentration)
        return xlogy(self.concentration - 1, value).sum(-1) - self._log_norm()

    def entropy(self) -> Tensor:
        from .special import digamma

        a = self.concentration
        a0 = a.sum(-1)
        k = a.shape[-1]
        return (self._log_norm() + (a0 - k) * digamma(a0)
                - ((a - 1) * digamma(a)).sum(-1))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def variance(self) -> Tensor:
        a0 = self.concentration.sum(-1, keepdim=True)
        m = self.concentration / a0
        return m * (1 - m) / (a0 + 1)


class Beta(Distribution):
    """On (0, 1): density x^(a-1) (1-x)^(b-1) / B(a, b) (a Dirichlet of two)."""

    def __init__(self, concentration1, concentration0):
        self.concentration1, self.concentration0 = _broadcast(concentration1, concentration0)
        from .ops.shape import stack

        self._dirichlet = Dirichlet(stack([self.concentration1, self.concentration0], -1))
        self.batch_shape = tuple(self.concentration1.shape)

    def _params(self):
        return [self.concentration1, self.concentration0]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape, lambda g, p, shape: g.beta(p[0], p[1], shape))

    def log_prob(self, value) -> Tensor:
        from .ops.shape import stack

        value = _tensor(value, self.concentration1)
        return self._dirichlet.log_prob(stack([value, 1 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))


class Poisson(Distribution):
    """P(k) = rate^k exp(-rate) / k!."""

    def __init__(self, rate):
        (self.rate,) = _broadcast(rate)
        _check_positive("Poisson", allow_zero=True, rate=self.rate)
        self.batch_shape = tuple(self.rate.shape)

    def _params(self):
        return [self.rate]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape, lambda g, p, shape: g.poisson(p[0], shape))

    def log_prob(self, value) -> Tensor:
        from .special import gammaln, xlogy

        value = _tensor(value, self.rate)
        return xlogy(value, self.rate) - self.rate - gammaln(value + 1)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def variance(self) -> Tensor:
        return self.rate


_EULER_GAMMA = 0.5772156649015329


class Cauchy(_LocScale):
    """Density 1 / (pi scale (1 + ((x - loc) / scale)^2)); no mean or variance (nan, inf)."""

    def _draw(self, sample_shape):
        u = self._uniform(sample_shape)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value) -> Tensor:
        z = (_tensor(value, self.loc) - self.loc) / self.scale
        return -(z * z).log1p() - self.scale.log() - math.log(math.pi)

    def cdf(self, value) -> Tensor:
        return ((_tensor(value, self.loc) - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        return self.loc + self.scale * (math.pi * (_tensor(value, self.loc) - 0.5)).tan()

    def entropy(self) -> Tensor:
        return (4 * math.pi * self.scale).log()

    @property
    def mean(self) -> Tensor:
        return self.loc * math.nan

    @property
    def variance(self) -> Tensor:
        return self.loc * 0 + math.inf


class Gumbel(_LocScale):
    """Density exp(-(z + exp(-z))) / scale, z = (x - loc) / scale: the maximum's law."""

    def _draw(self, sample_shape):
        u = self._uniform(sample_shape)
        tiny = float(np.finfo(u.dtype).tiny)
        return self.loc - self.scale * (-(u.clamp(min=tiny)).log()).log()

    def log_prob(self, value) -> Tensor:
        z = (_tensor(value, self.loc) - self.loc) / self.scale
        return -(z + (-z).exp()) - self.scale.log()

    def cdf(self, value) -> Tensor:
        z = (_tensor(value, self.loc) - self.loc) / self.scale
        return (-(-z).exp()).exp()

    def entropy(self) -> Tensor:
        return self.scale.log() + 1 + _EULER_GAMMA

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER_GAMMA

    @property
    def variance(self) -> Tensor:
        return (math.pi ** 2 / 6) * self.scale ** 2


class HalfNormal(Distribution):
    """|X| for X ~ N(0, scale^2): density 2 N(x; 0, scale) on x >= 0."""

    has_rsample = True

    def __init__(self, scale):
        (self.scale,) = _broadcast(scale)
        _check_positive("HalfNormal", scale=self.scale)
        self.batch_shape = tuple(self.scale.shape)

    def _draw(self, sample_shape):
        eps = randn(self._extended(sample_shape), dtype=self.scale.dtype,
                    device=self.scale.device)
        return (eps * self.scale).abs()

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.scale)
        z = value / self.scale
        density = -0.5 * z * z - self.scale.log() + 0.5 * math.log(2 / math.pi)
        return density.where(value >= 0, -math.inf)

    def cdf(self, value) -> Tensor:
        return (_tensor(value, self.scale) / (self.scale * math.sqrt(2))).erf().clamp(min=0)

    def entropy(self) -> Tensor:
        return 0.5 * math.log(math.pi / 2) + 0.5 + self.scale.log()

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)


class StudentT(Distribution):
    """Student's t with df degrees of freedom, shifted by loc and scaled by scale."""

    def __init__(self, df, loc=0.0, scale=1.0):
        self.df, self.loc, self.scale = _broadcast(df, loc, scale)
        _check_positive("StudentT", df=self.df, scale=self.scale)
        self.batch_shape = tuple(self.df.shape)

    def _params(self):
        return [self.df, self.loc, self.scale]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape,
                          lambda g, p, shape: p[1] + p[2] * g.standard_t(p[0], shape))

    def log_prob(self, value) -> Tensor:
        from .special import gammaln

        z = (_tensor(value, self.loc) - self.loc) / self.scale
        df = self.df
        return (gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * (df * math.pi).log()
                - self.scale.log() - (df + 1) / 2 * (z * z / df).log1p())

    def entropy(self) -> Tensor:
        from .special import digamma, gammaln

        df = self.df
        half, half1 = df / 2, (df + 1) / 2
        return (self.scale.log() + half1 * (digamma(half1) - digamma(half))
                + 0.5 * df.log() + gammaln(half) + gammaln(df * 0 + 0.5) - gammaln(half1))

    @property
    def mean(self) -> Tensor:
        return self.loc.where(self.df > 1, math.nan)

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale ** 2 * df / (df - 2).where(df > 2, 1.0)
        return finite.where(df > 2, math.inf).where(df > 1, math.nan)


def _probs_and_logits(name, probs, logits):
    """(probs, logits) of a success probability given as either (Bernoulli's convention)."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: give exactly one of probs and logits")
    if probs is not None:
        (probs,) = _broadcast(probs)
        return probs, _logits_from_probs(probs) - _logits_from_probs(1 - probs)
    (logits,) = _broadcast(logits)
    return logits.sigmoid(), logits


class Geometric(Distribution):
    """The number of failures before the first success: P(k) = (1 - p)^k p, k = 0, 1, ..."""

    def __init__(self, probs=None, logits=None):
        self.probs, self.logits = _probs_and_logits("Geometric", probs, logits)
        self.batch_shape = tuple(self.probs.shape)

    def _params(self):
        return [self.probs]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape, lambda g, p, shape: g.geometric(p[0], shape) - 1)

    def log_prob(self, value) -> Tensor:
        value = _tensor(value, self.probs)
        # k log(1 - p) + log p, with log p = -softplus(-l) and log(1 - p) = -softplus(l)
        return -value * _softplus(self.logits) - _softplus(-self.logits)

    def entropy(self) -> Tensor:
        p = self.probs
        return (_softplus(-self.logits) * p + _softplus(self.logits) * (1 - p)) / p

    @property
    def mean(self) -> Tensor:
        return 1 / self.probs - 1

    @property
    def variance(self) -> Tensor:
        return (1 - self.probs) / self.probs ** 2


class Binomial(Distribution):
    """The number of successes in total_count trials of success probability p."""

    def __init__(self, total_count=1, probs=None, logits=None):
        probs, logits = _probs_and_logits("Binomial", probs, logits)
        self.total_count, self.probs, self.logits = _broadcast(total_count, probs, logits)
        _check_positive("Binomial", allow_zero=True, total_count=self.total_count)
        self.batch_shape = tuple(self.probs.shape)

    def _params(self):
        return [self.total_count, self.probs]

    def _draw(self, sample_shape):
        return _host_draw(self, sample_shape,
                          lambda g, p, shape: g.binomial(p[0].astype(np.int64), p[1], shape))

    def log_prob(self, value) -> Tensor:
        from .special import gammaln

        k = _tensor(value, self.probs)
        n = self.total_count
        log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
        return log_choose - k * _softplus(-self.logits) - (n - k) * _softplus(self.logits)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)


class OneHotCategorical(Distribution):
    """Categorical's draws as one-hot vectors (event_shape (K,))."""

    def __init__(self, probs=None, logits=None):
        self._categorical = Categorical(probs, logits)
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = (self._categorical.num_categories,)

    def _draw(self, sample_shape):
        index = self._categorical._draw(sample_shape).numpy()
        eye = np.eye(self.event_shape[0], dtype=self.probs.dtype)
        return Tensor(eye[index], device=self.probs.device)

    def log_prob(self, value) -> Tensor:
        return (_tensor(value, self.logits) * self.logits).sum(-1)

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) in closed form, batched, for two Normals, Bernoullis, Categoricals,
    MultivariateNormals, or Independents of a pair of those with the same reinterpreted dims."""
    if isinstance(p, Independent) and isinstance(q, Independent) and p.k == q.k:
        return p._sum(kl_divergence(p.base, q.base))
    if isinstance(p, Normal) and isinstance(q, Normal):
        ratio = (p.scale / q.scale) ** 2
        return 0.5 * (ratio + ((p.loc - q.loc) / q.scale) ** 2 - 1 - ratio.log())
    if isinstance(p, Bernoulli) and isinstance(q, Bernoulli):
        return (p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
                + (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits)))
    if isinstance(p, (Categorical, OneHotCategorical)) and type(p) is type(q):
        return (p.probs * (p.logits - q.logits)).sum(-1)
    if isinstance(p, HalfNormal) and isinstance(q, HalfNormal):
        ratio = (p.scale / q.scale) ** 2
        return 0.5 * (ratio - 1 - ratio.log())
    if isinstance(p, Cauchy) and isinstance(q, Cauchy):
        return (((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2)
                / (4 * p.scale * q.scale)).log()
    if isinstance(p, Gumbel) and isinstance(q, Gumbel):
        from .special import gammaln

        ratio = p.scale / q.scale
        shift = (q.loc - p.loc) / q.scale
        return ((-ratio.log() - shift + ratio * _EULER_GAMMA + (shift + gammaln(1 + ratio)).exp())
                - (1 + _EULER_GAMMA))
    if isinstance(p, Geometric) and isinstance(q, Geometric):
        # E_p[k] log(1 - q) + log q subtracted from -H(p), with E_p[k] = (1 - p) / p
        return -p.entropy() + (1 / p.probs - 1) * _softplus(q.logits) + _softplus(-q.logits)
    if isinstance(p, Binomial) and isinstance(q, Binomial):
        if np.any(p.total_count.detach().to("cpu").numpy()
                  != q.total_count.detach().to("cpu").numpy()):
            raise NotImplementedError("kl_divergence: Binomials of different total_count")
        return p.total_count * (p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
                                + (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits)))
    if isinstance(p, MultivariateNormal) and isinstance(q, MultivariateNormal):
        d = p.event_shape[0]
        shape = np.broadcast_shapes(p.batch_shape, q.batch_shape) + (d, d)
        q_tril = broadcast_to(q.scale_tril, shape)
        m = linalg.solve(q_tril, broadcast_to(p.scale_tril, shape))  # L_q^-1 L_p
        diff = linalg.solve(q_tril, (q.loc - p.loc).unsqueeze(-1)).squeeze(-1)
        return (q._half_log_det() - p._half_log_det()
                + 0.5 * ((m * m).sum((-2, -1)) + (diff * diff).sum(-1) - d))
    if isinstance(p, Exponential) and isinstance(q, Exponential):
        ratio = q.rate / p.rate
        return ratio - ratio.log() - 1
    if isinstance(p, Poisson) and isinstance(q, Poisson):
        from .special import xlogy

        return xlogy(p.rate, p.rate) - xlogy(p.rate, q.rate) - p.rate + q.rate
    if isinstance(p, Gamma) and isinstance(q, Gamma):
        from .special import digamma, gammaln

        a, b, c, d = p.concentration, p.rate, q.concentration, q.rate
        return ((a - c) * digamma(a) - gammaln(a) + gammaln(c) + c * (b.log() - d.log())
                + a * (d - b) / b)
    if isinstance(p, (Beta, Dirichlet)) and type(p) is type(q):
        from .special import digamma

        pd = p if isinstance(p, Dirichlet) else p._dirichlet
        qd = q if isinstance(q, Dirichlet) else q._dirichlet
        a, c = pd.concentration, qd.concentration
        a0 = a.sum(-1, keepdim=True)
        return (qd._log_norm() - pd._log_norm()
                + ((a - c) * (digamma(a) - digamma(a0))).sum(-1))
    raise NotImplementedError(f"kl_divergence: no closed form for {type(p).__name__} and "
                              f"{type(q).__name__}")
