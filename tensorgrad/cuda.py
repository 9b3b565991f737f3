"""tensorgrad.cuda: whether a CUDA device can be used (never raises; imports numba.cuda lazily)."""

from __future__ import annotations


def is_available() -> bool:
    """True when a CUDA GPU (or Numba's CUDA simulator) is usable and the CUDA backend exists."""
    try:
        from .backends import cuda as backend
    except Exception:  # noqa: BLE001  (any failure to import CUDA means "no CUDA")
        return False
    try:
        return bool(backend.is_available())
    except Exception:  # noqa: BLE001
        return False
