"""Loss modules over tensorgrad_nn.functional, with Wolfram's and slugnet's names as aliases."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss module that is one call of tensorgrad_nn.functional: its constructor's keyword
    arguments (PyTorch's names) are kept as attributes and passed on."""

    fn: staticmethod  # the functional loss, set by each subclass

    def __init__(self, **options):
        super().__init__()
        self._options = tuple(options)
        for name, value in options.items():
            setattr(self, name, value)

    def forward(self, *inputs):
        return type(self).fn(*inputs, **{k: getattr(self, k) for k in self._options})


class MSELoss(_Loss):
    fn = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class L1Loss(_Loss):
    fn = staticmethod(F.l1_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class SmoothL1Loss(_Loss):
    fn = staticmethod(F.smooth_l1_loss)

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction=reduction, beta=beta)


class HuberLoss(_Loss):
    fn = staticmethod(F.huber_loss)

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction, delta=delta)


class KLDivLoss(_Loss):
    """KL(target || model) for the model's log-probabilities; reduction 'batchmean' is the
    divergence per sample."""

    fn = staticmethod(F.kl_div)

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction=reduction, log_target=log_target)


class MarginRankingLoss(_Loss):
    fn = staticmethod(F.margin_ranking_loss)

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(margin=margin, reduction=reduction)


class HingeEmbeddingLoss(_Loss):
    fn = staticmethod(F.hinge_embedding_loss)

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(margin=margin, reduction=reduction)


class SoftMarginLoss(_Loss):
    fn = staticmethod(F.soft_margin_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class CosineEmbeddingLoss(_Loss):
    fn = staticmethod(F.cosine_embedding_loss)

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(margin=margin, reduction=reduction)


class TripletMarginLoss(_Loss):
    fn = staticmethod(F.triplet_margin_loss)

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, reduction: str = "mean"):
        super().__init__(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)


class TripletMarginWithDistanceLoss(_Loss):
    fn = staticmethod(F.triplet_margin_with_distance_loss)

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(distance_function=distance_function, margin=margin, swap=swap,
                         reduction=reduction)


class MultiLabelMarginLoss(_Loss):
    fn = staticmethod(F.multilabel_margin_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class CTCLoss(_Loss):
    """forward(log_probs, targets, input_lengths, target_lengths): see functional.ctc_loss."""

    fn = staticmethod(F.ctc_loss)

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(blank=blank, reduction=reduction, zero_infinity=zero_infinity)


class GaussianNLLLoss(_Loss):
    """forward(input, target, var): the negative log-likelihood of target under N(input, var)."""

    fn = staticmethod(F.gaussian_nll_loss)

    def __init__(self, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(full=full, eps=eps, reduction=reduction)


class PoissonNLLLoss(_Loss):
    fn = staticmethod(F.poisson_nll_loss)

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                 reduction: str = "mean"):
        super().__init__(log_input=log_input, full=full, eps=eps, reduction=reduction)


class MultiLabelSoftMarginLoss(_Loss):
    fn = staticmethod(F.multilabel_soft_margin_loss)

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(weight=weight, reduction=reduction)


class MultiMarginLoss(_Loss):
    fn = staticmethod(F.multi_margin_loss)

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        super().__init__(p=p, margin=margin, weight=weight, reduction=reduction)


class CrossEntropyLoss(Module):
    """Logits (N, C, *) against class indices (N, *) or class probabilities (N, C, *)."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__()
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(Module):
    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(Module):
    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(Module):
    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__()
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class SoftmaxCategoricalCrossEntropy(Module):
    """Slugnet's loss: the model already ends in Softmax, so this is -mean(log p[label]) on
    probabilities (clamped away from 0). Targets are class indices or one-hot rows.
    For logits use CrossEntropyLoss, which is the same loss computed stably."""

    def __init__(self, eps: float = 1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, probs, target):
        target = target if isinstance(target, tg.Tensor) else tg.tensor(np.asarray(target))
        if target.dtype.kind == "f" and tuple(target.shape) == tuple(probs.shape):
            target = target.argmax(1)
        logp = tg.maximum(probs, self.eps).log()
        return F.nll_loss(logp, target)


MeanSquaredLoss = MSELoss
MeanAbsoluteLoss = L1Loss
