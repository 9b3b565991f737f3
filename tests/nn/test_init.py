"""Initializers: their laws checked on large draws against the formulas (and scipy's
distributions), the deterministic ones exactly, and reproducibility under manual_seed."""

import math

import numpy as np
import pytest
from scipy import stats

import tensorgrad as tg
import tensorgrad_nn as nn

init = nn.init


def _draw(fn, *shape, **kw):
    t = tg.empty(*shape, dtype=tg.float64)
    out = fn(t, **kw)
    assert out is t
    return t.numpy()


def test_fans_and_gains():
    assert init.fan_in_and_fan_out(tg.empty(8, 3, 5, 5)) == (3 * 25, 8 * 25)
    assert init.fan_in_and_fan_out(tg.empty(7, 4)) == (4, 7)
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


def test_glorot_and_he_laws():
    tg.manual_seed(0)
    fan_in, fan_out = 300, 200
    a = math.sqrt(6 / (fan_in + fan_out))
    w = _draw(init.xavier_uniform_, fan_out, fan_in)
    assert np.abs(w).max() <= a and stats.kstest(w.ravel(), "uniform", (-a, 2 * a)).pvalue > 1e-3
    w = _draw(init.xavier_normal_, fan_out, fan_in)
    assert stats.kstest(w.ravel(), "norm", (0, math.sqrt(2 / (fan_in + fan_out)))).pvalue > 1e-3
    w = _draw(init.kaiming_normal_, fan_out, fan_in, nonlinearity="relu")
    assert stats.kstest(w.ravel(), "norm", (0, math.sqrt(2 / fan_in))).pvalue > 1e-3
    w = _draw(init.kaiming_uniform_, fan_out, fan_in, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(6 / fan_out)
    assert stats.kstest(w.ravel(), "uniform", (-bound, 2 * bound)).pvalue > 1e-3


def test_truncated_normal_is_the_truncated_law():
    tg.manual_seed(1)
    w = _draw(init.trunc_normal_, 20000, mean=1.0, std=2.0, a=-1.0, b=2.0)
    assert w.min() >= -1.0 and w.max() <= 2.0
    law = stats.truncnorm((-1 - 1) / 2, (2 - 1) / 2, loc=1, scale=2)
    assert stats.kstest(w, law.cdf).pvalue > 1e-3
    with pytest.raises(ValueError, match="choose bounds nearer the mean"):
        init.trunc_normal_(tg.empty(3), a=10.0, b=11.0)


def test_orthogonal_eye_dirac_sparse():
    w = _draw(init.orthogonal_, 3, 5)
    assert np.allclose(w @ w.T, np.eye(3))
    w = _draw(init.orthogonal_, 6, 2, 2, gain=2.0).reshape(6, 4)
    assert np.allclose(w.T @ w, 4 * np.eye(4))
    assert np.array_equal(_draw(init.eye_, 3, 4), np.eye(3, 4))
    kernel = tg.empty(4, 2, 3, 3)
    init.dirac_(kernel)
    x = tg.randn(1, 2, 5, 5)
    out = tg.conv2d(x, kernel, padding=1).numpy()
    assert np.allclose(out[0, :2], x.numpy()[0]) and np.all(out[0, 2:] == 0)
    w = _draw(init.sparse_, 10, 4, sparsity=0.3)
    assert np.array_equal((w == 0).sum(0), [3, 3, 3, 3])


def test_manual_seed_reproduces_a_model():
    tg.manual_seed(7)
    a = nn.Sequential(nn.Linear(4, 3), nn.Conv2d(1, 2, 3))
    tg.manual_seed(7)
    b = nn.Sequential(nn.Linear(4, 3), nn.Conv2d(1, 2, 3))
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), name
