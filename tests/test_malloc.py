"""tensorgrad keeps freed array memory for the next step (tensorgrad/_malloc.py): a loop that
allocates and frees the same large arrays stops page-faulting them back in from the OS."""

import os
import subprocess
import sys

import pytest

LOOP = """
import resource, numpy as np, tensorgrad
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(25):
    if i == 5:
        start = faults()
    arrays = [np.ones(2 ** 21, np.float32) for _ in range(3)]  # 3 x 8 MB, as a step's activations
    del arrays
print(tensorgrad._malloc.tuned, faults() - start)
"""


def _run(**env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    full_env.update(env)
    out = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True,
                         env=full_env, check=True)
    tuned, faults = out.stdout.split()
    return tuned == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_freed_arrays_are_reused_without_page_faults():
    tuned, faults = _run()
    assert tuned
    untuned, faults_untuned = _run(TENSORGRAD_MALLOC_TUNING="0")
    assert not untuned
    # 20 rounds of 24 MB: glibc's defaults trim the heap and fault every page back in (about
    # 30,000 faults measured here); tuned, the same memory is reused
    assert faults < 100 < faults_untuned, (faults, faults_untuned)
