"""Metrics and decoders: accuracy, confusion_matrix, and ClassDecoder (Wolfram's
NetDecoder["Class"]) that turns probability vectors into labels."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


def _labels(y) -> np.ndarray:
    y = y.detach().numpy() if isinstance(y, tg.Tensor) else np.asarray(y)
    if y.ndim >= 2 and y.dtype.kind == "f":
        return y.argmax(1)
    return y.astype(np.int64)


def accuracy(outputs, targets) -> float:
    """Fraction of rows whose argmax equals the target class (targets: indices or one-hot)."""
    return float((_labels(outputs) == _labels(targets)).mean())


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """counts[i, j] = number of samples of class i predicted as class j."""
    t, p = _labels(y_true), _labels(y_pred)
    k = num_classes or int(max(t.max(), p.max())) + 1
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


class ClassDecoder:
    """dec = ClassDecoder(["dog", "cat"]); dec([0.1, 0.9]) -> "cat";
    dec([0.1, 0.9], "Probabilities") -> {"dog": 0.1, "cat": 0.9}. Rows of a batch give lists."""

    def __init__(self, labels):
        self.labels = list(labels)

    def __call__(self, probs, what: str = "Decision"):
        p = probs.detach().numpy() if isinstance(probs, tg.Tensor) else np.asarray(probs)
        if p.shape[-1] != len(self.labels):
            raise ValueError(f"ClassDecoder: {p.shape[-1]} scores for {len(self.labels)} labels")
        if what == "Probabilities":
            if p.ndim == 1:
                return {label: float(v) for label, v in zip(self.labels, p)}
            return [self(row, what) for row in p]
        if what != "Decision":
            raise ValueError(f"ClassDecoder: what must be 'Decision' or 'Probabilities', got "
                             f"{what!r}")
        if p.ndim == 1:
            return self.labels[int(p.argmax())]
        return [self.labels[int(i)] for i in p.argmax(-1)]
