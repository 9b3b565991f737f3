"""Random draws on the device: a dropout mask or a randn costs no host<->device copy.

xoroshiro128+ (Blackman and Vigna; the generator numba.cuda.random implements too), written
out here because numba.cuda.random's device functions cannot be compiled to PTX without a
driver, and every kernel here is compiled to PTX in CI. One generator state per thread of a
fixed grid, seeded with SplitMix64 from tensorgrad's seed on the first draw after `manual_seed`
(that is the one host->device copy) and advanced in place by every draw, so one seed
reproduces a run. The streams differ from the CPU generator's: the same seed gives
reproducible, not identical, draws on the two devices.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numba import config, cuda, uint64

from ... import random as tg_random
from .launch import THREADS, launch
from .memory import asarray, empty, flat  # asarray counts the one copy of the states

__all__ = ["random_uniform", "random_normal", "random_bernoulli", "get_state", "set_state",
           "KERNELS"]

# the simulator runs each thread in Python (~65 us apiece): keep its grid to one block
STREAMS = THREADS if config.ENABLE_CUDASIM else 64 * THREADS
UNIFORM, NORMAL, BERNOULLI = range(3)

_states = None


def _reset(_seed) -> None:
    global _states
    _states = None


tg_random.on_seed(_reset)


def get_state() -> np.ndarray:
    """The generator states, copied to the host as bytes (tensorgrad.cuda.get_rng_state)."""
    from .memory import to_host

    return np.ascontiguousarray(to_host(_generator_states())).view(np.uint8).reshape(-1)


def set_state(raw: np.ndarray) -> None:
    """Replace the generator states by get_state's bytes."""
    global _states
    if raw.dtype != np.uint8 or raw.shape != (STREAMS * 16,):
        raise ValueError(f"set_rng_state: expected the uint8 tensor of shape ({STREAMS * 16},) "
                         f"that tensorgrad.cuda.get_rng_state returns, got {raw.dtype} "
                         f"{raw.shape}")
    _states = asarray(np.ascontiguousarray(raw).view(np.uint64).reshape(STREAMS, 2))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _generator_states():
    """(STREAMS, 2) uint64 states on the device, made once per seed."""
    global _states
    if _states is None:
        with np.errstate(over="ignore"):
            base = np.uint64(tg_random.initial_seed() & 0xFFFFFFFFFFFFFFFF) * np.uint64(
                2 * STREAMS)
            counters = base + np.arange(2 * STREAMS, dtype=np.uint64)
            host = _splitmix64(counters).reshape(STREAMS, 2)
        host[(host == 0).all(axis=1)] = 1  # an all-zero state would stay zero
        _states = asarray(host)
    return _states


@cuda.jit(device=True, inline=True)
def _next(states, t):
    """One xoroshiro128+ step of stream t: 64 random bits."""
    s0 = states[t, 0]
    s1 = states[t, 1]
    result = s0 + s1
    s1 ^= s0
    states[t, 0] = ((s0 << uint64(24)) | (s0 >> uint64(40))) ^ s1 ^ (s1 << uint64(16))
    states[t, 1] = (s1 << uint64(37)) | (s1 >> uint64(27))
    return result


@cuda.jit(device=True, inline=True)
def _uniform(states, t):
    """A double in [0, 1) from the top 53 bits."""
    return (_next(states, t) >> uint64(11)) * (1.0 / 9007199254740992.0)


@cuda.jit
def _draw(states, out, kind, a, b):
    """Thread t fills out[t], out[t + streams], ... from its own stream: uniform on [a, b),
    normal with mean a and std b (Box-Muller), or 1 with probability a (else 0)."""
    t = cuda.grid(1)
    streams = states.shape[0]
    if t >= streams:
        return
    for i in range(t, out.size, streams):
        u = _uniform(states, t)
        if kind == NORMAL:
            v = _uniform(states, t)
            out[i] = a + b * math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2 * math.pi * v)
        elif kind == UNIFORM:
            out[i] = a + (b - a) * u
        else:
            out[i] = 1 if u < a else 0


def _sample(shape, kind, a, b, dtype):
    out = empty(shape, dtype)
    if out.size:
        states = _generator_states()
        with warnings.catch_warnings():
            # the simulator runs the wrapping uint64 steps as numpy scalars, in threads of its
            # own, which warn on every overflow (np.errstate would not reach those threads)
            warnings.simplefilter("ignore", RuntimeWarning)
            launch(_draw, STREAMS, states, flat(out), kind, float(a), float(b))
    return out


def random_uniform(gen, shape, low, high, dtype):
    return _sample(shape, UNIFORM, low, high, dtype)


def random_normal(gen, shape, mean, std, dtype):
    return _sample(shape, NORMAL, mean, std, dtype)


def random_bernoulli(gen, shape, p, dtype):
    return _sample(shape, BERNOULLI, p, 0.0, dtype)


KERNELS = {"_draw": _draw}
