"""Optimizers against their update rules written out in numpy (the numpy seed's Adam, RMSprop,
SGD with momentum), schedulers against their closed forms, clipping."""

import math

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn

rng = np.random.default_rng(0)


def _run(opt_cls, steps=4, **kw):
    """Minimise sum(p^2 * c) for a few steps; return tensorgrad's trajectory and the gradients."""
    c = rng.uniform(0.5, 2.0, size=5)
    p = nn.Parameter(tg.tensor(rng.standard_normal(5)))
    opt = opt_cls([p], **kw)
    traj, grads = [p.detach().numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        (p * p * tg.tensor(c)).sum().backward()
        grads.append(p.grad.numpy().copy())
        opt.step()
        traj.append(p.detach().numpy().copy())
    return traj, grads


def test_sgd_with_momentum_and_nesterov():
    for nesterov in (False, True):
        traj, grads = _run(nn.optim.SGD, lr=0.1, momentum=0.9, nesterov=nesterov,
                           weight_decay=0.01)
        p, buf = traj[0].copy(), None
        for t, g in enumerate(grads):
            g = g + 0.01 * p
            buf = g.copy() if buf is None else 0.9 * buf + g
            p = p - 0.1 * (g + 0.9 * buf if nesterov else buf)
            assert np.allclose(p, traj[t + 1])


def test_adam_matches_the_update_rule():
    traj, grads = _run(nn.optim.Adam, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    p, m, v = traj[0].copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        mhat, vhat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        p = p - 0.01 * mhat / (np.sqrt(vhat) + 1e-8)
        assert np.allclose(p, traj[t])


def test_adamw_decouples_weight_decay():
    traj, grads = _run(nn.optim.AdamW, lr=0.01, weight_decay=0.1)
    p, m, v = traj[0].copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        p = p * (1 - 0.01 * 0.1)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.01 / (1 - 0.9 ** t) * m / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        assert np.allclose(p, traj[t])


def test_rmsprop_matches_the_update_rule():
    traj, grads = _run(nn.optim.RMSprop, lr=0.01, alpha=0.9)
    p, s = traj[0].copy(), 0.0
    for t, g in enumerate(grads, start=1):
        s = 0.9 * s + 0.1 * g * g
        p = p - 0.01 * g / (np.sqrt(s) + 1e-8)
        assert np.allclose(p, traj[t])


def test_adagrad_matches_the_update_rule():
    traj, grads = _run(nn.optim.Adagrad, lr=0.1)
    p, s = traj[0].copy(), 0.0
    for t, g in enumerate(grads, start=1):
        s = s + g * g
        p = p - 0.1 * g / (np.sqrt(s) + 1e-10)
        assert np.allclose(p, traj[t])


def test_optimizer_needs_parameters():
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="no learning rate"):
        nn.optim.SGD([nn.Parameter(tg.ones(2))])


def test_optimizer_step_records_nothing():
    p = nn.Parameter(tg.ones(3))
    opt = nn.optim.Adam([p], lr=0.1)
    (p * 2).sum().backward()
    opt.step()
    assert p.grad_fn is None and p.is_leaf


def test_schedulers_follow_closed_forms():
    p = nn.Parameter(tg.ones(1))
    opt = nn.optim.SGD([p], lr=1.0)
    step = nn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(step.get_last_lr()[0])
        step.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt = nn.optim.SGD([p], lr=1.0)
    cos = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    for epoch in range(1, 5):
        cos.step()
        assert math.isclose(opt.param_groups[0]["lr"],
                            0.1 + 0.9 * (1 + math.cos(math.pi * epoch / 4)) / 2)
    opt = nn.optim.SGD([p], lr=2.0)
    exp = nn.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    exp.step()
    exp.step()
    assert math.isclose(exp.get_last_lr()[0], 2.0 * 0.81)


def test_clip_grad_norm():
    a, b = nn.Parameter(tg.ones(3)), nn.Parameter(tg.ones(4))
    a.grad, b.grad = tg.full((3,), 3.0), tg.full((4,), 4.0)
    norm = nn.optim.clip_grad_norm_([a, b], 1.0)
    assert math.isclose(norm.item(), math.sqrt(27 + 64), rel_tol=1e-6)
    total = math.sqrt((a.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum())
    assert math.isclose(total, 1.0, rel_tol=1e-4)


@pytest.mark.parametrize("amsgrad, weight_decay", [(False, 0.0), (False, 0.01), (True, 0.0)])
def test_adam_on_a_large_float32_parameter(amsgrad, weight_decay):
    """Large enough for the parallel fused kernel (amsgrad runs the tensor-op formula); float32
    stays float32; the numpy update rule in float64 is the reference."""
    n = 300_000
    g_rng = np.random.default_rng(1)
    p0 = g_rng.standard_normal(n).astype(np.float32)
    p = nn.Parameter(tg.tensor(p0.copy()))
    opt = nn.optim.Adam([p], lr=0.01, weight_decay=weight_decay, amsgrad=amsgrad)
    ref, m, v, vmax = p0.astype(np.float64), 0.0, 0.0, 0.0
    for t in range(1, 4):
        g = g_rng.standard_normal(n).astype(np.float32)
        p.grad = tg.tensor(g)
        opt.step()
        g = g + weight_decay * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        vmax = np.maximum(vmax, v) if amsgrad else v
        ref = ref - 0.01 / (1 - 0.9 ** t) * m / (np.sqrt(vmax / (1 - 0.999 ** t)) + 1e-8)
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-5, atol=1e-5)
