"""Datasets and batching: Dataset, TensorDataset, ConcatDataset, Subset, random_split, the
samplers, DataLoader, and MNIST loaders."""

from . import datasets
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "random_split",
           "ConcatDataset", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
