"""The CUDA backend: not built yet (issue 6). Asking for a CUDA device raises a clear error
instead of failing inside Numba; tensorgrad.cuda.is_available() is False."""


class CudaUnavailableError(RuntimeError):
    """CUDA was asked for, but this build of tensorgrad has no CUDA kernels."""


def is_available() -> bool:
    return False


def check_available() -> None:
    raise CudaUnavailableError(
        "tensorgrad: the CUDA backend is not part of this build yet, so device='cuda' cannot be "
        "used; run on device='cpu' (the default)"
    )
