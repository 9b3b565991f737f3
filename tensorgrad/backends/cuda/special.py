"""Special functions (lgamma, digamma, polygamma, erfinv) on the host: the CPU backend's Numba
kernels on a copy, the result copied back (no CUDA kernels for these yet)."""

from __future__ import annotations

from ..cpu import special as host
from .linalg import _on_host

__all__ = ["lgamma", "digamma", "polygamma", "erfinv"]

lgamma, digamma, erfinv = (_on_host(f) for f in (host.lgamma, host.digamma, host.erfinv))


def polygamma(n, x):
    return _on_host(lambda a: host.polygamma(n, a))(x)
