"""Dtype names, the default float type, and the promotion rules for Python scalars."""

import builtins

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

float = float32  # noqa: A001  (torch.float is float32)
double = float64
long = int64

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and lists of floats become (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype) -> None:
    """Set the dtype of new floating tensors made from Python numbers: float32 or float64."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_float = dtype


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def as_dtype(dtype) -> np.dtype | None:
    """Accept numpy dtypes, strings ('float32') and Python types (float -> the default float)."""
    if dtype is None:
        return None
    if dtype is builtins.float:
        return _default_float
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool_
    return np.dtype(dtype)
