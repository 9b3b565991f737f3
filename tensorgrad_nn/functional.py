"""Stateless layers and losses, composed from tensorgrad primitives only (no backward here).

Shapes follow PyTorch: linear x (N, *, in) with W (out, in); cross_entropy input (N, C) or
(N, C, d1, ...) with class-index targets (N,) / (N, d1, ...) or probability targets like input.
"""

from __future__ import annotations

import math

import numpy as np

import tensorgrad as tg
from tensorgrad import (  # noqa: F401  (re-exports)
    Tensor,
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    log_softmax,
    logsumexp,
    max_pool2d,
    pad,
    softmax,
)
from tensorgrad.ops._util import pair
from tensorgrad.ops.indexing import index_add
from tensorgrad.ops.normalization import standardize


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b (one fused primitive, tensorgrad.linear)."""
    return tg.linear(input, weight, bias)


def relu(x: Tensor) -> Tensor:
    return tg.relu(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return tg.where(x > 0, x, x * negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise (exp of min(x, 0), so no overflow)."""
    return tg.where(x > 0, x, (tg.minimum(x, 0.0).exp() - 1) * alpha)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2))) (PyTorch's default); approximate='tanh' gives
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return x * 0.5 * ((x * (1 / math.sqrt(2))).erf() + 1)
    if approximate != "tanh":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
    return x * 0.5 * (inner.tanh() + 1)


def sigmoid(x: Tensor) -> Tensor:
    return tg.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return tg.tanh(x)


def silu(x: Tensor) -> Tensor:
    """x sigmoid(x) (swish)."""
    return x * tg.sigmoid(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's); exp sees
    at most the threshold, so nothing overflows."""
    bx = x * beta if beta != 1 else x
    soft = tg.minimum(bx, float(threshold)).exp().log1p()
    return tg.where(bx > threshold, x, soft / beta if beta != 1 else soft)


def mish(x: Tensor) -> Tensor:
    """x tanh(softplus(x))."""
    return x * softplus(x).tanh()


def logsigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x."""
    return tg.minimum(x, 0.0) - (-x.abs()).exp().log1p()


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return x / (x.abs() + 1.0)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is above max_val {max_val}")
    return tg.clamp(x, min_val, max_val)


def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6)."""
    return tg.clamp(x, 0.0, 6.0)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor) -> Tensor:
    """scale (x for x > 0, alpha (exp(x) - 1) otherwise), the self-normalising constants."""
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, weight x elsewhere; weight holds one slope, or one per channel (dim 1)."""
    if weight.numel() != 1:
        if x.ndim < 2 or x.shape[1] != weight.numel():
            raise tg.ShapeError(f"prelu: {weight.numel()} slopes for input of shape "
                                f"{tuple(x.shape)} (expected one per channel, dim 1)")
        weight = weight.reshape((1, -1) + (1,) * (x.ndim - 2))
    return tg.where(x > 0, x, x * weight)


def hardsigmoid(x: Tensor) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between."""
    return tg.clamp(x + 3.0, 0.0, 6.0) * (1 / 6)


def hardswish(x: Tensor) -> Tensor:
    """x hardsigmoid(x) (MobileNetV3's)."""
    return x * hardsigmoid(x)


def glu(x: Tensor, dim: int = -1) -> Tensor:
    """a sigmoid(b) for the halves a, b of x along dim (a gated linear unit)."""
    if x.shape[dim] % 2:
        raise tg.ShapeError(f"glu: dim {dim} must have an even size, got {tuple(x.shape)}")
    a, b = x.chunk(2, dim)
    return a * tg.sigmoid(b)


def softmin(x: Tensor, dim: int = -1) -> Tensor:
    """softmax(-x) along dim."""
    return tg.softmax(-x, dim)


def tanhshrink(x: Tensor) -> Tensor:
    """x - tanh(x)."""
    return x - tg.tanh(x)


def threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    """x where x > threshold, value elsewhere."""
    return tg.where(x > threshold, x, tg.full_like(x, value))


def hardshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere."""
    return tg.where(x.abs() > lambd, x, tg.zeros_like(x))


def softshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    return x - tg.clamp(x, -lambd, lambd)


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (exp(x / alpha) - 1) otherwise."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return tg.where(x > 0, x, (tg.minimum(x, 0.0) * (1.0 / alpha)).exp().sub(1.0) * alpha)


def normalize(x: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along dim."""
    return x / tg.clamp(x.norm(p, dim=dim, keepdim=True), min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along dim (broadcast together): each divided
    by its norm clamped at eps, then their dot product (PyTorch's)."""
    a = x1 / tg.clamp(x1.norm(dim=dim, keepdim=True), min=eps)
    b = x2 / tg.clamp(x2.norm(dim=dim, keepdim=True), min=eps)
    return (a * b).sum(dim)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p);
    the identity when not training."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = tg.rand(*x.shape, dtype=x.dtype, device=x.device) >= p
    return x * (keep.to(x.dtype) * (1.0 / (1.0 - p)))


def _channel_dropout(x: Tensor, p: float, training: bool, spatial: int, op: str) -> Tensor:
    """Zero whole channels: one draw per (sample, channel) of (N, C, *spatial) or (C, *spatial),
    the kept channels scaled by 1/(1-p)."""
    if not 0 <= p < 1:
        raise ValueError(f"{op}: p must be in [0, 1), got {p}")
    if x.ndim not in (spatial + 1, spatial + 2):
        raise tg.ShapeError(f"{op}: expected a {spatial + 2}-d (batched) or {spatial + 1}-d "
                            f"input, got {tuple(x.shape)}")
    if not training or p == 0:
        return x
    lead = x.ndim - spatial
    keep = tg.rand(*x.shape[:lead], *(1,) * spatial, dtype=x.dtype, device=x.device) >= p
    return x * (keep.to(x.dtype) * (1.0 / (1.0 - p)))


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Dropout of whole channels of (N, C, L) or (C, L)."""
    return _channel_dropout(x, p, training, 1, "dropout1d")


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Dropout of whole feature maps of (N, C, H, W) or (C, H, W)."""
    return _channel_dropout(x, p, training, 2, "dropout2d")


def dropout3d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Dropout of whole volumes of (N, C, D, H, W) or (C, D, H, W)."""
    return _channel_dropout(x, p, training, 3, "dropout3d")


def feature_alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False) -> Tensor:
    """alpha_dropout of whole channels: one draw per (sample, channel) of (N, C, *spatial)."""
    if not 0 <= p < 1:
        raise ValueError(f"feature_alpha_dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    if x.ndim < 2:
        raise tg.ShapeError(f"feature_alpha_dropout: expected (N, C, ...), got {tuple(x.shape)}")
    alpha = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha * alpha)) ** -0.5
    b = -a * alpha * p
    keep = (tg.rand(*x.shape[:2], *(1,) * (x.ndim - 2), dtype=x.dtype, device=x.device)
            >= p).to(x.dtype)
    return (x * keep + (1.0 - keep) * alpha) * a + b


def rrelu(x: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False) -> Tensor:
    """Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper) per
    element while training, times (lower + upper) / 2 in eval."""
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got {lower}, {upper}")
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    slope = tg.rand(*x.shape, dtype=x.dtype, device=x.device) * (upper - lower) + lower
    return tg.where(x >= 0, x, x * slope)


def max_unpool2d(input: Tensor, indices, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value put back at its index (flat in its
    (H_out * W_out) plane, as max_pool2d(return_indices=True) gives), zeros elsewhere. An
    index two windows share gets their (equal) value once, and its gradient goes to one of
    them (as PyTorch's)."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int)
                                             else stride)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    idx = indices if isinstance(indices, Tensor) else tg.tensor(np.asarray(indices))
    idx = idx.unsqueeze(0) if unbatched else idx
    if x.ndim != 4 or tuple(idx.shape) != tuple(x.shape):
        raise tg.ShapeError(f"max_unpool2d: input {tuple(input.shape)} and indices "
                            f"{tuple(indices.shape)} must be one (N, C, H, W) shape")
    n_, c_, h_, w_ = x.shape
    if output_size is None:
        oh, ow = (h_ - 1) * sh - 2 * ph + kh, (w_ - 1) * sw - 2 * pw + kw
    else:
        oh, ow = tuple(output_size)[-2:]
    flat = np.asarray(idx.detach()).reshape(n_, c_, -1).astype(np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= oh * ow):
        raise IndexError(f"max_unpool2d: an index is outside the ({oh}, {ow}) output")
    source = np.zeros((n_, c_, oh * ow), dtype=np.int64)  # which input lands at each output
    np.put_along_axis(source, flat, np.broadcast_to(np.arange(flat.shape[2]), flat.shape), 2)
    hit = np.zeros((n_, c_, oh * ow), dtype=bool)
    np.put_along_axis(hit, flat, True, 2)
    picked = x.reshape(n_, c_, -1).gather(2, tg.tensor(source))
    out = tg.where(tg.tensor(hit), picked, 0.0).reshape(n_, c_, oh, ow)
    return out[0] if unbatched else out


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the trailing dims normalized_shape (biased variance),
    then * weight + bias where given (PyTorch's F.layer_norm)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise tg.ShapeError(f"layer_norm: expected trailing dims {shape}, got "
                            f"{tuple(input.shape)}")
    y = standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y: Tensor, weight, bias, shape) -> Tensor:
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _update_running(running_mean, running_var, mean, var, n, momentum) -> None:
    """running = (1 - momentum) running + momentum batch, with the unbiased variance."""
    with tg.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(var.detach() * (momentum * n / max(n - 1, 1)))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and positions: with the batch's statistics
    when training (updating the running ones in place, unbiased variance), else with the running
    ones (PyTorch's F.batch_norm)."""
    if input.ndim < 2:
        raise tg.ShapeError(f"batch_norm: expected (N, C, *), got {tuple(input.shape)}")
    shape = _channel_shape(input)
    if training:
        dims = (0,) + tuple(range(2, input.ndim))
        if input.numel() == input.shape[1]:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(input.shape)}")
        if running_mean is not None or running_var is not None:
            with tg.no_grad():
                mean = input.mean(dims, keepdim=True)
                var = input.var(dims, correction=0, keepdim=True)
            _update_running(running_mean, running_var, mean.reshape(-1), var.reshape(-1),
                            input.numel() // input.shape[1], momentum)
        return _affine(standardize(input, dims, eps), weight, bias, shape)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not "
                         "training")
    mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return _affine((input - mean) / (var + eps).sqrt(), weight, bias, shape)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channels over their positions (N, C, *). Running statistics,
    where given, move towards the batch's average of the per-instance ones (PyTorch's)."""
    if input.ndim < 3:
        raise tg.ShapeError(f"instance_norm: expected (N, C, L, ...), got {tuple(input.shape)}")
    shape = _channel_shape(input)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        if running_mean is not None or running_var is not None:
            with tg.no_grad():
                mean = input.mean(dims, keepdim=True)
                var = input.var(dims, correction=0, keepdim=True)
            n = input.numel() // (input.shape[0] * input.shape[1])
            _update_running(running_mean, running_var, mean.mean(0).reshape(-1),
                            var.mean(0).reshape(-1), n, momentum)
        return _affine(standardize(input, dims, eps), weight, bias, shape)
    if running_mean is None or running_var is None:
        raise ValueError("instance_norm: running_mean and running_var are needed without "
                         "use_input_stats")
    mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return _affine((input - mean) / (var + eps).sqrt(), weight, bias, shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the channels of each sample (N, C, *) into num_groups groups and normalise each
    group over its channels and positions (biased variance), then a per-channel affine."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise tg.ShapeError(f"group_norm: expected (N, C, *) with C divisible by num_groups="
                            f"{num_groups}, got {tuple(input.shape)}")
    n = input.shape[0]
    y = standardize(input.reshape(n, num_groups, -1), 2, eps).reshape(input.shape)
    return _affine(y, weight, bias, _channel_shape(input))


def embedding(input, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """The rows of weight (num_embeddings, dim) at the integer indices input; the padding_idx
    row passes its value but no gradient."""
    idx = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings (got "
                         f"{int(idx.min())}..{int(idx.max())})")
    out = weight[idx]
    if padding_idx is not None and out.requires_grad:
        pad = idx == (padding_idx % n)
        if pad.any():
            out = tg.where(tg.tensor(pad[..., None], device=out.device), out.detach(), out)
    return out


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, dim: int = -1):
    """softmax((logits + g) / tau) with Gumbel(0, 1) noise g; hard=True returns the one-hot of
    its argmax with the soft sample's gradient (the straight-through estimator)."""
    u = tg.rand(*logits.shape, dtype=logits.dtype, device=logits.device)
    gumbels = -(-(u.clamp(min=1e-20)).log()).log()
    soft = ((logits + gumbels) * (1.0 / tau)).softmax(dim)
    if not hard:
        return soft
    index = soft.detach().argmax(dim, keepdim=True)
    hard_sample = tg.zeros_like(soft).scatter_add(dim, index, tg.ones_like(index, dtype=soft.dtype))
    return hard_sample - soft.detach() + soft


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and an
    affine map restores the mean and variance (PyTorch's constants)."""
    if not 0 <= p < 1:
        raise ValueError(f"alpha_dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    alpha = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha * alpha)) ** -0.5
    b = -a * alpha * p
    keep = (tg.rand(*x.shape, dtype=x.dtype, device=x.device) >= p).to(x.dtype)
    return (x * keep + (1.0 - keep) * alpha) * a + b


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha mean(x^2 over `size` neighbouring channels))^beta (AlexNet's), PyTorch's
    window: size // 2 channels before, (size - 1) // 2 after, zeros beyond the edges."""
    if input.ndim < 3:
        raise tg.ShapeError(f"local_response_norm: expected (N, C, *), got "
                            f"{tuple(input.shape)}")
    c = input.shape[1]
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    squares = tg.pad(input * input, tuple(widths))
    window = squares[:, 0:c]
    for offset in range(1, size):
        window = window + squares[:, offset:offset + c]
    return input / ((window * (alpha / size)) + k) ** beta


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """(N, g C', *) -> channels regrouped so each group takes one from every group
    (ShuffleNet's)."""
    if x.ndim < 3 or x.shape[1] % groups:
        raise tg.ShapeError(f"channel_shuffle: {groups} groups do not divide the channels of "
                            f"{tuple(x.shape)}")
    n, c = x.shape[:2]
    rest = tuple(x.shape[2:])
    return x.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


def pdist(x: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows i < j of x (N, M), as PyTorch's order."""
    if x.ndim != 2:
        raise tg.ShapeError(f"pdist: expected (N, M), got {tuple(x.shape)}")
    i, j = np.triu_indices(x.shape[0], 1)
    return (x[i] - x[j]).norm(p, dim=-1)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) for any distance d (pairwise_distance by default)."""
    d = distance_function or pairwise_distance
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = tg.minimum(d_neg, d(positive, negative))
    return _reduce(tg.relu(d_pos - d_neg + margin), reduction, "triplet_margin_with_distance_loss")


def relu_(x: Tensor) -> Tensor:
    return x.relu_()


def pixel_shuffle(x: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block
    (sub-pixel convolution's upsampling)."""
    r = int(upscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-3] % (r * r):
        raise tg.ShapeError(f"pixel_shuffle: expected (*, C, H, W) with C divisible by "
                            f"upscale_factor^2 = {r * r}, got {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(x: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if x.ndim < 3 or r < 1 or x.shape[-2] % r or x.shape[-1] % r:
        raise tg.ShapeError(f"pixel_unshuffle: expected (*, C, H, W) with H and W divisible by "
                            f"downscale_factor = {r}, got {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def _patch_index(op, size, kernel_size, dilation, padding, stride):
    """Rows and columns (kh * kw, L) of every patch element in the padded image, and the
    padded size, for unfold/fold (L = the number of patches, row-major)."""
    (kh, kw), (dh, dw) = pair(op, "kernel_size", kernel_size), pair(op, "dilation", dilation)
    (ph, pw), (sh, sw) = pair(op, "padding", padding), pair(op, "stride", stride)
    hp, wp = size[0] + 2 * ph, size[1] + 2 * pw
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise tg.ShapeError(f"{op}: a {kh}x{kw} kernel (dilation {(dh, dw)}) does not fit an "
                            f"image of {tuple(size)} padded by {(ph, pw)}")
    i, j = np.divmod(np.arange(kh * kw), kw)
    p, q = np.divmod(np.arange(oh * ow), ow)
    rows = i[:, None] * dh + p[None, :] * sh
    cols = j[:, None] * dw + q[None, :] * sw
    return rows, cols, (ph, pw), (hp, wp)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C kh kw, L), each column one patch (channel-major within a
    column, patches row-major), PyTorch's F.unfold; conv2d is unfold, a matmul and a reshape."""
    if input.ndim != 4:
        raise tg.ShapeError(f"unfold: expected (N, C, H, W), got {tuple(input.shape)}")
    rows, cols, (ph, pw), _ = _patch_index("unfold", input.shape[2:], kernel_size, dilation,
                                           padding, stride)
    x = tg.pad(input, (pw, pw, ph, ph)) if ph or pw else input
    n, c = input.shape[:2]
    return x[:, :, rows, cols].reshape(n, c * rows.shape[0], rows.shape[1])


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of unfold: (N, C kh kw, L) -> (N, C, H, W), overlapping patch
    elements summed (PyTorch's F.fold)."""
    size = pair("fold", "output_size", output_size)
    rows, cols, (ph, pw), (hp, wp) = _patch_index("fold", size, kernel_size, dilation, padding,
                                                  stride)
    k, length = rows.shape
    if input.ndim != 3 or input.shape[1] % k or input.shape[2] != length:
        raise tg.ShapeError(f"fold: expected (N, C * {k}, {length}) for output_size {size}, "
                            f"got {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1] // k
    out = index_add(input.reshape(n, c, k, length), (slice(None), slice(None), rows, cols),
                    (n, c, hp, wp))
    return out[:, :, ph:ph + size[0], pw:pw + size[1]]


def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    from .layers.pooling import AdaptiveAvgPool2d

    return AdaptiveAvgPool2d(output_size)(x)


def adaptive_max_pool2d(x: Tensor, output_size) -> Tensor:
    from .layers.pooling import AdaptiveMaxPool2d

    return AdaptiveMaxPool2d(output_size)(x)


def adaptive_avg_pool3d(x: Tensor, output_size) -> Tensor:
    from .layers.pooling import AdaptiveAvgPool3d

    return AdaptiveAvgPool3d(output_size)(x)


def adaptive_max_pool3d(x: Tensor, output_size, return_indices: bool = False) -> Tensor:
    from .layers.pooling import AdaptiveMaxPool3d

    return AdaptiveMaxPool3d(output_size, return_indices)(x)


def adaptive_avg_pool1d(x: Tensor, output_size) -> Tensor:
    """(N, C, L) or (C, L) -> (..., output_size), mean of PyTorch's bins."""
    return adaptive_avg_pool2d(_input1(x, "adaptive_avg_pool1d"), (1, _one(
        output_size, "output_size", "adaptive_avg_pool1d"))).squeeze(-2)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """interpolate's old name."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Bilinear with align_corners=True, as PyTorch's deprecated upsample_bilinear."""
    return interpolate(input, size, scale_factor, "bilinear", True)


def adaptive_max_pool1d(x: Tensor, output_size) -> Tensor:
    """(N, C, L) or (C, L) -> (..., output_size), max of PyTorch's bins."""
    return adaptive_max_pool2d(_input1(x, "adaptive_max_pool1d"), (1, _one(
        output_size, "output_size", "adaptive_max_pool1d"))).squeeze(-2)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing dims normalized_shape, times weight (eps
    defaults to the dtype's machine epsilon, PyTorch's F.rms_norm)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise tg.ShapeError(f"rms_norm: expected trailing dims {shape}, got "
                            f"{tuple(input.shape)}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input / ((input * input).mean(dims, keepdim=True) + eps).sqrt()
    return y if weight is None else y * weight


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1^T W_k x2 + b_k for weight (out, in1, in2) and inputs (*, in1), (*, in2)."""
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or (
            input2.shape[-1] != weight.shape[2]) or input1.shape[:-1] != input2.shape[:-1]:
        raise tg.ShapeError(f"bilinear: inputs {tuple(input1.shape)} and {tuple(input2.shape)} "
                            f"do not fit weight {tuple(weight.shape)}")
    y = tg.einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias


def _additive_mask(mask, op: str, true_blocks: bool, like):
    """A float mask to add to the scores: a float mask as it is; a bool mask gives -inf where
    a position may not be attended (where it is False for scaled_dot_product_attention, True
    for MultiheadAttention's masks, as PyTorch)."""
    if mask is None:
        return None
    if not isinstance(mask, tg.Tensor):
        mask = tg.tensor(np.asarray(mask), device=like.device)
    if mask.dtype == np.bool_:
        blocked = np.asarray(mask) if true_blocks else ~np.asarray(mask)
        return tg.tensor(np.where(blocked, -np.inf, 0.0).astype(like.dtype), device=like.device)
    if mask.dtype.kind != "f":
        raise tg.DtypeError(f"{op}: a mask must be bool or floating point, got {mask.dtype}")
    return mask.to(like.dtype)


def _causal(rows: int, cols: int, like):
    """-inf above the diagonal: position i attends to positions <= i."""
    blocked = ~np.tri(rows, cols, 0, dtype=bool)
    return tg.tensor(np.where(blocked, -np.inf, 0.0).astype(like.dtype), device=like.device)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None):
    """softmax(q k^T * scale + mask) v over the last two dims of (..., L, E), (..., S, E),
    (..., S, Ev): scale 1/sqrt(E) by default; a bool attn_mask marks the positions that may be
    attended (True), a float one is added; is_causal masks j > i; dropout_p drops attention
    weights (always, as PyTorch's function does)."""
    if query.ndim < 2 or key.ndim != query.ndim or value.ndim != query.ndim or (
            query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]):
        raise tg.ShapeError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
                            f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit "
                            "(..., L, E), (..., S, E), (..., S, Ev)")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        scores = scores + _causal(query.shape[-2], key.shape[-2], scores)
    mask = _additive_mask(attn_mask, "scaled_dot_product_attention", False, scores)
    if mask is not None:
        scores = scores + mask
    weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


# ----- losses ----------------------------------------------------------------------------------


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise tg.ShapeError(f"{op}: input shape {tuple(input.shape)} and target shape "
                            f"{tuple(target.shape)} differ")


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """mean((input - target)^2)."""
    target = _as_target(target, input)
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """mean(|input - target|)."""
    target = _as_target(target, input)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is
    the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _as_target(target, input)
    _same_shape("smooth_l1_loss", input, target)
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    loss = tg.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _as_target(target, input)
    _same_shape("huber_loss", input, target)
    d = (input - target).abs()
    loss = tg.where(d <= delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce(loss, reduction, "huber_loss")


def kl_div(input: Tensor, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """sum target (log target - input) for log-probabilities input (PyTorch's argument order:
    the model's log-probabilities first); 0 where target is 0. reduction 'batchmean' divides
    the sum by the batch size (the KL divergence itself), 'mean' by the element count."""
    target = _as_target(target, input)
    _same_shape("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        log_t = tg.where(positive, target, 1.0).log()
        loss = tg.where(positive, target * (log_t - input), 0.0)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def _as_target(target, like: Tensor) -> Tensor:
    if isinstance(target, Tensor):
        return target
    return tg.tensor(np.asarray(target), dtype=like.dtype if np.asarray(
        target).dtype.kind == "f" else None)


def _class_targets(op: str, input: Tensor, target: Tensor, ignore_index: int):
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {target.dtype}; pass "
                        "probabilities with the input's shape for soft targets")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise tg.ShapeError(f"{op}: input of shape {tuple(input.shape)} needs targets of shape "
                            f"{expected}, got {tuple(target.shape)}")
    labels = target.numpy()
    classes = input.shape[1]
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise IndexError(f"{op}: target {int(labels[bad].flat[0])} is out of range for "
                         f"{classes} classes")
    return labels, valid


def _pick(logp: Tensor, labels: np.ndarray) -> Tensor:
    """logp[n, labels[n, ...], ...] for (N, C, *) logp: a gather along dim 1."""
    safe = np.where(labels < 0, 0, labels)
    return logp.take_along_dim(safe[:, None], 1).squeeze(1)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (weighted), for log-probabilities input (N, C, *)."""
    target = _as_target(target, input)
    labels, valid = _class_targets("nll_loss", input, target, ignore_index)
    w = _row_weights(input, labels, valid, weight)
    loss = -_pick(input, labels) * tg.tensor(w, device=input.device)
    if reduction == "mean":
        return loss.sum() / float(max(w.sum(), np.finfo(input.dtype).tiny))
    return _reduce(loss, reduction, "nll_loss")


def _fused_cross_entropy(input, target, weight, ignore_index, reduction):
    """Class-index cross-entropy of (N, C) logits as one primitive (softmax_cross_entropy), the
    'mean' divisor and ignored rows folded into its per-row weights."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    if weight is None and input.device.type != "cpu" and target.device == input.device:
        # labels already on the device: check their range without copying them back
        lo, hi = tg.ops.loss.label_range(target)
        if not lo <= ignore_index <= hi:
            n = input.shape[0]
            scale = 1.0 / n if reduction == "mean" and n else 1.0
            w = tg.full((n,), scale, dtype=input.dtype, device=input.device)
            return tg.softmax_cross_entropy(input, target, w,
                                            "none" if reduction == "none" else "sum")
    labels, valid = _class_targets("cross_entropy", input, target, ignore_index)
    w = _row_weights(input, labels, valid, weight)
    if reduction == "mean":
        w = w / max(float(w.sum()), np.finfo(input.dtype).tiny)
    return tg.softmax_cross_entropy(input, np.where(valid, labels, 0),
                                    tg.tensor(w.astype(input.dtype), device=input.device),
                                    "none" if reduction == "none" else "sum")


def _row_weights(input, labels, valid, weight) -> np.ndarray:
    """Each row's class weight (1 without weights), 0 for ignored rows."""
    if weight is None:
        return valid.astype(input.dtype)
    w = np.asarray(weight.detach().numpy() if isinstance(weight, Tensor) else weight,
                   dtype=input.dtype)[np.where(valid, labels, 0)]
    return np.where(valid, w, 0).astype(input.dtype)


def cross_entropy(input: Tensor, target, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, *) against class indices or class probabilities.

    Computed as log_softmax (stable for logits of any size) then the negative log-likelihood;
    the gradient with respect to the logits is (softmax - onehot) / N. A 'mean' over targets
    that are all ignore_index is 0 with a zero gradient (PyTorch's is nan, 0/0, which would
    turn every parameter nan at the next step).
    """
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    if input.ndim < 1:
        raise tg.ShapeError("cross_entropy: input needs a class dim")
    if input.ndim == 1:
        input = input.unsqueeze(0)
        target = _as_target(target, input)
        target = target.unsqueeze(0)
    target = _as_target(target, input)
    if input.ndim == 2 and not label_smoothing and target.dtype.kind in "iu":
        return _fused_cross_entropy(input, target, weight, ignore_index, reduction)
    logp = input.log_softmax(1)
    classes = input.shape[1]
    if target.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            raise TypeError(f"cross_entropy: class-index targets must be integers, got "
                            f"{target.dtype} of shape {tuple(target.shape)}; probability "
                            f"targets must have the input's shape {tuple(input.shape)}")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        w = 1.0 if weight is None else weight.reshape((1, classes) + (1,) * (input.ndim - 2))
        loss = -(logp * target * w).sum(1)
        return _reduce(loss, reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    labels, valid = _class_targets("cross_entropy", input, target, ignore_index)
    w = 1.0 if weight is None else weight.reshape((1, classes) + (1,) * (input.ndim - 2))
    smooth = -(logp * w).sum(1) * tg.tensor(valid.astype(input.dtype), device=input.device)
    if reduction == "mean":
        if weight is None:
            denom = float(max(valid.sum(), 1))
        else:
            wn = weight.detach().numpy()[np.where(valid, labels, 0)]
            denom = float(max(np.where(valid, wn, 0).sum(), np.finfo(input.dtype).tiny))
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)), logs clamped at -100 as PyTorch does."""
    target = _as_target(target, input)
    _same_shape("binary_cross_entropy", input, target)
    low = tg.tensor(-100.0, dtype=input.dtype, device=input.device)
    log_p = tg.maximum(input.log(), low)
    log_q = tg.maximum((1 - input).log(), low)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Stable form max(x, 0) - x y + log(1 + exp(-|x|)): finite for logits of any size."""
    target = _as_target(target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    softplus_neg = (1 + (-input.abs()).exp()).log() + tg.maximum(-input, 0.0)
    if pos_weight is None:
        loss = softplus_neg + input * (1 - target)
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (PyTorch's: eps keeps the gradient finite when
    x1 == x2)."""
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def _signs(target, like: Tensor) -> Tensor:
    """+1/-1 targets as like's dtype."""
    return _as_target(target, like).to(like.dtype)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin) for y = 1 (x1 should rank higher) or -1."""
    y = _signs(target, input1)
    return _reduce(tg.relu(-y * (input1 - input2) + margin), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input: Tensor, target, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x typically a distance)."""
    y = _signs(target, input)
    _same_shape("hinge_embedding_loss", input, y)
    loss = tg.where(y == 1, input, 0.0) + tg.where(y == -1, tg.relu(margin - input), 0.0)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for y = 1 or -1 (a two-class logistic loss)."""
    y = _signs(target, input)
    _same_shape("soft_margin_loss", input, y)
    return _reduce(softplus(-y * input), reduction, "soft_margin_loss")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; rows (N, D) or
    one vector (D,) (PyTorch's cosine with 1e-12 added to each squared norm)."""
    if input1.shape != input2.shape or input1.ndim not in (1, 2):
        raise tg.ShapeError(f"cosine_embedding_loss: expected inputs (N, D) or (D,) of one "
                            f"shape, got {tuple(input1.shape)} and {tuple(input2.shape)}")
    dim = input1.ndim - 1
    y = _signs(target, input1)
    cos = (input1 * input2).sum(dim) / (((input1 * input1).sum(dim) + 1e-12)
                                        * ((input2 * input2).sum(dim) + 1e-12)).sqrt()
    loss = tg.where(y == 1, 1 - cos, 0.0) + tg.where(y == -1, tg.relu(cos - margin), 0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with pairwise_distance d; with swap, d(a, n) is the
    smaller of d(a, n) and d(p, n)."""
    if not anchor.shape == positive.shape == negative.shape:
        raise tg.ShapeError(f"triplet_margin_loss: anchor {tuple(anchor.shape)}, positive "
                            f"{tuple(positive.shape)} and negative {tuple(negative.shape)} "
                            "differ")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = tg.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(tg.relu(d_pos - d_neg + margin), reduction, "triplet_margin_loss")


def multilabel_margin_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C;
    target (N, C) or (C,) holds class indices, up to the first -1."""
    labels = np.asarray(target.detach() if isinstance(target, Tensor) else target)
    if labels.shape != tuple(input.shape) or input.ndim not in (1, 2):
        raise tg.ShapeError(f"multilabel_margin_loss: input {tuple(input.shape)} and target "
                            f"{labels.shape} must be one (N, C) or (C,) shape")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    labels = labels.reshape(x.shape).astype(np.int64)
    n_, c_ = x.shape
    valid = np.cumprod(labels >= 0, axis=1).astype(bool)  # up to the first -1
    if np.any(labels[valid] >= c_):
        raise IndexError(f"multilabel_margin_loss: a target class is outside [0, {c_})")
    is_target = np.zeros((n_, c_), dtype=bool)
    rows = np.nonzero(valid)
    is_target[rows[0], labels[valid]] = True
    picked = x.gather(1, tg.tensor(np.where(valid, labels, 0)))  # x[y_j] per slot j
    pairs = tg.relu(1 - picked.unsqueeze(2) + x.unsqueeze(1))  # (N, slot j, class i)
    mask = tg.tensor((valid[:, :, None] & ~is_target[:, None, :]).astype(x.dtype))
    loss = (pairs * mask).sum((1, 2)) / c_
    return _reduce(loss if input.ndim == 2 else loss[0], reduction, "multilabel_margin_loss")


def _int_lengths(op: str, name: str, lengths, n_: int) -> np.ndarray:
    values = np.asarray(lengths.detach().numpy() if isinstance(lengths, Tensor) else lengths)
    values = values.reshape(-1)
    if values.shape != (n_,) or values.dtype.kind not in "iu":
        raise tg.ShapeError(f"{op}: {name} must hold {n_} integers (one per sequence), got "
                            f"{values.dtype} {values.shape}")
    return values.astype(np.int64)


def _ctc_labels(targets, target_lengths, n_: int, classes: int, blank: int) -> np.ndarray:
    """The targets as an (N, S_max) int array, padded past each length with blank."""
    labels = np.asarray(targets.detach().numpy() if isinstance(targets, Tensor) else targets)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: targets must be integer class indices, got {labels.dtype}")
    longest = int(target_lengths.max(initial=0))
    out = np.full((n_, longest), blank, dtype=np.int64)
    if labels.ndim == 2:
        if labels.shape[0] != n_ or labels.shape[1] < longest:
            raise tg.ShapeError(f"ctc_loss: padded targets {labels.shape} must be (N={n_}, "
                                f">= max target length {longest})")
        for n, length in enumerate(target_lengths):
            out[n, :length] = labels[n, :length]
    elif labels.ndim == 1:
        if labels.size < target_lengths.sum():
            raise tg.ShapeError(f"ctc_loss: concatenated targets hold {labels.size} labels, "
                                f"target_lengths sum to {int(target_lengths.sum())}")
        ends = np.cumsum(target_lengths)
        for n, (end, length) in enumerate(zip(ends, target_lengths)):
            out[n, :length] = labels[end - length:end]
    else:
        raise tg.ShapeError(f"ctc_loss: targets must be (N, S) or concatenated (sum(S_n),), got "
                            f"{labels.shape}")
    used = np.arange(longest)[None, :] < target_lengths[:, None]
    if np.any((out[used] < 0) | (out[used] >= classes) | (out[used] == blank)):
        raise IndexError(f"ctc_loss: targets must be classes in [0, {classes}) other than the "
                         f"blank {blank}")
    return out


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification (Graves et al., 2006): -log of the total
    probability of the alignments of each target with its input, for log-probabilities
    (T, N, C) (log_softmax outputs; (T, C) for one sequence), targets (N, S) padded or
    concatenated, and per-sequence lengths. PyTorch's arguments and reductions ('mean' divides
    each loss by its target length, then averages). The forward variable alpha runs over the
    extended target (blanks between and around the labels) as tensor ops, so the gradient is
    d loss / d log_probs exactly (PyTorch returns exp(log_probs) - posterior there, the same
    once it passes back through log_softmax) and second derivatives exist. A target that needs
    more steps than its input has gives inf (0, and no gradient, with zero_infinity)."""
    if log_probs.ndim not in (2, 3):
        raise tg.ShapeError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got "
                            f"{tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_, n_, c_ = lp.shape
    if not 0 <= blank < c_:
        raise IndexError(f"ctc_loss: blank {blank} is not a class of C={c_}")
    in_len = _int_lengths("ctc_loss", "input_lengths", input_lengths, n_)
    tgt_len = _int_lengths("ctc_loss", "target_lengths", target_lengths, n_)
    if np.any(in_len < 0) or np.any(in_len > t_) or np.any(tgt_len < 0):
        raise ValueError(f"ctc_loss: input_lengths must lie in [0, T={t_}] and target_lengths "
                         f"be >= 0, got {in_len.tolist()} and {tgt_len.tolist()}")
    if unbatched:
        targets = np.asarray(targets.detach().numpy() if isinstance(targets, Tensor)
                             else targets).reshape(1, -1)
    labels = _ctc_labels(targets, tgt_len, n_, c_, blank)
    s_ = labels.shape[1]
    ext = np.full((n_, 2 * s_ + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, dtype=bool)  # s-2 -> s: a label that differs from the last
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    from tensorgrad.ops import ctc  # its Numba kernel: numba loads on first use only

    loss = ctc.ctc_nll(lp, ext, skip, in_len, tgt_len)
    if zero_infinity:
        feasible = ctc.alignable(ext, in_len, tgt_len)
        if not feasible.all():
            loss = tg.where(tg.tensor(feasible, device=lp.device), loss, 0.0)
    if unbatched:
        loss = loss[0]
        if reduction == "mean":
            return loss / max(int(tgt_len[0]), 1)
    elif reduction == "mean":
        return (loss / tg.tensor(np.maximum(tgt_len, 1).astype(loss.dtype),
                                 device=lp.device)).mean()
    return _reduce(loss, reduction, "ctc_loss")


def gaussian_nll_loss(input: Tensor, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi if full) for predicted means
    and variances; var has input's shape, or one dim fewer, or a last dim of 1. Variances
    below eps count as eps, with the gradient passed through as PyTorch does."""
    target = _as_target(target, input)
    var = _as_target(var, input)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)
    if var.ndim != input.ndim or any(v not in (1, i) for v, i in zip(var.shape, input.shape)):
        raise tg.ShapeError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit "
                            f"input {tuple(input.shape)}")
    if bool((var < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entries")
    var = var + (tg.clamp(var.detach(), min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def poisson_nll_loss(input: Tensor, target, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """exp(x) - y x for log-rates x (log_input), else x - y log(x + eps); full adds Stirling's
    y log y - y + 0.5 log(2 pi y) where y > 1."""
    target = _as_target(target, input)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        y = target.detach()
        safe = tg.where(y > 1, y, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + tg.where(y > 1, stirling, 0.0)
    return _reduce(loss, reduction, "poisson_nll_loss")


def multilabel_soft_margin_loss(input: Tensor, target, weight=None,
                                reduction: str = "mean") -> Tensor:
    """The mean over classes of the binary cross-entropy of sigmoid(x) against 0/1 targets
    (N, C) -> (N,), then the reduction."""
    target = _as_target(target, input).to(input.dtype)
    _same_shape("multilabel_soft_margin_loss", input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.mean(-1), reduction, "multilabel_soft_margin_loss")


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean") -> Tensor:
    """sum over classes i != y of max(0, margin - x[y] + x[i])^p / C (a multi-class hinge),
    times weight[y] where given."""
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    if input.ndim not in (1, 2):
        raise tg.ShapeError(f"multi_margin_loss: expected input (N, C) or (C,), got "
                            f"{tuple(input.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    target = _as_target(target, input)
    labels, _ = _class_targets("multi_margin_loss", x, target.reshape(-1), -100)
    picked = _pick(x, labels).unsqueeze(1)
    hinge = tg.relu(margin - picked + x)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        weight = _as_target(weight, input)
        hinge = hinge * weight.index_select(0, tg.tensor(labels, device=x.device)).unsqueeze(1)
    others = tg.tensor(np.arange(x.shape[1])[None, :] != labels[:, None], device=x.device)
    loss = tg.where(others, hinge, 0.0).sum(1) / x.shape[1]
    return _reduce(loss if input.ndim == 2 else loss.squeeze(0), reduction,
                   "multi_margin_loss")


def one_hot(labels, num_classes: int = -1) -> Tensor:
    labels = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels)
    if num_classes < 0:
        num_classes = int(labels.max()) + 1
    return tg.tensor(np.eye(num_classes, dtype=np.int64)[labels])


# ----- 1-d convolution and pooling, as 2-d ones over a height of 1 -----------------------------


def _one(v, name, op):
    if isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {v}")
        v = v[0]
    return int(v)


def _pair1(v, name, op, fill):
    v = _one(v, name, op)
    return v if isinstance(v, str) else (fill, v)


def _input1(x: Tensor, op: str) -> Tensor:
    if x.ndim not in (2, 3):
        raise tg.ShapeError(f"{op}: expected input of shape (N, C, L) or (C, L), got "
                            f"{tuple(x.shape)}")
    return x.unsqueeze(-2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """input (N, C_in, L), weight (C_out, C_in/groups, k): conv2d over a height of 1."""
    if weight.ndim != 3:
        raise tg.ShapeError(f"conv1d: expected a 3-d weight (C_out, C_in/groups, k), got "
                            f"{tuple(weight.shape)}")
    y = conv2d(_input1(input, "conv1d"), weight.unsqueeze(-2), bias,
               _pair1(stride, "stride", "conv1d", 1), _pair1(padding, "padding", "conv1d", 0),
               _pair1(dilation, "dilation", "conv1d", 1), groups)
    return y.squeeze(-2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """input (N, C_in, L), weight (C_in, C_out/groups, k): conv_transpose2d over a height of 1."""
    if weight.ndim != 3:
        raise tg.ShapeError(f"conv_transpose1d: expected a 3-d weight (C_in, C_out/groups, k), "
                            f"got {tuple(weight.shape)}")
    op = "conv_transpose1d"
    y = conv_transpose2d(_input1(input, op), weight.unsqueeze(-2), bias,
                         _pair1(stride, "stride", op, 1), _pair1(padding, "padding", op, 0),
                         _pair1(output_padding, "output_padding", op, 0), groups,
                         _pair1(dilation, "dilation", op, 1))
    return y.squeeze(-2)


# ----- volumes (N, C, D, H, W): the 2-d kernels per depth tap ----------------------------------


def _triple(v, name: str, op: str) -> tuple:
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return (v, v, v)
    v = tuple(int(a) for a in v)
    if len(v) != 3:
        raise ValueError(f"{op}: {name} must be an int or a 3-tuple, got {v}")
    return v


def _volume(x: Tensor, op: str) -> tuple:
    """(N, C, D, H, W) input, and whether it came unbatched as (C, D, H, W)."""
    if x.ndim == 4:
        return x.unsqueeze(0), True
    if x.ndim != 5:
        raise tg.ShapeError(f"{op}: expected input of shape (N, C, D, H, W) or (C, D, H, W), "
                            f"got {tuple(x.shape)}")
    return x, False


def _depth_taps(x: Tensor, taps: int, stride: int, dilation: int, out: int) -> list:
    """For each kernel tap k along depth, x's depth slices k*dilation + od*stride, od < out."""
    return [x[:, :, k * dilation:k * dilation + (out - 1) * stride + 1:stride]
            for k in range(taps)]


def _out_size(op: str, size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise tg.ShapeError(f"{op}: a kernel of {k} (dilation {d}) does not fit a padded size "
                            f"of {size + 2 * p}")
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:  # PyTorch: the last window starts inside
        out -= 1
    return out


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """input (N, C_in, D, H, W), weight (C_out, C_in/groups, kd, kh, kw): for each depth tap,
    one conv2d of the depth slices it meets (stacked into the batch) with that tap's 2-d
    kernels, summed; PyTorch's arguments ('same'/'valid' padding too)."""
    x, unbatched = _volume(input, "conv3d")
    if weight.ndim != 5 or x.shape[1] != weight.shape[1] * groups:
        raise tg.ShapeError(f"conv3d: input {tuple(input.shape)} and weight "
                            f"{tuple(weight.shape)} do not match (weight must be (C_out, "
                            f"C_in/groups={x.shape[1] // max(groups, 1)}, kd, kh, kw))")
    stride, dilation = _triple(stride, "stride", "conv3d"), _triple(dilation, "dilation",
                                                                    "conv3d")
    kernel = tuple(weight.shape[2:])
    padding = _triple(padding, "padding", "conv3d")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"conv3d: padding must be 'same', 'valid' or ints, got {padding!r}")
        if padding == "same" and stride != (1, 1, 1):
            raise ValueError("conv3d: padding='same' needs stride 1")
        widths = []
        for k, d in zip(reversed(kernel), reversed(dilation)):
            total = d * (k - 1) if padding == "same" else 0
            widths += [total // 2, total - total // 2]
        x, padding = tg.pad(x, tuple(widths)), (0, 0, 0)
    elif padding[0]:
        x = tg.pad(x, (0, 0, 0, 0, padding[0], padding[0]))
    n_, c_, d_ = x.shape[:3]
    od = _out_size("conv3d", d_, kernel[0], stride[0], 0, dilation[0])
    out = None
    for k, part in enumerate(_depth_taps(x, kernel[0], stride[0], dilation[0], od)):
        part = part.permute(0, 2, 1, 3, 4).reshape(n_ * od, c_, *x.shape[3:])
        y = conv2d(part, weight[:, :, k], None, stride[1:], padding[1:], dilation[1:], groups)
        out = y if out is None else out + y
    out = out.reshape(n_, od, *out.shape[1:]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out[0] if unbatched else out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """input (N, C_in, D, H, W), weight (C_in, C_out/groups, kd, kh, kw): the adjoint of
    conv3d. For each depth tap, one conv_transpose2d of all depth slices (stacked into the
    batch), spread stride apart along depth and shifted by the tap's offset; summed, then
    cropped by the padding (PyTorch's arguments and output size)."""
    op = "conv_transpose3d"
    x, unbatched = _volume(input, op)
    if weight.ndim != 5 or x.shape[1] != weight.shape[0] or x.shape[1] % groups:
        raise tg.ShapeError(f"{op}: input {tuple(input.shape)} and weight {tuple(weight.shape)} "
                            f"do not match (weight must be (C_in={x.shape[1]}, C_out/groups, "
                            "kd, kh, kw))")
    stride, padding = _triple(stride, "stride", op), _triple(padding, "padding", op)
    output_padding = _triple(output_padding, "output_padding", op)
    dilation = _triple(dilation, "dilation", op)
    n_, c_, d_ = x.shape[:3]
    kd, s, p, d = weight.shape[2], stride[0], padding[0], dilation[0]
    spread = (d_ - 1) * s + 1
    full = spread + d * (kd - 1)
    out_d = full - 2 * p + output_padding[0]
    if out_d <= 0:
        raise tg.ShapeError(f"{op}: input {tuple(input.shape)} gives a depth of {out_d}")
    length = max(full, p + out_d)
    stacked = x.permute(0, 2, 1, 3, 4).reshape(n_ * d_, c_, *x.shape[3:])
    out = None
    for k in range(kd):
        y = conv_transpose2d(stacked, weight[:, :, k], None, stride[1:], padding[1:],
                             output_padding[1:], groups, dilation[1:])
        y = y.reshape(n_, d_, *y.shape[1:])  # (N, D, C_out, H', W')
        if s > 1:  # depth slice i lands at i * s: s - 1 zero slices after each
            y = tg.pad(y.unsqueeze(2), (0, 0, 0, 0, 0, 0, 0, s - 1))
            y = y.reshape(n_, d_ * s, *y.shape[3:])[:, :spread]
        y = tg.pad(y, (0, 0, 0, 0, 0, 0, k * d, length - k * d - spread))
        out = y if out is None else out + y
    out = out[:, p:p + out_d].permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out[0] if unbatched else out


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Max over (kd, kh, kw) windows: max_pool2d over each depth slice, then the max over each
    window's depth taps (a box's max is the max of its slices' maxima)."""
    if return_indices:
        raise NotImplementedError("max_pool3d: return_indices is not supported (max_pool2d "
                                  "and max_pool1d have it)")
    x, unbatched = _volume(input, "max_pool3d")
    kernel = _triple(kernel_size, "kernel_size", "max_pool3d")
    stride = kernel if stride is None else _triple(stride, "stride", "max_pool3d")
    padding = _triple(padding, "padding", "max_pool3d")
    dilation = _triple(dilation, "dilation", "max_pool3d")
    n_, c_, d_ = x.shape[:3]
    flat = x.reshape(n_, c_ * d_, *x.shape[3:])
    y = max_pool2d(flat, kernel[1:], stride[1:], padding[1:], dilation[1:], ceil_mode)
    y = y.reshape(n_, c_, d_, *y.shape[2:])
    od = _out_size("max_pool3d", d_, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    reach = (od - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    right = max(0, reach - d_ - padding[0])
    if padding[0] or right:
        y = tg.pad(y, (0, 0, 0, 0, padding[0], right), value=-math.inf)
    out = tg.stack(_depth_taps(y, kernel[0], stride[0], dilation[0], od), 0).amax(0)
    return out[0] if unbatched else out


def _pool_counts(size, k, s, p, out, include_pad):
    """avg_pool's divisor along one axis per output position (PyTorch's: the window clipped
    to the padded input, or to the input itself without count_include_pad)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over (kd, kh, kw) windows: avg_pool2d's window sums per depth slice, summed over
    each window's depth taps, divided by PyTorch's divisor (a product of per-axis counts)."""
    x, unbatched = _volume(input, "avg_pool3d")
    kernel = _triple(kernel_size, "kernel_size", "avg_pool3d")
    stride = kernel if stride is None else _triple(stride, "stride", "avg_pool3d")
    padding = _triple(padding, "padding", "avg_pool3d")
    n_, c_, d_, h_, w_ = x.shape
    flat = x.reshape(n_, c_ * d_, h_, w_)
    y = avg_pool2d(flat, kernel[1:], stride[1:], padding[1:], ceil_mode, True, 1)  # sums
    y = y.reshape(n_, c_, d_, *y.shape[2:])
    od = _out_size("avg_pool3d", d_, kernel[0], stride[0], padding[0], 1, ceil_mode)
    reach = (od - 1) * stride[0] + kernel[0]
    right = max(0, reach - d_ - padding[0])
    if padding[0] or right:
        y = tg.pad(y, (0, 0, 0, 0, padding[0], right))
    out = tg.stack(_depth_taps(y, kernel[0], stride[0], 1, od), 0).sum(0)
    if divisor_override:
        out = out / float(divisor_override)
    else:
        sizes = (d_, h_, w_)
        counts = [_pool_counts(sizes[i], kernel[i], stride[i], padding[i], out.shape[2 + i],
                               count_include_pad) for i in range(3)]
        divisor = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None]
        out = out / tg.tensor(divisor.astype(out.dtype), device=out.device)
    return out[0] if unbatched else out


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p), PyTorch's: from avg_pool2d of x^p."""
    kh, kw = pair("lp_pool2d", "kernel_size", kernel_size)
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (tg.sign(out) * tg.relu(out.abs()) * (kh * kw)) ** (1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    k = _one(kernel_size, "kernel_size", "lp_pool1d")
    s = k if stride is None else _one(stride, "stride", "lp_pool1d")
    return lp_pool2d(_input1(input, "lp_pool1d"), norm_type, (1, k), (1, s),
                     ceil_mode).squeeze(-2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """max_pool2d over a height of 1; indices count positions along L."""
    out = max_pool2d(_input1(input, "max_pool1d"), _pair1(kernel_size, "kernel_size",
                                                          "max_pool1d", 1),
                     None if stride is None else _pair1(stride, "stride", "max_pool1d", 1),
                     _pair1(padding, "padding", "max_pool1d", 0),
                     _pair1(dilation, "dilation", "max_pool1d", 1), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """avg_pool2d over a height of 1."""
    return avg_pool2d(_input1(input, "avg_pool1d"), _pair1(kernel_size, "kernel_size",
                                                           "avg_pool1d", 1),
                      None if stride is None else _pair1(stride, "stride", "avg_pool1d", 1),
                      _pair1(padding, "padding", "avg_pool1d", 0), ceil_mode,
                      count_include_pad).squeeze(-2)


# ----- resizing ---------------------------------------------------------------------------------


def _source(out: int, size: int, scale, mode: str, align_corners: bool) -> np.ndarray:
    """Each output position's source coordinate along one axis (PyTorch's conventions)."""
    dst = np.arange(out, dtype=np.float64)
    if mode == "bilinear" and align_corners:
        return dst * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    step = 1.0 / scale if scale else size / out
    if mode == "nearest":
        return np.minimum(np.floor(dst * step), size - 1)
    return np.maximum((dst + 0.5) * step - 0.5, 0.0)


def _lerp_axis(x: Tensor, axis: int, src: np.ndarray) -> Tensor:
    """x resampled along axis at fractional positions src, linearly between neighbours."""
    size = x.shape[axis]
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, size - 1)
    frac = (src - lo).astype(x.dtype)
    index = [slice(None)] * x.ndim
    index[axis] = lo
    a = x[tuple(index)]
    index[axis] = hi
    b = x[tuple(index)]
    shape = [1] * x.ndim
    shape[axis] = len(src)
    w = tg.tensor(frac.reshape(shape), device=x.device)
    return a + (b - a) * w


_LINEAR_MODES = {3: "linear", 4: "bilinear", 5: "trilinear"}


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None) -> Tensor:
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by `scale_factor`
    (PyTorch's F.interpolate): 'nearest' (the source element floor(i / scale)) or 'linear' /
    'bilinear' / 'trilinear' by the input's dims (half-pixel centres; align_corners maps the
    corner elements onto each other), one axis after another. Gathers and weighted sums, so it
    is differentiable."""
    linear = _LINEAR_MODES.get(input.ndim)
    if linear is None:
        raise tg.ShapeError(f"interpolate: expected input of shape (N, C, L), (N, C, H, W) or "
                            f"(N, C, D, H, W), got {tuple(input.shape)}")
    if mode not in ("nearest", linear):
        raise ValueError(f"interpolate: mode must be 'nearest' or {linear!r} for a "
                         f"{input.ndim}-d input, got {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if align_corners is not None and mode == "nearest":
        raise ValueError(f"interpolate: align_corners applies to {linear!r} only")
    spatial = tuple(input.shape[2:])
    dims = len(spatial)
    if size is not None:
        out = (size,) * dims if isinstance(size, int) else tuple(int(s) for s in size)
        scales = (None,) * dims
    else:
        scales = ((scale_factor,) * dims if isinstance(scale_factor, (int, float))
                  else tuple(float(s) for s in scale_factor))
        out = tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales))
    if len(out) != dims or len(scales) != dims or min(out) < 1:
        raise tg.ShapeError(f"interpolate: output size {out} from input {tuple(input.shape)}")
    x = input
    kind = "nearest" if mode == "nearest" else "bilinear"  # _source's names
    for axis, (n_out, n_in, scale) in enumerate(zip(out, spatial, scales), start=2):
        src = _source(n_out, n_in, scale, kind, bool(align_corners))
        if mode == "nearest":
            index = [slice(None)] * x.ndim
            index[axis] = src.astype(np.int64)
            x = x[tuple(index)]
        else:
            x = _lerp_axis(x, axis, src)
    return x


def affine_grid(theta: Tensor, size, align_corners: bool = False) -> Tensor:
    """The sampling grid (N, H, W, 2) of the affine maps theta (N, 2, 3) over an output of size
    (N, C, H, W) (PyTorch's F.affine_grid): each output pixel's normalised (x, y) in [-1, 1]
    (pixel centres, or corners with align_corners) mapped by theta. Differentiable in theta."""
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise tg.ShapeError(f"affine_grid: theta must be (N, 2, 3), got {tuple(theta.shape)}")
    n, _, h, w = (int(s) for s in size)
    if n != theta.shape[0]:
        raise tg.ShapeError(f"affine_grid: size {tuple(size)} has batch {n}, theta "
                            f"{theta.shape[0]}")

    def axis(count):
        if align_corners:
            return np.linspace(-1.0, 1.0, count) if count > 1 else np.zeros(1)
        return (2.0 * np.arange(count) + 1.0) / count - 1.0

    ys, xs = np.meshgrid(axis(h), axis(w), indexing="ij")
    base = np.stack([xs, ys, np.ones_like(xs)], -1).reshape(1, h * w, 3)
    base = tg.tensor(base.astype(theta.dtype), device=theta.device)
    return (base @ theta.mT).reshape(n, h, w, 2)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool = False) -> Tensor:
    """Sample input (N, C, H, W) at the normalised locations grid (N, Ho, Wo, 2) ((x, y) in
    [-1, 1], PyTorch's F.grid_sample): 'bilinear' or 'nearest'; outside the image 'zeros' or
    'border' (the nearest edge pixel). Differentiable in input, and in grid for 'bilinear'."""
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros' or 'border', got "
                         f"{padding_mode!r}")
    if (input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2
            or grid.shape[0] != input.shape[0]):
        raise tg.ShapeError(f"grid_sample: expected input (N, C, H, W) and grid (N, Ho, Wo, 2), "
                            f"got {tuple(input.shape)} and {tuple(grid.shape)}")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]

    def pixel(coord, size):
        if align_corners:
            p = (coord + 1) * ((size - 1) / 2)
        else:
            p = ((coord + 1) * size - 1) / 2
        return p.clamp(0, size - 1) if padding_mode == "border" else p

    px, py = pixel(grid[..., 0], w), pixel(grid[..., 1], h)  # (N, Ho, Wo)
    flat = input.reshape(n, c, h * w)

    def corner(iy, ix):
        """input at integer pixels (iy, ix) (arrays (N, Ho, Wo)), zero outside the image."""
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        index = (np.clip(iy, 0, h - 1) * w + np.clip(ix, 0, w - 1)).reshape(n, 1, ho * wo)
        values = tg.take_along_dim(flat, tg.tensor(np.broadcast_to(index, (n, c, ho * wo))
                                                   .astype(np.int64), device=input.device), 2)
        mask = tg.tensor(inside.reshape(n, 1, ho * wo).astype(input.dtype), device=input.device)
        return values * mask

    if mode == "nearest":
        ix = np.rint(px.detach().numpy()).astype(np.int64)
        iy = np.rint(py.detach().numpy()).astype(np.int64)
        return corner(iy, ix).reshape(n, c, ho, wo)
    x0 = np.floor(px.detach().numpy()).astype(np.int64)
    y0 = np.floor(py.detach().numpy()).astype(np.int64)
    fx = (px - tg.tensor(x0.astype(input.dtype), device=input.device)).reshape(n, 1, ho * wo)
    fy = (py - tg.tensor(y0.astype(input.dtype), device=input.device)).reshape(n, 1, ho * wo)
    out = (corner(y0, x0) * ((1 - fx) * (1 - fy)) + corner(y0, x0 + 1) * (fx * (1 - fy))
           + corner(y0 + 1, x0) * ((1 - fx) * fy) + corner(y0 + 1, x0 + 1) * (fx * fy))
    return out.reshape(n, c, ho, wo)


def embedding_bag(input, weight: Tensor, offsets=None, mode: str = "mean",
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Each bag of indices reduced to one row (PyTorch's F.embedding_bag): input (B, N), one
    bag per row, or 1-d with offsets (the bags' start positions); mode 'sum', 'mean' or 'max'
    of the bag's rows of weight, per_sample_weights scaling each row ('sum' only); padding_idx
    entries are left out of their bag; an empty bag gives zeros. The bags are laid out padded
    (B, longest bag) and reduced with a mask: a gather and a sum, differentiable in weight (and
    in per_sample_weights)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError("embedding_bag: per_sample_weights needs mode='sum'")
    idx = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: indices must be integers, got {idx.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None for 2-d input (one bag a row)")
        bags, width = idx.shape
        starts = np.arange(bags) * width
        flat = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: 1-d input needs offsets")
        starts = (offsets.numpy() if isinstance(offsets, Tensor) else np.asarray(offsets))
        starts = starts.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        flat, bags = idx, len(starts)
        if bags and (starts[0] != 0 or np.any(np.diff(starts) < 0) or starts[-1] > len(flat)):
            raise ValueError(f"embedding_bag: offsets must start at 0 and not decrease, within "
                             f"{len(flat)} indices; got {starts.tolist()}")
    else:
        raise tg.ShapeError(f"embedding_bag: expected 1-d or 2-d indices, got shape {idx.shape}")
    n = weight.shape[0]
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        raise IndexError(f"embedding_bag: index out of range for {n} embeddings (got "
                         f"{int(flat.min())}..{int(flat.max())})")
    ends = np.append(starts[1:], len(flat)) if bags else starts
    lengths = ends - starts
    longest = int(lengths.max()) if bags else 0
    position = np.arange(max(longest, 1))
    valid = position[None, :] < lengths[:, None]  # (B, L)
    where = np.minimum(starts[:, None] + position[None, :], max(len(flat) - 1, 0))
    grid = flat[where] if flat.size else np.zeros(valid.shape, np.int64)
    if padding_idx is not None:
        valid &= grid != (padding_idx % n)
    rows = weight[np.where(valid, grid, 0)]  # (B, L, D)
    mask = tg.tensor(valid[..., None].astype(weight.dtype), device=weight.device)
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)
        if psw.shape[0] != len(flat):
            raise tg.ShapeError(f"embedding_bag: per_sample_weights has {psw.shape[0]} entries "
                                f"for {len(flat)} indices")
        picked = psw[tg.tensor(where.astype(np.int64))] if flat.size else psw.sum() * 0
        mask = mask * picked.unsqueeze(-1)
    if mode == "max":
        filled = rows.where(tg.tensor(valid[..., None], device=weight.device), -math.inf)
        out = filled.amax(1)
        empty = tg.tensor(~valid.any(1)[:, None], device=weight.device)
        return out.where(~empty, 0.0)
    total = (rows * mask).sum(1)
    if mode == "sum":
        return total
    counts = np.maximum(valid.sum(1), 1).astype(weight.dtype)[:, None]
    return total / tg.tensor(counts, device=weight.device)
