"""Run test work from two threads at once, or in a forked child process (shared by the
concurrency tests)."""

import multiprocessing as mp
import threading


def results_from_two_threads(work, runs):
    """[work(seed) for each of `runs` seeds per thread], from two threads at once; fails if a
    thread is still running after two minutes."""
    results = []

    def worker(seed):
        for k in range(runs):
            results.append(work(seed * 100 + k))

    threads = [threading.Thread(target=worker, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _child(queue, work, seed):
    queue.put(work(seed))


def result_in_forked_child(work, seed):
    """work(seed) in a forked child process; fails if the child hangs or dies."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, work, seed))
    proc.start()
    proc.join(timeout=120)
    alive = proc.is_alive()
    if alive:
        proc.kill()
    assert not alive, "the forked child hung"
    assert proc.exitcode == 0
    return queue.get(timeout=5)
