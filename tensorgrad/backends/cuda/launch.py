"""Grid sizing, and the one place kernels are launched: host arrays are refused (the simulator
would copy them silently; on a GPU they would be a transfer in the middle of a step)."""

from __future__ import annotations

import numpy as np

THREADS = 128
MAXD = 6


def launch(kernel, n: int, *args) -> None:
    for a in args:
        if isinstance(a, np.ndarray):
            raise TypeError(f"cuda launch of {kernel}: got a host array of shape {a.shape}; "
                            "copy it with memory.asarray first")
    if n <= 0:
        return
    blocks = (n + THREADS - 1) // THREADS
    kernel[blocks, THREADS](*args)


def padded(shape, fill=1) -> tuple:
    """A shape or strides tuple padded on the left to MAXD entries (kernels take fixed tuples)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) > MAXD:
        raise ValueError(f"cuda: at most {MAXD} dims are supported, got {len(shape)}")
    return (fill,) * (MAXD - len(shape)) + shape


def contiguous_strides(shape) -> tuple:
    """Element strides of a C-contiguous array."""
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= int(n)
    return tuple(reversed(strides))


def broadcast_strides(in_shape, out_shape) -> tuple:
    """Element strides reading an array of in_shape as if broadcast to out_shape (0 where
    stretched), padded to MAXD."""
    lead = len(out_shape) - len(in_shape)
    own = contiguous_strides(in_shape)
    strides = []
    for d, n in enumerate(out_shape):
        k = d - lead
        strides.append(0 if k < 0 or in_shape[k] == 1 and n != 1 else own[k])
    return padded(strides, 0)
