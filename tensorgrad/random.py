"""Seeding: one numpy Generator per device, reset by manual_seed, so one seed reproduces a run."""

import numpy as np

_generators: dict[str, np.random.Generator] = {"cpu": np.random.default_rng(0)}
_seed = 0


def manual_seed(seed: int) -> None:
    """Seed every generator tensorgrad uses (factories, dropout, init, data shuffling)."""
    global _seed
    _seed = int(seed)
    _generators.clear()
    _generators["cpu"] = np.random.default_rng(_seed)
    for hook in _seed_hooks:
        hook(_seed)


def initial_seed() -> int:
    return _seed


def generator(device: str = "cpu") -> np.random.Generator:
    """The host generator; device backends draw their own streams seeded from initial_seed()."""
    return _generators["cpu"]


_seed_hooks: list = []


def on_seed(hook) -> None:
    """Register a callable run with the new seed on every manual_seed (a CUDA backend uses it)."""
    _seed_hooks.append(hook)
