"""Gradients of gradients (create_graph=True) against finite differences and closed forms."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import gradgradcheck


def _second(f, x0):
    x = tg.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    (g,) = tg.autograd.grad(f(x).sum(), [x], create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), [x])
    return h.numpy()


@pytest.mark.parametrize("name,f,d2", [
    ("tanh", lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", lambda x: x.sigmoid(),
     lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("exp", lambda x: x.exp(), np.exp),
    ("log", lambda x: x.log(), lambda x: -1 / x ** 2),
    ("pow", lambda x: x ** 3.5, lambda x: 3.5 * 2.5 * x ** 1.5),
])
def test_second_derivatives_match_closed_forms(name, f, d2):
    x0 = np.array([0.3, 0.9, 1.7])
    assert np.allclose(_second(f, x0), d2(x0), rtol=1e-10), name


@pytest.mark.parametrize("f", [
    lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: x.exp(), lambda x: (x + 3).log(),
    lambda x: (x.abs() + 1) ** 2.5,
])
def test_second_derivatives_match_finite_differences(f):
    gradgradcheck(f, tg.tensor(np.random.default_rng(0).standard_normal(5)))


def test_matmul_chain_second_order():
    rng = np.random.default_rng(1)
    a, b, c = (tg.tensor(rng.standard_normal(s)) for s in ((3, 4), (4, 5), (5, 2)))
    gradgradcheck(lambda a, b, c: ((a @ b).tanh() @ c).sigmoid(), a, b, c)


def test_third_derivative():
    x = tg.tensor(0.7, dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(x ** 4, [x], create_graph=True)
    (h,) = tg.autograd.grad(g, [x], create_graph=True)
    (t,) = tg.autograd.grad(h, [x])
    assert np.isclose(t.item(), 24 * 0.7)


def _mlp(params, x):
    w1, b1, w2, b2 = params
    return ((x @ w1.T + b1).tanh() @ w2.T + b2).softmax(-1)


def test_mlp_hessian_vector_product_matches_finite_differences():
    rng = np.random.default_rng(2)
    shapes = [(5, 4), (5,), (3, 5), (3,)]
    params = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    x = tg.tensor(rng.standard_normal((6, 4)))
    target = tg.tensor(rng.standard_normal((6, 3)))
    vs = [tg.tensor(rng.standard_normal(s)) for s in shapes]

    def loss(ps):
        return ((_mlp(ps, x) - target) ** 2).mean()

    grads = tg.autograd.grad(loss(params), params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vs))
    hvp = tg.autograd.grad(dot, params)

    def flat_grad(ps):
        ps = [p.detach().requires_grad_() for p in ps]
        return np.concatenate([g.numpy().ravel() for g in tg.autograd.grad(loss(ps), ps)])

    eps = 1e-6
    plus = [tg.tensor(p.detach().numpy() + eps * v.numpy()) for p, v in zip(params, vs)]
    minus = [tg.tensor(p.detach().numpy() - eps * v.numpy()) for p, v in zip(params, vs)]
    numeric = (flat_grad(plus) - flat_grad(minus)) / (2 * eps)
    got = np.concatenate([h.numpy().ravel() for h in hvp])
    assert np.allclose(got, numeric, atol=1e-7, rtol=1e-5)
