"""Dataset (map-style), TensorDataset over arrays or tensors, ConcatDataset, Subset and
random_split."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


class Dataset:
    """Map-style: __getitem__(i) returns one sample (a tuple), __len__ the number of samples."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define __iter__ (PyTorch's IterableDataset). DataLoader
    batches it in the order it yields, with no sampler and no shuffling."""

    def __iter__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, it has no "
                        "indices")

    def __add__(self, other):
        raise TypeError("IterableDatasets do not concatenate with +")


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays/tensors: ds[i] == (x[i], y[i]). Batches are read
    with one fancy index per array (get_batch), not one call per sample."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = [a.detach().numpy() if isinstance(a, tg.Tensor) else np.asarray(a)
                       for a in arrays]
        n = len(self.arrays[0])
        if any(len(a) != n for a in self.arrays):
            raise ValueError(f"TensorDataset: arrays have different lengths "
                             f"{[len(a) for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(tg.tensor(a[index]) for a in self.arrays)

    def get_batch(self, indices: np.ndarray):
        return tuple(tg.from_numpy(np.ascontiguousarray(a[indices])) for a in self.arrays)


class ConcatDataset(Dataset):
    """The samples of several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)} samples")
        k = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


class Subset(Dataset):
    def __init__(self, dataset: Dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(self.indices[indices])
        return None


def random_split(dataset: Dataset, lengths, seed: int | None = None) -> list[Subset]:
    """Split into non-overlapping subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)
    lengths = list(lengths)
    if all(isinstance(x, float) for x in lengths):
        counts = [int(np.floor(n * f)) for f in lengths]
        counts[0] += n - sum(counts)
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} do not sum to the dataset size {n}")
    rng = np.random.default_rng(seed) if seed is not None else tg.random.generator()
    order = rng.permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, order[start:start + k]))
        start += k
    return out
