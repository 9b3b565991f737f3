"""Fused in-place updates for optimizers: one kernel pass where the tensor-op formula makes about
ten (PyTorch's fused=True optimizers). Used by tensorgrad_nn.optim; outside the tape."""

from __future__ import annotations

from .tensor import Tensor


def adam_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, *, lr: float,
          betas: tuple[float, float], eps: float, step: int) -> bool:
    """One Adam step in place on param, exp_avg and exp_avg_sq (torch.optim.Adam's formula).
    Returns False, changing nothing, where no fused kernel applies (mixed dtypes or devices, a
    non-contiguous array): the caller then runs the tensor-op formula."""
    backend = param._device.backend
    arrays = (param._data, grad._data, exp_avg._data, exp_avg_sq._data)
    if not hasattr(backend, "adam_step") or any(
            a.dtype != arrays[0].dtype or a.shape != arrays[0].shape for a in arrays):
        return False
    if param._device.type == "cpu" and (not all(a.flags.c_contiguous for a in arrays)
                                        or not param._data.flags.writeable):
        return False  # (device arrays are always C-contiguous)
    if any(t._device is not param._device for t in (grad, exp_avg, exp_avg_sq)):
        return False
    for t in (param, exp_avg, exp_avg_sq):
        t._check_inplace("adam_")
    backend.adam_step(*arrays, lr, betas[0], betas[1], eps, step)
    for t in (param, exp_avg, exp_avg_sq):
        t._bump()
    return True
