"""Optimizers and learning-rate schedules."""

from . import lr_scheduler
from .algorithms import SGD, Adagrad, Adam, AdamW, RMSProp, RMSprop
from .optimizer import Optimizer, clip_grad_norm_

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop", "RMSProp", "Optimizer",
           "clip_grad_norm_", "lr_scheduler"]
