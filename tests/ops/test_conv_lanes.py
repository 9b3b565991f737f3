"""Convolution chunks on parallel lanes (backends/cpu/_lanes.py): Python threads each running
whole chunks with BLAS single-threaded. The results must not depend on the lanes, BLAS's thread
count must come back as it was, errors must reach the caller, and concurrent or forked callers
must still get right answers."""

import os
import threading

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

import tensorgrad as tg
from tensorgrad.backends.cpu import _lanes
from tensorgrad.backends.cpu import conv as cpu_conv
from tests._concurrent import result_in_forked_child, results_from_two_threads

from .table import ref_conv2d, ref_conv2d_weight, ref_conv_transpose2d


def _blas_threads():
    return [c.num_threads for c in ThreadpoolController().select(user_api="blas").lib_controllers]


def _grads(x, w, padding):
    xt = tg.tensor(x, requires_grad=True)
    wt = tg.tensor(w, requires_grad=True)
    y = tg.conv2d(xt, wt, padding=padding)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(gy))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), gy


@pytest.mark.parametrize("shape, out, k, padding", [
    ((20, 32, 14, 14), 16, 3, 1),  # the stacked grid
    ((60, 8, 14, 14), 6, 5, 0),    # the chunk-wide matrix
])
def test_lanes_give_the_serial_results_and_restore_blas(monkeypatch, shape, out, k, padding):
    monkeypatch.setattr(cpu_conv, "WINOGRAD_MIN_CHANNELS", 1 << 30)  # the grid's lanes
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1], k, k)) * 0.1
    oh = shape[2] + 2 * padding - k + 1
    patch_bytes = shape[0] * shape[1] * k * k * oh * oh * x.itemsize
    assert patch_bytes >= cpu_conv.LANES_MIN_BYTES  # big enough to take lanes
    threads = set()
    from_grid = cpu_conv._from_grid
    both = threading.Barrier(2, timeout=60)  # lanes take chunks as they free up: make sure

    def spy(*args):  # each lane's first chunk waits for the other lane's
        if threading.get_ident() not in threads:
            threads.add(threading.get_ident())
            both.wait()
        return from_grid(*args)

    monkeypatch.setattr(cpu_conv, "_from_grid", spy)
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    before = _blas_threads()
    y, gx, gw, gy = _grads(x, w, padding)
    assert _blas_threads() == before
    assert len(threads) == 2  # the forward's chunks ran on two threads at once
    conf = dict(padding=(padding, padding))
    assert np.allclose(y, ref_conv2d(x, w, **conf))
    assert np.allclose(gx, ref_conv_transpose2d(gy, w, **conf))
    assert np.allclose(gw, ref_conv2d_weight(x, gy, w.shape, (1, 1), conf["padding"], (1, 1), 1))
    monkeypatch.setattr(_lanes, "count", lambda: 1)
    serial = _grads(x, w, padding)
    for a, b in zip((y, gx, gw), serial[:3]):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_failing_chunk_reaches_the_caller_and_frees_the_lanes():
    before = _blas_threads()

    def body(start, stop):
        if start == 2:
            raise ValueError("chunk 2 failed")
        return start

    with pytest.raises(ValueError, match="chunk 2 failed"):
        _lanes.map_chunks(body, [(0, 1), (1, 2), (2, 3), (3, 4)], 2)
    assert _blas_threads() == before
    assert _lanes.map_chunks(lambda a, b: (a, b), [(0, 1), (1, 3), (3, 4)], 2) == [
        (0, 1), (1, 3), (3, 4)]


def test_a_user_limit_on_blas_threads_turns_lanes_off(monkeypatch):
    monkeypatch.setattr(_lanes, "running_elsewhere", lambda: 0)  # no other thread busy
    with threadpool_limits(limits=1, user_api="blas"):
        assert _lanes.count() == 1
    assert _lanes.count() == min(min(_blas_threads()), os.cpu_count())


def test_lanes_that_just_ended_leave_the_next_call_unchecked(monkeypatch):
    if min(_blas_threads()) < 2 or os.cpu_count() < 2:
        pytest.skip("needs BLAS with two threads or more")

    def checked():
        raise AssertionError("checked")

    monkeypatch.setattr(_lanes, "running_elsewhere", checked)
    assert _lanes.map_chunks(lambda a, b: a, [(0, 1), (1, 2)], 2) == [0, 1]
    assert _lanes.count() == min(min(_blas_threads()), os.cpu_count())
    monkeypatch.setattr(_lanes, "_clear_until", 0.0)  # as if they ended long ago
    with pytest.raises(AssertionError, match="checked"):
        _lanes.count()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads Linux's /proc")
def test_a_busy_thread_of_the_process_takes_a_core_from_the_lanes(monkeypatch):
    monkeypatch.setattr(_lanes, "_clear_until", 0.0)  # no lanes just ended: check every call
    stop = threading.Event()
    a = np.ones(1 << 20)

    def spin():  # numpy's loops release the GIL: this thread keeps a core busy
        while not stop.is_set():
            np.sqrt(a, out=a)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        seen = max(_lanes.running_elsewhere() for _ in range(20))
        lanes = min(_lanes.count() for _ in range(20))
    finally:
        stop.set()
        spinner.join()
    assert seen >= 1
    assert lanes <= max(1, os.cpu_count() - 1)


def _big_conv_ok(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 32, 14, 14))
    w = rng.standard_normal((8, 32, 3, 3))
    return bool(np.allclose(tg.conv2d(tg.tensor(x), tg.tensor(w), padding=1).numpy(),
                            ref_conv2d(x, w, padding=(1, 1))))


def test_two_threads_convolving_at_once(monkeypatch):
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    results = results_from_two_threads(_big_conv_ok, 4)
    assert len(results) == 8 and all(results)


def test_a_forked_child_after_the_parent_used_lanes(monkeypatch):
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    assert _big_conv_ok(4)
    assert result_in_forked_child(_big_conv_ok, 5) is True


def test_winograd_chunks_on_lanes_give_the_serial_results(monkeypatch):
    """Winograd's F(2x2, 3x3) passes run their chunks on lanes too: the same results as
    serially, all three passes against the references."""
    from tensorgrad.backends.cpu import winograd

    rng = np.random.default_rng(2)
    x = rng.standard_normal((48, 32, 14, 14))
    w = rng.standard_normal((16, 32, 3, 3)) * 0.1
    assert cpu_conv._uses_winograd(32, 16, 3, 3, (1, 1), (1, 1), 1)
    per_image = winograd.planes_size(32, 49, x.itemsize) * x.itemsize
    assert 48 * per_image >= cpu_conv.WINOGRAD_LANES_MIN_BYTES
    threads = set()
    output_tiles = winograd.output_tiles
    both = [threading.Barrier(2, timeout=60)]

    def spy(*args):
        if threading.get_ident() not in threads:
            threads.add(threading.get_ident())
            if both:
                both[0].wait()
        return output_tiles(*args)

    monkeypatch.setattr(winograd, "output_tiles", spy)
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    monkeypatch.setattr(_lanes, "blas_threads", lambda: 2)
    before = _blas_threads()
    y, gx, gw, gy = _grads(x, w, 1)
    assert _blas_threads() == before
    assert len(threads) == 2
    assert np.allclose(y, ref_conv2d(x, w, padding=(1, 1)))
    assert np.allclose(gx, ref_conv_transpose2d(gy, w, padding=(1, 1)))
    assert np.allclose(gw, ref_conv2d_weight(x, gy, w.shape, (1, 1), (1, 1), (1, 1), 1))
    monkeypatch.setattr(cpu_conv, "_winograd_lanes", lambda *args: 1)  # serial Winograd
    threads.clear()
    both.clear()
    serial = _grads(x, w, 1)
    assert len(threads) == 1
    for a, b in zip((y, gx, gw), serial[:3]):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
