"""PyTorch's torch.nn.utils helpers: gradient clipping, flat parameter vectors, rnn
(pad_sequence), parametrize and parametrizations (weight_norm, spectral_norm)."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from ..optim.optimizer import clip_grad_norm_
from . import parametrizations, parametrize, rnn, stateless

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "rnn", "parametrize", "parametrizations", "stateless"]


def _listed(parameters) -> list:
    return [parameters] if isinstance(parameters, tg.Tensor) else list(parameters)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    with tg.no_grad():
        for p in _listed(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters) -> tg.Tensor:
    """All parameters flattened and concatenated into one 1-d tensor (differentiable)."""
    return tg.cat([p.reshape(-1) for p in _listed(parameters)])


def vector_to_parameters(vec: tg.Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-d vec into the parameters, in place."""
    params = _listed(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise tg.ShapeError(f"vector_to_parameters: expected a vector of {total} elements, got "
                            f"shape {tuple(vec.shape)}")
    offsets = np.cumsum([0] + [p.numel() for p in params])
    with tg.no_grad():
        for p, start, stop in zip(params, offsets[:-1], offsets[1:]):
            p.copy_(vec[int(start):int(stop)].reshape(p.shape))
