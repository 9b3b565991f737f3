"""The tape: ordering, accumulation, broadcasting, freeing, grad mode."""

import threading

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops._util import _SCALARS
from tensorgrad.testing import gradcheck


def test_tensor_used_twice_gets_both_contributions():
    x = tg.tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [6.0]


def test_two_paths_sum():
    x = tg.tensor([0.5, -1.0], requires_grad=True)
    (x.tanh() + x.exp()).sum().backward()
    expected = 1 - np.tanh([0.5, -1.0]) ** 2 + np.exp([0.5, -1.0])
    assert np.allclose(x.grad.numpy(), expected)


def test_diamond_graph_runs_each_node_once():
    calls = []

    class Spy(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, gy):
            calls.append(1)
            return gy

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = Spy.apply(x)
    (h * 2 + h * 3).sum().backward()
    assert calls == [1]
    assert x.grad.tolist() == [5.0, 5.0]


def test_node_with_many_consumers_sums_all_of_them():
    # unary ops on both sides (the engine's short path) and binary ones, in both orders
    x = tg.tensor([0.3, -0.7], requires_grad=True, dtype=tg.float64)
    h = x.exp()
    (h * 2.0 + h * 3.0 + h.tanh() + (h * 5.0).relu() + h * h).sum().backward()
    e = np.exp([0.3, -0.7])
    expected = e * (2 + 3 + (1 - np.tanh(e) ** 2) + 5 + 2 * e)
    assert np.allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_broadcast_gradients_are_summed_back_to_input_shapes():
    a = tg.randn(2, 3, 4, requires_grad=True)
    b = tg.randn(3, 1, requires_grad=True)
    c = tg.tensor(2.0, requires_grad=True)
    ((a * b + c) ** 2).sum().backward()
    assert b.grad.shape == (3, 1) and c.grad.shape == ()
    an, bn, cn = a.detach().numpy(), b.detach().numpy(), 2.0
    g = 2 * (an * bn + cn)
    assert np.allclose(b.grad.numpy(), (g * an).sum(axis=(0, 2)).reshape(3, 1), rtol=1e-5)
    assert np.allclose(c.grad.numpy(), g.sum(), rtol=1e-5)


def test_backward_twice_accumulates_like_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_second_backward_through_freed_graph_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_frees_saved_arrays():
    x = tg.randn(4, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._saved is None


def test_non_scalar_backward_needs_a_gradient():
    x = tg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs.*shape \\(3,\\)"):
        (x * 2).backward()
    (x * 2).backward(tg.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).sum().backward()


def test_long_chain_has_no_recursion_limit():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-5
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_no_grad_context_and_decorator():
    x = tg.randn(2, requires_grad=True)
    with tg.no_grad():
        assert (x * 2).grad_fn is None
        with tg.enable_grad():
            assert (x * 2).grad_fn is not None

    @tg.no_grad()
    def f(t):
        return t * 2

    assert f(x).grad_fn is None
    assert (x * 2).grad_fn is not None
    with tg.inference_mode():
        assert (x * 2).grad_fn is None
        with tg.inference_mode(False):
            assert (x * 2).grad_fn is not None


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = tg.is_grad_enabled()

    with tg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen["enabled"] is True


def test_backward_without_create_graph_records_nothing():
    x = tg.randn(3, requires_grad=True)
    (x.tanh() * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_create_graph_records_the_gradient():
    x = tg.tensor([0.3], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    (g,) = tg.autograd.grad(x.grad.sum(), [x])
    assert np.allclose(g.numpy(), 6 * 0.3)


def test_equal_constants_are_separate_nodes():
    a = tg.tensor([2.0], requires_grad=True)
    b = tg.tensor([2.0], requires_grad=True)
    (a * 3 + b * 5).sum().backward()
    assert a.grad.tolist() == [3.0] and b.grad.tolist() == [5.0]


def test_graph_of_discarded_loss_is_collected():
    import gc
    import weakref

    x = tg.randn(100, requires_grad=True)
    y = (x * 2).exp()
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("expr, value, slope", [
    (lambda x: x * 0.75, 0.75, 0.75),
    (lambda x: 0.75 * x, 0.75, 0.75),
    (lambda x: x + 1.25, 1.25, 1.0),
    (lambda x: 1.25 + x, 1.25, 1.0),
    (lambda x: x - 1.25, -1.25, 1.0),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_operators_record_the_same_node_every_time(expr, value, slope, dtype):
    """tensor (op) float builds its node in the operator itself once the constant is cached
    (ops/elementwise.py, _scalar_operator), else through _apply_one: both give the same
    values, node and gradients, with or without grad, under detect_anomaly too."""
    data = np.array([-2.0, 0.5, 3.0], dtype=dtype)
    shift = value if slope == 1.0 else 0.0
    for mode in ("first", "cached", "anomaly", "no_grad"):
        x = tg.tensor(data, requires_grad=True)
        if mode == "anomaly":
            with tg.autograd.detect_anomaly():
                y = expr(x)
        elif mode == "no_grad":
            with tg.no_grad():
                y = expr(x)
            assert y.grad_fn is None and not y.requires_grad
            assert np.allclose(y.numpy(), data * slope + shift)
            continue
        else:
            y = expr(x)
        if mode == "cached":  # so the operator built this node itself
            assert (value, np.dtype(dtype), id(x.device)) in _SCALARS
        assert y.dtype == dtype
        assert type(y.grad_fn).__name__ == ("MulScalar" if slope != 1.0 else "AddScalar")
        assert y.grad_fn.inputs[0] is x and y.grad_fn.inputs[1] == value
        assert np.allclose(y.detach().numpy(), data * slope + shift)
        (y * y).sum().backward()
        assert np.allclose(x.grad.numpy(), 2 * (data * slope + shift) * slope)


def test_in_place_ops_on_the_graph_record_their_gradient():
    """`out += x` (a residual), `y *= w`, `y[i] = v`, `y[mask] = c`, `fill_`, `copy_` on
    tensors with a history: the gradients are those of the out-of-place computation, checked
    against closed forms and by finite differences."""
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    x, w = tg.tensor(xv, requires_grad=True), tg.tensor(wv, requires_grad=True)
    out = x @ w
    out += x  # residual: d/dx = gy w^T + gy
    out.sum().backward()
    ones = np.ones((3, 3))
    assert np.allclose(x.grad.numpy(), ones @ wv.T + ones)
    assert np.allclose(w.grad.numpy(), xv.T @ ones)

    def f(a, b):
        y = a * 2.0
        y *= b  # y = 2ab
        y[0] = b[1] * 3.0  # row 0 replaced: no gradient to a[0]
        y[y > 1.0] = 0.5  # a constant where the mask holds
        z = y * 1.0
        z.sub_(a)
        return z.sum()

    gradcheck(f, tg.tensor(xv), tg.tensor(wv))
    a = tg.tensor(xv, requires_grad=True)
    y = a * 2.0
    y[0] = 7.0
    y.sum().backward()
    assert a.grad.numpy().tolist() == [[0.0] * 3, [2.0] * 3, [2.0] * 3]
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    c = b * 1.0
    c.copy_(b * b)
    c.sum().backward()
    assert b.grad.tolist() == [2.0, 4.0]
    d = tg.tensor([1.0, 2.0], requires_grad=True)
    e = d * 5.0
    e.fill_(3.0)
    (e * d).sum().backward()  # e is a constant 3 now: d/dd = 3
    assert d.grad.tolist() == [3.0, 3.0]


def test_in_place_change_with_a_view_on_the_graph_is_refused_not_wrong():
    """A view shares its base's array: after an in-place change of either it would hold the new
    values with the old history. Both directions are refused while the view is on the graph;
    once it is gone the base may change."""
    x = tg.tensor(np.ones(4), requires_grad=True)
    y = x * 2.0
    v = y[0:2]
    with pytest.raises(RuntimeError, match=r"mul_: a view of this tensor \(shape \(2,\) of "):
        y.mul_(3.0)
    with pytest.raises(RuntimeError, match="is a view of another tensor on the autograd graph"):
        v += 1.0
    del v
    y.mul_(3.0)
    y.sum().backward()
    assert x.grad.tolist() == [6.0] * 4


def test_retain_grad_and_hooks_show_and_change_intermediate_gradients():
    """retain_grad keeps a non-leaf's gradient (the hand-derived dL/dy); a hook sees each
    gradient and may replace it for everything upstream; remove() takes it off."""
    xv = np.array([1.0, -2.0, 3.0])
    x = tg.tensor(xv, requires_grad=True)
    y = x * x  # dL/dy = 2 y for L = sum(y^2)
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    assert np.allclose(y.grad.numpy(), 2 * xv ** 2)
    assert np.allclose(x.grad.numpy(), 4 * xv ** 3)
    seen = []
    x2 = tg.tensor(xv, requires_grad=True)
    h = x2 * 3.0
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10.0)
    leaf = x2.register_hook(lambda g: seen.append(("leaf", g.numpy().copy())))
    h.sum().backward()
    assert np.allclose(seen[0], 1.0) and np.allclose(seen[1][1], 30.0)
    assert np.allclose(x2.grad.numpy(), 30.0)
    handle.remove()
    leaf.remove()
    x2.grad = None
    (x2 * 3.0).sum().backward()  # a new graph: no hook on its node
    assert np.allclose(x2.grad.numpy(), 3.0) and len(seen) == 2
    with pytest.raises(RuntimeError, match="register_hook: this tensor .* does not require"):
        tg.ones(2).register_hook(print)


def test_partial_sums_added_in_place_stay_exact_and_unaliased():
    """The engine adds a tensor's later gradient contributions into a buffer it owns (and
    slices' gradients straight into it): every alias case gives numpy's answer, and no
    gradient handed out (hooks, retain_grad, grad(inputs=...)) changes afterwards."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 4))
    w = rng.standard_normal(4)
    x = tg.tensor(a, requires_grad=True)
    y = x * 2.0  # a non-leaf sliced many times, as an RNN's projected inputs
    parts = y.unbind(0)
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()) or None)
    y.retain_grad()
    total = parts[0] * w + parts[0] + parts[3] * parts[3]  # a slice used twice, one squared
    for p in parts[1:]:
        total = total + p
    first, second = y[:3], y[2:]  # overlapping slices of the same tensor
    loss = (total.sum() + (first * first).sum() + second.sum() + (y + y).sum()
            + (y * 3.0).sum() + (y * 4.0).sum())  # a third and fourth whole-tensor term
    loss.backward()
    expected = np.zeros_like(a)
    expected[0] += w + 1
    expected[3] += 2 * a[3] * 2
    expected[1:] += 1
    expected[:3] += 2 * (2 * a[:3])
    expected[2:] += 1
    expected += 2 + 3 + 4
    assert np.allclose(y.grad.numpy(), expected)
    assert np.allclose(seen[0], expected)
    assert np.allclose(x.grad.numpy(), 2 * expected)
    # grad(inputs=...) of a non-leaf, then the same graph's leaves: one answer each
    z = tg.tensor(a, requires_grad=True)
    h = z.exp()
    loss = sum(((h[i] * h[i]).sum() for i in range(6)), tg.tensor(0.0, dtype=tg.float64))
    (gh,) = tg.autograd.grad(loss, [h], retain_graph=True)
    kept = gh.numpy().copy()
    loss.backward()
    assert np.allclose(kept, 2 * np.exp(a)) and np.allclose(gh.numpy(), kept)
    assert np.allclose(z.grad.numpy(), 2 * np.exp(2 * a))
