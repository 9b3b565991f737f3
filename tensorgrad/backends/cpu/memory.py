"""Making and moving CPU arrays."""

import numpy as np

__all__ = ["asarray", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "to_host",
           "copy", "random_uniform", "random_normal", "random_integers", "random_bernoulli"]

asarray = np.asarray
zeros = np.zeros
ones = np.ones
full = np.full
empty = np.empty
arange = np.arange
linspace = np.linspace
eye = np.eye


def to_host(x):
    return x


def copy(x):
    return np.array(x, copy=True)


def random_uniform(gen, shape, low, high, dtype):
    return gen.uniform(low, high, size=shape).astype(dtype, copy=False)


def random_normal(gen, shape, mean, std, dtype):
    if np.dtype(dtype) in (np.float32, np.float64):
        out = gen.standard_normal(size=shape, dtype=dtype)
    else:
        out = gen.standard_normal(size=shape).astype(dtype)
    if std != 1:
        out *= std
    if mean != 0:
        out += mean
    return out


def random_integers(gen, low, high, shape, dtype):
    return gen.integers(low, high, size=shape, dtype=dtype)


def random_bernoulli(gen, shape, p, dtype):
    """1 with probability p, else 0."""
    return (gen.random(size=shape, dtype=np.float32) < p).astype(dtype)
