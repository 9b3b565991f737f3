"""tensorgrad: a readable reverse-mode autodiff tensor library with Numba kernels.

    import tensorgrad as tg
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.tanh() * x).sum()
    y.backward()          # x.grad == tanh(x) + x * (1 - tanh(x)**2)
"""

from . import (
    _malloc,
    _methods,  # noqa: F401  (attaches Tensor methods)
    autograd,
    cuda,
    distributions,
    linalg,
    special,
    testing,
    utils,
)
from .autograd import (
    AnomalyError,
    Function,
    detect_anomaly,
    enable_grad,
    hessian,
    hvp,
    inference_mode,
    is_grad_enabled,
    jacobian,
    jvp,
    no_grad,
    set_grad_enabled,
    value_and_grad,
    vjp,
    vmap,
)
from .autograd.functional import grad_fn as grad
from .backends import Device, device
from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from .errors import DtypeError, ShapeError
from .ops.composite import (
    allclose,
    dot,
    einsum,
    equal,
    isclose,
    log_softmax,
    logsumexp,
    masked_fill,
    norm,
    outer,
    softmax,
    tril,
    triu,
)
from .ops.conv import conv2d, conv2d_weight, conv_transpose2d
from .ops.elementwise import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    clamp,
    clone,
    cos,
    cosh,
    div,
    erf,
    exp,
    expm1,
    floor,
    floor_divide,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    remainder,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    sub,
    tan,
    tanh,
    trunc,
    where,
)
from .ops.functions import *  # noqa: F403  (PyTorch's names, listed in its __all__)
from .ops.functions_more import *  # noqa: F403
from .ops.indexing import gather, index_add, index_select, scatter_add, take_along_dim
from .ops.linalg import linear, matmul
from .ops.loss import softmax_cross_entropy
from .ops.pooling import avg_pool2d, max_pool2d
from .ops.reduction import all_ as all  # noqa: A004  (PyTorch's names)
from .ops.reduction import (
    amax,
    amin,
    argmax,
    argmin,
    cumsum,
    max,
    mean,
    min,
    prod,
    sort,
    std,
    sum,
    topk,
    var,
)
from .ops.reduction import any_ as any  # noqa: A004
from .ops.shape import (
    broadcast_to,
    cat,
    chunk,
    expand,
    flatten,
    flip,
    pad,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
)
from .ops.special import digamma, erfinv, lgamma, polygamma
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .tensor import Tensor

clip = clamp
arcsin, arccos, arctan, arctan2, sgn = asin, acos, atan, atan2, sign
arcsinh, arccosh, arctanh = asinh, acosh, atanh
nonzero, numel, unbind, t = Tensor.nonzero, Tensor.numel, Tensor.unbind, Tensor.t

__version__ = "0.1.0"

_malloc.tune()  # keep freed array memory for the next step (see _malloc.py; opt out by env var)
