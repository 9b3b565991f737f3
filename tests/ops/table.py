"""The operator table: each primitive once, with an independent reference (numpy / scipy) and
sample inputs covering scalars, size-1 and size-0 dims, broadcasting, transposed (non-contiguous)
inputs and boundary values. tests/ops/test_table.py runs every entry."""

from __future__ import annotations

import numpy as np
from scipy import signal, special

import tensorgrad as tg
from tensorgrad.ops import elementwise, indexing, pooling, shape
from tensorgrad.testing.opspec import OpSpec


def _n(rng, *shape):
    return rng.standard_normal(shape)


def _pos(rng, *shape):
    return rng.uniform(0.5, 2.0, size=shape)


def _away_from_zero(rng, *shape):
    """Values with |x| >= 0.3 so kinks (abs, relu, clamp) are not within eps of a sample."""
    x = rng.uniform(0.3, 2.0, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


def _distinct(rng, *shape):
    """A random permutation of well-separated values (no ties for max/min)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1 + 0.01


def _binary_samples(make):
    def samples(rng):
        return [
            (make(rng, 3, 4), make(rng, 3, 4)),
            (make(rng, 2, 3, 4), make(rng, 4)),          # broadcast trailing
            (make(rng, 3, 1), make(rng, 1, 4)),          # broadcast both
            (make(rng), make(rng, 2, 3)),                # scalar with matrix
            (make(rng, 4, 3).T, make(rng, 3, 4)),        # transposed (non-contiguous)
            (make(rng, 0, 3), make(rng, 3)),             # size-0 dim
        ]
    return samples


def _unary_samples(make):
    def samples(rng):
        return [(make(rng, 3, 4),), (make(rng),), (make(rng, 1, 5, 1),), (make(rng, 5, 3).T,),
                (make(rng, 0, 2),)]
    return samples


# ----- references that share no code with tensorgrad ------------------------------------------


def ref_conv2d(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Cross-correlation by scipy.signal.correlate2d over dilated kernels, then strided."""
    n_, c_, _, _ = x.shape
    o_, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    wd = np.zeros((o_, cg, dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1))
    wd[:, :, ::dilation[0], ::dilation[1]] = w
    og = o_ // groups
    rows = []
    for n in range(n_):
        maps = []
        for o in range(o_):
            g = o // og
            acc = sum(signal.correlate2d(xp[n, g * cg + c], wd[o, c], mode="valid")
                      for c in range(cg))
            maps.append(acc[::stride[0], ::stride[1]])
        rows.append(maps)
    return np.array(rows)


def ref_conv_transpose2d(x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                         dilation=(1, 1), groups=1):
    """Scatter each input pixel times its kernel into the output, then crop the padding."""
    n_, c_, h_, w_ = x.shape
    _, og, kh, kw = w.shape
    cg = c_ // groups
    full_h = (h_ - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (w_ - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    out = np.zeros((n_, og * groups, full_h, full_w))
    for n in range(n_):
        for c in range(c_):
            g = c // cg
            for y in range(h_):
                for xx in range(w_):
                    for i in range(kh):
                        for j in range(kw):
                            out[n, g * og:(g + 1) * og, y * stride[0] + i * dilation[0],
                                xx * stride[1] + j * dilation[1]] += x[n, c, y, xx] * w[c, :, i, j]
    return out[:, :, padding[0]:full_h - padding[0], padding[1]:full_w - padding[1]]


def ref_conv2d_weight(x, gy, weight_shape, stride, padding, dilation, groups):
    """gw[o, c] = correlate2d(x_padded[c], gy[o] dilated by the stride), sampled by the dilation."""
    o_, cg, kh, kw = weight_shape
    n_ = x.shape[0]
    og = o_ // groups
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    gw = np.zeros(weight_shape)
    oh, ow = gy.shape[2:]
    gd = np.zeros((n_, o_, (oh - 1) * stride[0] + 1, (ow - 1) * stride[1] + 1))
    gd[:, :, ::stride[0], ::stride[1]] = gy
    for o in range(o_):
        g = o // og
        for c in range(cg):
            for n in range(n_):
                full = signal.correlate2d(xp[n, g * cg + c], gd[n, o], mode="valid")
                gw[o, c] += full[::dilation[0], ::dilation[1]][:kh, :kw]
    return gw


def _pooled(size, k, s, p, d=1, ceil_mode=False):
    """PyTorch's documented pooling output size (torch.nn.MaxPool2d/AvgPool2d)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = -(-span // s) + 1 if ceil_mode else span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside
        out -= 1
    return out


def _windows(x_shape, k, s, p, d, ceil_mode):
    """Each output position (y, x) with the input positions (rows, cols) of its window's taps
    inside the input, by explicit loops."""
    h, w = x_shape[2:]
    oh = _pooled(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pooled(w, k[1], s[1], p[1], d[1], ceil_mode)
    for y in range(oh):
        rows = [y * s[0] - p[0] + i * d[0] for i in range(k[0])]
        for xx in range(ow):
            cols = [xx * s[1] - p[1] + j * d[1] for j in range(k[1])]
            yield (y, xx, oh, ow, [r for r in rows if 0 <= r < h], [c for c in cols if 0 <= c < w])


def ref_max_pool2d(x, k, s, p, d=(1, 1), ceil_mode=False):
    out = None
    for y, xx, oh, ow, rows, cols in _windows(x.shape, k, s, p, d, ceil_mode):
        if out is None:
            out = np.full(x.shape[:2] + (oh, ow), -np.inf)
        if rows and cols:  # a window of padding only stays -inf
            out[:, :, y, xx] = x[:, :, rows][:, :, :, cols].max(axis=(2, 3))
    return out


def _avg_divisor(y, xx, shape, k, s, p, ceil_mode, count_include_pad, divisor):
    """PyTorch's: divisor_override, else the window's extent clipped to the padded input
    (count_include_pad) or to the input."""
    if divisor:
        return divisor
    h, w = shape[2:]
    y0, x0 = y * s[0] - p[0], xx * s[1] - p[1]
    if count_include_pad:
        return (min(y0 + k[0], h + p[0]) - y0) * (min(x0 + k[1], w + p[1]) - x0)
    return (min(y0 + k[0], h) - max(y0, 0)) * (min(x0 + k[1], w) - max(x0, 0))


def ref_avg_pool2d(x, k, s, p, ceil_mode=False, count_include_pad=True, divisor=None):
    out = None
    for y, xx, oh, ow, rows, cols in _windows(x.shape, k, s, p, (1, 1), ceil_mode):
        if out is None:
            out = np.zeros(x.shape[:2] + (oh, ow))
        total = x[:, :, rows][:, :, :, cols].sum(axis=(2, 3))
        out[:, :, y, xx] = total / _avg_divisor(y, xx, x.shape, k, s, p, ceil_mode,
                                                count_include_pad, divisor)
    return out


def ref_max_pool2d_backward(x, gy, k, s, p, d=(1, 1), ceil_mode=False):
    """Route each window's gradient to the first position of its max, by explicit loops."""
    gx = np.zeros_like(x)
    for y, xx, _, _, rows, cols in _windows(x.shape, k, s, p, d, ceil_mode):
        if not (rows and cols):
            continue
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                win = x[n, c][rows][:, cols]
                i, j = np.unravel_index(np.argmax(win), win.shape)
                gx[n, c, rows[i], cols[j]] += gy[n, c, y, xx]
    return gx


def ref_avg_pool2d_backward(gy, in_shape, k, s, p, ceil_mode=False, count_include_pad=True,
                            divisor=None):
    gx = np.zeros(in_shape)
    for y, xx, _, _, rows, cols in _windows(in_shape, k, s, p, (1, 1), ceil_mode):
        share = gy[:, :, y, xx] / _avg_divisor(y, xx, in_shape, k, s, p, ceil_mode,
                                               count_include_pad, divisor)
        for r in rows:
            for c in cols:
                gx[:, :, r, c] += share
    return gx


def _conv_samples(rng):
    return [
        (_n(rng, 2, 3, 6, 6), _n(rng, 4, 3, 3, 3)),
        (_n(rng, 1, 4, 5, 7), _n(rng, 4, 1, 2, 3)),       # depthwise (groups = 4)
        (_n(rng, 2, 2, 4, 4), _n(rng, 3, 2, 1, 1)),       # 1x1
    ]


_CONV_CONF = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1), groups=4),
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1),
]
_CONV_CONF2 = [
    dict(stride=(2, 2), padding=(1, 1), dilation=(2, 1), groups=1),
    dict(stride=(1, 2), padding=(0, 1), dilation=(1, 2), groups=4),
    dict(stride=(2, 1), padding=(0, 0), dilation=(1, 1), groups=1),
]


def _conv_op(conf):
    def op(x, w):
        return tg.conv2d(x, w, **conf)
    return op


def _conv_entries():
    entries = []
    for k, confs in enumerate((_CONV_CONF, _CONV_CONF2)):
        for i, conf in enumerate(confs):
            entries.append(OpSpec(
                name="Conv2d", op=_conv_op(conf),
                reference=lambda x, w, c=conf: ref_conv2d(x, w, **c),
                samples=lambda rng, i=i: [_conv_samples(rng)[i]],
                notes=f"conv set {k} case {i}",
            ))
    conf = _CONV_CONF2[0]
    entries.append(OpSpec(
        name="Conv2d", op=lambda x, w, b: tg.conv2d(x, w, b, **conf),
        reference=lambda x, w, b: ref_conv2d(x, w, **conf) + b[None, :, None, None],
        samples=lambda rng: [_conv_samples(rng)[0] + (_n(rng, 4),)], notes="with bias",
    ))
    entries.append(OpSpec(
        name="Conv2d", op=lambda x, w, b: tg.conv2d(x, w, b, **conf, activation="relu"),
        reference=lambda x, w, b: np.maximum(
            ref_conv2d(x, w, **conf) + b[None, :, None, None], 0),
        samples=lambda rng: [_conv_samples(rng)[0] + (_n(rng, 4),)], notes="fused ReLU",
    ))
    return entries


def _tconv_samples(rng):
    return [
        (_n(rng, 2, 3, 4, 4), _n(rng, 3, 2, 3, 3), {}),
        (_n(rng, 1, 4, 3, 5), _n(rng, 4, 1, 3, 2),
         dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=4)),
        (_n(rng, 2, 2, 3, 3), _n(rng, 2, 3, 2, 2),
         dict(stride=(2, 2), padding=(0, 1), dilation=(2, 1), output_padding=(1, 0))),
        # output_padding at or past the stride (allowed below the dilation): the gradient's
        # convolution has outputs past x's, which are not x's
        (_n(rng, 2, 2, 3, 4), _n(rng, 2, 3, 2, 2),
         dict(stride=(1, 2), padding=(0, 1), dilation=(2, 3), output_padding=(1, 2))),
    ]


def _tconv_entries():
    entries = []
    for i in range(4):
        conf = _tconv_samples(np.random.default_rng(0))[i][2]
        entries.append(OpSpec(
            name="ConvTranspose2d",
            op=lambda x, w, c=conf: tg.conv_transpose2d(x, w, **c),
            reference=lambda x, w, c=conf: ref_conv_transpose2d(
                x, w, **{k: v for k, v in c.items()}),
            samples=lambda rng, i=i: [_tconv_samples(rng)[i][:2]],
            notes=f"transposed conv case {i}",
        ))
    return entries


def _conv_weight_entry():
    conf = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    wshape = (4, 1, 3, 2)

    def samples(rng):
        x = _n(rng, 2, 2, 7, 6)
        oh = (7 + 2 - 2 - 1) // 2 + 1
        ow = (6 - 2 - 1) // 1 + 1
        return [(x, _n(rng, 2, 4, oh, ow))]

    return OpSpec(
        name="Conv2dWeight",
        op=lambda x, gy: tg.conv2d_weight(x, gy, wshape, **conf),
        reference=lambda x, gy: ref_conv2d_weight(x, gy, wshape, **conf),
        samples=samples,
    )


_MAX_POOLS = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 3), (2, 1), (1, 1), (1, 1), False),
    ((2, 3), (1, 2), (1, 0), (1, 1), False),
    ((2, 2), (2, 2), (0, 0), (1, 1), True),   # 2x2 on odd sizes: a last window past the input
    ((3, 2), (2, 2), (1, 1), (2, 3), True),   # dilated: some windows are padding only (-inf)
]
_AVG_POOLS = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 2), (2, 2), (0, 0), False, True, None), ((3, 3), (2, 1), (1, 1), False, True, None),
    ((2, 3), (1, 2), (1, 0), False, True, None),
    ((3, 3), (2, 2), (1, 1), True, True, None),  # ceil windows past the padding: not counted
    ((2, 3), (2, 2), (1, 1), True, False, None),
    ((3, 2), (2, 1), (1, 0), False, True, 5),
]


def _pool_samples(rng, k, s, p, d=(1, 1), ceil_mode=False):
    x = _distinct(rng, 2, 2, 6, 5)
    oh = _pooled(6, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pooled(5, k[1], s[1], p[1], d[1], ceil_mode)
    return [(x, _n(rng, 2, 2, oh, ow))]


def _pool_entries():
    entries = []
    for k, s, p, d, ceil in _MAX_POOLS:
        conf = dict(dilation=d, ceil_mode=ceil)
        note = f"kernel {k} stride {s} padding {p} dilation {d} ceil_mode {ceil}"
        entries.append(OpSpec(
            name="MaxPool2d", op=lambda x, k=k, s=s, p=p, c=conf: tg.max_pool2d(x, k, s, p, **c),
            reference=lambda x, k=k, s=s, p=p, d=d, c=ceil: ref_max_pool2d(x, k, s, p, d, c),
            samples=lambda rng: [(_distinct(rng, 2, 3, 6, 5),)], notes=note,
        ))

        def max_backward(x, gy, k=k, s=s, p=p, c=conf):
            y, argmax = tg.max_pool2d(x.detach(), k, s, p, return_indices=True, **c)
            valid = y._node.valid if y._node is not None else pooling._inside(
                x.shape[2:], k, s, p, c["dilation"], y.shape[2:])
            return pooling.MaxPool2dBackward.apply(gy, argmax=argmax.numpy(), in_size=x.shape[2:],
                                                   valid=valid)

        entries.append(OpSpec(
            name="MaxPool2dBackward", op=max_backward,
            reference=lambda x, gy, k=k, s=s, p=p, d=d, c=ceil: ref_max_pool2d_backward(
                x, gy, k, s, p, d, c),
            samples=lambda rng, k=k, s=s, p=p, d=d, c=ceil: _pool_samples(rng, k, s, p, d, c),
            differentiable=(1,), notes=note,
        ))
    for k, s, p, ceil, include, divisor in _AVG_POOLS:
        args = (ceil, include, divisor)
        note = f"kernel {k} stride {s} padding {p} ceil_mode/count_include_pad/divisor {args}"
        entries.append(OpSpec(
            name="AvgPool2d", op=lambda x, k=k, s=s, p=p, a=args: tg.avg_pool2d(x, k, s, p, *a),
            reference=lambda x, k=k, s=s, p=p, a=args: ref_avg_pool2d(x, k, s, p, *a),
            samples=lambda rng: [(_n(rng, 2, 3, 6, 5),)], notes=note,
        ))
        entries.append(OpSpec(
            name="AvgPool2dBackward",
            op=lambda x, gy, k=k, s=s, p=p, i=include, v=divisor: pooling.AvgPool2dBackward.apply(
                gy, in_size=x.shape[2:], kernel=k, stride=s, padding=p, count_include_pad=i,
                divisor=v or 0),
            reference=lambda x, gy, k=k, s=s, p=p, a=args: ref_avg_pool2d_backward(
                gy, x.shape, k, s, p, *a),
            samples=lambda rng, k=k, s=s, p=p, c=ceil: _pool_samples(rng, k, s, p, (1, 1), c),
            differentiable=(1,), notes=note,
        ))
    return entries


def _sum_to_samples(rng):
    return [(_n(rng, 2, 3, 4),), (_n(rng, 3, 1),)]


def _index_samples(rng):
    return [(_n(rng, 4, 5),)]


_INDEX = (np.array([0, 2, 2, 3]), slice(1, 4))


def _ref_index_add(v):
    out = np.zeros((5, 6))
    np.add.at(out, (np.array([0, 4, 0]), slice(None, None, 2)), v)
    return out


_GATHER = np.array([[[0, 1], [3, 3], [2, 0]], [[1, 1], [0, 2], [3, 0]]])  # (2, 3, 2), dim 1


def _ref_gather(a):
    out = np.empty(_GATHER.shape)
    for i, j, k in np.ndindex(*_GATHER.shape):
        out[i, j, k] = a[i, _GATHER[i, j, k], k]
    return out


def _ref_scatter_add(a, s):
    out = a.copy()
    for i, j, k in np.ndindex(*_GATHER.shape):
        out[i, _GATHER[i, j, k], k] += s[i, j, k]
    return out


_CE_LABELS = np.array([2, 0, 1, 2])

ENTRIES: list[OpSpec] = [
    OpSpec("Add", lambda a, b: a + b, np.add, _binary_samples(_n)),
    OpSpec("Sub", lambda a, b: a - b, np.subtract, _binary_samples(_n)),
    OpSpec("Mul", lambda a, b: a * b, np.multiply, _binary_samples(_n)),
    OpSpec("AddScalar", lambda a: (a + 1.5) - 2, lambda a: a - 0.5, _unary_samples(_n),
           notes="tensor + Python number, and minus one"),
    OpSpec("AddScalar", lambda a: 0.25 + a, lambda a: a + 0.25, _unary_samples(_n),
           notes="reflected"),
    OpSpec("MulScalar", lambda a: (a * 1.5) * -2, lambda a: a * -3.0, _unary_samples(_n)),
    OpSpec("MulScalar", lambda a: 3 * a, lambda a: 3 * a, _unary_samples(_n),
           notes="reflected, integer scalar"),
    OpSpec("Div", lambda a, b: a / b, np.divide, _binary_samples(_away_from_zero)),
    OpSpec("Neg", lambda a: -a, np.negative, _unary_samples(_n)),
    OpSpec("Pow", lambda a, b: a ** b, np.power, _binary_samples(_pos)),
    OpSpec("Pow", lambda a: a ** 3, lambda a: a ** 3, _unary_samples(_n), notes="scalar exponent"),
    OpSpec("Exp", tg.exp, np.exp, _unary_samples(_n)),
    OpSpec("Log", tg.log, np.log, _unary_samples(_pos)),
    OpSpec("Sqrt", tg.sqrt, np.sqrt, _unary_samples(_pos)),
    OpSpec("Abs", tg.abs, np.abs, _unary_samples(_away_from_zero)),
    OpSpec("Maximum", tg.maximum, np.maximum, _binary_samples(_away_from_zero)),
    OpSpec("Minimum", tg.minimum, np.minimum, _binary_samples(_away_from_zero)),
    OpSpec("Relu", tg.relu, lambda a: np.maximum(a, 0), _unary_samples(_away_from_zero)),
    OpSpec("Sigmoid", tg.sigmoid, lambda a: 1 / (1 + np.exp(-a)), _unary_samples(_n)),
    OpSpec("Tanh", tg.tanh, np.tanh, _unary_samples(_n)),
    OpSpec("Erf", tg.erf, special.erf, _unary_samples(_n)),
    OpSpec("Sin", tg.sin, np.sin, _unary_samples(_n)),
    OpSpec("Cos", tg.cos, np.cos, _unary_samples(_n)),
    OpSpec("Log1p", tg.log1p, np.log1p, _unary_samples(_pos)),
    OpSpec("Expm1", tg.expm1, np.expm1, _unary_samples(_n)),
    *[OpSpec(name, getattr(tg, name.lower()), ref, _unary_samples(make))
      for name, ref, make in (
          ("Tan", np.tan, _n), ("Atan", np.arctan, _n), ("Sinh", np.sinh, _n),
          ("Cosh", np.cosh, _n), ("Asinh", np.arcsinh, _n),
          ("Asin", np.arcsin, lambda rng, *s: rng.uniform(-0.9, 0.9, size=s)),
          ("Acos", np.arccos, lambda rng, *s: rng.uniform(-0.9, 0.9, size=s)),
          ("Atanh", np.arctanh, lambda rng, *s: rng.uniform(-0.9, 0.9, size=s)),
          ("Acosh", np.arccosh, lambda rng, *s: rng.uniform(1.2, 3.0, size=s)))],
    OpSpec("Atan2", tg.atan2, np.arctan2, _binary_samples(_away_from_zero)),
    *[OpSpec(name, getattr(tg, name.lower()), ref,
             _unary_samples(lambda rng, *s: _n(rng, *s) * 3),
             notes="piecewise constant: gradient 0 (PyTorch's)")
      for name, ref in (("Floor", np.floor), ("Ceil", np.ceil), ("Round", np.round),
                        ("Trunc", np.trunc), ("Sign", np.sign))],
    OpSpec("Remainder", lambda a, b: a % b, np.remainder,
           lambda rng: [(_n(rng, 3, 4) * 3, _away_from_zero(rng, 3, 4)),
                        (_n(rng, 2, 3) * 3, _away_from_zero(rng, 3))],
           notes="the divisor's sign, as Python's %"),
    OpSpec("SigmoidBackward", lambda y, g: elementwise.SigmoidBackward.apply(y, g),
           lambda y, g: g * y * (1 - y), lambda rng: [(rng.uniform(0.05, 0.95, (3, 4)),
                                                      _n(rng, 3, 4)), (_n(rng), _n(rng))]),
    OpSpec("TanhBackward", lambda y, g: elementwise.TanhBackward.apply(y, g),
           lambda y, g: g * (1 - y * y), lambda rng: [(rng.uniform(-0.9, 0.9, (3, 4)),
                                                      _n(rng, 3, 4)), (_n(rng, 0, 2),
                                                                       _n(rng, 0, 2))]),
    OpSpec("Where", lambda c, a, b: tg.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
           lambda rng: [(_n(rng, 3, 4), _n(rng, 3, 4), _n(rng, 4)), (_n(rng, 3, 1), _n(rng),
                                                                      _n(rng, 1, 4))],
           differentiable=(1, 2)),
    OpSpec("Clamp", lambda a: tg.clamp(a, -0.5, 0.8), lambda a: np.clip(a, -0.5, 0.8),
           _unary_samples(lambda rng, *s: _away_from_zero(rng, *s) * 0.9 + 0.05)),
    OpSpec("Cast", lambda a: elementwise.cast(a, np.float32).double(),
           lambda a: a.astype(np.float32).astype(np.float64), _unary_samples(_n), atol=1e-3,
           rtol=1e-3, eps=1e-2, keeps_dtype=False, notes="float32 round trip: a coarse step"),
    OpSpec("Clone", lambda a: a.clone(), np.copy, _unary_samples(_n)),
    OpSpec("ToDevice", lambda a: elementwise.ToDevice.apply(a, device=tg.device("cpu")), np.copy,
           _unary_samples(_n),
           notes="cpu -> cpu; the CUDA suite covers real moves"),
    OpSpec("Sum", lambda a: a.sum(), np.sum, _unary_samples(_n)),
    OpSpec("Sum", lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True),
           lambda rng: [(_n(rng, 2, 3, 4),), (_n(rng, 4, 3, 2).transpose(2, 1, 0),)]),
    OpSpec("Mean", lambda a: a.mean(-1), lambda a: a.mean(-1),
           lambda rng: [(_n(rng, 3, 4),), (_n(rng, 1, 5, 1),), (_n(rng, 5, 3).T,)]),
    OpSpec("Mean", lambda a: a.mean((0, 1)), lambda a: a.mean((0, 1)),
           lambda rng: [(_n(rng, 2, 3, 4),)]),
    OpSpec("Amax", lambda a: a.amax(1), lambda a: a.max(1),
           lambda rng: [(_distinct(rng, 3, 4),), (_distinct(rng, 2, 3, 2),)]),
    OpSpec("Amax", lambda a: a.amax(), np.max, lambda rng: [(_distinct(rng, 3, 4),)]),
    OpSpec("Amin", lambda a: a.amin((0, 2), keepdim=True),
           lambda a: a.min((0, 2), keepdims=True), lambda rng: [(_distinct(rng, 3, 4, 2),)]),
    OpSpec("Var", lambda a: a.var(1), lambda a: a.var(1, ddof=1),
           lambda rng: [(_n(rng, 3, 4),), (_n(rng, 5, 3).T,)]),
    OpSpec("Var", lambda a: a.var((0, 1), correction=0, keepdim=True),
           lambda a: a.var((0, 1), keepdims=True), lambda rng: [(_n(rng, 2, 3, 4),)]),
    OpSpec("Std", lambda a: a.std(1), lambda a: a.std(1, ddof=1),
           lambda rng: [(_n(rng, 3, 4),)]),
    OpSpec("Std", lambda a: tg.norm(a), np.linalg.norm, lambda rng: [(_n(rng, 3, 4),)],
           notes="norm: the 2-norm through std's root"),
    OpSpec("Sum", lambda a: a.norm(1, dim=1), lambda a: np.abs(a).sum(1),
           lambda rng: [(_away_from_zero(rng, 3, 4),)], notes="norm p=1"),
    OpSpec("Pow", lambda a: a.norm(3, dim=0, keepdim=True),
           lambda a: (np.abs(a) ** 3).sum(0, keepdims=True) ** (1 / 3),
           lambda rng: [(_away_from_zero(rng, 3, 4),)], notes="norm p=3"),
    OpSpec("Prod", lambda a: a.prod(1), lambda a: np.prod(a, 1),
           lambda rng: [(_n(rng, 3, 4),), (_n(rng, 2, 3, 4),)]),
    OpSpec("Prod", lambda a: a.prod((0, 2), keepdim=True),
           lambda a: np.prod(a, (0, 2), keepdims=True),
           lambda rng: [(np.where(rng.random((3, 2, 2)) < 0.3, 0.0, _n(rng, 3, 2, 2)),)],
           notes="zeros: one or two per group (exact zeros; the gradient divides by none)"),
    OpSpec("Prod", lambda a: a.prod(), np.prod, lambda rng: [(_n(rng, 2, 3),)]),
    *[OpSpec("MatMul", lambda *ts, e=eq: tg.einsum(e, *ts), lambda *xs, e=eq: np.einsum(e, *xs),
             lambda rng, s=shapes: [tuple(_n(rng, *shape) for shape in s)],
             notes=f"einsum {eq!r}")
      for eq, shapes in (("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bkj->bik", [(2, 3, 4), (2, 2, 4)]),
                         ("i,j->ij", [(3,), (2,)]), ("ij->", [(3, 4)]),
                         ("...ij,jk->...ik", [(2, 1, 3, 4), (4, 2)]),
                         ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]), ("ij,ij->i", [(3, 4), (3, 4)]),
                         ("bi,bj", [(2, 3), (2, 4)]))],
    OpSpec("GetItem", lambda a: tg.einsum("iij->ji", a), lambda a: np.einsum("iij->ji", a),
           lambda rng: [(_n(rng, 3, 3, 2),)], notes="einsum: a diagonal"),
    OpSpec("GetItem", lambda a: tg.gather(a, 1, _GATHER), _ref_gather,
           lambda rng: [(_n(rng, 3, 4, 2),)], notes="gather: an index shorter than the input"),
    OpSpec("GetItem", lambda a: a.index_select(0, np.array([2, 0, 2])),
           lambda a: np.take(a, [2, 0, 2], axis=0), lambda rng: [(_n(rng, 3, 4),)],
           notes="index_select, a repeat"),
    OpSpec("IndexAdd", lambda a, s: tg.scatter_add(a, 1, _GATHER, s), _ref_scatter_add,
           lambda rng: [(_n(rng, 3, 4, 2), _n(rng, 2, 5, 2))],
           notes="scatter_add: repeats sum; src larger than the index"),
    OpSpec("CumSum", lambda a: a.cumsum(1), lambda a: np.cumsum(a, 1),
           lambda rng: [(_n(rng, 3, 4),), (_n(rng, 2, 3, 4),), (_n(rng, 5, 3).T,)]),
    OpSpec("CumSum", lambda a: tg.cumsum(a, 0), lambda a: np.cumsum(a, 0),
           lambda rng: [(_n(rng, 4, 3),), (_n(rng, 5),)]),
    OpSpec("GetItem", lambda a: a.flip((0, 2)), lambda a: np.flip(a, (0, 2)),
           lambda rng: [(_n(rng, 2, 3, 4),)], notes="flip"),
    OpSpec("Expand", lambda a: a.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)),
           lambda rng: [(_n(rng, 3, 2),), (_n(rng, 2, 3, 1),)], notes="repeat (numpy's tile)"),
    OpSpec("Where", lambda a: a.masked_fill(a > 0.5, -1.0), lambda a: np.where(a > 0.5, -1, a),
           lambda rng: [(_away_from_zero(rng, 3, 4),)], notes="masked_fill"),
    OpSpec("Mul", tg.outer, np.outer, lambda rng: [(_n(rng, 3), _n(rng, 4))], notes="outer"),
    OpSpec("MatMul", tg.dot, np.dot, lambda rng: [(_n(rng, 5), _n(rng, 5))], notes="dot"),
    OpSpec("GetItem", lambda a: tg.sort(a, 1).values, lambda a: np.sort(a, 1),
           lambda rng: [(_distinct(rng, 3, 5),)], notes="sort: values gathered at the order"),
    OpSpec("GetItem", lambda a: a.sort(0, descending=True)[0], lambda a: -np.sort(-a, 0),
           lambda rng: [(_distinct(rng, 4, 3),)], notes="sort, descending"),
    OpSpec("GetItem", lambda a: a.topk(2, 1).values, lambda a: -np.sort(-a, 1)[:, :2],
           lambda rng: [(_distinct(rng, 3, 5),)], notes="topk"),
    OpSpec("GetItem", lambda a: tg.topk(a, 3, 0, largest=False)[0], lambda a: np.sort(a, 0)[:3],
           lambda rng: [(_distinct(rng, 4, 2),)], notes="topk, smallest"),
    OpSpec("Reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1),
           lambda rng: [(_n(rng, 2, 6),), (_n(rng, 6, 2).T,), (_n(rng, 4, 0),)]),
    OpSpec("Permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1),
           lambda rng: [(_n(rng, 2, 3, 4),)]),
    OpSpec("Expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)),
           lambda rng: [(_n(rng, 3, 1),), (_n(rng, 1, 4),), (_n(rng),)]),
    OpSpec("SumTo", lambda a: shape.sum_to(a, (3, 1)), lambda a: np.sum(
        a.reshape(-1, 3, a.shape[-1]), axis=0).sum(-1, keepdims=True),
           lambda rng: [(_n(rng, 2, 3, 4),), (_n(rng, 3, 5),)]),
    OpSpec("Cat", lambda a, b: tg.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
           lambda rng: [(_n(rng, 2, 3), _n(rng, 2, 1)), (_n(rng, 2, 0), _n(rng, 2, 2))]),
    OpSpec("Pad", lambda a: tg.pad(a, (1, 2, 0, 1)), lambda a: np.pad(a, ((0, 1), (1, 2))),
           lambda rng: [(_n(rng, 2, 3),), (_n(rng, 3, 2).T,)]),
    *[OpSpec("Pad", lambda a, m=mode: tg.pad(a, (2, 1, 1, 2), mode=m),
             lambda a, m=np_mode: np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=m),
             lambda rng: [(_n(rng, 2, 3, 4),)], notes=f"mode {mode!r} (numpy's {np_mode!r})")
      for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge"),
                            ("circular", "wrap"))],
    OpSpec("GetItem", lambda a: a[1:3, ::2], lambda a: a[1:3, ::2], _index_samples),
    OpSpec("GetItem", lambda a: a[_INDEX], lambda a: a[_INDEX], _index_samples,
           notes="repeated integer-array index: the backward must sum the repeats"),
    OpSpec("GetItem", lambda a: a[a.detach() > 0], lambda a: a[a > 0], _index_samples,
           notes="boolean mask"),
    OpSpec("IndexAdd",
           lambda v: indexing.index_add(v, (np.array([0, 4, 0]), slice(None, None, 2)), (5, 6)),
           _ref_index_add, lambda rng: [(_n(rng, 3, 3),)]),
    OpSpec("MatMul", lambda a, b: a @ b, np.matmul, lambda rng: [
        (_n(rng, 3, 4), _n(rng, 4, 2)), (_n(rng, 2, 3, 4), _n(rng, 4, 5)),
        (_n(rng, 2, 1, 3, 4), _n(rng, 3, 4, 2)), (_n(rng, 4), _n(rng, 4)),
        (_n(rng, 4), _n(rng, 4, 3)), (_n(rng, 3, 4), _n(rng, 4)), (_n(rng, 4, 3).T, _n(rng, 4, 2)),
    ]),
    OpSpec("Linear", tg.linear, lambda x, w, b=None: x @ w.T + (0 if b is None else b),
           lambda rng: [(_n(rng, 3, 4), _n(rng, 2, 4), _n(rng, 2)),
                        (_n(rng, 2, 3, 4), _n(rng, 5, 4)),
                        (_n(rng, 5, 4), _n(rng, 3, 4), _n(rng, 3))]),
    OpSpec("Linear", lambda x, w, b=None: tg.linear(x, w, b, activation="relu"),
           lambda x, w, b=None: np.maximum(x @ w.T + (0 if b is None else b), 0),
           lambda rng: [(_n(rng, 3, 4), _n(rng, 2, 4), _n(rng, 2)),
                        (_n(rng, 2, 3, 4), _n(rng, 5, 4))], notes="fused ReLU"),
    OpSpec("SoftmaxCrossEntropy",
           lambda x, w: tg.softmax_cross_entropy(x, _CE_LABELS, w, "none"),
           lambda x, w: -w * (special.log_softmax(x, axis=1)[np.arange(4), _CE_LABELS]),
           lambda rng: [(_n(rng, 4, 3) * 3, rng.uniform(0.5, 2, 4))]),
    OpSpec("SoftmaxCrossEntropy",
           lambda x: tg.softmax_cross_entropy(x, _CE_LABELS),
           lambda x: -special.log_softmax(x, axis=1)[np.arange(4), _CE_LABELS].sum(),
           lambda rng: [(_n(rng, 4, 3) * 3,)], notes="summed, unit weights"),
    *_conv_entries(),
    *_tconv_entries(),
    _conv_weight_entry(),
    *_pool_entries(),
]
