"""Embedding: a lookup table of vectors, indexed by integer tensors."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from .. import init
from ..module import Module, Parameter


class Embedding(Module):
    """indices (*) -> (*, embedding_dim); weight ~ N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(tg.empty(num_embeddings, embedding_dim, dtype=dtype))
        init.normal_(self.weight)

    def forward(self, indices):
        idx = indices.numpy() if isinstance(indices, tg.Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: index out of range for {self.num_embeddings} "
                             "embeddings")
        return self.weight[idx]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
