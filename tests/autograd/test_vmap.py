"""tg.vmap: per-sample gradients against their closed form, in_dims/out_dims as torch.vmap's,
differentiation through the map, and the errors."""

import numpy as np
import pytest

import tensorgrad as tg


def test_per_sample_gradients_of_a_squared_error():
    """vmap(grad(loss), in_dims=(None, 0, 0)): d/dw (x.w - y)^2 = 2 (x.w - y) x, per sample."""
    rng = np.random.default_rng(0)
    w, x, y = rng.standard_normal(3), rng.standard_normal((6, 3)), rng.standard_normal(6)

    def loss(w, x, y):
        return ((x * w).sum() - y) ** 2

    per = tg.vmap(tg.grad(loss), in_dims=(None, 0, 0))(tg.tensor(w), tg.tensor(x), tg.tensor(y))
    assert per.shape == (6, 3)
    np.testing.assert_allclose(per.numpy(), 2 * (x @ w - y)[:, None] * x, rtol=1e-12)


def test_in_dims_out_dims_and_tuple_results():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    # map a over dim 1 (columns) and b over its first dim, results stacked on dim 1
    out = tg.vmap(lambda u, v: u[:3] * v, in_dims=(-1, 0), out_dims=1)(tg.tensor(a),
                                                                        tg.tensor(b))
    np.testing.assert_allclose(out.numpy(), (a[:3, :] * b.T), rtol=1e-12)
    total, doubled = tg.vmap(lambda u: (u.sum(), u * 2), out_dims=(0, 1))(tg.tensor(a))
    np.testing.assert_allclose(total.numpy(), a.sum(1))
    np.testing.assert_allclose(doubled.numpy(), 2 * a.T)


def test_the_tape_differentiates_through_vmap():
    rng = np.random.default_rng(2)
    x_np, m_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 4))
    x, m = tg.tensor(x_np, requires_grad=True), tg.tensor(m_np, requires_grad=True)
    y = tg.vmap(lambda row, m: (m @ row).tanh(), in_dims=(0, None))(x, m)
    y.sum().backward()
    t = np.tanh(x_np @ m_np.T)
    g = 1 - t ** 2
    np.testing.assert_allclose(x.grad.numpy(), g @ m_np, rtol=1e-12)
    np.testing.assert_allclose(m.grad.numpy(), g.T @ x_np, rtol=1e-12)


def test_vmap_errors():
    f = tg.vmap(lambda u, v: u + v)
    with pytest.raises(ValueError, match="different sizes"):
        f(tg.ones(3, 2), tg.ones(4, 2))
    with pytest.raises(ValueError, match="maps no argument"):
        tg.vmap(lambda u: u, in_dims=None)(tg.ones(2))
    with pytest.raises(TypeError, match="not a tensor"):
        tg.vmap(lambda u, k: u * k)(tg.ones(2), 3.0)
    with pytest.raises(ValueError, match="out of range"):
        tg.vmap(lambda u: u, in_dims=2)(tg.ones(2, 3))
    with pytest.raises(ValueError, match="2 entries for 1 arguments"):
        tg.vmap(lambda u: u, in_dims=(0, 0))(tg.ones(2))
