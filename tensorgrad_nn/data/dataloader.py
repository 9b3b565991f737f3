"""DataLoader: batches of tensors in the order of a sampler (shuffled by a seeded generator with
shuffle=True), optional drop_last."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over a dataset in batches of (x, y, ...) tensors (PyTorch's arguments).

    The indices come from `sampler` (or `batch_sampler`, which yields whole batches); by default
    a SequentialSampler, or a RandomSampler with shuffle=True, which draws from `generator` (a
    numpy Generator) or tensorgrad's seeded one, so tg.manual_seed(s) makes the order
    reproducible. Datasets with get_batch (TensorDataset) are read with one fancy index per
    batch, unless a collate_fn is given: it receives the list of samples (dataset[i]) and
    returns the batch, as PyTorch's. Batches are made in this process (num_workers=0 only).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None):
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers}: batches are made in this "
                             "process only (num_workers=0)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, "
                                 "sampler and drop_last")
        else:
            if batch_size is None or batch_size < 1:
                raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
            if sampler is not None and shuffle:
                raise ValueError("DataLoader: sampler and shuffle=True exclude each other")
            if sampler is None:
                sampler = (RandomSampler(dataset, generator=generator) if shuffle
                           else SequentialSampler(dataset))
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.generator, self.collate_fn = generator, collate_fn

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self):
        for idx in self.batch_sampler:
            if self.collate_fn is not None:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])
                continue
            batch = None
            if hasattr(self.dataset, "get_batch"):
                batch = self.dataset.get_batch(np.asarray(idx, dtype=np.int64))
            if batch is None:
                batch = _collate([self.dataset[int(i)] for i in idx])
            yield batch


def _collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    arrays = [s.detach().numpy() if isinstance(s, tg.Tensor) else np.asarray(s) for s in samples]
    return tg.tensor(np.stack(arrays))
