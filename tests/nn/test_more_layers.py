"""Layers, losses, an optimizer and a schedule PyTorch users reach for: RReLU, Dropout3d,
FeatureAlphaDropout, MaxUnpool2d, the 1-d and circular pads, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss, ASGD, MultiplicativeLR; against numpy loops and finite
differences."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck

rng = np.random.default_rng(11)


def T(a, grad=False):
    return tg.tensor(np.asarray(a), requires_grad=grad)


def test_rrelu_draws_slopes_in_its_range_while_training_and_uses_their_mean_in_eval():
    x = rng.standard_normal((50, 40))
    m = nn.RReLU(0.1, 0.3)
    assert np.allclose(m.eval()(T(x)).numpy(), np.where(x >= 0, x, 0.2 * x))
    m.train()
    xt = T(x, True)
    y = m(xt)
    out = y.detach().numpy()
    slopes = out[x < 0] / x[x < 0]
    assert np.all((slopes >= 0.1) & (slopes <= 0.3)) and slopes.std() > 0.03
    assert np.array_equal(out[x >= 0], x[x >= 0])
    y.sum().backward()
    assert np.allclose(xt.grad.numpy(), np.where(x >= 0, 1.0, out / np.where(x == 0, 1, x)))


def test_dropout3d_and_feature_alpha_dropout_drop_whole_channels():
    tg.manual_seed(0)
    x = rng.standard_normal((4, 6, 2, 3, 3))
    y = nn.Dropout3d(0.5)(T(x)).numpy()
    per_channel = y.reshape(4, 6, -1)
    kept = np.all(np.isclose(per_channel, 2 * x.reshape(4, 6, -1)), axis=2)
    dropped = np.all(per_channel == 0, axis=2)
    assert np.all(kept | dropped) and kept.any() and dropped.any()
    assert np.array_equal(nn.Dropout3d(0.5).eval()(T(x)).numpy(), x)
    y = nn.FeatureAlphaDropout(0.4)(T(x[:, :, 0])).numpy().reshape(4, 6, -1)
    alpha = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.4) * (1 + 0.4 * alpha ** 2)) ** -0.5
    kept = np.all(np.isclose(y, a * x[:, :, 0].reshape(4, 6, -1) - a * alpha * 0.4), axis=2)
    dropped = np.all(np.isclose(y, a * alpha - a * alpha * 0.4), axis=2)
    assert np.all(kept | dropped) and kept.any() and dropped.any()
    with pytest.raises(tg.ShapeError, match="dropout3d"):
        nn.Dropout3d()(T(x[0, 0]))


def test_max_unpool2d_puts_the_maxima_back_and_differentiates():
    x = rng.standard_normal((2, 3, 6, 7))
    pooled, indices = tg.max_pool2d(T(x), 2, return_indices=True)
    unpool = nn.MaxUnpool2d(2)
    y = unpool(pooled, indices, output_size=x.shape).numpy()
    ref = np.zeros_like(x)
    for n, c, i, j in np.ndindex(2, 3, 3, 3):
        window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        r, s = np.unravel_index(np.argmax(window), (2, 2))
        ref[n, c, 2 * i + r, 2 * j + s] = window[r, s]
    assert np.array_equal(y, ref)
    square, where = tg.max_pool2d(T(x[..., :6]), 2, return_indices=True)
    assert unpool(square, where).shape == (2, 3, 6, 6)
    with pytest.raises(IndexError, match="max_unpool2d"):  # indices into 7-wide planes
        unpool(pooled, indices)
    assert gradcheck(lambda p: nn.functional.max_unpool2d(p, indices, 2, output_size=(6, 7)),
                     T(pooled.numpy(), True))
    # overlapping windows that share their maximum: the value comes back once
    p, idx = tg.max_pool2d(T(x), 3, stride=1, return_indices=True)
    back = nn.functional.max_unpool2d(p, idx, 3, stride=1).numpy()
    assert np.all(np.isin(back[back != 0], x))


@pytest.mark.parametrize("layer, mode", [(nn.ZeroPad1d, "constant"), (nn.ReflectionPad1d,
                                                                     "reflect"),
                                         (nn.ReplicationPad1d, "edge"),
                                         (nn.CircularPad1d, "wrap")])
def test_1d_pads_match_numpy(layer, mode):
    x = rng.standard_normal((2, 3, 6))
    got = layer((2, 3))(T(x)).numpy()
    assert np.array_equal(got, np.pad(x, ((0, 0), (0, 0), (2, 3)), mode=mode))
    assert gradcheck(lambda t: layer(2)(t), T(x, True))


def test_constant_and_circular_2d_pads_match_numpy():
    x = rng.standard_normal((1, 2, 4, 5))
    assert np.array_equal(nn.ConstantPad1d(1, 3.5)(T(x)).numpy(),
                          np.pad(x, ((0, 0),) * 3 + ((1, 1),), constant_values=3.5))
    got = nn.CircularPad2d((1, 2, 3, 0))(T(x)).numpy()
    assert np.array_equal(got, np.pad(x, ((0, 0), (0, 0), (3, 0), (1, 2)), mode="wrap"))


def _multilabel_margin_reference(x, y):
    loss = []
    for row, labels in zip(x, y):
        targets = []
        for label in labels:
            if label < 0:
                break
            targets.append(label)
        total = 0.0
        for j in targets:
            for i in range(len(row)):
                if i not in targets:
                    total += max(0.0, 1 - (row[j] - row[i]))
        loss.append(total / len(row))
    return np.array(loss)


def test_multilabel_margin_loss_matches_its_formula():
    x = rng.standard_normal((4, 5))
    y = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0], [4, -1, 0, 0, 0]])
    ref = _multilabel_margin_reference(x, y)
    got = nn.MultiLabelMarginLoss(reduction="none")(T(x), T(y)).numpy()
    assert np.allclose(got, ref)
    assert np.isclose(nn.functional.multilabel_margin_loss(T(x), T(y)).item(), ref.mean())
    assert np.isclose(nn.functional.multilabel_margin_loss(T(x[0]), T(y[0])).item(), ref[0])
    assert gradcheck(lambda t: nn.functional.multilabel_margin_loss(t, T(y)), T(x, True))


def test_triplet_margin_with_distance_loss_module_takes_any_distance():
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))

    def cosine_distance(u, v):
        return 1 - nn.functional.cosine_similarity(u, v)

    def cos(u, v):
        return (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)

    loss = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.5,
                                            swap=True)
    d_neg = np.minimum(1 - cos(a, n), 1 - cos(p, n))
    ref = np.maximum(1 - cos(a, p) - d_neg + 0.5, 0).mean()
    assert np.isclose(loss(T(a), T(p), T(n)).item(), ref)


def test_asgd_follows_its_update_rule_and_averages_the_iterates():
    w0 = rng.standard_normal(4)
    target = rng.standard_normal(4)
    lr, lambd, alpha, t0 = 0.1, 1e-3, 0.75, 3
    w = T(w0.copy(), True)
    opt = nn.optim.ASGD([w], lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=0.01)
    ref, ax, eta, mu = w0.copy(), np.zeros(4), lr, 1.0
    for step in range(1, 8):
        opt.zero_grad()
        ((w - T(target)) ** 2).sum().backward()
        opt.step()
        g = 2 * (ref - target) + 0.01 * ref
        ref = ref * (1 - lambd * eta) - eta * g
        ax = ref.copy() if mu == 1 else ax + mu * (ref - ax)
        eta = lr / (1 + lambd * lr * step) ** alpha
        mu = 1 / max(1, step - t0)
        assert np.allclose(w.detach().numpy(), ref)
        assert np.allclose(opt.state[id(w)]["ax"].numpy(), ax)


def test_multiplicative_lr_multiplies_the_factors_up():
    w = T(np.zeros(2), True)
    opt = nn.optim.SGD([w], lr=0.5)
    sched = nn.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.9 if epoch % 2 else 0.5)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    expected = [0.5]
    for epoch in range(1, 6):
        expected.append(expected[-1] * (0.9 if epoch % 2 else 0.5))
    assert np.allclose(lrs, expected)
