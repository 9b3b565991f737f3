"""The three passes of each (d) convolution timed one by one: the CPU backend's forward, input
gradient and weight gradient against PyTorch's (aten.convolution_backward), same process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.conv_passes [--repeats 30]

Where a conv workload misses its target this tells which pass loses, and by how much. The
package's __init__ sets OMP_WAIT_POLICY=passive first, as for python -m benchmarks.
"""

from __future__ import annotations

import argparse
import os

from tensorgrad.backends.cpu import conv

from .run import _median_interleaved
from .workloads import CONV_SHAPES, _data, torch_or_none


def passes(shape, out, groups):
    """{pass name: (tensorgrad callable, PyTorch callable or None)} for a 3x3 pad-1 conv."""
    x = _data(*shape)
    w = _data(out, shape[1] // groups, 3, 3, seed=2) * 0.1
    one = (1, 1)
    gy = _data(*conv.conv2d(x, w, one, one, one, groups).shape, seed=3)
    ours = {
        "forward": lambda: conv.conv2d(x, w, one, one, one, groups),
        "input grad": lambda: conv.conv_transpose2d(gy, w, one, one, (0, 0), one, groups),
        "weight grad": lambda: conv.conv2d_weight(x, gy, w.shape, one, one, one, groups),
    }
    torch = torch_or_none()
    if torch is None:
        return {k: (f, None) for k, f in ours.items()}
    xt, wt, gyt = torch.tensor(x), torch.tensor(w), torch.tensor(gy)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            gyt, xt, wt, None, [1, 1], [1, 1], [1, 1], False, [0, 0], groups, mask)

    theirs = {
        "forward": lambda: torch.nn.functional.conv2d(xt, wt, padding=1, groups=groups),
        "input grad": backward([True, False, False]),
        "weight grad": backward([False, True, False]),
    }
    return {k: (ours[k], theirs[k]) for k in ours}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args(argv)
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
    print(f"{'conv':<12} {'pass':<12} {'tensorgrad':>11} {'pytorch':>11} {'ratio':>7}")
    for name, shape, out, groups in CONV_SHAPES:
        for pass_name, (ours, theirs) in passes(shape, out, groups).items():
            repeats = max(5, args.repeats // 3) if name == "64ch-56" else args.repeats
            t_ours, t_theirs = _median_interleaved([ours, theirs], repeats)
            ratio = f"{t_ours / t_theirs:.2f}" if t_theirs else "-"
            theirs_text = f"{t_theirs * 1e3:.2f} ms" if t_theirs else "-"
            print(f"{name:<12} {pass_name:<12} {t_ours * 1e3:>8.2f} ms {theirs_text:>11} "
                  f"{ratio:>7}", flush=True)


if __name__ == "__main__":
    main()
