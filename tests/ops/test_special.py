"""Special functions against scipy.special (values to ~1e-14, poles included), their gradients
against the next function of the family, and central differences to second order."""

import numpy as np
import pytest
from scipy import special as S

import tensorgrad as tg
from tensorgrad.testing import gradcheck, gradgradcheck

GRID = np.concatenate([np.linspace(-7.3, -0.05, 37), np.linspace(0.01, 40, 211),
                       [1e-8, 1e3, 1e6]])
GRID = GRID[np.abs(GRID - np.round(GRID)) > 1e-9]  # off the poles


def _f64(values):
    return tg.tensor(np.asarray(values, dtype=np.float64))


def _close(got, want, rtol):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_match_scipy(dtype):
    x = GRID.astype(dtype)
    rtol = 1e-13 if dtype == np.float64 else 2e-6
    t = tg.tensor(x)
    for got, want in ((tg.lgamma(t), S.gammaln(x)), (tg.digamma(t), S.digamma(x)),
                      (tg.polygamma(1, t), S.polygamma(1, x)),
                      (tg.polygamma(3, t), S.polygamma(3, x))):
        assert got.dtype == dtype
        scale = np.maximum(1, np.abs(want))
        assert np.max(np.abs(got.numpy() - want) / scale) < rtol
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 401), [1 - 1e-12, -1 + 2 ** -53]])
    y = y.astype(dtype)
    _close(tg.erfinv(tg.tensor(y)).numpy(), S.erfinv(y), 1e-13 if dtype == np.float64 else 1e-5)


def test_poles_and_edges_as_scipy():
    edges = np.array([0.0, -1.0, -2.0])
    np.testing.assert_array_equal(tg.digamma(tg.tensor(edges)).numpy(), S.digamma(edges))
    np.testing.assert_array_equal(tg.lgamma(tg.tensor(edges)).numpy(), S.gammaln(edges))
    for n in (1, 2):
        np.testing.assert_array_equal(tg.polygamma(n, tg.tensor(edges)).numpy(),
                                      S.polygamma(n, edges))
    ends = np.array([1.0, -1.0, 1.5])
    np.testing.assert_array_equal(tg.erfinv(tg.tensor(ends)).numpy(), S.erfinv(ends))
    np.testing.assert_allclose(tg.polygamma(0, _f64([2.5])).numpy(), S.digamma([2.5]), rtol=1e-13)
    with pytest.raises(ValueError, match="non-negative integer"):
        tg.polygamma(-1, tg.ones(2))


def test_gradients_are_the_next_function_and_differentiate_again():
    x = np.array([0.3, 2.5, -1.7, 7.0])
    t = tg.tensor(x, requires_grad=True)
    for f, derivative in ((tg.lgamma, S.digamma(x)), (tg.digamma, S.polygamma(1, x)),
                          (lambda u: tg.polygamma(2, u), S.polygamma(3, x))):
        (g,) = tg.autograd.grad(f(t).sum(), [t])
        np.testing.assert_allclose(g.numpy(), derivative, rtol=1e-12)
    y = np.array([0.1, -0.9, 0.99])
    u = tg.tensor(y, requires_grad=True)
    (g,) = tg.autograd.grad(tg.erfinv(u).sum(), [u])
    np.testing.assert_allclose(g.numpy(), np.sqrt(np.pi) / 2 * np.exp(S.erfinv(y) ** 2),
                               rtol=1e-12)
    for f in (tg.lgamma, tg.digamma, lambda u: tg.polygamma(1, u)):
        assert gradcheck(f, tg.tensor(x)) and gradgradcheck(f, tg.tensor(x))
    assert gradgradcheck(tg.erfinv, tg.tensor([0.1, -0.9, 0.6]))


def test_the_special_namespace_matches_scipy():
    sp = tg.special
    x = np.linspace(-3, 3, 13)
    p = np.linspace(0.01, 0.99, 9)
    cases = [
        (sp.erfc(tg.tensor(x)), S.erfc(x)), (sp.ndtr(tg.tensor(x)), S.ndtr(x)),
        (sp.ndtri(tg.tensor(p)), S.ndtri(p)), (sp.log_ndtr(tg.tensor(x)), S.log_ndtr(x)),
        (sp.multigammaln(_f64([2.5, 4.0]), 3), S.multigammaln(np.array([2.5, 4.0]), 3)),
        (sp.xlog1py(_f64([0.0, 2.0, 1.5]), _f64([-1.0, 1.0, 0.5])),
         S.xlog1py([0.0, 2.0, 1.5], [-1.0, 1.0, 0.5])),
        (sp.entr(_f64([0.0, 0.5, 2.0, -1.0])), S.entr([0.0, 0.5, 2.0, -1.0])),
        (sp.sinc(tg.tensor(x)), np.sinc(x)), (sp.gammaln(tg.tensor(p)), S.gammaln(p)),
        (sp.psi(tg.tensor(p)), S.psi(p)), (sp.expit(tg.tensor(x)), S.expit(x)),
    ]
    for got, want in cases:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
