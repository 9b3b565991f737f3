import os

# Both libraries run in this one process. PyTorch's OpenMP runtime busy-waits by default, and
# with it loaded first tensorgrad's Numba kernels ran 7x slower on 2 cores (32 vs 4.6 ms for one
# conv): one wait policy for both, set before either runtime loads. Override it in the
# environment to measure otherwise (and see --library for one library per process).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from .run import main  # noqa: E402

main()
