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


def _f64(values):
    return tg.tensor(np.asarray(values, dtype=np.float64))


def test_more_families_match_scipy():
    x = np.array([0.3, 1.7, 4.0])
    cases = [
        (D.Exponential(_f64([0.5, 2.0, 1.0])), x, stats.expon(scale=1 / np.array([0.5, 2, 1]))),
        (D.Laplace(_f64(0.5), _f64(2.0)), x, stats.laplace(0.5, 2.0)),
        (D.LogNormal(_f64(0.2), _f64(0.7)), x, stats.lognorm(0.7, scale=np.exp(0.2))),
        (D.Gamma(_f64(2.5), _f64(1.5)), x, stats.gamma(2.5, scale=1 / 1.5)),
        (D.Beta(_f64(2.0), _f64(3.5)), np.array([0.1, 0.5, 0.9]), stats.beta(2.0, 3.5)),
    ]
    for dist, value, ref in cases:
        np.testing.assert_allclose(dist.log_prob(_f64(value)).numpy(), ref.logpdf(value),
                                   rtol=1e-12, err_msg=type(dist).__name__)
        np.testing.assert_allclose(dist.entropy().numpy(), ref.entropy(), rtol=1e-12,
                                   err_msg=type(dist).__name__)
        np.testing.assert_allclose(dist.mean.numpy(), ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(dist.variance.numpy(), ref.var(), rtol=1e-12)
    a, v = np.array([1.5, 2.0, 0.7]), np.array([0.2, 0.5, 0.3])
    dirichlet = D.Dirichlet(_f64(a))
    np.testing.assert_allclose(dirichlet.log_prob(_f64(v)).numpy(), stats.dirichlet(a).logpdf(v))
    np.testing.assert_allclose(dirichlet.entropy().numpy(), stats.dirichlet(a).entropy())
    np.testing.assert_allclose(dirichlet.variance.numpy(), stats.dirichlet(a).var())
    k = np.array([[0.0, 2.0], [4.0, 3.0]])
    np.testing.assert_allclose(D.Poisson(_f64([0.5, 3.0])).log_prob(_f64(k)).numpy(),
                               stats.poisson([0.5, 3.0]).logpmf(k), rtol=1e-12)


def test_more_draws_follow_their_laws():
    tg.manual_seed(5)
    laws = [(D.Exponential(_f64(2.0)), stats.expon(scale=0.5)),
            (D.Laplace(_f64(1.0), _f64(0.5)), stats.laplace(1.0, 0.5)),
            (D.LogNormal(_f64(0.0), _f64(0.5)), stats.lognorm(0.5)),
            (D.Gamma(_f64(2.5), _f64(1.5)), stats.gamma(2.5, scale=1 / 1.5)),
            (D.Beta(_f64(2.0), _f64(3.5)), stats.beta(2.0, 3.5))]
    for dist, ref in laws:
        draws = dist.sample((3000,)).numpy()
        assert stats.kstest(draws, ref.cdf).pvalue > ALPHA, type(dist).__name__
    counts = D.Poisson(_f64(3.0)).sample((3000,)).numpy().astype(int)
    observed = np.bincount(np.minimum(counts, 8), minlength=9)
    expected = stats.poisson(3.0).pmf(np.arange(9)) * 3000
    expected[8] = stats.poisson(3.0).sf(7) * 3000
    assert stats.chisquare(observed, expected).pvalue > ALPHA
    simplex = D.Dirichlet(_f64([1.5, 2.0, 0.7])).sample((4000,)).numpy()
    np.testing.assert_allclose(simplex.sum(1), 1.0)
    np.testing.assert_allclose(simplex.mean(0), np.array([1.5, 2.0, 0.7]) / 4.2, atol=0.015)
    rate = _f64([2.0]).requires_grad_()
    x = D.Exponential(rate).rsample((4,))
    x.sum().backward()  # x = -log(1 - u) / rate: dx/drate = -x / rate
    np.testing.assert_allclose(rate.grad.numpy(), [-(x.detach().numpy() / 2.0).sum()])


def test_more_kl_divergences_match_numerical_integrals():
    from scipy import integrate

    def kl_integral(p, q, lo, hi):
        return integrate.quad(lambda t: p.pdf(t) * (p.logpdf(t) - q.logpdf(t)), lo, hi,
                              limit=200)[0]

    pairs = [
        (D.Gamma(_f64(2.5), _f64(1.5)), D.Gamma(_f64(1.2), _f64(0.7)),
         stats.gamma(2.5, scale=1 / 1.5), stats.gamma(1.2, scale=1 / 0.7), 0, np.inf),
        (D.Beta(_f64(2.0), _f64(3.5)), D.Beta(_f64(1.3), _f64(1.1)),
         stats.beta(2.0, 3.5), stats.beta(1.3, 1.1), 0, 1),
        (D.Exponential(_f64(2.0)), D.Exponential(_f64(0.5)),
         stats.expon(scale=0.5), stats.expon(scale=2.0), 0, np.inf),
    ]
    for p, q, rp, rq, lo, hi in pairs:
        np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), kl_integral(rp, rq, lo, hi),
                                   rtol=1e-7, err_msg=type(p).__name__)
    k = np.arange(60)
    pk, qk = stats.poisson(3.0).pmf(k), stats.poisson(5.0).pmf(k)
    np.testing.assert_allclose(D.kl_divergence(D.Poisson(_f64(3.0)), D.Poisson(_f64(5.0))).numpy(),
                               (pk * np.log(pk / qk)).sum(), rtol=1e-10)
    a, c = np.array([1.5, 2.0, 0.7]), np.array([1.0, 1.0, 3.0])
    from scipy.special import digamma, gammaln
    expected = (gammaln(a.sum()) - gammaln(a).sum() - gammaln(c.sum()) + gammaln(c).sum()
                + ((a - c) * (digamma(a) - digamma(a.sum()))).sum())
    np.testing.assert_allclose(D.kl_divergence(D.Dirichlet(_f64(a)), D.Dirichlet(_f64(c))).numpy(),
                               expected, rtol=1e-12)


def test_gamma_and_dirichlet_log_probs_by_central_differences():
    x = _f64([0.4, 2.0])
    assert gradcheck(lambda a, b: D.Gamma(a, b).log_prob(x), _f64([2.5, 0.8]), _f64([1.5, 2.0]))
    v = _f64([0.2, 0.5, 0.3])
    assert gradcheck(lambda a: D.Dirichlet(a).log_prob(v) + D.Dirichlet(a).entropy(),
                     _f64([1.5, 2.0, 0.7]))


def test_cauchy_gumbel_halfnormal_student_t_match_scipy():
    """log_prob, cdf, entropy and moments against scipy.stats; PyTorch's nan/inf moments where
    the law has none (Cauchy, Student's t with df <= 1 or <= 2)."""
    x = np.array([-1.3, 0.2, 0.7, 2.5])
    loc, scale = np.array([0.1, -0.5, 0.3, 1.0]), np.array([0.5, 1.2, 2.0, 0.8])
    df = np.array([0.8, 1.5, 3.0, 10.0])
    xt = tg.tensor(x)
    for dist, ref in [(D.Cauchy(_f64(loc), _f64(scale)), stats.cauchy(loc, scale)),
                      (D.Gumbel(_f64(loc), _f64(scale)), stats.gumbel_r(loc, scale)),
                      (D.HalfNormal(_f64(scale)), stats.halfnorm(0, scale)),
                      (D.StudentT(_f64(df), _f64(loc), _f64(scale)), stats.t(df, loc, scale))]:
        name = type(dist).__name__
        np.testing.assert_allclose(dist.log_prob(xt).numpy(), ref.logpdf(x), rtol=1e-10,
                                   err_msg=name)
        np.testing.assert_allclose(dist.entropy().numpy(), ref.entropy(), rtol=1e-10,
                                   err_msg=name)
        if hasattr(dist, "cdf"):
            np.testing.assert_allclose(dist.cdf(xt).numpy(), ref.cdf(x), rtol=1e-7,
                                       atol=1e-12, err_msg=name)
    for dist, ref in [(D.Gumbel(_f64(loc), _f64(scale)), stats.gumbel_r(loc, scale)),
                      (D.HalfNormal(_f64(scale)), stats.halfnorm(0, scale))]:
        np.testing.assert_allclose(dist.mean.numpy(), ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(dist.variance.numpy(), ref.var(), rtol=1e-12)
    t = D.StudentT(_f64(df), _f64(loc), _f64(scale))
    np.testing.assert_allclose(t.mean.numpy(), [np.nan, -0.5, 0.3, 1.0])
    np.testing.assert_allclose(t.variance.numpy(), [np.nan, np.inf, 12.0, 0.8])
    c = D.Cauchy(_f64(loc), _f64(scale))
    assert np.isnan(c.mean.numpy()).all() and np.isinf(c.variance.numpy()).all()
    np.testing.assert_allclose(c.icdf(_f64([0.2, 0.5, 0.7, 0.9])).numpy(),
                               stats.cauchy.ppf([0.2, 0.5, 0.7, 0.9], loc, scale))


def test_geometric_binomial_one_hot_categorical_match_scipy():
    p = np.array([0.1, 0.5, 0.9, 0.3])
    k = np.array([0.0, 3.0, 1.0, 7.0])
    geometric = D.Geometric(_f64(p))
    np.testing.assert_allclose(geometric.log_prob(_f64(k)).numpy(), stats.geom.logpmf(k + 1, p))
    np.testing.assert_allclose(geometric.entropy().numpy(), stats.geom.entropy(p), rtol=1e-10)
    np.testing.assert_allclose(geometric.mean.numpy(), stats.geom.mean(p) - 1)
    np.testing.assert_allclose(geometric.variance.numpy(), stats.geom.var(p))
    n, hits = np.array([5.0, 10.0, 3.0, 8.0]), np.array([2.0, 10.0, 0.0, 5.0])
    logits = np.log(p / (1 - p))
    for binomial in (D.Binomial(_f64(n), _f64(p)), D.Binomial(_f64(n), logits=_f64(logits))):
        np.testing.assert_allclose(binomial.log_prob(_f64(hits)).numpy(),
                                   stats.binom.logpmf(hits, n, p), rtol=1e-10)
    np.testing.assert_allclose(D.Binomial(_f64(n), _f64(p)).variance.numpy(), n * p * (1 - p))
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    one_hot = D.OneHotCategorical(_f64(probs))
    assert one_hot.event_shape == (3,) and one_hot.batch_shape == (2,)
    np.testing.assert_allclose(one_hot.log_prob(_f64([[0, 0, 1], [1, 0, 0]])).numpy(),
                               np.log([0.5, 0.6]))
    np.testing.assert_allclose(one_hot.entropy().numpy(), stats.entropy(probs, axis=1))


def test_draws_of_the_new_families_follow_their_laws():
    """Kolmogorov-Smirnov for the continuous laws (rsample where it exists), chi-square for the
    counts, and rsample's gradient in loc and scale: d x / d loc = 1, d x / d scale = z."""
    tg.manual_seed(11)
    for dist, ref in [(D.Cauchy(_f64(1.0), _f64(0.5)), stats.cauchy(1.0, 0.5)),
                      (D.Gumbel(_f64(1.0), _f64(2.0)), stats.gumbel_r(1.0, 2.0)),
                      (D.HalfNormal(_f64(1.5)), stats.halfnorm(0, 1.5)),
                      (D.StudentT(_f64(4.0), _f64(0.5), _f64(2.0)), stats.t(4.0, 0.5, 2.0))]:
        draws = dist.sample((3000,)).numpy()
        assert stats.kstest(draws, ref.cdf).pvalue > ALPHA, type(dist).__name__
    for dist, ref, top in [(D.Geometric(_f64(0.3)), stats.geom(0.3, loc=-1), 10),
                           (D.Binomial(_f64(10.0), _f64(0.3)), stats.binom(10, 0.3), 7)]:
        counts = dist.sample((4000,)).numpy().astype(int)
        observed = np.bincount(np.minimum(counts, top), minlength=top + 1)
        expected = ref.pmf(np.arange(top + 1)) * 4000
        expected[top] = ref.sf(top - 1) * 4000
        assert stats.chisquare(observed, expected).pvalue > ALPHA, type(dist).__name__
    draws = D.OneHotCategorical(_f64([0.2, 0.3, 0.5])).sample((3000,)).numpy()
    assert (draws.sum(-1) == 1).all()
    assert stats.chisquare(draws.sum(0), [600, 900, 1500]).pvalue > ALPHA
    for family in (D.Cauchy, D.Gumbel):
        loc, scale = _f64([0.5]).requires_grad_(), _f64([2.0]).requires_grad_()
        x = family(loc, scale).rsample((6,))
        x.sum().backward()
        np.testing.assert_allclose(loc.grad.numpy(), [6.0])
        np.testing.assert_allclose(scale.grad.numpy(), [((x.detach().numpy() - 0.5) / 2).sum()])
    with pytest.raises(NotImplementedError, match="no reparameterised sample"):
        D.StudentT(_f64(3.0)).rsample()


def test_log_probs_of_the_new_families_by_central_differences():
    x = _f64([0.3, 1.7])
    assert gradcheck(lambda a, b: D.Cauchy(a, b).log_prob(x), _f64([0.1, -0.2]).requires_grad_(),
                     _f64([0.7, 1.4]).requires_grad_())
    assert gradcheck(lambda a, b: D.StudentT(a, 0.0, b).log_prob(x),
                     _f64([2.5, 6.0]).requires_grad_(), _f64([0.7, 1.4]).requires_grad_())
    assert gradcheck(lambda lg: D.Binomial(_f64([4.0, 6.0]), logits=lg).log_prob(_f64([1.0, 5.0])),
                     _f64([0.3, -1.2]).requires_grad_())


def test_kl_divergences_of_the_new_families_match_numerical_integrals_and_sums():
    from scipy import integrate

    def kl_integral(p, q, lo, hi):
        return integrate.quad(lambda t: p.pdf(t) * (p.logpdf(t) - q.logpdf(t)), lo, hi,
                              limit=400)[0]

    pairs = [
        (D.HalfNormal(_f64(0.7)), D.HalfNormal(_f64(1.9)),
         stats.halfnorm(0, 0.7), stats.halfnorm(0, 1.9), 0, np.inf),
        (D.Cauchy(_f64(0.3), _f64(0.8)), D.Cauchy(_f64(-1.0), _f64(2.0)),
         stats.cauchy(0.3, 0.8), stats.cauchy(-1.0, 2.0), -np.inf, np.inf),
        (D.Gumbel(_f64(0.3), _f64(0.8)), D.Gumbel(_f64(-1.0), _f64(2.0)),
         stats.gumbel_r(0.3, 0.8), stats.gumbel_r(-1.0, 2.0), -10, 40),  # p's mass inside
    ]
    for p, q, rp, rq, lo, hi in pairs:
        np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), kl_integral(rp, rq, lo, hi),
                                   rtol=1e-6, err_msg=type(p).__name__)
    k = np.arange(400)
    pk, qk = stats.geom(0.3, loc=-1).pmf(k), stats.geom(0.1, loc=-1).pmf(k)
    np.testing.assert_allclose(
        D.kl_divergence(D.Geometric(_f64(0.3)), D.Geometric(_f64(0.1))).numpy(),
        (pk * np.log(pk / qk)).sum(), rtol=1e-10)
    k = np.arange(9)
    pk, qk = stats.binom(8, 0.3).pmf(k), stats.binom(8, 0.6).pmf(k)
    np.testing.assert_allclose(
        D.kl_divergence(D.Binomial(_f64(8.0), _f64(0.3)), D.Binomial(_f64(8.0), _f64(0.6))).numpy(),
        (pk * np.log(pk / qk)).sum(), rtol=1e-10)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(
        D.kl_divergence(D.OneHotCategorical(_f64(p)), D.OneHotCategorical(_f64(q))).numpy(),
        (p * np.log(p / q)).sum())
    with pytest.raises(NotImplementedError, match="different total_count"):
        D.kl_divergence(D.Binomial(_f64(3.0), _f64(0.3)), D.Binomial(_f64(4.0), _f64(0.3)))
