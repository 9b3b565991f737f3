"""Checkpoints: safetensors, atomic, never pickle; round trips give bit-identical training."""

import os
import pathlib

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn


def _model():
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(4),
                         nn.BatchNorm1d(4))


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        x = tg.tensor(rng.standard_normal((8, 1, 6, 6)).astype(np.float32))
        y = tg.tensor(rng.integers(0, 4, 8))
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_round_trip_gives_bit_identical_continued_training(tmp_path):
    tg.manual_seed(0)
    a = _model()
    a(tg.zeros(2, 1, 6, 6))  # materialise the lazy layers (BatchNorm needs 2 samples)
    opt_a = nn.optim.Adam(a.parameters(), lr=0.01)
    _train(a, opt_a, 3, seed=1)
    path = tmp_path / "ck.safetensors"
    nn.save({"model": a.state_dict(), "optimizer": opt_a.state_dict(), "epoch": 3}, path)

    b = _model()
    opt_b = nn.optim.Adam(b.parameters(), lr=0.01)
    ck = nn.load(path)
    b.load_state_dict(ck["model"])
    opt_b.load_state_dict(ck["optimizer"])
    assert ck["epoch"] == 3
    la = _train(a, opt_a, 3, seed=2)
    lb = _train(b, opt_b, 3, seed=2)
    assert la == lb
    for (n, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert np.array_equal(p.numpy(), q.numpy()), n


def test_flat_state_dict_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file

    m = nn.Linear(3, 2)
    nn.save(m.state_dict(), tmp_path / "m.safetensors")
    raw = load_file(str(tmp_path / "m.safetensors"))
    assert set(raw) == {"weight", "bias"} and raw["weight"].shape == (2, 3)
    assert set(nn.load(tmp_path / "m.safetensors")) == {"weight", "bias"}


def test_no_pickle_in_the_package():
    root = pathlib.Path(nn.__file__).parent.parent
    for pkg in ("tensorgrad", "tensorgrad_nn"):
        for path in (root / pkg).rglob("*.py"):
            text = path.read_text()
            assert "import pickle" not in text and "torch.load" not in text, path


def test_truncated_and_garbage_files_are_rejected(tmp_path):
    path = tmp_path / "ck.safetensors"
    nn.save(nn.Linear(4, 4).state_dict(), path)
    data = path.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) - 10])
    with pytest.raises(nn.CheckpointError):
        nn.load(tmp_path / "trunc.safetensors")
    (tmp_path / "short.safetensors").write_bytes(b"abc")
    with pytest.raises(nn.CheckpointError, match="too short"):
        nn.load(tmp_path / "short.safetensors")
    huge = (10 ** 15).to_bytes(8, "little") + b"{}"
    (tmp_path / "huge.safetensors").write_bytes(huge)
    with pytest.raises(nn.CheckpointError, match="declares"):
        nn.load(tmp_path / "huge.safetensors")


def test_interrupted_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ck.safetensors"
    m = nn.Linear(3, 3)
    nn.save(m.state_dict(), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.Linear(3, 3).state_dict(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.safetensors"]


def test_saving_a_module_itself_says_to_save_its_state(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"cannot store a Sequential .* save its state_dict\(\) "
                                        r"instead, and restore it with "
                                        r"sequential.load_state_dict\(load\(path\)\)"):
        nn.save(model, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()
