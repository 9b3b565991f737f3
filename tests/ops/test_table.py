"""Generic tests over the operator table: every primitive, forward against its reference in
float64 and float32, gradients against central differences, second order where smooth."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops.registry import primitives
from tensorgrad.testing.opspec import _tensors, check_forward, check_gradients

from .table import ENTRIES

CASES = [
    pytest.param(spec, k, id=f"{spec.name}-{i}-{k}")
    for i, spec in enumerate(ENTRIES)
    for k in range(len(spec.samples(np.random.default_rng(0))))
]
CHECKED = {"combinations": 0}


def _arrays(spec, k, seed=0):
    return spec.samples(np.random.default_rng(seed))[k]


def test_every_primitive_has_an_entry():
    missing = set(primitives()) - {spec.name for spec in ENTRIES}
    assert not missing, f"primitives without an op-table entry: {sorted(missing)}"


def test_every_entry_names_a_primitive():
    unknown = {spec.name for spec in ENTRIES} - set(primitives())
    assert not unknown, f"op-table entries naming no primitive: {sorted(unknown)}"


@pytest.mark.parametrize("spec,k", CASES)
def test_forward_matches_reference_float64(spec, k):
    check_forward(spec, _arrays(spec, k), np.float64)
    CHECKED["combinations"] += 1


@pytest.mark.parametrize("spec,k", CASES)
def test_forward_float32_agrees_and_stays_float32(spec, k):
    check_forward(spec, _arrays(spec, k), np.float32, atol=1e-4, rtol=1e-4)
    CHECKED["combinations"] += 1


@pytest.mark.parametrize("spec,k", CASES)
def test_gradient_matches_finite_differences(spec, k):
    check_gradients(spec, _arrays(spec, k), second_order=False)
    CHECKED["combinations"] += 1


@pytest.mark.parametrize("spec,k", [c for c in CASES if c.values[0].second_order])
def test_second_derivative_matches_finite_differences(spec, k):
    check_gradients(spec, _arrays(spec, k), second_order=True)
    CHECKED["combinations"] += 1


@pytest.mark.parametrize("spec,k", CASES)
def test_no_grad_records_nothing(spec, k):
    xs = _tensors(_arrays(spec, k), np.float64, spec.differentiable)
    with tg.no_grad():
        y = spec.op(*xs)
    assert y.grad_fn is None and not y.requires_grad
    y = spec.op(*xs)
    if any(x.requires_grad for x in xs) and y.dtype.kind == "f":
        assert y.requires_grad


def test_float32_gradients_stay_float32():
    x = tg.randn(3, 4, requires_grad=True)
    w = tg.randn(4, 2, requires_grad=True)
    ((x @ w).tanh().sum() + (x * 2.5).exp().mean()).backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
