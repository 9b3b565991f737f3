"""DataLoader: batches of tensors, shuffled by a seeded generator, optional drop_last."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


class DataLoader:
    """Iterate over a dataset in batches of (x, y, ...) tensors.

    shuffle uses `generator` (a numpy Generator) or, by default, a generator seeded from
    tensorgrad's seed, so tg.manual_seed(s) makes the order reproducible. Datasets with
    get_batch (TensorDataset) are read with one fancy index per batch, unless a collate_fn is
    given: it receives the list of samples (dataset[i]) and returns the batch, as PyTorch's.
    Batches are made in this process (num_workers=0 only).
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: np.random.Generator | None = None,
                 collate_fn=None, num_workers: int = 0):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers}: batches are made in this "
                             "process only (num_workers=0)")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator, self.collate_fn = generator, collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else tg.random.generator()
        return rng.permutation(n)

    def __iter__(self):
        order = self._order()
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.collate_fn is not None:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])
                continue
            batch = self.dataset.get_batch(idx) if hasattr(self.dataset, "get_batch") else None
            if batch is None:
                batch = _collate([self.dataset[int(i)] for i in idx])
            yield batch


def _collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    arrays = [s.detach().numpy() if isinstance(s, tg.Tensor) else np.asarray(s) for s in samples]
    return tg.tensor(np.stack(arrays))
