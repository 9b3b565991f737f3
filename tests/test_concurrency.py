"""Numba kernels under concurrency: two Python threads at once, and a forked worker process after
the parent already ran parallel kernels (GNU OpenMP hangs there unless the child runs serial
kernels)."""

import numpy as np

import tensorgrad as tg
from tests._concurrent import result_in_forked_child, results_from_two_threads
from tests.ops.table import ref_conv2d, ref_max_pool2d


def _work(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 9, 9))
    w = rng.standard_normal((4, 3, 3, 3))
    y = tg.conv2d(tg.tensor(x), tg.tensor(w), padding=1).numpy()
    p = tg.max_pool2d(tg.tensor(x), 3, 2, 1).numpy()
    ok = np.allclose(y, ref_conv2d(x, w, padding=(1, 1)))
    ok &= np.allclose(p, ref_max_pool2d(x, (3, 3), (2, 2), (1, 1)))
    return bool(ok)


def test_kernels_from_two_threads_at_once():
    _work(0)  # compile first
    results = results_from_two_threads(_work, 20)
    assert len(results) == 40 and all(results)


def test_kernels_in_a_forked_worker_after_the_parent_ran_them():
    assert _work(3)  # the parent runs parallel kernels first
    assert result_in_forked_child(_work, 7) is True
