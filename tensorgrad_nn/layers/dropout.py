"""Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout: the identity in
eval mode."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Dropout(Module):
    """Zero each element with probability p and scale the kept ones by 1/(1-p) while training
    (so eval needs no rescaling: slugnet's weight-scaling rule folded into training)."""

    fn = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return type(self).fn(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class AlphaDropout(Dropout):
    """Dropout for SELU networks: keeps the mean and variance of self-normalising activations."""

    fn = staticmethod(F.alpha_dropout)


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) or (C, L) with probability p while training."""

    fn = staticmethod(F.dropout1d)


class Dropout2d(Dropout):
    """Zero whole feature maps of (N, C, H, W) or (C, H, W) with probability p while training
    (neighbouring pixels are correlated, so element dropout barely regularises convolutions)."""

    fn = staticmethod(F.dropout2d)


class Dropout3d(Dropout):
    """Zero whole volumes of (N, C, D, H, W) or (C, D, H, W) with probability p while training."""

    fn = staticmethod(F.dropout3d)


class FeatureAlphaDropout(Dropout):
    """AlphaDropout of whole channels (one draw per sample and channel)."""

    fn = staticmethod(F.feature_alpha_dropout)
