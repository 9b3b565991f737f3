"""Optimizers and learning-rate schedules."""

from . import lr_scheduler
from .algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSProp, RMSprop
from .lbfgs import LBFGS
from .optimizer import Optimizer, clip_grad_norm_

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop", "RMSProp", "Optimizer", "Adamax",
           "NAdam", "RAdam", "Adadelta", "LBFGS",
           "clip_grad_norm_", "lr_scheduler"]
