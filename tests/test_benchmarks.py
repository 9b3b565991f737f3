"""The benchmark harness as a user runs it (python -m benchmarks): the table's rows, their GEMM
share against the GEMM timed beside them, and --rounds pooling every round's calls. Times
themselves are never asserted (speed goals live in benchmarks/README.md)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rounds_pool_calls_and_the_gemm_share_uses_the_gemm_timed_beside_the_row(tmp_path):
    out = tmp_path / "table.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "per-op", "b128 SGD", "--repeats", "5",
         "--rounds", "2", "--library", "tensorgrad", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "round 1 of 2 done" in run.stdout
    table = json.loads(out.read_text())
    assert table["meta"]["rounds"] == 2
    rows = {row["name"]: row for row in table["rows"]}
    assert sorted(rows) == ["(a) MLP 784-200-10 b128 SGD step",
                            "(f) per-op overhead, 100 tiny ops fwd+bwd"]
    for row in rows.values():
        assert row["calls"] == 2 * 5  # two rounds of one block of five
        assert row["tensorgrad_ms"] > 0 and row["pytorch_ms"] is None
    mlp = rows["(a) MLP 784-200-10 b128 SGD step"]
    assert mlp["gemm_gflops"] > 0
    assert mlp["fraction_of_peak"] == pytest.approx(mlp["gflops"] / mlp["gemm_gflops"])
    per_op = rows["(f) per-op overhead, 100 tiny ops fwd+bwd"]
    assert per_op["gemm_gflops"] is None and per_op["fraction_of_peak"] is None
