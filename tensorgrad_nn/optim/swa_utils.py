"""PyTorch's torch.optim.swa_utils: AveragedModel (stochastic weight averaging, or an
exponential moving average of the weights with get_ema_avg_fn), SWALR, update_bn."""

from __future__ import annotations

import copy
import math

import tensorgrad as tg

from ..module import Module
from .lr_scheduler import LRScheduler

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_swa_avg_fn"]


def get_swa_avg_fn():
    """The running mean: avg + (p - avg) / (n + 1)."""
    def swa(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa


def get_ema_avg_fn(decay: float = 0.999):
    """The exponential moving average: decay avg + (1 - decay) p."""
    if not 0 <= decay <= 1:
        raise ValueError(f"get_ema_avg_fn: decay must be in [0, 1], got {decay}")

    def ema(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current
    return ema


class AveragedModel(Module):
    """A copy of model whose parameters (and buffers, with use_buffers) are averaged over the
    calls to update_parameters(model): the running mean (SWA) by default, or avg_fn(averaged,
    current, num_averaged). Called, it runs the averaged copy."""

    def __init__(self, model: Module, device=None, avg_fn=None, use_buffers: bool = False):
        super().__init__()
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tg.tensor(0))
        self.avg_fn = avg_fn or get_swa_avg_fn()
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module) -> list:
        tensors = list(model.parameters())
        if self.use_buffers:
            tensors += [b for b in model.buffers() if b is not None and b.dtype.kind == "f"]
        return tensors

    def update_parameters(self, model: Module) -> None:
        mine, theirs = self._tensors(self.module), self._tensors(model)
        if len(mine) != len(theirs):
            raise ValueError("AveragedModel.update_parameters: the model's tensors do not match "
                             "the averaged copy's")
        n = int(self.n_averaged.item())
        with tg.no_grad():
            for a, p in zip(mine, theirs):
                p = p.detach().to(a.device)
                a.copy_(p if n == 0 else self.avg_fn(a.detach(), p, n))
            self.n_averaged.add_(1)


class SWALR(LRScheduler):
    """Anneal each group's lr to swa_lr over anneal_epochs ('cos' or 'linear'), then hold it
    (PyTorch's SWALR, whose step works from the lr the group has when it is called)."""

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1):
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        if anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be >= 0, got {anneal_epochs}")
        targets = swa_lr if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(
            optimizer.param_groups)
        for group, target in zip(optimizer.param_groups, targets):
            group["swa_lr"] = target
        self.anneal_epochs = anneal_epochs
        self.anneal = ((lambda t: (1 - math.cos(math.pi * t)) / 2) if anneal_strategy == "cos"
                       else (lambda t: t))
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict:
        return {k: v for k, v in super().state_dict().items() if k != "anneal"}

    def step(self) -> None:
        self.last_epoch += 1
        step = self.last_epoch
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal(max(0.0, min(1.0, (step - 1) / span)))
        alpha = self.anneal(max(0.0, min(1.0, step / span)))
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            prev = swa if prev_alpha == 1 else (group["lr"] - prev_alpha * swa) / (1 - prev_alpha)
            group["lr"] = swa * alpha + prev * (1 - alpha)


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the BatchNorm running statistics of model over one pass of loader (its
    batches, or the first element of each tuple batch), as the cumulative mean over the
    batches; for an averaged model, whose averaged weights the running statistics never saw."""
    norms = [m for m in model.modules()
             if hasattr(m, "running_mean") and getattr(m, "track_running_stats", False)]
    if not norms:
        return
    saved = [(m, m.momentum) for m in norms]
    with tg.no_grad():
        for m in norms:
            m.running_mean.zero_()
            m.running_var.fill_(1.0)
            m.num_batches_tracked.zero_()
            m.momentum = None
    was_training = model.training
    model.train()
    with tg.no_grad():
        for batch in loader:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            model(x if device is None else x.to(device))
    for m, momentum in saved:
        m.momentum = momentum
    model.train(was_training)
