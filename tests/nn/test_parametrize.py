"""nn.utils.parametrize and parametrizations (weight_norm, spectral_norm) against numpy's
closed forms and SVD, with PyTorch's state_dict names."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn

P = nn.utils.parametrize


def test_weight_norm_splits_the_weight_and_trains_its_norm_and_direction():
    tg.manual_seed(0)
    lin = nn.Linear(4, 3).to(tg.float64)
    w = lin.weight.detach().numpy().copy()
    nn.utils.parametrizations.weight_norm(lin)
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original0",
                                      "parametrizations.weight.original1"]
    g, v = lin.parametrizations.weight.original0, lin.parametrizations.weight.original1
    np.testing.assert_allclose(g.detach().numpy(), np.linalg.norm(w, axis=1, keepdims=True))
    np.testing.assert_allclose(lin.weight.detach().numpy(), w, rtol=1e-12)
    rng = np.random.default_rng(0)
    x, r = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    (lin(tg.tensor(x)) * tg.tensor(r)).sum().backward()
    gw = r.T @ x  # dL/dW
    norm = np.linalg.norm(w, axis=1, keepdims=True)
    unit = w / norm
    np.testing.assert_allclose(g.grad.numpy(), (gw * unit).sum(1, keepdims=True), rtol=1e-10)
    expected_v = g.detach().numpy() / norm * (gw - (gw * unit).sum(1, keepdims=True) * unit)
    np.testing.assert_allclose(v.grad.numpy(), expected_v, rtol=1e-10, atol=1e-12)
    nn.optim.SGD(lin.parameters(), lr=0.1).step()  # the weight follows its originals
    g2, v2 = g.detach().numpy(), v.detach().numpy()
    np.testing.assert_allclose(lin.weight.detach().numpy(),
                               g2 * v2 / np.linalg.norm(v2, axis=1, keepdims=True), rtol=1e-12)
    P.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and sorted(lin.state_dict()) == ["bias", "weight"]
    assert isinstance(lin.weight, nn.Parameter)


def test_weight_norm_over_the_whole_tensor_and_on_a_convolution():
    conv = nn.Conv2d(2, 3, 3)
    nn.utils.parametrizations.weight_norm(conv)
    assert conv.parametrizations.weight.original0.shape == (3, 1, 1, 1)
    lin = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2), dim=None)
    assert lin.parametrizations.weight.original0.shape == ()


def test_spectral_norm_divides_by_the_largest_singular_value():
    tg.manual_seed(1)
    lin = nn.Linear(7, 5).to(tg.float64)
    w = lin.weight.detach().numpy().copy()
    nn.utils.parametrizations.spectral_norm(lin)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.0._u",
                                        "parametrizations.weight.0._v",
                                        "parametrizations.weight.original"]
    for _ in range(30):  # power iteration converges over training forwards
        lin(tg.ones(1, 7))
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(lin.weight.detach().numpy(), w / sigma, rtol=1e-6)
    lin.eval()
    u = lin.parametrizations.weight[0]._u.numpy().copy()
    lin(tg.ones(1, 7))
    np.testing.assert_array_equal(lin.parametrizations.weight[0]._u.numpy(), u)
    deconv = nn.utils.parametrizations.spectral_norm(nn.ConvTranspose2d(3, 4, 2))
    assert deconv.parametrizations.weight[0].dim == 1


def test_spectral_norm_gradient_by_central_differences():
    """In eval mode (u, v fixed) weight = W / (u^T W v): the gradient reaching the original."""
    from tensorgrad.testing import gradcheck

    tg.manual_seed(2)
    lin = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4).to(tg.float64)).eval()
    sn = lin.parametrizations.weight[0]
    x = tg.tensor(np.random.default_rng(3).standard_normal((2, 3)))
    assert gradcheck(lambda w: x @ sn(w).mT, lin.parametrizations.weight.original.detach())


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


class Scale(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


def test_a_users_parametrization_chains_trains_assigns_and_saves(tmp_path):
    tg.manual_seed(4)
    lin = nn.Linear(3, 3)
    P.register_parametrization(lin, "weight", Symmetric())
    P.register_parametrization(lin, "weight", Scale())
    assert P.is_parametrized(lin, "weight") and not P.is_parametrized(lin, "bias")
    opt = nn.optim.SGD(lin.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (lin(tg.randn(4, 3)) ** 2).sum().backward()
        opt.step()
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    target = tg.tensor(np.arange(9.0, dtype=np.float32).reshape(3, 3))
    lin.weight = target + target.mT  # through right_inverse: the originals change
    np.testing.assert_allclose(lin.weight.detach().numpy(), (target + target.mT).numpy())
    nn.save(lin.state_dict(), tmp_path / "p.safetensors")
    other = nn.Linear(3, 3)
    P.register_parametrization(other, "weight", Symmetric())
    P.register_parametrization(other, "weight", Scale())
    other.load_state_dict(nn.load(tmp_path / "p.safetensors"))
    np.testing.assert_allclose(other.weight.detach().numpy(), lin.weight.detach().numpy())


def test_parametrization_errors():
    class Rows(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match=r"changes 'weight' from \(3, 2\)"):
        P.register_parametrization(nn.Linear(2, 3), "weight", Rows())
    with pytest.raises(ValueError, match="no parameter or buffer 'kernel'"):
        P.register_parametrization(nn.Linear(2, 3), "kernel", Symmetric())
    with pytest.raises(ValueError, match="is not parametrized"):
        P.remove_parametrizations(nn.Linear(2, 3), "weight")
