"""OpSpec: one entry of an operator table (PyTorch's OpInfo idea), usable for users' own Functions.

An entry names the op, how to call it on tensors, an independent reference on numpy arrays, and
sample inputs; `check_opspec` runs forward-vs-reference, gradcheck and (if smooth) gradgradcheck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from .gradcheck import gradcheck, gradgradcheck


@dataclass
class OpSpec:
    name: str                      # the primitive's class name, e.g. "Conv2d"
    op: Callable                   # tensors -> tensor
    reference: Callable            # numpy arrays (float64) -> array
    samples: Callable              # rng -> list of tuples of arrays (one tuple per call)
    second_order: bool = True      # check second derivatives too
    differentiable: tuple = ()     # indices of inputs to differentiate (default: all float)
    atol: float = 1e-5
    rtol: float = 1e-4
    eps: float = 1e-6              # finite-difference step
    keeps_dtype: bool = True       # float32 in -> float32 out
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _tensors(arrays, dtype, diff):
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        t = Tensor(a)
        if a.dtype.kind == "f" and (not diff or i in diff):
            t.requires_grad_()
        out.append(t)
    return out


def check_forward(spec: OpSpec, arrays, dtype=np.float64, atol=None, rtol=None) -> None:
    got = spec.op(*_tensors(arrays, dtype, spec.differentiable))
    expected = spec.reference(*[np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f"
                                else np.asarray(a) for a in arrays])
    got = np.asarray(got.detach())
    if got.shape != np.shape(expected):
        raise AssertionError(f"{spec.name}: forward shape {got.shape} != reference "
                             f"{np.shape(expected)}")
    if (spec.keeps_dtype and dtype == np.float32 and got.dtype.kind == "f"
            and got.dtype != np.float32):
        raise AssertionError(f"{spec.name}: float32 inputs gave a {got.dtype} output")
    tol_a = atol if atol is not None else spec.atol
    tol_r = rtol if rtol is not None else spec.rtol
    np.testing.assert_allclose(got, expected, atol=tol_a, rtol=tol_r, err_msg=spec.name)


def check_gradients(spec: OpSpec, arrays, second_order: bool | None = None) -> None:
    xs = _tensors(arrays, np.float64, spec.differentiable)
    gradcheck(spec.op, *xs, eps=spec.eps, atol=spec.atol, rtol=spec.rtol)
    if spec.second_order if second_order is None else second_order:
        gradgradcheck(spec.op, *xs, eps=spec.eps, atol=max(spec.atol, 1e-4),
                      rtol=max(spec.rtol, 1e-3))
