"""Callbacks for Model.fit: early stopping, a checkpoint every epoch, an LR schedule step."""

from __future__ import annotations

import math
import os

from ..optim.lr_scheduler import ReduceLROnPlateau


class Callback:
    def on_train_begin(self, model) -> None:
        pass

    def on_epoch_end(self, model, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, model) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by min_delta for `patience` epochs; optionally put
    back the best weights."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, model) -> None:
        self.best = -math.inf if self.mode == "max" else math.inf
        self.wait, self.stopped_epoch, self.best_state = 0, None, None

    def _improved(self, value: float) -> bool:
        if self.mode == "max":
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, model, epoch, logs) -> None:
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: metric {self.monitor!r} not in {sorted(logs)}")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_state = {k: v.clone() for k, v in model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            model.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, model) -> None:
        if self.restore_best_weights and self.best_state is not None:
            model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model's state_dict (safetensors, atomically) after every epoch; the path may use
    {epoch} and any metric, e.g. 'runs/lenet-{epoch:02d}.safetensors'."""

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "min"):
        self.path, self.monitor, self.save_best_only, self.mode = path, monitor, save_best_only, \
            mode
        self.best = math.inf if mode == "min" else -math.inf
        self.saved: list[str] = []

    def on_epoch_end(self, model, epoch, logs) -> None:
        from ..serialization import save

        if self.save_best_only:
            value = logs.get(self.monitor)
            better = value is not None and (value < self.best if self.mode == "min"
                                            else value > self.best)
            if not better:
                return
            self.best = value
        path = self.path.format(epoch=epoch + 1, **logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        save(model.state_dict(), path)
        self.saved.append(path)


class LRSchedulerStep(Callback):
    """Step an LR scheduler at the end of every epoch (the scheduler is made from the model's
    optimizer by `make(optimizer)` once training starts, so it can wrap a deferred optimizer).
    A ReduceLROnPlateau is stepped with the epoch's `monitor` metric."""

    def __init__(self, make, monitor: str = "val_loss"):
        self.make, self.scheduler, self.monitor = make, None, monitor

    def on_train_begin(self, model) -> None:
        self.scheduler = self.make(model.optimizer)

    def on_epoch_end(self, model, epoch, logs) -> None:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            if self.monitor not in logs:
                raise KeyError(f"LRSchedulerStep: metric {self.monitor!r} not in {sorted(logs)}")
            self.scheduler.step(logs[self.monitor])
        else:
            self.scheduler.step()
        logs["lr"] = self.scheduler.get_last_lr()[0]
