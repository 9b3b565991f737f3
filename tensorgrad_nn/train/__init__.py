"""Training: slugnet's Model/fit API, callbacks, progress, history and plots, metrics helpers."""

from .callbacks import Callback, EarlyStopping, LRSchedulerStep, ModelCheckpoint
from .history import History
from .metrics import ClassDecoder, accuracy, confusion_matrix
from .model import Model

__all__ = ["Callback", "ClassDecoder", "EarlyStopping", "History", "LRSchedulerStep", "Model",
           "ModelCheckpoint", "accuracy", "confusion_matrix"]
