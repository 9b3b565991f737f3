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


_STATE_BYTES = 40  # PCG64's 128-bit state and increment, then has_uint32 and uinteger


def get_rng_state():
    """The CPU generator's state as a uint8 tensor (torch.get_rng_state): what set_rng_state
    takes to replay the same draws. The 40 bytes are PCG64's state, increment and cached
    32-bit half, little-endian."""
    from .creation import tensor

    state = _generators["cpu"].bit_generator.state
    if state.get("bit_generator") != "PCG64":  # pragma: no cover - default_rng is PCG64
        raise RuntimeError(f"get_rng_state: unexpected generator {state.get('bit_generator')}")
    raw = (state["state"]["state"].to_bytes(16, "little")
           + state["state"]["inc"].to_bytes(16, "little")
           + int(state["has_uint32"]).to_bytes(4, "little")
           + int(state["uinteger"]).to_bytes(4, "little"))
    return tensor(np.frombuffer(raw, dtype=np.uint8).copy())


def set_rng_state(new_state) -> None:
    """Restore the CPU generator's state from get_rng_state's tensor (torch.set_rng_state)."""
    raw = np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state)
    if raw.dtype != np.uint8 or raw.shape != (_STATE_BYTES,):
        raise ValueError(f"set_rng_state: expected the uint8 tensor of shape ({_STATE_BYTES},) "
                         f"that get_rng_state returns, got {raw.dtype} {raw.shape}")
    raw = raw.tobytes()
    _generators["cpu"].bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": int.from_bytes(raw[:16], "little"),
                  "inc": int.from_bytes(raw[16:32], "little")},
        "has_uint32": int.from_bytes(raw[32:36], "little"),
        "uinteger": int.from_bytes(raw[36:40], "little"),
    }


_seed_hooks: list = []


def on_seed(hook) -> None:
    """Register a callable run with the new seed on every manual_seed (a CUDA backend uses it)."""
    _seed_hooks.append(hook)
