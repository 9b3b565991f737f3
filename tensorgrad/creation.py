"""Factories: tensor, zeros, ones, full, *_like, arange, linspace, logspace, eye; random draws:
rand, randn, randint, randperm, normal, bernoulli, multinomial."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .backends import CPU
from .backends import device as as_device
from .random import generator
from .tensor import Tensor


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data: ndarrays keep their dtype; Python floats become float32."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (no copy; writes to either show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(array).__name__}")
    return Tensor._make(array, CPU, False, None)


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(n) for n in size)


def _finish(array, device, requires_grad) -> Tensor:
    dev = as_device(device)
    if dev is not CPU:
        array = dev.backend.asarray(array)
    return Tensor._make(array, dev, False, None).requires_grad_(requires_grad)


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def _made_on(device, requires_grad, make) -> Tensor:
    """make(backend) builds the array on the device itself (no host copy for cuda)."""
    dev = as_device(device)
    return Tensor._make(make(dev.backend), dev, False, None).requires_grad_(requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _shape(size), _float_dtype(dtype)
    return _made_on(device, requires_grad, lambda b: b.zeros(shape, dtype))


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _shape(size), _float_dtype(dtype)
    return _made_on(device, requires_grad, lambda b: b.ones(shape, dtype))


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _shape(size), _float_dtype(dtype)
    return _made_on(device, requires_grad, lambda b: b.empty(shape, dtype))


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    shape, dtype = _shape((size,)), dtypes.as_dtype(dtype)
    return _made_on(device, requires_grad, lambda b: b.full(shape, fill_value, dtype))


def _like(t, dtype, device):
    return (t.dtype if dtype is None else dtypes.as_dtype(dtype)), (
        t.device if device is None else device)


def zeros_like(t, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device)


def randn_like(t, dtype=None, device=None) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device)


def arange(start, end=None, step=1, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Integers give int64 (PyTorch); any float argument gives the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if floats else dtypes.int64
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    return _finish(np.arange(start, end, step, dtype=dtypes.as_dtype(dtype)), device,
                   requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    return _finish(np.linspace(start, end, int(steps), dtype=_float_dtype(dtype)), device,
                   requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn from the generator manual_seed resets."""
    shape, dtype = _shape(size), _float_dtype(dtype)
    if as_device(device) is not CPU:  # drawn on the device (backends/cuda/rng.py)
        return _made_on(device, requires_grad,
                        lambda b: b.random_uniform(generator(), shape, 0.0, 1.0, dtype))
    array = generator().random(size=shape, dtype=np.float64).astype(dtype)
    return _finish(array, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal, drawn from the generator manual_seed resets."""
    shape, dtype = _shape(size), _float_dtype(dtype)
    if as_device(device) is not CPU:
        return _made_on(device, requires_grad,
                        lambda b: b.random_normal(generator(), shape, 0.0, 1.0, dtype))
    array = generator().standard_normal(size=shape, dtype=dtype)
    return _finish(array, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    """Integers in [low, high) (PyTorch's argument order: randint(high, size) also works)."""
    if high is None:
        low, high = 0, low
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    array = generator().integers(low, high, size=_shape((size,)), dtype=np.int64).astype(dtype)
    return _finish(array, device, False)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _finish(generator().permutation(int(n)).astype(dtype), device, False)


def empty_like(t, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    array = np.logspace(start, end, int(steps), base=base).astype(_float_dtype(dtype))
    return _finish(array, device, requires_grad)


def _host(x):
    """x's values as a host array (a tensor's detached, a number or array as it is)."""
    if isinstance(x, Tensor):
        return x._device.backend.to_host(x._data)
    return np.asarray(x)


def _device_of(*xs):
    return next((x.device for x in xs if isinstance(x, Tensor)), None)


def normal(mean=0.0, std=1.0, size=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Normal draws (PyTorch's torch.normal): mean and std tensors or numbers, broadcast together
    (size when both are numbers). Not differentiable in mean and std, as PyTorch's: write
    mean + std * tg.randn(...) for the reparameterised draw."""
    m, s = _host(mean), _host(std)
    if np.any(s < 0):
        raise ValueError("normal: std must be non-negative")
    if size is not None:
        shape = _shape((size,))
    else:
        try:
            shape = np.broadcast_shapes(m.shape, s.shape)
        except ValueError:
            raise ValueError(f"normal: mean of shape {m.shape} and std of shape {s.shape} "
                             "cannot be broadcast together") from None
    if dtype is None:
        tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
        dtype = tensors[0].dtype if tensors else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype)
    array = (m + s * generator().standard_normal(size=shape)).astype(dtype)
    return _finish(array, device if device is not None else _device_of(mean, std), requires_grad)


def bernoulli(input, p=None) -> Tensor:
    """1 with probability input (or p), else 0, in input's dtype (PyTorch's torch.bernoulli);
    probabilities outside [0, 1] raise. Not differentiable."""
    probs = _host(input) if p is None else np.broadcast_to(np.asarray(p, float), input.shape)
    if probs.size and (np.min(probs) < 0 or np.max(probs) > 1 or np.isnan(probs).any()):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    dtype = input.dtype if isinstance(input, Tensor) else dtypes.get_default_dtype()
    array = (generator().random(size=probs.shape) < probs).astype(dtype)
    return _finish(array, _device_of(input), False)


def multinomial(input, num_samples: int, replacement: bool = False) -> Tensor:
    """num_samples category indices (int64) drawn with probabilities proportional to the
    non-negative weights in input's last dim, (C,) -> (num_samples,) or (N, C) -> (N,
    num_samples) (PyTorch's torch.multinomial); without replacement no category repeats."""
    weights = _host(input).astype(np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected 1-d or 2-d weights, got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if np.any(rows < 0) or not np.all(np.isfinite(rows)) or np.any(rows.sum(1) <= 0):
        raise ValueError("multinomial: weights must be finite, non-negative, and sum to more "
                         "than 0 in every row")
    if not replacement and num_samples > int((rows > 0).sum(1).min()):
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {int((rows > 0).sum(1).min())} categories of non-zero weight")
    rng = generator()
    out = np.stack([rng.choice(rows.shape[1], size=int(num_samples), replace=replacement,
                               p=row / row.sum()) for row in rows]).astype(np.int64)
    return _finish(out.reshape(weights.shape[:-1] + (int(num_samples),)), _device_of(input),
                   False)
