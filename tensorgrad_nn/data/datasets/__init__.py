"""Datasets: the full MNIST (downloaded, checked, cached) and the embedded 5,000-digit MNIST."""

from .mnist import MnistError, mnist, mnist_5k, read_idx

__all__ = ["MnistError", "mnist", "mnist_5k", "read_idx"]
