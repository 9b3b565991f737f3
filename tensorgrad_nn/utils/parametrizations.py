"""PyTorch's torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations
(parametrize.py), with PyTorch's state_dict names (parametrizations.weight.original0/1;
parametrizations.weight.original and parametrizations.weight.0._u/_v)."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from ..module import Module
from .parametrize import register_parametrization

__all__ = ["weight_norm", "spectral_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of v over every dim but dim (kept, size 1), or of all of v where dim is None."""
    if dim is None:
        return v.norm()
    return v.norm(2, dim=tuple(d for d in range(v.ndim) if d != dim), keepdim=True)


class _WeightNorm(Module):
    """weight = g v / ||v|| (Salimans & Kingma 2016): g the norm, v the direction."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise module.<name> by its norm over every dim but dim (original0, g) and its
    direction (original1, v); dim=None takes the norm of the whole tensor."""
    weight = getattr(module, name)
    if dim is not None:
        dim = dim % weight.ndim
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight (as a matrix with dim
    first) estimated by power iteration; u and v are buffers, updated in training mode only."""

    def __init__(self, weight, n_power_iterations: int, dim: int, eps: float):
        super().__init__()
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.dim = dim % weight.ndim if weight.ndim else 0
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if weight.ndim > 1:
            mat = self._matrix(weight.detach())
            h, w = mat.shape
            self.register_buffer("_u", F.normalize(tg.randn(h, dtype=weight.dtype), dim=0,
                                                   eps=eps))
            self.register_buffer("_v", F.normalize(tg.randn(w, dtype=weight.dtype), dim=0,
                                                   eps=eps))
            self._power_method(mat, 15)

    def _matrix(self, weight):
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, mat, iterations: int) -> None:
        with tg.no_grad():
            for _ in range(iterations):
                self._u.copy_(F.normalize(mat @ self._v, dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mat.mT @ self._u, dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat.detach(), self.n_power_iterations)
        sigma = (self._u.clone() * (mat @ self._v.clone())).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide module.<name> by its spectral norm, estimated with n_power_iterations steps of
    power iteration per training forward (Miyato et al. 2018); dim defaults to 1 for transposed
    convolutions, else 0."""
    weight = getattr(module, name)
    if dim is None:
        dim = 1 if "ConvTranspose" in type(module).__name__ else 0
    return register_parametrization(module, name,
                                    _SpectralNorm(weight, n_power_iterations, dim, eps))
