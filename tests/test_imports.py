"""Importing the packages loads no Numba: kernels compile, and numba itself loads, on first use
(issue 7's `import tensorgrad` <= 0.3 s; numba's import alone takes ~0.3 s and ~60 MB)."""

import subprocess
import sys


def test_importing_tensorgrad_and_tensorgrad_nn_loads_no_numba():
    code = ("import sys, tensorgrad, tensorgrad_nn, tensorgrad.utils.checkpoint; "
            "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith('numba.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout
