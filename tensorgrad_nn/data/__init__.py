"""Datasets and batching: Dataset, TensorDataset, DataLoader, random_split, and MNIST loaders."""

from . import datasets
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "random_split"]
