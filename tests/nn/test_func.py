"""nn.func.functional_call: a module as a function of its parameters, for per-sample gradients
(vmap of grad) and MAML's second-order meta-gradient, against numpy's closed forms."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn


def _linear_model():
    tg.manual_seed(0)
    model = nn.Linear(3, 1).to(tg.float64)
    w, b = model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()
    return model, w, b


def test_per_sample_gradients_of_a_module():
    model, w, b = _linear_model()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))

    def loss(weight, bias, xi, yi):
        out = nn.func.functional_call(model, {"weight": weight, "bias": bias}, (xi[None],))
        return ((out - yi) ** 2).sum()

    per_w = tg.vmap(nn.func.grad(loss), in_dims=(None, None, 0, 0))(
        model.weight.detach(), model.bias.detach(), tg.tensor(x), tg.tensor(y))
    residual = x @ w.T + b - y
    np.testing.assert_allclose(per_w.numpy(), 2 * residual[:, :, None] * x[:, None, :],
                               rtol=1e-12)
    assert model.weight is dict(model.named_parameters())["weight"]  # restored


def test_maml_meta_gradient_is_second_order():
    """One inner SGD step on (x1, y1) with the graph kept, the outer loss on (x2, y2) at the
    adapted weights: d outer / d w = (I - 2 lr x1^T x1) 2 x2^T r2 for a linear model without
    bias (numpy), which differs from the first-order approximation."""
    tg.manual_seed(1)
    model = nn.Linear(3, 1, bias=False).to(tg.float64)
    w = model.weight.detach().numpy().copy()
    rng = np.random.default_rng(1)
    x1, y1, x2, y2 = (rng.standard_normal(s) for s in ((4, 3), (4, 1), (6, 3), (6, 1)))
    lr = 0.1
    inner = ((model(tg.tensor(x1)) - tg.tensor(y1)) ** 2).sum()
    (g,) = tg.autograd.grad(inner, [model.weight], create_graph=True)
    adapted = {"weight": model.weight - lr * g}
    outer = ((nn.func.functional_call(model, adapted, tg.tensor(x2)) - tg.tensor(y2)) ** 2).sum()
    outer.backward()
    w_adapted = w - lr * 2 * (x1 @ w.T - y1).T @ x1
    r2 = x2 @ w_adapted.T - y2
    expected = (2 * r2.T @ x2) @ (np.eye(3) - 2 * lr * x1.T @ x1)
    np.testing.assert_allclose(model.weight.grad.numpy(), expected, rtol=1e-12)


def test_functional_call_restores_and_checks():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    original = model[0].weight
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(2, 2\), got \(3, 3\)"):
        nn.func.functional_call(model, {"0.weight": tg.ones(3, 3)}, tg.ones(4, 2))
    assert model[0].weight is original
    with pytest.raises(KeyError, match="no parameter or buffer '0.kernel'"):
        nn.func.functional_call(model, {"0.kernel": tg.ones(2)}, tg.ones(4, 2))
    with pytest.raises(KeyError, match="strict"):
        nn.func.functional_call(model, {"0.weight": tg.ones(2, 2)}, tg.ones(4, 2), strict=True)
    out = nn.func.functional_call(model, ({"0.weight": tg.zeros(2, 2)},
                                          {"1.running_mean": tg.ones(2)}), tg.ones(4, 2))
    assert out.shape == (4, 2) and model[0].weight is original
    assert model[1].running_mean is dict(model.named_buffers())["1.running_mean"]
