"""Gradient checkpointing (tensorgrad.utils.checkpoint) and the random-state functions it uses."""

import gc
import weakref

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.autograd import gradcheck, gradgradcheck
from tensorgrad.utils.checkpoint import checkpoint, checkpoint_sequential


def _mlp_blocks(dtype=tg.float64, dropout=0.0):
    tg.manual_seed(1)
    return [nn.Sequential(nn.Linear(6, 6), nn.Tanh(), nn.Dropout(dropout), nn.Linear(6, 6))
            .to(dtype) for _ in range(3)]


def _grads(blocks, x, use_checkpoint, seed=5, **kwargs):
    params = [x] + [p for b in blocks for p in b.parameters()]
    for p in params:
        p.grad = None
    tg.manual_seed(seed)
    h = x
    for b in blocks:
        h = checkpoint(b, h, **kwargs) if use_checkpoint else b(h)
    (h ** 2).sum().backward()
    return [p.grad.numpy().copy() for p in params]


def test_checkpointed_blocks_match_finite_differences():
    """The input's and the parameters' gradients through checkpointed blocks, against central
    differences of the loss in float64 (the parameters reach the checkpoint by closure)."""
    blocks = _mlp_blocks()
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 6)), requires_grad=True)
    got = _grads(blocks, x, True)
    params = [x] + [p for b in blocks for p in b.parameters()]

    def loss():
        with tg.no_grad():
            h = x
            for b in blocks:
                h = b(h)
            return float((h ** 2).sum().item())

    eps = 1e-6
    for p, g in zip(params, got):
        flat = p._data.reshape(-1)  # the parameter's own array, perturbed in place
        for i in range(0, flat.size, max(1, flat.size // 5)):
            old = flat[i]
            flat[i] = old + eps
            up = loss()
            flat[i] = old - eps
            down = loss()
            flat[i] = old
            assert abs((up - down) / (2 * eps) - g.reshape(-1)[i]) < 1e-6 * max(1, abs(up))


def test_dropout_inside_a_checkpoint_replays_its_mask():
    """With preserve_rng_state the rerun draws the dropout masks of the first run: the gradients
    are those of the plain network; without it they are not. Afterwards the generator continues
    as if nothing had been recomputed."""
    blocks = _mlp_blocks(dropout=0.5)
    x = tg.tensor(np.random.default_rng(2).standard_normal((8, 6)), requires_grad=True)
    plain = _grads(blocks, x, False)
    after_plain = tg.rand(3).numpy()
    replayed = _grads(blocks, x, True)
    after_replayed = tg.rand(3).numpy()
    for a, b in zip(plain, replayed):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
    assert np.array_equal(after_plain, after_replayed)
    fresh = _grads(blocks, x, True, preserve_rng_state=False)
    assert not all(np.allclose(a, b) for a, b in zip(plain, fresh))


def test_checkpoint_frees_the_activations_inside():
    """Only inputs and outputs stay on the tape: an activation made inside the function is
    gone once the checkpoint returns (and kept alive by the plain call's graph)."""
    w = tg.tensor(np.random.default_rng(3).standard_normal((5, 5)), requires_grad=True)
    inner = []

    def block(a):
        h = (a @ w).tanh()
        inner.append(weakref.ref(h))
        return h * 2.0

    x = tg.ones(2, 5, dtype=tg.float64, requires_grad=True)
    kept = block(x)
    gc.collect()
    assert inner[-1]() is not None
    out = checkpoint(block, x)
    gc.collect()
    assert inner[-1]() is None
    out.sum().backward()
    kept_grad = tg.autograd.grad(kept.sum(), [w])[0]
    assert np.allclose(w.grad.numpy(), kept_grad.numpy())


def test_autograd_grad_and_gradients_of_gradients_through_a_checkpoint():
    """autograd.grad reaches arguments and closed-over parameters, an unused argument gets
    None, and second derivatives pass gradgradcheck in float64."""
    rng = np.random.default_rng(4)
    w = tg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    x = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    unused = tg.tensor(rng.standard_normal(3), requires_grad=True)

    def f(a, b):
        return (a @ w).sin().sum()

    gx, gw, gu = tg.autograd.grad(checkpoint(f, x, unused), [x, w, unused], allow_unused=True)
    xv, wv = x.detach().numpy(), w.detach().numpy()
    cos = np.cos(xv @ wv)
    assert np.allclose(gx.numpy(), cos @ wv.T)
    assert np.allclose(gw.numpy(), xv.T @ cos)
    assert gu is None
    assert gradcheck(lambda a, v: checkpoint(lambda p, q: (p @ q).tanh(), a, v),
                     (x, w))
    assert gradgradcheck(lambda a, v: checkpoint(lambda p, q: (p @ q).tanh() * p.sum(), a, v),
                         (x, w))


def test_checkpoint_with_several_outputs():
    """A tuple of outputs, one of them not differentiable and one not a tensor: each
    differentiable output's gradient flows back, the others come back as they were."""
    rng = np.random.default_rng(5)
    x = tg.tensor(rng.standard_normal(4), requires_grad=True)

    def f(a):
        return a.exp(), (a * 3.0).reshape(2, 2), a.argmax(), "label"

    e, m, idx, label = checkpoint(f, x)
    assert isinstance(label, str) and int(idx.item()) == int(np.argmax(x.detach().numpy()))
    assert e.shape == (4,) and m.shape == (2, 2)
    (e.sum() + (m ** 2).sum()).backward()
    assert np.allclose(x.grad.numpy(), np.exp(x.detach().numpy()) + 18.0 * x.detach().numpy())
    with pytest.raises(TypeError, match="share a dtype"):
        checkpoint(lambda a: (a, a.float()), x)


def test_checkpoint_sequential_matches_the_plain_network():
    tg.manual_seed(6)
    net = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(5, 5), nn.ReLU())]).double()
    x = tg.tensor(np.random.default_rng(6).standard_normal((3, 5)), requires_grad=True)
    net(x).pow(2).sum().backward()
    plain = [p.grad.numpy().copy() for p in [x, *net.parameters()]]
    for p in [x, *net.parameters()]:
        p.grad = None
    out = checkpoint_sequential(net, 3, x)
    out.pow(2).sum().backward()
    for a, p in zip(plain, [x, *net.parameters()]):
        assert np.allclose(a, p.grad.numpy(), rtol=1e-12)


def test_checkpoint_checks_the_rerun_and_passes_through_without_grad():
    calls = []

    def changing(a):
        calls.append(1)
        return a[: len(calls)] * 2.0

    x = tg.ones(4, requires_grad=True)
    y = checkpoint(changing, x)
    with pytest.raises(RuntimeError, match="recomputed outputs have shapes"):
        y.sum().backward()
    with tg.no_grad():
        z = checkpoint(lambda a: a * 2.0, x)
    assert not z.requires_grad and np.allclose(z.numpy(), 2.0)
    with pytest.raises(TypeError, match="must return a tensor"):
        checkpoint(lambda a: 3, x)


def test_rng_state_round_trip():
    """get_rng_state/set_rng_state replay the CPU generator's draws, a bad state is refused."""
    tg.manual_seed(7)
    tg.randn(3)
    state = tg.get_rng_state()
    assert state.dtype == tg.uint8 and state.shape == (40,)
    first = (tg.randn(5).numpy(), tg.rand(2).numpy())
    tg.set_rng_state(state)
    again = (tg.randn(5).numpy(), tg.rand(2).numpy())
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    with pytest.raises(ValueError, match="set_rng_state"):
        tg.set_rng_state(tg.zeros(3))


@pytest.mark.cuda
def test_cuda_rng_state_round_trip_and_checkpointed_dropout():
    import tensorgrad.cuda as tg_cuda

    if not tg_cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    state = tg_cuda.get_rng_state()
    first = tg.rand(6, device="cuda").numpy()
    tg_cuda.set_rng_state(state)
    assert np.array_equal(first, tg.rand(6, device="cuda").numpy())
    x = tg.ones(2, 8, device="cuda", requires_grad=True)
    y = checkpoint(lambda a: nn.functional.dropout(a * 3.0, 0.5), x)
    y.sum().backward()
    kept = y.detach().numpy() != 0  # the rerun's mask is the first run's
    assert np.array_equal(x.grad.numpy(), np.where(kept, 6.0, 0.0))
