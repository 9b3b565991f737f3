"""Random draws (normal, bernoulli, multinomial) against their laws, with scipy's tests at a
significance that a correct sampler fails once in 10^4 runs (fixed seeds: deterministic), and
the factories logspace and empty_like against numpy."""

import numpy as np
import pytest
from scipy import stats

import tensorgrad as tg

ALPHA = 1e-4


def test_normal_follows_its_mean_and_std_in_every_form():
    tg.manual_seed(0)
    draws = tg.normal(2.0, 3.0, size=(20000,))
    assert draws.dtype == np.float32 and draws.shape == (20000,)
    assert stats.kstest(draws.numpy(), stats.norm(2.0, 3.0).cdf).pvalue > ALPHA
    mean = tg.tensor([[-5.0], [5.0]], dtype=tg.float64)
    std = tg.tensor([0.5, 1.0, 2.0, 4.0] * 2500, dtype=tg.float64)
    out = tg.normal(mean, std)  # broadcast: (2, 10000)
    assert out.shape == (2, 10000) and out.dtype == np.float64 and not out.requires_grad
    z = (out.numpy() - mean.numpy()) / std.numpy()
    assert stats.kstest(z.ravel(), stats.norm().cdf).pvalue > ALPHA
    tg.manual_seed(1)
    a = tg.normal(0.0, 1.0, (5,)).numpy()
    tg.manual_seed(1)
    np.testing.assert_array_equal(a, tg.normal(0.0, 1.0, (5,)).numpy())
    with pytest.raises(ValueError, match="std must be non-negative"):
        tg.normal(0.0, -1.0, (2,))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        tg.normal(tg.zeros(3), tg.ones(4))


def test_bernoulli_frequencies_match_the_probabilities():
    tg.manual_seed(2)
    p = tg.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).reshape(5, 1).expand(5, 4000)
    draws = tg.bernoulli(p)
    assert draws.dtype == np.float32 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    counts = draws.numpy().sum(1)
    assert counts[0] == 0 and counts[4] == 4000
    for k, q in ((1, 0.1), (2, 0.5), (3, 0.9)):
        assert stats.binomtest(int(counts[k]), 4000, q).pvalue > ALPHA
    assert 0 < tg.zeros(4000).bernoulli(0.3).numpy().mean() < 1
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tg.bernoulli(tg.tensor([1.5]))


def test_multinomial_with_and_without_replacement():
    tg.manual_seed(3)
    weights = tg.tensor([[1.0, 2.0, 7.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    draws = tg.multinomial(weights, 5000, replacement=True)
    assert draws.shape == (2, 5000) and draws.dtype == np.int64
    counts = np.bincount(draws.numpy()[0], minlength=4)
    assert counts[3] == 0
    assert stats.chisquare(counts[:3], 5000 * np.array([0.1, 0.2, 0.7])).pvalue > ALPHA
    assert set(np.unique(draws.numpy()[1])) == {2, 3}
    no_repeat = tg.tensor([1.0, 1.0, 1.0, 1.0, 1.0]).multinomial(5)
    assert sorted(no_repeat.tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="without replacement from 2 categories"):
        tg.multinomial(weights, 3)
    with pytest.raises(ValueError, match="non-negative"):
        tg.multinomial(tg.tensor([1.0, -1.0]), 1)


def test_logspace_and_empty_like():
    np.testing.assert_allclose(tg.logspace(0, 3, 4).numpy(), [1, 10, 100, 1000], rtol=1e-6)
    np.testing.assert_allclose(tg.logspace(0, 3, 4, base=2.0, dtype=tg.float64).numpy(),
                               [1, 2, 4, 8])
    e = tg.empty_like(tg.zeros(2, 3, dtype=tg.float64))
    assert e.shape == (2, 3) and e.dtype == np.float64
