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


def _lrs(make, steps, lr=1.0, opt=nn.optim.SGD, **kw):
    p = nn.Parameter(tg.ones(1))
    optimizer = opt([p], lr=lr, **kw)
    sched = make(optimizer)
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        sched.step()
    return out, optimizer, sched


def test_multistep_lambda_linear_constant_schedules():
    S = nn.optim.lr_scheduler
    lrs, _, _ = _lrs(lambda o: S.MultiStepLR(o, milestones=[4, 2], gamma=0.1), 6)
    assert np.allclose(lrs, [1, 1, 0.1, 0.1, 0.01, 0.01])
    lrs, _, sched = _lrs(lambda o: S.LambdaLR(o, lambda e: 0.5 ** e), 4, lr=2.0)
    assert np.allclose(lrs, [2, 1, 0.5, 0.25])
    assert "lr_lambdas" not in sched.state_dict()  # functions are not state
    lrs, _, _ = _lrs(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=3), 6)
    assert np.allclose(lrs, [0.25, 0.5, 0.75, 1, 1, 1])
    lrs, _, _ = _lrs(lambda o: S.ConstantLR(o, factor=0.5, total_iters=2), 4)
    assert np.allclose(lrs, [0.5, 0.5, 1, 1])
    with pytest.raises(ValueError, match="LambdaLR: expected 1"):
        _lrs(lambda o: S.LambdaLR(o, [abs, abs]), 1)


def test_cosine_warm_restarts_periods_grow_by_t_mult():
    S = nn.optim.lr_scheduler
    lrs, _, _ = _lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2), 9)
    # periods of 2, 4, 8 epochs: restarts (lr = base) at epochs 0, 2, 6
    def half_cos(frac):
        return (1 + math.cos(math.pi * frac)) / 2

    expected = [1, 0.5, 1, half_cos(1 / 4), 0.5, half_cos(3 / 4), 1, half_cos(1 / 8),
                half_cos(2 / 8)]
    assert np.allclose(lrs, expected)


def test_one_cycle_lr_and_momentum():
    S = nn.optim.lr_scheduler
    p = nn.Parameter(tg.ones(1))
    opt = nn.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10)  # warm-up ends at step 2
    lrs, moms = [], []
    for i in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        if i < 9:
            sched.step()
    assert np.allclose(lrs[:3], [0.04, 0.52, 1.0])  # 1/25, the cosine midpoint, max_lr
    assert np.allclose(moms[:3], [0.95, 0.90, 0.85])
    assert math.isclose(lrs[-1], 0.04 / 1e4) and math.isclose(moms[-1], 0.95)
    assert all(a > b for a, b in zip(lrs[2:], lrs[3:]))
    sched.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 11 times"):
        sched.step()
    adam = nn.optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
    S.OneCycleLR(adam, max_lr=1.0, total_steps=10, base_momentum=0.8)
    assert adam.param_groups[0]["betas"] == (0.95, 0.99)  # beta1 cycles; beta2 stays


def test_reduce_lr_on_plateau():
    p = nn.Parameter(tg.ones(1))
    opt = nn.optim.SGD([p], lr=1.0)
    sched = nn.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1,
                                                     min_lr=0.2)
    lrs = []
    for metric in [3, 2, 2, 2, 2, 2, 2, 2, 2, 2]:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    # two epochs without improvement halve it; the epoch after, in cooldown, counts none;
    # never below min_lr
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]


def test_lr_schedule_callback_steps_plateau_on_the_monitored_metric():
    from tensorgrad_nn.train.callbacks import LRSchedulerStep

    class Model:
        optimizer = nn.optim.SGD([nn.Parameter(tg.ones(1))], lr=1.0)

    cb = LRSchedulerStep(lambda o: nn.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
                         monitor="val_loss")
    cb.on_train_begin(Model)
    cb.on_epoch_end(Model, 0, {"val_loss": 1.0})
    cb.on_epoch_end(Model, 1, {"val_loss": 1.0})
    assert math.isclose(Model.optimizer.param_groups[0]["lr"], 0.1)
    with pytest.raises(KeyError, match="val_loss"):
        cb.on_epoch_end(Model, 2, {"loss": 1.0})


def test_adamax_nadam_radam_adadelta_match_their_update_rules():
    traj, grads = _run(nn.optim.Adamax, steps=5, lr=0.05, weight_decay=0.1)
    p, m, u = traj[0].copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        g = g + 0.1 * p
        m = 0.9 * m + 0.1 * g
        u = np.maximum(0.999 * u, np.abs(g) + 1e-8)
        p = p - 0.05 / (1 - 0.9 ** t) * m / u
        assert np.allclose(p, traj[t])

    traj, grads = _run(nn.optim.NAdam, steps=5, lr=0.05)
    p, m, v, product = traj[0].copy(), 0.0, 0.0, 1.0
    for t, g in enumerate(grads, start=1):
        mu, mu_next = (0.9 * (1 - 0.5 * 0.96 ** (k * 0.004)) for k in (t, t + 1))
        product *= mu
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        denom = np.sqrt(v / (1 - 0.999 ** t)) + 1e-8
        p = p - 0.05 * (1 - mu) / (1 - product) * g / denom \
            - 0.05 * mu_next / (1 - product * mu_next) * m / denom
        assert np.allclose(p, traj[t])

    traj, grads = _run(nn.optim.RAdam, steps=8, lr=0.05, betas=(0.9, 0.9))
    p, m, v, rho_inf = traj[0].copy(), 0.0, 0.0, 2 / (1 - 0.9) - 1
    rectified = []
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.9 * v + 0.1 * g * g
        rho = rho_inf - 2 * t * 0.9 ** t / (1 - 0.9 ** t)
        mhat = m / (1 - 0.9 ** t)
        if rho > 5:  # the variance is trusted from step 6 on with beta2 = 0.9
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p = p - 0.05 * mhat * r * np.sqrt(1 - 0.9 ** t) / (np.sqrt(v) + 1e-8)
        else:
            p = p - 0.05 * mhat
        rectified.append(rho > 5)
        assert np.allclose(p, traj[t])
    assert rectified[0] is False and rectified[-1]  # both branches ran

    traj, grads = _run(nn.optim.Adadelta, steps=5)
    p, s, a = traj[0].copy(), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        s = 0.9 * s + 0.1 * g * g
        delta = np.sqrt(a + 1e-6) / np.sqrt(s + 1e-6) * g
        a = 0.9 * a + 0.1 * delta * delta
        p = p - delta
        assert np.allclose(p, traj[t])


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_solves_least_squares_and_rosenbrock(line_search):
    a, b = rng.standard_normal((20, 5)), rng.standard_normal(20)
    x = nn.Parameter(tg.zeros(5, dtype=tg.float64))
    opt = nn.optim.LBFGS([x], history_size=10, max_iter=50, line_search_fn=line_search)

    def closure():
        opt.zero_grad()
        loss = ((tg.tensor(a) @ x - tg.tensor(b)) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert np.allclose(x.detach().numpy(), np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-6)

    if line_search is None:
        return
    z = nn.Parameter(tg.tensor(np.array([-1.2, 1.0])))
    opt = nn.optim.LBFGS([z], line_search_fn="strong_wolfe", tolerance_change=1e-15,
                         tolerance_grad=1e-12)  # PyTorch's defaults stop at |z - 1| ~ 4e-5

    def rosenbrock():
        opt.zero_grad()
        loss = (1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(rosenbrock)
    assert np.allclose(z.detach().numpy(), [1.0, 1.0], atol=1e-7)
    assert opt.state[id(z)]["func_evals"] < 60  # gradient descent would need thousands
    with pytest.raises(RuntimeError, match="LBFGS: step needs a closure"):
        opt.step()


def test_polynomial_and_sequential_schedules_follow_their_formulas():
    lrs, _, _ = _lrs(lambda o: nn.optim.lr_scheduler.PolynomialLR(o, total_iters=4, power=2.0),
                     6, lr=0.8)
    np.testing.assert_allclose(lrs, [0.8 * (1 - min(t, 4) / 4) ** 2 for t in range(6)])
    S = nn.optim.lr_scheduler

    def warmup_cosine(o):
        return S.SequentialLR(o, [S.LinearLR(o, 0.25, total_iters=3),
                                  S.CosineAnnealingLR(o, T_max=4, eta_min=0.1)], milestones=[3])

    lrs, _, sched = _lrs(warmup_cosine, 9, lr=1.0)
    warm = [0.25 + 0.75 * t / 3 for t in range(3)]
    cosine = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(6)]
    np.testing.assert_allclose(lrs, warm + cosine)
    assert set(sched.state_dict()) >= {"last_epoch", "schedulers", "milestones"}
    p = nn.Parameter(tg.ones(1))
    opt, other = nn.optim.SGD([p], lr=1.0), nn.optim.SGD([p], lr=1.0)
    with pytest.raises(ValueError, match="one milestone fewer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[1])
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(other, 2)], milestones=[1])


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_and_momentum_follow_the_triangle(mode):
    """Up 3 batches, down 2: the lr at batch t is lo + (hi - lo) * height(t) * scale, scale 1,
    1 / 2^(cycle - 1) or gamma^t; momentum the mirror image between 0.8 and 0.9."""
    p = nn.Parameter(tg.ones(1))
    opt = nn.optim.SGD([p], lr=5.0, momentum=0.9)
    sched = nn.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.1, step_size_up=3, step_size_down=2,
                                           mode=mode, gamma=0.9)
    for t in range(12):
        cycle, pos = t // 5 + 1, t % 5
        height = pos / 3 if pos <= 3 else (5 - pos) / 2
        scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1), "exp_range": 0.9 ** t}[mode]
        group = opt.param_groups[0]
        assert math.isclose(group["lr"], 0.1 + height * scale, rel_tol=1e-12), t
        assert math.isclose(group["momentum"], 0.9 - 0.1 * height * scale, rel_tol=1e-12), t
        opt.step()
        sched.step()
    adam = nn.optim.Adam([p], lr=1.0)
    nn.optim.lr_scheduler.CyclicLR(adam, 0.1, 1.0, step_size_up=2)
    assert adam.param_groups[0]["betas"][0] == 0.9 and adam.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="mode must be"):
        nn.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, mode="sawtooth")


def test_rprop_follows_its_sign_rule():
    """Step sizes grow by 1.2 while the gradient keeps its sign, shrink by 0.5 (and skip the
    step) when it flips, clamped to [1e-6, 50]: the rule written out in numpy."""
    scale = np.array([1.0, 3.0, 0.5])
    p = nn.Parameter(tg.tensor([1.0, -2.0, 0.5], dtype=tg.float64))
    opt = nn.optim.Rprop([p], lr=0.05)
    w, prev, size = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.full(3, 0.05)
    for _ in range(12):
        opt.zero_grad()
        ((p ** 2 * tg.tensor(scale)).sum() + p.sin().sum()).backward()
        opt.step()
        g = 2 * w * scale + np.cos(w)
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, 1.2, np.where(s < 0, 0.5, 1.0)), 1e-6, 50)
        g = np.where(s < 0, 0.0, g)
        w = w - np.sign(g) * size
        prev = g
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-13)
    with pytest.raises(ValueError, match="etas"):
        nn.optim.Rprop([p], etas=(1.5, 1.2))


def test_averaged_model_swa_and_ema_and_swalr():
    tg.manual_seed(0)
    model = nn.Linear(2, 2)
    swa = nn.optim.swa_utils.AveragedModel(model)
    ema = nn.optim.swa_utils.AveragedModel(
        model, avg_fn=nn.optim.swa_utils.get_ema_avg_fn(0.9))
    history = []
    for k in range(4):
        with tg.no_grad():
            model.weight.add_(float(k + 1))
        history.append(model.weight.detach().numpy().copy())
        swa.update_parameters(model)
        ema.update_parameters(model)
    np.testing.assert_allclose(swa.module.weight.detach().numpy(), np.mean(history, 0),
                               rtol=1e-6)
    expected = history[0]
    for h in history[1:]:
        expected = 0.9 * expected + 0.1 * h
    np.testing.assert_allclose(ema.module.weight.detach().numpy(), expected, rtol=1e-6)
    assert int(swa.n_averaged.item()) == 4
    x = tg.randn(3, 2)
    np.testing.assert_allclose(swa(x).detach().numpy(), swa.module(x).detach().numpy())
    # SWALR: cosine from the lr to swa_lr over 4 epochs, then hold
    p = nn.Parameter(tg.ones(1))
    opt = nn.optim.SGD([p], lr=1.0)
    sched = nn.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=4)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    alpha = [(1 - math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, [0.05 * a + 1.0 * (1 - a) for a in alpha] + [0.05])


def test_update_bn_recomputes_running_statistics_over_the_loader():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((40, 3)).astype(np.float32) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    model = nn.Sequential(nn.BatchNorm1d(3))
    model.eval()
    loader = nn.data.DataLoader(nn.data.TensorDataset(data, np.zeros(40)), batch_size=10)
    nn.optim.swa_utils.update_bn(loader, model)
    bn = model[0]
    batches = data.reshape(4, 10, 3)
    np.testing.assert_allclose(bn.running_mean.numpy(), batches.mean(1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), batches.var(1, ddof=1).mean(0),
                               rtol=1e-5)
    assert bn.momentum == 0.1 and not model.training
