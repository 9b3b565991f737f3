"""Optimizers and learning-rate schedules."""

from . import lr_scheduler, swa_utils
from .algorithms import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSProp,
    RMSprop,
    Rprop,
)
from .lbfgs import LBFGS
from .optimizer import Optimizer, clip_grad_norm_

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop", "RMSProp", "Optimizer", "Adamax",
           "NAdam", "RAdam", "Adadelta", "LBFGS", "Rprop", "ASGD",
           "clip_grad_norm_", "lr_scheduler", "swa_utils"]
