"""torch.nn.utils.rnn: sequences of different lengths as one padded batch (pad_sequence) or as
a PackedSequence (pack_padded_sequence, pack_sequence, pad_packed_sequence), which the RNN,
LSTM and GRU layers take, running each sequence for its own length."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import tensorgrad as tg
from tensorgrad.ops.indexing import index_add


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> tg.Tensor:
    """Stack tensors (L_i, *) into (L_max, B, *), or (B, L_max, *) with batch_first, padded
    with padding_value on the right (or left); differentiable in every sequence."""
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: got no sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    trailing = tuple(sequences[0].shape[1:])
    if any(s.ndim < 1 or tuple(s.shape[1:]) != trailing for s in sequences):
        raise tg.ShapeError(f"pad_sequence: every sequence must be (L, *{trailing}), got "
                            f"{[tuple(s.shape) for s in sequences]}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = [0, 0] * len(trailing) + ([0, missing] if padding_side == "right"
                                            else [missing, 0])
        padded.append(tg.pad(s, tuple(widths), value=padding_value) if missing else s)
    return tg.stack(padded, 0 if batch_first else 1)


class PackedSequence(NamedTuple):
    """PyTorch's packed batch: data (sum of lengths, *) holds step 0 of every sequence, then step
    1 of those that have one, ..., each step's sequences longest first; batch_sizes (T,) how
    many sequences have step t; sorted_indices the batch position of each sequence in that
    order (None when the batch was already sorted), unsorted_indices its inverse."""

    data: tg.Tensor
    batch_sizes: tg.Tensor
    sorted_indices: tg.Tensor | None = None
    unsorted_indices: tg.Tensor | None = None

    def to(self, device):
        """The same batch with its data on device (batch_sizes and the orders stay on the CPU,
        as PyTorch keeps them)."""
        return self._replace(data=self.data.to(device))

    def lengths(self) -> np.ndarray:
        """Each sequence's length, in the batch's own order."""
        sizes = self.batch_sizes.numpy()
        in_sorted = (sizes[None, :] > np.arange(int(sizes[0]))[:, None]).sum(1)
        if self.sorted_indices is None:
            return in_sorted
        lengths = np.empty_like(in_sorted)
        lengths[self.sorted_indices.numpy()] = in_sorted
        return lengths

    def _positions(self):
        """(time step, batch position) of each row of data."""
        sizes = self.batch_sizes.numpy()
        steps = np.repeat(np.arange(len(sizes)), sizes)
        ranks = np.concatenate([np.arange(b) for b in sizes])
        order = (np.arange(int(sizes[0])) if self.sorted_indices is None
                 else self.sorted_indices.numpy())
        return steps, order[ranks]


def _lengths(lengths, n: int, op: str) -> np.ndarray:
    values = np.asarray(lengths.numpy() if isinstance(lengths, tg.Tensor) else lengths)
    values = values.reshape(-1)
    if values.shape != (n,) or values.dtype.kind not in "iu" or (values < 1).any():
        raise ValueError(f"{op}: lengths must be {n} integers >= 1 (one per sequence), got "
                         f"{values.tolist()}")
    return values.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """A padded batch (T, N, *) (or (N, T, *) with batch_first) and each sequence's length as a
    PackedSequence; with enforce_sorted the lengths must not increase along the batch."""
    op = "pack_padded_sequence"
    x = input.transpose(0, 1) if batch_first else input
    if x.ndim < 2:
        raise tg.ShapeError(f"{op}: expected a padded batch (T, N, *), got {tuple(input.shape)}")
    lengths = _lengths(lengths, x.shape[1], op)
    if lengths.max() > x.shape[0]:
        raise ValueError(f"{op}: a length {int(lengths.max())} exceeds the {x.shape[0]} steps "
                         "of the padded batch")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ValueError(f"{op}: lengths {lengths.tolist()} are not sorted longest first; "
                             "sort them or pass enforce_sorted=False")
        order = None
    else:
        order = np.argsort(-lengths, kind="stable")
    ordered = lengths if order is None else lengths[order]
    sizes = (ordered[None, :] > np.arange(int(ordered[0]))[:, None]).sum(1)
    packed = PackedSequence(None, tg.tensor(sizes.astype(np.int64)),
                            None if order is None else tg.tensor(order.astype(np.int64)),
                            None if order is None
                            else tg.tensor(np.argsort(order).astype(np.int64)))
    steps, batch = packed._positions()
    return packed._replace(data=x[steps, batch])


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """(padded batch (T, N, *) or (N, T, *), lengths (N,) int64) from a PackedSequence, in the
    batch's own order; total_length pads to that many steps."""
    data, sizes = sequence.data, sequence.batch_sizes.numpy()
    steps_n = len(sizes)
    if total_length is not None:
        if total_length < steps_n:
            raise ValueError(f"pad_packed_sequence: total_length {total_length} is shorter "
                             f"than the longest sequence ({steps_n})")
        steps_n = total_length
    steps, batch = sequence._positions()
    shape = (steps_n, int(sizes[0])) + tuple(data.shape[1:])
    padded = index_add(data, (steps, batch), shape)
    if padding_value:
        covered = np.zeros(shape[:2], dtype=data.dtype)
        covered[steps, batch] = 1
        fill = (1 - covered).reshape(shape[:2] + (1,) * (data.ndim - 1)) * padding_value
        padded = padded + tg.tensor(fill.astype(data.dtype), device=data.device)
    lengths = tg.tensor(sequence.lengths())
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Tensors (L_i, *) as one PackedSequence."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The sequences (L_i, *) of a padded batch, each cut to its length."""
    x = padded_sequences.transpose(0, 1) if batch_first else padded_sequences
    lengths = _lengths(lengths, x.shape[1], "unpad_sequence")
    return [x[:length, n] for n, length in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The sequences (L_i, *) of a PackedSequence, in the batch's own order."""
    padded, lengths = pad_packed_sequence(packed_sequences)
    return unpad_sequence(padded, lengths)
