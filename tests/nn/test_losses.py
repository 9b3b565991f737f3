"""Losses against numpy references, finite differences, the seed's softmax cross-entropy formula,
and extreme logits."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck

F = nn.functional
rng = np.random.default_rng(0)


def _log_softmax(z, axis=1):
    m = z.max(axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis, keepdims=True))


def test_mse_and_l1():
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert np.isclose(F.mse_loss(tg.tensor(a), tg.tensor(b)).item(), ((a - b) ** 2).mean())
    assert np.isclose(F.l1_loss(tg.tensor(a), tg.tensor(b), reduction="sum").item(),
                      np.abs(a - b).sum())
    gradcheck(lambda x, y: F.mse_loss(x, y), tg.tensor(a), tg.tensor(b))
    gradcheck(lambda x: F.l1_loss(x, tg.tensor(b)), tg.tensor(a))


def test_wolfram_mean_squared_loss_value():
    loss = nn.MeanSquaredLoss()(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([4.0, 0.0, 4.0]))
    assert np.isclose(loss.item(), 4.66667, atol=1e-5)


def test_cross_entropy_with_class_indices_matches_numpy_and_the_seed_gradient():
    z = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    x = tg.tensor(z, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(y))
    assert np.isclose(loss.item(), -_log_softmax(z)[np.arange(5), y].mean())
    loss.backward()
    softmax = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert np.allclose(x.grad.numpy(), (softmax - np.eye(4)[y]) / 5)


def test_cross_entropy_options():
    z = rng.standard_normal((6, 3, 2))
    y = rng.integers(0, 3, (6, 2))
    w = np.array([0.2, 1.0, 3.0])
    logp = _log_softmax(z)
    picked = np.take_along_axis(logp, y[:, None], 1)[:, 0]
    ref = -(picked * w[y]).sum() / w[y].sum()
    got = F.cross_entropy(tg.tensor(z), tg.tensor(y), weight=tg.tensor(w))
    assert np.isclose(got.item(), ref)
    eps = 0.1
    smooth = -(1 - eps) * picked.mean() - eps / 3 * logp.sum(1).mean()
    assert np.isclose(F.cross_entropy(tg.tensor(z), tg.tensor(y), label_smoothing=eps).item(),
                      smooth)
    probs = rng.dirichlet(np.ones(3), size=6)
    assert np.isclose(F.cross_entropy(tg.tensor(z[:, :, 0]), tg.tensor(probs)).item(),
                      -(probs * logp[:, :, 0]).sum(1).mean())
    y2 = y[:, 0].copy()
    y2[1] = -100
    keep = y2 != -100
    assert np.isclose(F.cross_entropy(tg.tensor(z[:, :, 0]), tg.tensor(y2)).item(),
                      -logp[:, :, 0][np.arange(6)[keep], y2[keep]].mean())
    assert F.cross_entropy(tg.tensor(z[:, :, 0]), tg.tensor(y2), reduction="none").shape == (6,)
    gradcheck(lambda t: F.cross_entropy(t, tg.tensor(y), weight=tg.tensor(w),
                                        label_smoothing=0.2), tg.tensor(z))


@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2},
                                     {"weight": [0.5, 2.0, 1.0]},
                                     {"weight": [0.5, 2.0, 1.0], "label_smoothing": 0.2}])
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 2)])
def test_a_mean_over_only_ignored_targets_is_zero_with_no_gradient(options, shape):
    """Every target ignore_index: the 'mean' is 0 and the gradient 0 on every path (fused,
    log-softmax, smoothing, weighted), with no division warning; PyTorch gives nan there."""
    if "weight" in options:
        options = {**options, "weight": tg.tensor(options["weight"])}
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    target = tg.tensor(np.full((shape[0],) + shape[2:], 1))
    with np.errstate(all="raise"):
        loss = F.cross_entropy(x, target, ignore_index=1, **options)
        loss.backward()
    assert loss.item() == 0.0 and not x.grad.numpy().any()


def test_cross_entropy_is_finite_for_extreme_logits():
    z = tg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor([0, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isclose(loss.item(), 1e4, rtol=1e-6)
    assert np.isfinite(z.grad.numpy()).all()
    assert np.isfinite(tg.tensor([[1e4, -1e4]]).softmax(-1).numpy()).all()
    assert np.isfinite(tg.tensor([[1e4, -1e4]]).log_softmax(-1).numpy()).all()


def test_cross_entropy_rejects_bad_labels():
    z = tg.randn(3, 4)
    with pytest.raises(TypeError, match="class-index targets must be integers"):
        F.cross_entropy(z, tg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(IndexError, match="target 7 is out of range for 4 classes"):
        F.cross_entropy(z, tg.tensor([0, 7, 1]))
    with pytest.raises(tg.ShapeError, match="needs targets of shape \\(3,\\)"):
        F.cross_entropy(z, tg.tensor([0, 1]))


def test_nll_loss():
    logp = _log_softmax(rng.standard_normal((4, 3)))
    y = np.array([2, 0, 1, 2])
    assert np.isclose(nn.NLLLoss()(tg.tensor(logp), tg.tensor(y)).item(),
                      -logp[np.arange(4), y].mean())


def test_bce_and_bce_with_logits():
    z = rng.standard_normal(6)
    t = rng.uniform(size=6)
    p = 1 / (1 + np.exp(-z))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert np.isclose(nn.BCELoss()(tg.tensor(p), tg.tensor(t)).item(), ref)
    assert np.isclose(nn.BCEWithLogitsLoss()(tg.tensor(z), tg.tensor(t)).item(), ref)
    gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, tg.tensor(t)), tg.tensor(z))
    gradcheck(lambda x: F.binary_cross_entropy(x, tg.tensor(t)), tg.tensor(p))


def test_bce_with_logits_is_stable_at_1e3():
    z = tg.tensor([1e3, -1e3, 1e3, -1e3], requires_grad=True)
    t = tg.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, t, reduction="none")
    assert np.allclose(loss.detach().numpy(), [0, 0, 1e3, 1e3])
    loss.sum().backward()
    assert np.allclose(z.grad.numpy(), [0, 0, 1, -1])
    assert np.isfinite(F.binary_cross_entropy(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.0])).item())


def test_slugnet_softmax_categorical_cross_entropy_on_probabilities():
    z = rng.standard_normal((4, 3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = np.array([0, 2, 2, 1])
    loss = nn.SoftmaxCategoricalCrossEntropy()(tg.tensor(p), tg.tensor(y))
    assert np.isclose(loss.item(), -np.log(p[np.arange(4), y]).mean())
    onehot = nn.SoftmaxCategoricalCrossEntropy()(tg.tensor(p), tg.tensor(np.eye(3)[y]))
    assert np.isclose(onehot.item(), loss.item())


def test_loss_shape_mismatch_is_a_clear_error():
    with pytest.raises(tg.ShapeError, match="mse_loss: input shape \\(3,\\) and target shape"):
        F.mse_loss(tg.ones(3), tg.ones(4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_huber_and_kl_div_match_numpy(reduction):
    a, b = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    d = np.abs(a - b)
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    for beta in (1.0, 0.5):
        ref = red(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta))
        got = nn.SmoothL1Loss(reduction, beta)(tg.tensor(a), tg.tensor(b))
        assert np.allclose(got.numpy(), ref)
    assert np.allclose(F.smooth_l1_loss(tg.tensor(a), tg.tensor(b), reduction, 0.0).numpy(),
                       red(d))
    ref = red(np.where(d <= 1.5, 0.5 * d ** 2, 1.5 * (d - 0.75)))
    assert np.allclose(nn.HuberLoss(reduction, 1.5)(tg.tensor(a), tg.tensor(b)).numpy(), ref)
    gradcheck(lambda t: F.huber_loss(t, tg.tensor(b), reduction, 1.5), tg.tensor(a))
    logq = _log_softmax(a)
    p = np.exp(_log_softmax(b))
    p[0, 1] = 0.0  # 0 log 0 counts as 0
    pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - logq), 0)
    assert np.allclose(nn.KLDivLoss(reduction)(tg.tensor(logq), tg.tensor(p)).numpy(),
                       red(pointwise))
    gradcheck(lambda t: F.kl_div(t, tg.tensor(p), reduction), tg.tensor(logq))
    assert np.isclose(F.kl_div(tg.tensor(logq), tg.tensor(p), "batchmean").item(),
                      pointwise.sum() / 4)
    assert np.allclose(F.kl_div(tg.tensor(logq), tg.tensor(np.log(p + 0.1)), reduction,
                                log_target=True).numpy(),
                       red((p + 0.1) * (np.log(p + 0.1) - logq)))


def test_normalize_and_cosine_similarity_match_numpy():
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert np.allclose(F.normalize(tg.tensor(a), dim=1).numpy(),
                       a / np.linalg.norm(a, axis=1, keepdims=True))
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert np.allclose(F.cosine_similarity(tg.tensor(a), tg.tensor(b)).numpy(), cos)
    gradcheck(lambda s, t: F.cosine_similarity(s, t, dim=0), tg.tensor(a), tg.tensor(b))
    zero = F.normalize(tg.zeros(2, 3, dtype=tg.float64, requires_grad=True))
    assert not zero.detach().numpy().any()  # eps keeps a zero row at zero, not nan


# ----- margin, embedding and likelihood losses (PyTorch's), against numpy --------------------


def test_margin_and_embedding_losses_match_numpy():
    x1, x2 = rng.standard_normal(8), rng.standard_normal(8)
    y = np.where(rng.random(8) > 0.5, 1.0, -1.0)
    got = nn.MarginRankingLoss(margin=0.3)(tg.tensor(x1), tg.tensor(x2), tg.tensor(y))
    assert np.isclose(got.item(), np.maximum(0, -y * (x1 - x2) + 0.3).mean())
    got = nn.HingeEmbeddingLoss(margin=0.8, reduction="sum")(tg.tensor(x1), tg.tensor(y))
    assert np.isclose(got.item(), np.where(y == 1, x1, np.maximum(0, 0.8 - x1)).sum())
    got = nn.SoftMarginLoss()(tg.tensor(x1), tg.tensor(y))
    assert np.isclose(got.item(), np.log1p(np.exp(-y * x1)).mean())
    a, b = rng.standard_normal((8, 5)), rng.standard_normal((8, 5))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    got = nn.CosineEmbeddingLoss(margin=0.1, reduction="none")(tg.tensor(a), tg.tensor(b),
                                                               tg.tensor(y))
    assert np.allclose(got.numpy(), np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1)))
    assert np.allclose(nn.CosineSimilarity()(tg.tensor(a), tg.tensor(b)).numpy(), cos)
    gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, tg.tensor(y)), tg.tensor(a),
              tg.tensor(b))
    n = rng.standard_normal((8, 5))

    def dist(u, v, p=2):
        return (np.abs(u - v + 1e-6) ** p).sum(1) ** (1 / p)

    got = nn.TripletMarginLoss(margin=1.5)(tg.tensor(a), tg.tensor(b), tg.tensor(n))
    assert np.isclose(got.item(), np.maximum(dist(a, b) - dist(a, n) + 1.5, 0).mean())
    got = nn.TripletMarginLoss(margin=1.5, p=1, swap=True, reduction="sum")(
        tg.tensor(a), tg.tensor(b), tg.tensor(n))
    d_neg = np.minimum(dist(a, n, 1), dist(b, n, 1))
    assert np.isclose(got.item(), np.maximum(dist(a, b, 1) - d_neg + 1.5, 0).sum())
    gradcheck(lambda a, b, n: F.triplet_margin_loss(a, b, n, margin=3.0), tg.tensor(a),
              tg.tensor(b), tg.tensor(n))
    assert np.allclose(nn.PairwiseDistance(p=3)(tg.tensor(a), tg.tensor(b)).numpy(),
                       dist(a, b, 3))
    with pytest.raises(tg.ShapeError, match="cosine_embedding_loss: expected inputs"):
        F.cosine_embedding_loss(tg.tensor(a), tg.tensor(b[:, :4]), tg.tensor(y))


def test_likelihood_losses_match_numpy():
    mean, target = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    var = rng.uniform(0.1, 2.0, (6, 3))
    got = nn.GaussianNLLLoss()(tg.tensor(mean), tg.tensor(target), tg.tensor(var))
    assert np.isclose(got.item(), (0.5 * (np.log(var) + (mean - target) ** 2 / var)).mean())
    per_row = var[:, 0]  # one variance per sample, broadcast over the last dim
    got = nn.GaussianNLLLoss(full=True, reduction="sum")(tg.tensor(mean), tg.tensor(target),
                                                         tg.tensor(per_row))
    ref = 0.5 * (np.log(per_row)[:, None] + (mean - target) ** 2 / per_row[:, None]
                 + np.log(2 * np.pi))
    assert np.isclose(got.item(), ref.sum())
    gradcheck(lambda m, v: F.gaussian_nll_loss(m, tg.tensor(target), v), tg.tensor(mean),
              tg.tensor(var))
    with pytest.raises(ValueError, match="var has negative entries"):
        F.gaussian_nll_loss(tg.tensor(mean), tg.tensor(target), tg.tensor(-var))
    counts = rng.poisson(3.0, (6, 3)).astype(float)
    got = nn.PoissonNLLLoss()(tg.tensor(mean), tg.tensor(counts))
    assert np.isclose(got.item(), (np.exp(mean) - counts * mean).mean())
    rate = np.abs(mean) + 0.1
    got = nn.PoissonNLLLoss(log_input=False, full=True, reduction="none")(tg.tensor(rate),
                                                                          tg.tensor(counts))
    safe = np.maximum(counts, 1)
    stirling = np.where(counts > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                        0)
    assert np.allclose(got.numpy(), rate - counts * np.log(rate + 1e-8) + stirling)


def test_multilabel_and_multiclass_margin_losses_match_numpy():
    x = rng.standard_normal((5, 4))
    labels = (rng.random((5, 4)) > 0.5).astype(float)
    w = rng.uniform(0.5, 2.0, 4)
    got = nn.MultiLabelSoftMarginLoss(weight=tg.tensor(w))(tg.tensor(x), tg.tensor(labels))
    sig = 1 / (1 + np.exp(-x))
    ref = -(labels * np.log(sig) + (1 - labels) * np.log(1 - sig)) * w
    assert np.isclose(got.item(), ref.mean(1).mean())
    classes = rng.integers(0, 4, 5)
    for p in (1, 2):
        got = nn.MultiMarginLoss(p=p, margin=0.7, weight=tg.tensor(w), reduction="none")(
            tg.tensor(x), tg.tensor(classes))
        picked = x[np.arange(5), classes][:, None]
        hinge = np.maximum(0, 0.7 - picked + x) ** p * w[classes][:, None]
        hinge[np.arange(5), classes] = 0
        assert np.allclose(got.numpy(), hinge.sum(1) / 4)
    gradcheck(lambda t: F.multi_margin_loss(t, tg.tensor(classes), margin=5.0), tg.tensor(x))
    with pytest.raises(IndexError, match="multi_margin_loss: target 4 is out of range"):
        F.multi_margin_loss(tg.tensor(x), tg.tensor(np.full(5, 4)))
