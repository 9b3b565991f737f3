"""DataLoader: batches of tensors in the order of a sampler (shuffled by a seeded generator with
shuffle=True), optional drop_last."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over a dataset in batches of (x, y, ...) tensors (PyTorch's arguments).

    The indices come from `sampler` (or `batch_sampler`, which yields whole batches); by default
    a SequentialSampler, or a RandomSampler with shuffle=True, which draws from `generator` (a
    numpy Generator) or tensorgrad's seeded one, so tg.manual_seed(s) makes the order
    reproducible. Datasets with get_batch (TensorDataset) are read with one fancy index per
    batch, unless a collate_fn is given: it receives the list of samples (dataset[i]) and
    returns the batch, as PyTorch's (default_collate otherwise). An IterableDataset is batched
    in the order it yields (no sampler, no shuffle). Batches are made in this process
    (num_workers=0 only).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None):
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers}: batches are made in this "
                             "process only (num_workers=0)")
        self.iterable = isinstance(dataset, IterableDataset)
        if self.iterable:
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: an IterableDataset takes no shuffle, sampler or "
                                 "batch_sampler (it yields its own order)")
            if batch_size is None or batch_size < 1:
                raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        elif batch_sampler is not None:
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
        if self.iterable:
            n = len(self.dataset)  # TypeError where the stream has no length, as PyTorch's
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler)

    def __iter__(self):
        if self.iterable:
            yield from self._stream()
            return
        for idx in self.batch_sampler:
            if self.collate_fn is not None:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])
                continue
            batch = None
            if hasattr(self.dataset, "get_batch"):
                batch = self.dataset.get_batch(np.asarray(idx, dtype=np.int64))
            if batch is None:
                batch = default_collate([self.dataset[int(i)] for i in idx])
            yield batch

    def _stream(self):
        collate = self.collate_fn or default_collate
        samples = []
        for sample in self.dataset:
            samples.append(sample)
            if len(samples) == self.batch_size:
                yield collate(samples)
                samples = []
        if samples and not self.drop_last:
            yield collate(samples)


def default_collate(samples):
    """A list of samples as one batch (PyTorch's default_collate): tensors, arrays and numbers
    stacked along a new first dim (Python ints give int64, floats float64, as PyTorch's),
    tuples and lists collated per position, dicts per key; strings stay a list."""
    first = samples[0]
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different lengths")
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, (str, bytes)):
        return list(samples)
    arrays = [s.detach().numpy() if isinstance(s, tg.Tensor) else np.asarray(s) for s in samples]
    try:
        return tg.tensor(np.stack(arrays))
    except ValueError:
        shapes = sorted({a.shape for a in arrays})
        raise ValueError(f"default_collate: samples of shapes {shapes} do not stack into a "
                         "batch; pad them (nn.utils.rnn.pad_sequence) or pass a collate_fn"
                         ) from None
