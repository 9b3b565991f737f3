"""tensorgrad against PyTorch CPU, same process, same threads, same dtype (float32), interleaved.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks [--json out.json]
        [--only NAME ...] [--repeats 30] [--rounds 1] [--gpu]

Prints one row per workload: the median time of each library, the ratio tensorgrad / PyTorch,
and tensorgrad's achieved GFLOP/s as a fraction of numpy's float32 GEMM (1024 x 1024) timed in the
same blocks as the workload (median against median; the header gives the best of 10 GEMMs at the
start). PyTorch is optional (pip install -e ".[bench]"); without it only tensorgrad's times
print.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from . import workloads


def gemm_call(n: int = 1024):
    """(a callable running numpy's float32 GEMM of two n x n matrices, its flops)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    b = a.copy()
    out = np.empty_like(a)
    return (lambda: np.matmul(a, b, out=out)), 2 * n ** 3


def gemm_peak_gflops(repeats: int = 10) -> float:
    """The best of `repeats` GEMMs, GFLOP/s: the table's header."""
    fn, flops = gemm_call()
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return flops / min(times) / 1e9


SETTLE_S = 0.3
WARM_S = 0.1


def _samples_interleaved(fns, repeats: int, block: int = 5):
    """Alternate the callables in blocks of `block` calls until each ran `repeats` timed calls;
    the seconds of each call, per callable. Between blocks the process sleeps SETTLE_S: on 2
    cores the worker threads of one library (OpenBLAS, PyTorch's OpenMP) keep spinning for up to
    ~200 ms after it returns, and slowed the other library 2-5x when calls alternated one by one
    (measured; see benchmarks/README.md). After the pause each block first runs untimed calls
    for WARM_S (at least one): with passive OpenMP waiting, the first ~50 ms of work after an
    idle pause ran up to 1.7x slower here (a depthwise step 9.6 instead of 5.8 ms) while the
    sleeping cores woke, and a training loop, which never pauses, does not pay that."""
    samples = [[] for _ in fns]
    while any(fn is not None and len(s) < repeats for fn, s in zip(fns, samples)):
        for fn, s in zip(fns, samples):
            if fn is None or len(s) >= repeats:
                continue
            time.sleep(SETTLE_S)
            start = time.perf_counter()
            fn()
            while time.perf_counter() - start < WARM_S:
                fn()
            for _ in range(block):
                t = time.perf_counter()
                fn()
                s.append(time.perf_counter() - t)
    return samples


def _median_interleaved(fns, repeats: int, block: int = 5):
    """The median seconds of each callable, timed by _samples_interleaved."""
    return [statistics.median(s) if s else None
            for s in _samples_interleaved(fns, repeats, block)]


def _time_to_first_step(cold: bool) -> float:
    """A fresh interpreter: import tensorgrad, build LeNet-5, one training step."""
    env = dict(os.environ)
    if cold:
        import tempfile

        env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="tg-cold-")
    code = ("import time; t=time.perf_counter(); import benchmarks.workloads as w; "
            "step = w.lenet_tg(64)[0]; step(); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def _import_time(module: str) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    best = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        best.append(float(out.stdout.strip()))
    return min(best)


def _peak_rss_mlp() -> float:
    # VmHWM, not ru_maxrss: the latter survives exec, so it would report this parent's peak
    code = ("import benchmarks.workloads as w; step = w.mlp_tg(128, 'sgd')[0]\n"
            "for _ in range(300): step()\n"
            "print([int(l.split()[1]) / 1024 for l in open('/proc/self/status') "
            "if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", help="write the table to this file")
    p.add_argument("--only", nargs="*", help="run only workloads whose name contains these")
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--rounds", type=int, default=1,
                   help="time the whole list this many times, pooling each row's calls")
    p.add_argument("--gpu", action="store_true", help="time the CUDA workloads (real GPU)")
    p.add_argument("--skip-startup", action="store_true", help="skip (g), the fresh-process runs")
    p.add_argument("--library", choices=["both", "tensorgrad", "torch"], default="both",
                   help="time one library alone (one process each, no shared thread pools)")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.repeats < 1:
        p.error("--rounds and --repeats take a positive number")

    torch = workloads.torch_or_none()
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    if torch is not None:
        torch.set_num_threads(threads)
    peak = gemm_peak_gflops()
    device = "cuda" if args.gpu else "cpu"
    print(f"numpy float32 GEMM peak (best of 10 now): {peak:.0f} GFLOP/s; threads {threads}; "
          f"torch {torch.__version__ if torch else 'not installed'}; device {device}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    rows = []
    header = f"{'workload':<44} {'tensorgrad':>11} {'pytorch':>11} {'ratio':>7} {'GFLOP/s':>9} " \
             f"{'of peak':>8}"
    print(header)
    print("-" * len(header))
    # Where a row has a GEMM share, numpy's GEMM is timed in the same blocks (its median against
    # tensorgrad's): the machine's pace drifts ~2x over minutes (README.md).
    gemm, gemm_flops = gemm_call()
    # (h) compares tensorgrad with the seeds' numpy code: no row for --library torch
    specs = [spec for spec in workloads.catalogue(device)
             if (not args.only or any(s in spec.name for s in args.only))
             and (args.library != "torch" or spec.needs_torch)]

    def build(spec):
        """The row's [tensorgrad, PyTorch, numpy GEMM or None] callables and its flops."""
        tg_fn, flops = spec.tg() if args.library != "torch" else (None, 0)
        available = spec.torch is not None and (torch is not None or not spec.needs_torch)
        torch_fn = spec.torch() if available and args.library != "tensorgrad" else None
        if torch_fn is not None and isinstance(torch_fn, tuple):
            torch_fn = torch_fn[0]
        return [tg_fn, torch_fn, gemm if flops and tg_fn else None], flops

    # --rounds: the whole list again and again, each row's samples pooled over the rounds, so
    # that every row is timed across the run's minutes, not in one stretch of them. Each row is
    # built afresh for its turn (the builders are seeded) and dropped after it, as with one
    # round: the process holds one row's arrays and models at a time, not every row's.
    samples = [[[], [], []] for _ in specs]
    for round_ in range(args.rounds):
        for spec, pooled in zip(specs, samples):
            fns, flops = build(spec)
            for pool, new in zip(pooled, _samples_interleaved(fns, spec.repeats or args.repeats)):
                pool.extend(new)
            del fns
            if round_ == args.rounds - 1:
                row = _row(spec, *(statistics.median(s) if s else None for s in pooled),
                           flops, gemm_flops)
                row["calls"] = max(len(s) for s in pooled)  # timed calls of each library
                rows.append(row)
                print(_format(row), flush=True)
        if round_ < args.rounds - 1:
            print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    if not args.skip_startup and not args.only and device == "cpu" and args.library == "both":
        extra = {
            "import tensorgrad (s)": _import_time("tensorgrad"),
            "first LeNet step, warm Numba cache (s)": _time_to_first_step(cold=False),
            "first LeNet step, cold Numba cache (s)": _time_to_first_step(cold=True),
            "peak RSS, MLP training (MiB)": _peak_rss_mlp(),
        }
        if torch is not None:
            extra["import torch (s)"] = _import_time("torch")
        for k, v in extra.items():
            print(f"{k:<44} {v:>11.2f}")
            rows.append({"name": k, "value": v})
    if args.json:
        meta = {"python": platform.python_version(), "numpy": np.__version__,
                "torch": torch.__version__ if torch else None, "threads": threads,
                "gemm_peak_gflops": peak, "rounds": args.rounds,
                "machine": platform.machine(), "device": device,
                "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=2)


def _row(spec, t_tg, t_torch, t_gemm, flops, gemm_flops) -> dict:
    """A table row from the median seconds of tensorgrad, PyTorch and numpy's GEMM."""
    ratio = t_tg / t_torch if t_torch and t_tg else None
    gflops = flops / t_tg / 1e9 if flops and t_tg else None
    row_peak = gemm_flops / t_gemm / 1e9 if t_gemm else None
    row = {"name": spec.name, "tensorgrad_ms": t_tg * 1e3 if t_tg else None, "ratio": ratio,
           "pytorch_ms": t_torch * 1e3 if t_torch else None, "gflops": gflops,
           "gemm_gflops": row_peak,
           "fraction_of_peak": gflops / row_peak if gflops and row_peak else None,
           "unit": spec.unit}
    if spec.unit == "us/op":
        row["tensorgrad_ms"] = t_tg / spec.ops * 1e6 if t_tg else None
        row["pytorch_ms"] = t_torch / spec.ops * 1e6 if t_torch else None
    return row


def _format(row) -> str:
    unit = row["unit"]
    scale = "us" if unit == "us/op" else "ms"
    tg_text = f"{row['tensorgrad_ms']:.3f} {scale}" if row["tensorgrad_ms"] is not None else "-"
    torch_text = f"{row['pytorch_ms']:.3f} {scale}" if row["pytorch_ms"] is not None else "-"
    ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
    gf = f"{row['gflops']:.1f}" if row["gflops"] else "-"
    frac = f"{row['fraction_of_peak'] * 100:.0f}%" if row["fraction_of_peak"] else "-"
    return f"{row['name']:<44} {tg_text:>11} {torch_text:>11} {ratio:>7} {gf:>9} {frac:>8}"


if __name__ == "__main__":
    main()
