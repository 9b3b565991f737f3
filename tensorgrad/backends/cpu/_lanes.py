"""Chunks of a convolution on parallel lanes: Python threads that each run whole chunks (patch
copy, GEMM, copy out) with numpy's BLAS single-threaded, instead of one chunk at a time with a
multi-threaded GEMM between serial copies.

Measured on 2 cores, (64,32,14,14)->64 3x3 (a prototype, alone): forward 3.4 -> 2.9 ms, input
gradient 3.35 -> 2.8, weight gradient 3.85 -> 3.1; the three passes in conv.py, alternating
processes, 11.5 -> 9.1-10.2 ms, and (32,64,56,56)->64 153 -> 132-146 ms. The copies run on every
core instead of one, each core's chunk stays in its own cache from the copy to the GEMM, and no
GEMM waits for BLAS's threads to wake. (Numba parallel copies between BLAS calls lost instead:
handing the cores from one thread pool to the other cost more than the copies.)

numpy's BLAS thread count decides the lanes, so a user who limits BLAS (OPENBLAS_NUM_THREADS=1,
threadpoolctl) limits this too. While lanes run, BLAS is set to one thread for the whole process
(it is a process-wide setting) and restored after; one convolution at a time takes lanes, a
concurrent one runs its chunks serially. BLAS is found through threadpoolctl; where it finds
none, chunks run serially. Lanes also give way to other threads of the process that are busy
(running_elsewhere), OpenBLAS's spinning workers first of all.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

_CORES = os.cpu_count() or 1  # os.cpu_count() takes 6 us
_busy = threading.Lock()
_blas = None  # threadpoolctl's controllers of the loaded BLAS libraries, found on first use
_pool = None


_lane_ids: set = set()  # native ids of the pool's threads: not "other" busy threads


def _register_lane() -> None:
    _lane_ids.add(str(threading.get_native_id()))


def _reset_after_fork() -> None:
    global _busy, _pool
    _busy = threading.Lock()
    _pool = None  # the parent's worker threads do not exist in the child
    _lane_ids.clear()


os.register_at_fork(after_in_child=_reset_after_fork)


def _controllers():
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # no threadpoolctl, or a platform it cannot inspect: serial chunks
            _blas = []
    return _blas


def _running(tids) -> list:
    """Those of the threads (their ids in /proc/self/task) that are running or runnable now."""
    running = []
    for tid in tids:
        try:  # os.read: 8 against 13 us for open().read()
            fd = os.open(f"/proc/self/task/{tid}/stat", os.O_RDONLY)
            try:
                stat = os.read(fd, 4096)
            finally:
                os.close(fd)
        except OSError:  # the thread ended
            continue
        end = stat.rfind(b")")  # the state follows the command name, which may hold spaces
        if stat[end + 2:end + 3] == b"R":
            running.append(tid)
    return running


def running_elsewhere() -> int:
    """How many other threads of this process keep a core busy now (Linux's /proc; 0 where
    there is none). After a multi-threaded call OpenBLAS's worker threads spin for ~0.1 s
    waiting for more work: lanes started beside them shared their cores with the spinners, and a
    CNN training step (convolutions next to Linear layers' GEMMs) took 70-97 ms with lanes
    against 60-63 ms without. A thread counts only if it still runs 0.1 ms after it was first
    seen: a Numba worker just done with its share of a kernel is asleep by then (counted, it
    sent the convolutions after a ReLU to the serial path, whose multi-threaded GEMMs then
    kept OpenBLAS's workers spinning for the rest of the step). ~20 us where no thread runs."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0
    me = str(threading.get_native_id())
    running = _running([t for t in tasks if t != me and t not in _lane_ids])
    if running:  # a sleep would take 0.13-0.18 ms here: wait on the clock instead
        until = time.perf_counter() + 1e-4
        while time.perf_counter() < until:
            pass
        running = _running(running)
    return len(running)


# Lanes that ended less than this long ago leave the cores to the next call unchecked: the check
# (~30 us alone, 80 us on average between a convolution's passes) cost 3% of the (64,32,14,14)
# passes (9.17 -> 9.44 ms). A multi-threaded GEMM squeezed into that gap goes unseen for one call.
RECHECK_AFTER = 2e-3
_clear_until = 0.0


def blas_threads() -> int:
    """The BLAS libraries' thread count (the least of them; 1 without BLAS control)."""
    blas = _controllers()
    return min(c.num_threads for c in blas) if blas else 1


def count() -> int:
    """How many lanes a convolution may use now: the BLAS libraries' thread count (the least of
    them where several are loaded; 1 without BLAS control), and no more than the cores that no
    other thread of this process is running on."""
    blas = _controllers()
    if not blas:
        return 1
    lanes = min(min(c.num_threads for c in blas), _CORES)
    if lanes < 2 or time.perf_counter() < _clear_until:
        return lanes
    return max(1, min(lanes, _CORES - running_elsewhere()))


def map_chunks(body, bounds, lanes):
    """[body(start, stop) for (start, stop) in bounds] on `lanes` threads (the caller's is one),
    BLAS single-threaded, each lane taking the next chunk when it is done with one (dealt
    round-robin instead, a lane on a slower core held the call back: the 56x56 passes
    141-158 against 151-170 ms in four alternating pairs); serially where lanes < 2, there is
    one chunk, or another call holds the lanes."""
    lanes = min(lanes, len(bounds))
    if lanes < 2 or not _busy.acquire(blocking=False):
        return [body(start, stop) for start, stop in bounds]
    try:
        global _pool
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, _CORES - 1),
                                       thread_name_prefix="tensorgrad-lane",
                                       initializer=_register_lane)
        results = [None] * len(bounds)
        order = iter(range(len(bounds)))
        take = threading.Lock()

        def lane(_):
            while True:
                with take:
                    j = next(order, None)
                if j is None:
                    return
                results[j] = body(*bounds[j])

        blas = _controllers()
        previous = [c.num_threads for c in blas]
        for c in blas:
            c.set_num_threads(1)
        try:
            others = [_pool.submit(lane, i) for i in range(1, lanes)]
            try:
                lane(0)
            finally:
                wait(others)
            for f in others:
                f.result()  # a lane's error
        finally:
            for c, n in zip(blas, previous):
                c.set_num_threads(n)
        global _clear_until
        _clear_until = time.perf_counter() + RECHECK_AFTER
        return results
    finally:
        _busy.release()
