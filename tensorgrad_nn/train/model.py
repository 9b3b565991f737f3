"""Model: slugnet's fit API on top of tensorgrad_nn.

    model = Model(lr=0.01, n_epoch=3, loss=SoftmaxCategoricalCrossEntropy(),
                  metrics=["loss", "accuracy"], optimizer=RMSProp())
    model.add_layer(Dense(200, inshape=784, activation=ReLU()))
    model.add_layer(Dense(10, activation=Softmax()))
    history = model.fit(X, y)

Model is itself a Module (its layers live in model.layers, a Sequential), so state_dict,
save/load, summary and .to(device) work on it as on any network.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tensorgrad as tg

from ..containers import Sequential
from ..losses import CrossEntropyLoss
from ..module import Module
from ..optim import SGD, Optimizer
from .history import History
from .metrics import _labels


class Model(Module):
    def __init__(self, lr: float = 0.01, n_epoch: int = 10, batch_size: int = 32, loss=None,
                 metrics=("loss", "accuracy"), optimizer: Optimizer | None = None,
                 validation_split: float = 0.1, seed: int | None = 0, device: str = "cpu",
                 progress: bool = True):
        super().__init__()
        self.layers = Sequential()
        self.lr, self.n_epoch, self.batch_size = lr, n_epoch, batch_size
        object.__setattr__(self, "loss", loss if loss is not None else CrossEntropyLoss())
        self.metrics = list(metrics)
        unknown = set(self.metrics) - {"loss", "accuracy"}
        if unknown:
            raise ValueError(f"Model: unknown metrics {sorted(unknown)} (use 'loss', 'accuracy')")
        self.optimizer = optimizer
        self.validation_split, self.seed, self.device = validation_split, seed, device
        self.progress = progress
        self.stop_training = False

    def add_layer(self, layer) -> Model:
        """Append a layer (slugnet's add_layer); returns the model so calls can chain."""
        self.layers.append(layer)
        return self

    def forward(self, x):
        return self.layers(x)

    # ----- training --------------------------------------------------------------------------

    def _bind_optimizer(self) -> Optimizer:
        params = list(self.parameters())
        if self.optimizer is None:
            self.optimizer = SGD(params, lr=self.lr)
        elif not self.optimizer.param_groups:
            lr = self.optimizer.defaults.get("lr")
            self.optimizer.add_param_group({"params": params, "lr": self.lr if lr is None else lr})
        return self.optimizer

    def _batches(self, x, y, shuffle: bool, rng):
        n = len(x)
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield (tg.from_numpy(x[idx]).to(self.device), tg.from_numpy(y[idx]).to(self.device))

    def fit(self, X, y, validation_data=None, validation_split: float | None = None,
            callbacks=(), verbose: bool = True) -> History:
        """Train for n_epoch epochs; returns a History with every metric per epoch (training and,
        given validation data or a split, validation)."""
        x, y = _as_array(X), _as_array(y)
        if len(x) != len(y):
            raise ValueError(f"fit: {len(x)} inputs but {len(y)} targets")
        rng = np.random.default_rng(self.seed)
        split = self.validation_split if validation_split is None else validation_split
        if validation_data is None and split:
            order = rng.permutation(len(x))
            n_val = int(round(len(x) * split))
            val_idx, train_idx = order[:n_val], order[n_val:]
            validation_data = (x[val_idx], y[val_idx])
            x, y = x[train_idx], y[train_idx]
        if self.seed is not None:
            tg.manual_seed(self.seed)
        with tg.no_grad():  # settle lazy shapes before the optimizer is bound
            self.eval()
            self(tg.tensor(x[:1], device=self.device))
        optimizer = self._bind_optimizer()
        history = History()
        self.stop_training = False
        for cb in callbacks:
            cb.on_train_begin(self)
        out = sys.stdout if verbose else None
        for epoch in range(self.n_epoch):
            logs = self._train_epoch(x, y, optimizer, rng, epoch, out)
            if validation_data is not None:
                val = self.evaluate(*validation_data)
                logs.update({f"val_{k}": v for k, v in val.items()})
            for cb in callbacks:
                cb.on_epoch_end(self, epoch, logs)
            history.append(epoch, logs)
            if verbose:
                print(f"epoch {epoch + 1}/{self.n_epoch}  " + "  ".join(
                    f"{k} {v:.4f}" for k, v in logs.items() if k != "samples_per_s")
                      + f"  ({logs['samples_per_s']:.0f} samples/s)", file=out, flush=True)
            if self.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end(self)
        return history

    def _train_epoch(self, x, y, optimizer, rng, epoch, out) -> dict:
        self.train()
        bar = _progress(len(x), f"epoch {epoch + 1}/{self.n_epoch}", out if self.progress
                        else None)
        total_loss, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        for xb, yb in self._batches(x, y, True, rng):
            output = self(xb)
            loss = self.loss(output, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = len(xb)
            total_loss += loss.item() * n
            correct += int((_labels(output) == _labels(yb)).sum())
            seen += n
            if bar is not None:
                bar.update(n)
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}")
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - start
        logs = {}
        if "loss" in self.metrics:
            logs["loss"] = total_loss / seen
        if "accuracy" in self.metrics:
            logs["accuracy"] = correct / seen
        logs["samples_per_s"] = seen / max(elapsed, 1e-9)
        return logs

    # ----- inference -------------------------------------------------------------------------

    @tg.no_grad()
    def predict(self, X, batch_size: int | None = None) -> np.ndarray:
        """The network's outputs for X (eval mode, no tape), as a numpy array."""
        self.eval()
        x = _as_array(X)
        bs = batch_size or max(self.batch_size, 256)
        outs = [self(tg.tensor(x[i:i + bs], device=self.device)).numpy()
                for i in range(0, len(x), bs)]
        return np.concatenate(outs) if outs else np.empty((0,))

    @tg.no_grad()
    def evaluate(self, X, y) -> dict:
        """The metrics on (X, y) in eval mode: {'loss': ..., 'accuracy': ...}."""
        outputs = self.predict(X)
        y = _as_array(y)
        result = {}
        if "loss" in self.metrics:
            result["loss"] = float(self.loss(tg.tensor(outputs), tg.tensor(y)).item())
        if "accuracy" in self.metrics:
            result["accuracy"] = float((_labels(outputs) == _labels(y)).mean())
        return result


def _as_array(a) -> np.ndarray:
    return a.detach().numpy() if isinstance(a, tg.Tensor) else np.asarray(a)


def _progress(total: int, desc: str, out):
    if out is None:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="sample", file=out, leave=False,
                disable=not getattr(out, "isatty", lambda: False)())
