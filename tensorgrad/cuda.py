"""tensorgrad.cuda: whether a CUDA device can be used (never raises; imports numba.cuda lazily),
and waiting for the kernels queued on it."""

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


def synchronize() -> None:
    """Wait until every kernel queued on the GPU has finished (torch.cuda.synchronize): kernel
    launches return at once, so a timing that does not synchronize measures only the launches.
    Raises CudaUnavailableError, like device='cuda', where no GPU (or simulator) is usable."""
    from .backends import cuda as backend

    backend.check_available()
    backend._cuda().synchronize()
