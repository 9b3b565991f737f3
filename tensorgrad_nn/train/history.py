"""History: every metric per epoch, and plot(path) writing the loss and accuracy curves."""

from __future__ import annotations


class History:
    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []

    def append(self, epoch: int, logs: dict) -> None:
        self.epochs.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def plot(self, path, title: str | None = None) -> str:
        """Write a PNG with loss (left) and accuracy (right), training and validation."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        metrics = [m for m in ("loss", "accuracy") if m in self.history]
        fig, axes = plt.subplots(1, max(len(metrics), 1), figsize=(5 * max(len(metrics), 1), 3.6))
        axes = axes if hasattr(axes, "__len__") else [axes]
        epochs = [e + 1 for e in self.epochs]
        for ax, metric in zip(axes, metrics):
            ax.plot(epochs, self.history[metric], marker="o", label=f"training {metric}")
            if f"val_{metric}" in self.history:
                ax.plot(epochs, self.history[f"val_{metric}"], marker="o",
                        label=f"validation {metric}")
            ax.set_xlabel("epoch")
            ax.set_ylabel(metric)
            ax.grid(True, alpha=0.3)
            ax.legend(loc="best")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return str(path)
