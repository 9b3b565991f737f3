"""Embedding: a lookup table of vectors, indexed by integer tensors."""

from __future__ import annotations

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..module import Module, Parameter


class Embedding(Module):
    """indices (*) -> (*, embedding_dim); weight ~ N(0, 1). padding_idx (PyTorch's): that row
    starts at zero and gets no gradient, so training leaves it where it is."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for "
                                 f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(tg.empty(num_embeddings, embedding_dim, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with tg.no_grad():
                self.weight[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None):
        """An Embedding holding a copy of `embeddings` (num_embeddings, embedding_dim); frozen
        (no gradient) unless freeze=False. The padding row is kept as given."""
        weights = embeddings if isinstance(embeddings, tg.Tensor) else tg.tensor(embeddings)
        if weights.ndim != 2:
            raise tg.ShapeError(f"Embedding.from_pretrained: expected a 2-d weight, got shape "
                                f"{tuple(weights.shape)}")
        layer = cls(*weights.shape, padding_idx=padding_idx, dtype=weights.dtype)
        with tg.no_grad():
            layer.weight.copy_(weights.detach())
        layer.weight.requires_grad_(not freeze)
        return layer

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"


class EmbeddingBag(Module):
    """Bags of indices -> one row each: the 'sum', 'mean' (default) or 'max' of their
    embeddings (PyTorch's EmbeddingBag; forward(input, offsets=None, per_sample_weights=None),
    see functional.embedding_bag). weight ~ N(0, 1), padding_idx's row at zero."""

    def __init__(self, num_embeddings: int, embedding_dim: int, mode: str = "mean",
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 dtype=None):
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.mode, self.include_last_offset = mode, include_last_offset
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        self.weight = Parameter(tg.empty(num_embeddings, embedding_dim, dtype=dtype))
        self.reset_parameters()

    reset_parameters = Embedding.reset_parameters

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.mode, per_sample_weights,
                               self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
