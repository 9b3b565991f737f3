"""grad, value_and_grad, vjp, jacobian, hessian, autograd.grad and custom Functions."""

import numpy as np
import pytest

import tensorgrad as tg


def test_grad_of_scalar_function():
    f = lambda x: (x ** 2).sum()  # noqa: E731
    g = tg.grad(f)(tg.tensor([1.0, -2.0]))
    assert g.tolist() == [2.0, -4.0]


def test_grad_argnums_tuple_and_value_and_grad():
    f = lambda x, y: (x * y).sum()  # noqa: E731
    x, y = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])
    gx, gy = tg.grad(f, argnums=(0, 1))(x, y)
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    value, g = tg.value_and_grad(f, argnums=1)(x, y)
    assert value.item() == 11.0 and g.tolist() == [1.0, 2.0]


def test_grad_composes_for_higher_derivatives():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    assert tg.grad(tg.grad(f))(tg.tensor(2.0)).item() == pytest.approx(12.0)
    assert tg.grad(tg.grad(tg.grad(f)))(tg.tensor(2.0)).item() == pytest.approx(6.0)


def test_grad_of_non_scalar_raises():
    with pytest.raises(RuntimeError, match="must return a scalar"):
        tg.grad(lambda x: x * 2)(tg.ones(3))


def test_vjp():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64)
    out, fn = tg.vjp(lambda x: x.exp(), x)
    (g,) = fn(tg.tensor([1.0, 0.0, 2.0], dtype=tg.float64))
    assert np.allclose(g.numpy(), [np.e, 0.0, 2 * np.exp(3.0)])
    assert np.allclose(out.numpy(), np.exp([1.0, 2.0, 3.0]))


def test_jacobian_matches_closed_form():
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = tg.tensor(np.random.default_rng(1).standard_normal(4))
    jac = tg.jacobian(lambda x: (tg.tensor(a) @ x).tanh())(x)
    expected = (1 - np.tanh(a @ x.numpy()) ** 2)[:, None] * a
    assert jac.shape == (3, 4) and np.allclose(jac.numpy(), expected)


def test_hessian_of_quadratic_form_is_symmetric_part():
    a = np.random.default_rng(0).standard_normal((4, 4))
    x = tg.tensor(np.ones(4))
    hess = tg.hessian(lambda x: x @ (tg.tensor(a) @ x))(x)
    assert np.allclose(hess.numpy(), a + a.T)


def test_hessian_of_log_sum_exp_matches_formula():
    x0 = np.array([0.2, -1.0, 0.5])
    hess = tg.hessian(lambda x: x.logsumexp(0))(tg.tensor(x0))
    p = np.exp(x0) / np.exp(x0).sum()
    assert np.allclose(hess.numpy(), np.diag(p) - np.outer(p, p))


def test_autograd_grad_leaves_dot_grad_alone():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x ** 2).sum(), [x])
    assert g.tolist() == [2.0, 4.0] and x.grad is None


def test_autograd_grad_with_respect_to_intermediate():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (gh,) = tg.autograd.grad((h ** 2).sum(), [h])
    assert gh.tolist() == [6.0, 12.0]


def test_autograd_grad_unused_input():
    x = tg.tensor([1.0], requires_grad=True)
    y = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        tg.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = tg.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.tolist() == [2.0]


class Cube(tg.Function):
    """y = x^3 with forward in numpy and backward in tensor ops."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x * x


def test_custom_function_composes_and_has_second_order():
    x = tg.tensor([0.5, 2.0], dtype=tg.float64, requires_grad=True)
    y = (Cube.apply(x).tanh() * 2).sum()
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    xn = x.detach().numpy()
    assert np.allclose(g.detach().numpy(), 2 * (1 - np.tanh(xn ** 3) ** 2) * 3 * xn ** 2)
    tg.testing.gradcheck(lambda x: Cube.apply(x), x)
    tg.testing.gradgradcheck(lambda x: Cube.apply(x), x)


def test_jvp_is_the_directional_derivative():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4))

    def f(x, y):
        return tg.tanh(tg.tensor(a) @ x) * (y * y).sum()

    x, y = rng.standard_normal(4), rng.standard_normal(2)
    tx, ty = rng.standard_normal(4), rng.standard_normal(2)
    out, pushed = tg.jvp(f, (tg.tensor(x), tg.tensor(y)), (tg.tensor(tx), tg.tensor(ty)))

    def f_np(x, y):
        return np.tanh(a @ x) * (y * y).sum()

    h = 1e-6  # central difference along (tx, ty), in numpy
    fd = (f_np(x + h * tx, y + h * ty) - f_np(x - h * tx, y - h * ty)) / (2 * h)
    assert np.allclose(out.numpy(), f_np(x, y))
    assert np.allclose(pushed.numpy(), fd, atol=1e-8)
    with pytest.raises(ValueError, match="jvp: a tangent of shape"):
        tg.jvp(f, (tg.tensor(x), tg.tensor(y)), (tg.tensor(tx[:2]), tg.tensor(ty)))


def test_hvp_of_a_quadratic_form_is_the_matrix_times_the_vector():
    rng = np.random.default_rng(4)
    q = rng.standard_normal((5, 5))
    q = q + q.T
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    value, product = tg.hvp(lambda x: 0.5 * (x * (tg.tensor(q) @ x)).sum(), tg.tensor(x),
                            tg.tensor(v))
    assert np.isclose(value.item(), 0.5 * x @ q @ x)
    assert np.allclose(product.numpy(), q @ v)
    # a non-quadratic f: H v against central differences of the analytic gradient
    grad_np = lambda x: 3 * x ** 2 * np.sin(x) + x ** 3 * np.cos(x)  # noqa: E731
    _, product = tg.hvp(lambda x: (x ** 3 * tg.sin(x)).sum(), (tg.tensor(x),), (tg.tensor(v),))
    fd = (grad_np(x + 1e-6 * v) - grad_np(x - 1e-6 * v)) / 2e-6
    assert np.allclose(product.numpy(), fd, atol=1e-6)


def test_pytorch_style_gradcheck_takes_a_tuple_of_inputs():
    class Wrong(tg.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: (t ** 3).sum(), (x,))
    assert tg.autograd.gradgradcheck(lambda t: t.tanh(), x)
    assert tg.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(AssertionError):
        tg.autograd.gradcheck(Wrong.apply, (x,))
