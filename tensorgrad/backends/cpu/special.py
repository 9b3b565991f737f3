"""Special functions numpy lacks, as Numba kernels (scipy is not a runtime dependency):
lgamma (libm's), digamma, polygamma (n >= 1, through the Hurwitz zeta function) and erfinv.

- digamma: the reflection psi(x) = psi(1 - x) - pi / tan(pi x) below 0.5, the recurrence
  psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series in 1/x^2.
- polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x); the Hurwitz zeta by the recurrence
  zeta(s, x) = x^-s + zeta(s, x + 1) up to x >= 10 (valid for negative non-integer x: s is an
  integer), then Euler-Maclaurin with Bernoulli terms (Cephes' zeta.c).
- erfinv: Giles' single-precision approximation, then Newton steps to convergence: on erf, and
  beyond |y| = 0.5 on log erfc (1 - |y| is exact there, and the logarithm keeps Newton fast in
  the tail, where the single-precision start is off by up to 0.7).
Poles give inf / nan as scipy and PyTorch do. Computed in float64, returned in x's dtype.
"""

import math

import numpy as np

from ._jit import njit, prange

__all__ = ["lgamma", "digamma", "polygamma", "erfinv"]

# Euler-Maclaurin coefficients (2k)! / B_2k (Cephes' zeta.c A[])
_ZETA_A = np.array([12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
                    7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
                    -4.5979787224074726105e15, 1.8152105401943546773e17,
                    -7.1661652561756670113e18])


@njit()
def _digamma(x):
    if x <= 0 and math.floor(x) == x:
        return -math.inf if x == 0 else math.nan
    reflect = 0.0
    if x < 0.5:
        reflect = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    z = 1.0 / (x * x)
    series = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (
        1.0 / 132 - z * (691.0 / 32760 - z / 12))))))
    return reflect + shift + math.log(x) - 0.5 / x - series


@njit()
def _hurwitz_zeta(s, x, table):
    if x <= 0 and math.floor(x) == x:
        return math.inf  # a pole: (x + k)^-s is 1/0 at k = -x
    total = 0.0
    while x < 10.0:
        total += x ** -s
        x += 1.0
    w = x
    total += w ** (1.0 - s) / (s - 1.0) + 0.5 * w ** -s
    a = 1.0
    k = 0.0
    term_power = w ** -s
    for i in range(table.size):
        a *= s + k
        term_power /= w
        t = a * term_power / table[i]
        total += t
        if abs(t / total) < 1e-17:
            break
        k += 1.0
        a *= s + k
        term_power /= w
        k += 1.0
    return total


@njit()
def _erfinv(y):
    if y <= -1.0 or y >= 1.0:
        if y == 1.0:
            return math.inf
        if y == -1.0:
            return -math.inf
        return math.nan
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * y
    for _ in range(8):
        slope = 2.0 / math.sqrt(math.pi) * math.exp(-x * x)
        if abs(y) > 0.5:  # Newton on log erfc(|x|) = log(1 - |y|): 1 - |y| is exact there
            sign = 1.0 if y > 0 else -1.0
            tail = math.erfc(sign * x)
            step = -sign * (math.log(tail) - math.log(1.0 - abs(y))) * tail / slope
        else:  # Newton on erf(x) = y
            step = (math.erf(x) - y) / slope
        x -= step
        if abs(step) <= 1e-15 * abs(x):
            break
    return x


@njit(parallel=True)
def _map_lgamma(x, out):
    for i in prange(x.size):
        out[i] = math.lgamma(x[i])


@njit(parallel=True)
def _map_digamma(x, out):
    for i in prange(x.size):
        out[i] = _digamma(x[i])


@njit(parallel=True)
def _map_polygamma(n, x, out, table):
    sign = 1.0 if n % 2 == 1 else -1.0
    factorial = math.gamma(n + 1.0)
    for i in prange(x.size):
        out[i] = sign * factorial * _hurwitz_zeta(n + 1.0, x[i], table)


@njit(parallel=True)
def _map_erfinv(x, out):
    for i in prange(x.size):
        out[i] = _erfinv(x[i])


def _run(kernel, x, n=None):
    """kernel over x's elements in float64, the result in x's dtype and shape."""
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    if n is None:
        kernel(flat, out)
    else:
        kernel(n, flat, out, _ZETA_A)
    return out.reshape(np.shape(x)).astype(x.dtype, copy=False)


def lgamma(x):
    """log |Gamma(x)|."""
    return _run(_map_lgamma, x)


def digamma(x):
    """psi(x) = d/dx log Gamma(x)."""
    return _run(_map_digamma, x)


def polygamma(n: int, x):
    """The n-th derivative of digamma, n >= 1."""
    return _run(_map_polygamma, x, int(n))


def erfinv(x):
    """The inverse of erf on (-1, 1)."""
    return _run(_map_erfinv, x)
