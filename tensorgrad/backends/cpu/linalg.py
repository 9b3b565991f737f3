"""Matrix products on the CPU: numpy's matmul (BLAS), batched and broadcast."""

import numpy as np

__all__ = ["matmul"]

matmul = np.matmul
