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


def get_rng_state():
    """The CUDA generator's states as a uint8 CPU tensor (torch.cuda.get_rng_state)."""
    from .backends import cuda as backend
    from .creation import tensor

    backend.check_available()
    return tensor(backend.rng.get_state())


def set_rng_state(new_state) -> None:
    """Restore the CUDA generator's states from get_rng_state's tensor."""
    import numpy as np

    from .backends import cuda as backend

    backend.check_available()
    backend.rng.set_state(np.asarray(new_state.numpy() if hasattr(new_state, "numpy")
                                     else new_state))
