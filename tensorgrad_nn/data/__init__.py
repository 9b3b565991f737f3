"""Datasets and batching: Dataset, IterableDataset, TensorDataset, ConcatDataset, Subset,
random_split, the samplers, DataLoader, default_collate, and MNIST loaders."""

from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import (
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
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
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "IterableDataset",
           "default_collate"]
