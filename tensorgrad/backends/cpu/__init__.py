"""CPU kernels: numpy for elementwise, reductions, shapes and GEMM; Numba for conv and pooling.

Numba is imported only when a Numba kernel is first used: `import tensorgrad` stays fast.
"""

from .elementwise import *  # noqa: F403
from .indexing import *  # noqa: F403
from .linalg import *  # noqa: F403
from .memory import *  # noqa: F403
from .reduction import *  # noqa: F403
from .shape import *  # noqa: F403

_LAZY = {
    "conv2d": "conv",
    "conv_transpose2d": "conv",
    "conv2d_weight": "conv",
    "max_pool2d": "pooling",
    "max_pool2d_backward": "pooling",
    "avg_pool2d": "pooling",
    "avg_pool2d_backward": "pooling",
    "sigmoid_backward": "fused",
    "tanh_backward": "fused",
    "erf": "fused",
    "adam_step": "fused",
    "lgamma": "special",
    "digamma": "special",
    "polygamma": "special",
    "erfinv": "special",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
