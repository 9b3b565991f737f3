"""tensorgrad.distributions against scipy.stats (log_prob, entropy, cdf, moments of draws),
KL divergences against numpy's closed forms, and gradients by central differences."""

import numpy as np
import pytest
from scipy import stats

import tensorgrad as tg
from tensorgrad.testing import gradcheck

D = tg.distributions
ALPHA = 1e-4


def test_normal_and_uniform_match_scipy():
    loc, scale = np.array([0.0, 1.0, -2.0]), np.array([1.0, 2.0, 0.5])
    n = D.Normal(tg.tensor(loc), tg.tensor(scale))
    x = np.array([0.5, -1.0, -2.2])
    ref = stats.norm(loc, scale)
    np.testing.assert_allclose(n.log_prob(tg.tensor(x)).numpy(), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(n.entropy().numpy(), ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(n.cdf(tg.tensor(x)).numpy(), ref.cdf(x), rtol=1e-7)
    np.testing.assert_allclose(n.variance.numpy(), scale ** 2)
    u = D.Uniform(tg.tensor([0.0, -1.0]), tg.tensor([2.0, 3.0]))
    np.testing.assert_allclose(u.log_prob(tg.tensor([1.0, 3.5])).numpy(), [np.log(0.5), -np.inf])
    np.testing.assert_allclose(u.entropy().numpy(), np.log([2.0, 4.0]))
    np.testing.assert_allclose(u.variance.numpy(), [4 / 12, 16 / 12])


def test_draws_follow_their_laws():
    tg.manual_seed(0)
    draws = D.Normal(tg.tensor([1.0, -3.0]), tg.tensor([0.5, 2.0])).sample((4000,))
    assert draws.shape == (4000, 2) and not draws.requires_grad
    for k, (m, s) in enumerate(((1.0, 0.5), (-3.0, 2.0))):
        assert stats.kstest(draws.numpy()[:, k], stats.norm(m, s).cdf).pvalue > ALPHA
    u = D.Uniform(-1.0, 3.0).sample((4000,)).numpy()
    assert stats.kstest(u, stats.uniform(-1, 4).cdf).pvalue > ALPHA
    b = D.Bernoulli(probs=tg.tensor(0.3)).sample((4000,)).numpy()
    assert stats.binomtest(int(b.sum()), 4000, 0.3).pvalue > ALPHA
    c = D.Categorical(logits=tg.tensor(np.log([1.0, 3.0, 6.0]))).sample((3000,)).numpy()
    assert stats.chisquare(np.bincount(c, minlength=3), [300, 900, 1800]).pvalue > ALPHA
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    mvn = D.MultivariateNormal(tg.tensor([1.0, 2.0], dtype=tg.float64),
                               covariance_matrix=tg.tensor(cov))
    x = mvn.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.08)


def test_rsample_is_differentiable_in_the_parameters():
    loc = tg.tensor([0.5, -1.0], dtype=tg.float64, requires_grad=True)
    scale = tg.tensor([2.0, 0.3], dtype=tg.float64, requires_grad=True)
    x = D.Normal(loc, scale).rsample((5,))
    x.sum().backward()
    eps = (x.detach().numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [5.0, 5.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="no reparameterised sample"):
        D.Bernoulli(probs=0.5).rsample()


def test_discrete_and_multivariate_log_probs_and_entropies_match_scipy():
    p = np.array([0.2, 0.7, 0.999])
    b = D.Bernoulli(probs=tg.tensor(p, dtype=tg.float64))
    np.testing.assert_allclose(b.log_prob(tg.tensor([1.0, 0.0, 1.0])).numpy(),
                               stats.bernoulli(p).logpmf([1, 0, 1]), rtol=1e-9)
    np.testing.assert_allclose(b.entropy().numpy(), stats.bernoulli(p).entropy(), rtol=1e-9)
    logits = np.array([[0.1, -2.0, 1.5], [3.0, 0.0, 0.0]])
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    c = D.Categorical(logits=tg.tensor(logits))
    np.testing.assert_allclose(c.log_prob(tg.tensor([2, 1])).numpy(),
                               np.log(probs[[0, 1], [2, 1]]), rtol=1e-12)
    np.testing.assert_allclose(c.entropy().numpy(), stats.entropy(probs.T), rtol=1e-12)
    tril = np.array([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [-0.3, 0.2, 0.7]])
    mu = np.array([1.0, -1.0, 0.5])
    mvn = D.MultivariateNormal(tg.tensor(mu), scale_tril=tg.tensor(tril))
    x = np.random.default_rng(0).standard_normal((4, 3))
    ref = stats.multivariate_normal(mu, tril @ tril.T)
    np.testing.assert_allclose(mvn.log_prob(tg.tensor(x)).numpy(), ref.logpdf(x), rtol=1e-10)
    np.testing.assert_allclose(mvn.entropy().numpy(), ref.entropy(), rtol=1e-12)
    diag = D.Independent(D.Normal(tg.tensor(mu), tg.tensor([1.0, 2.0, 0.5])), 1)
    assert diag.batch_shape == () and diag.event_shape == (3,)
    np.testing.assert_allclose(diag.log_prob(tg.tensor(x)).numpy(),
                               stats.norm(mu, [1.0, 2.0, 0.5]).logpdf(x).sum(1), rtol=1e-12)


def test_kl_divergences_match_their_closed_forms():
    n1 = D.Normal(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.5]))
    n2 = D.Normal(tg.tensor([1.0, 1.0]), tg.tensor([2.0, 0.5]))
    expected = np.log([2.0, 1.0]) + (np.array([1.0, 0.25]) + [1.0, 0.0]) / (
        2 * np.array([4.0, 0.25])) - 0.5
    np.testing.assert_allclose(D.kl_divergence(n1, n2).numpy(), expected, rtol=1e-6)
    p, q = np.array([0.3, 0.9]), np.array([0.5, 0.2])
    kl_b = D.kl_divergence(D.Bernoulli(probs=tg.tensor(p, dtype=tg.float64)),
                           D.Bernoulli(probs=tg.tensor(q, dtype=tg.float64)))
    expected_b = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    np.testing.assert_allclose(kl_b.numpy(), expected_b, rtol=1e-9)
    pc, qc = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.3, 0.1])
    kl_c = D.kl_divergence(D.Categorical(probs=tg.tensor(pc, dtype=tg.float64)),
                           D.Categorical(probs=tg.tensor(qc, dtype=tg.float64)))
    np.testing.assert_allclose(kl_c.numpy(), (pc * np.log(pc / qc)).sum(), rtol=1e-12)
    sp, sq = np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([[1.0, -0.2], [-0.2, 0.5]])
    mp, mq = np.array([0.0, 1.0]), np.array([1.0, -1.0])
    kl_m = D.kl_divergence(D.MultivariateNormal(tg.tensor(mp), tg.tensor(sp)),
                           D.MultivariateNormal(tg.tensor(mq), tg.tensor(sq)))
    iq = np.linalg.inv(sq)
    expected = 0.5 * (np.trace(iq @ sp) + (mq - mp) @ iq @ (mq - mp) - 2
                      + np.log(np.linalg.det(sq) / np.linalg.det(sp)))
    np.testing.assert_allclose(kl_m.numpy(), expected, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="no closed form"):
        D.kl_divergence(n1, D.Uniform(0.0, 1.0))


def test_log_prob_gradients_by_central_differences():
    x = tg.tensor([0.3, -0.7])
    assert gradcheck(lambda m, s: D.Normal(m, s).log_prob(x), tg.tensor([0.1, 0.2]),
                     tg.tensor([1.5, 0.8]))
    assert gradcheck(lambda lg: D.Categorical(logits=lg).log_prob(tg.tensor([1, 0])),
                     tg.tensor([[0.2, -1.0, 0.4], [1.0, 0.0, 2.0]]))
    assert gradcheck(lambda lg: D.Bernoulli(logits=lg).entropy(), tg.tensor([0.3, -2.0]))
    tril = tg.tensor([[1.0, 0.0], [0.4, 1.3]])
    assert gradcheck(lambda m, t: D.MultivariateNormal(m, scale_tril=t).log_prob(x),
                     tg.tensor([0.5, 0.1]), tril)


def test_parameter_errors():
    with pytest.raises(ValueError, match="scale must be positive"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="exactly one of probs and logits"):
        D.Bernoulli()
    with pytest.raises(tg.ShapeError, match="do not broadcast"):
        D.Normal(tg.zeros(3), tg.ones(2))
    with pytest.raises(ValueError, match="exactly one of covariance_matrix"):
        D.MultivariateNormal(tg.zeros(2))
