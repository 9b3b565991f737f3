"""Devices and the kernel registry: `Device.backend` is the module of kernels for that device.

The CPU backend is numpy plus Numba kernels; the CUDA backend is imported only when a CUDA device is
first asked for, so importing tensorgrad never needs CUDA.
"""

from __future__ import annotations

import importlib


class Device:
    """A place where tensors live: 'cpu' or 'cuda:N'. Compares equal to its string form."""

    __slots__ = ("type", "index", "_backend", "_hash")

    def __init__(self, type: str, index: int | None = None):
        self.type = type
        self.index = index
        self._backend = None
        self._hash = hash((type, index))

    @property
    def backend(self):
        if self._backend is None:
            backend = importlib.import_module(f"{__name__}.{self.type}")
            if hasattr(backend, "check_available"):
                backend.check_available()  # raises a clear error when the device is unusable
            self._backend = backend
        return self._backend

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if isinstance(other, str):
            try:
                other = device(other)
            except ValueError:
                return False
        return self is other

    def __hash__(self) -> int:
        return self._hash


CPU = Device("cpu")
_devices = {"cpu": CPU}


def device(spec) -> Device:
    """Parse 'cpu', 'cuda', 'cuda:0' (or return a Device as is); one object per device."""
    if isinstance(spec, Device):
        return spec
    if spec is None:
        return CPU
    text = str(spec).strip().lower()
    if text == "cuda":
        text = "cuda:0"
    if text in _devices:
        return _devices[text]
    kind, _, index = text.partition(":")
    if kind == "cuda" and index.isdigit():
        if int(index) != 0:
            raise ValueError(f"device: only cuda:0 is supported, got {spec!r}")
        _devices[text] = Device("cuda", 0)
        return _devices[text]
    raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:0', got {spec!r}")


def device_of(array) -> Device:
    """The device an array lives on (numpy arrays are on the CPU)."""
    if type(array).__module__.startswith("numpy"):
        return CPU
    return device("cuda")
