"""torch.nn.utils.rnn's pad_sequence: sequences of different lengths as one padded batch."""

from __future__ import annotations

import tensorgrad as tg


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
