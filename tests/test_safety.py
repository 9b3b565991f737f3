"""Safe failure: in-place writes, memory, reproducibility, checkpoint tampering, bad input at the
API edges."""

import gc
import json
import os
import tracemalloc

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn

# ----- in-place safety --------------------------------------------------------------------------


def test_optimizer_step_before_backward_is_caught():
    layer = nn.Linear(3, 2)
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)
    loss = layer(tg.randn(4, 3)).sum()
    layer.weight.grad = tg.ones(2, 3)
    opt.step()  # changes the weight the graph saved
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_writing_into_numpy_view_is_refused():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(ValueError, match="read-only"):
        x.detach().numpy()[0] = 5.0
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    copy = np.array(x.detach())
    copy[0] = 9.0  # an explicit copy is the user's to change
    assert x.detach().numpy()[0] == 1.0


def test_inplace_ops_and_setitem_on_saved_inputs_are_caught():
    for mutate in (lambda t: t.add_(1.0), lambda t: t.__setitem__(0, 3.0),
                   lambda t: t.copy_(tg.zeros(2))):
        a = tg.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1.0
        c = b * b  # Mul saves both inputs
        mutate(b)
        with pytest.raises(RuntimeError, match="modified in place"):
            c.sum().backward()


def test_changing_a_view_of_a_saved_tensor_is_caught():
    """A view of a tensor on the graph changed in place: refused at once while grad mode is on
    (the base's gradient would be wrong), caught at backward when done under no_grad."""
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a * 1.0
    c = b.log()  # Log saves b
    view = b.reshape(4)
    with pytest.raises(RuntimeError, match="add_: this tensor .* is a view of another tensor"):
        view.add_(1.0)
    with tg.no_grad():
        view.add_(1.0)  # shares b's memory and version counter
    with pytest.raises(RuntimeError, match="Log with shape \\(2, 2\\) was modified in place"):
        c.sum().backward()
    e = a.exp()  # saves its output
    with tg.no_grad():
        e.T.mul_(2.0)
    with pytest.raises(RuntimeError, match="output of Exp"):
        e.sum().backward()


# ----- memory -----------------------------------------------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def test_training_memory_stays_flat():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    x = tg.randn(64, 784)
    y = tg.randint(0, 10, (64,))

    def steps(n):
        for _ in range(n):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    steps(200)  # warm-up: allocator pools, optimizer state
    gc.collect()
    before = _rss_mib()
    steps(1800)
    gc.collect()
    grown = _rss_mib() - before
    assert grown < 20, f"RSS grew by {grown:.1f} MiB over 1,800 steps"


def test_no_reference_cycles_keep_graphs_alive():
    def step():
        x = tg.randn(10, requires_grad=True)
        ((x * 2).exp().sum() + x.tanh().mean()).backward()

    step()  # the first call loads the kernels (Numba's module objects are not the tape's)
    gc.collect()
    gc.disable()
    try:
        tracked = len(gc.get_objects())
        for _ in range(50):
            step()
        assert len(gc.get_objects()) - tracked < 500  # freed by reference counting alone
    finally:
        gc.enable()


# ----- reproducibility --------------------------------------------------------------------------


def _short_run(seed):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Dropout(0.3), nn.Flatten(),
                          nn.LazyLinear(3))
    model(tg.zeros(1, 1, 8, 8))
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    data = nn.data.TensorDataset(np.random.default_rng(0).standard_normal((40, 1, 8, 8)).astype(
        np.float32), np.arange(40) % 3)
    losses = []
    for x, y in nn.data.DataLoader(data, batch_size=8, shuffle=True):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_same_seed_gives_bit_identical_training():
    l1, w1 = _short_run(5)
    l2, w2 = _short_run(5)
    l3, _ = _short_run(6)
    assert l1 == l2 and all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert l1 != l3


# ----- checkpoints ------------------------------------------------------------------------------


def _saved(tmp_path):
    path = tmp_path / "ck.safetensors"
    nn.save({"model": nn.Linear(8, 8).state_dict(), "step": 3}, path)
    return path


def test_bit_flip_in_tensor_data_is_detected(tmp_path):
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError, match="corrupted"):
        nn.load(path)


def test_bit_flip_in_header_is_rejected(tmp_path):
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[12] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError):
        nn.load(path)


def _hostile(tmp_path, header: dict, body: bytes = b""):
    raw = json.dumps(header).encode()
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + body)
    return path


def test_hostile_sizes_and_offsets_are_rejected_without_allocating(tmp_path):
    cases = [
        {"w": {"dtype": "F32", "shape": [10 ** 6, 10 ** 6], "data_offsets": [0, 4 * 10 ** 12]}},
        {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16000]}},
        {"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 4]}},
        {"w": {"dtype": "X99", "shape": [1], "data_offsets": [0, 4]}},
    ]
    for header in cases:
        path = _hostile(tmp_path, header, b"\0" * 16)
        tracemalloc.start()
        with pytest.raises(nn.CheckpointError):
            nn.load(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 10 * 2 ** 20, header


def test_wrong_dtype_and_shape_in_state_dict_are_rejected():
    layer = nn.Linear(2, 2)
    sd = layer.state_dict()
    sd["weight"] = tg.tensor(np.ones((2, 2), dtype=np.int32))
    with pytest.raises(KeyError, match="checkpoint dtype int32 vs model float32"):
        layer.load_state_dict(sd)
    sd["weight"] = tg.ones(3, 2)
    with pytest.raises(KeyError, match=r"weight: checkpoint \(3, 2\) vs model \(2, 2\)"):
        layer.load_state_dict(sd)


# ----- bad input at the API edges ---------------------------------------------------------------


def test_api_edge_errors_have_clear_messages():
    F = nn.functional
    with pytest.raises(TypeError, match="class-index targets must be integers"):
        F.cross_entropy(tg.randn(2, 3), tg.tensor([0.5, 1.0]))
    with pytest.raises(IndexError, match="out of range for 3 classes"):
        F.cross_entropy(tg.randn(2, 3), tg.tensor([0, 3]))
    with pytest.raises(ValueError, match="p must be in"):
        F.dropout(tg.ones(3), p=-0.5)
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.0)
    with pytest.raises(tg.ShapeError, match="larger than the padded input"):
        nn.Conv2d(1, 1, 7)(tg.ones(1, 1, 4, 4))
    with pytest.raises(ValueError, match="stride"):
        tg.conv2d(tg.ones(1, 1, 4, 4), tg.ones(1, 1, 2, 2), stride=0)
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.Adam([])
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        nn.Embedding(3, 2)(tg.tensor([0.5]))
