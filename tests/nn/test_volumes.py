"""3-d convolution, pooling and norms of (N, C, D, H, W) volumes, against numpy loops over
every output position and finite differences in float64."""

import itertools

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
import tensorgrad_nn.functional as F
from tensorgrad.autograd import gradcheck


def _ref_conv3d(x, w, b, stride, padding, dilation, groups):
    n_, c_, *size = x.shape
    o_, cg, *k = w.shape
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out = [(size[i] + 2 * padding[i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1
           for i in range(3)]
    y = np.zeros((n_, o_, *out))
    per = o_ // groups
    for o in range(o_):
        g = o // per
        for pos in itertools.product(*map(range, out)):
            sl = tuple(slice(pos[i] * stride[i],
                             pos[i] * stride[i] + dilation[i] * (k[i] - 1) + 1, dilation[i])
                       for i in range(3))
            win = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            y[(slice(None), o) + pos] = (win * w[o]).sum((1, 2, 3, 4)) + (
                b[o] if b is not None else 0)
    return y


def _ref_pool3d(x, k, s, p, reduce, count_include_pad=True):
    n_, c_, *size = x.shape
    fill = -np.inf if reduce == "max" else 0.0
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p], constant_values=fill)
    inside = np.pad(np.ones(size), [(q, q) for q in p])
    out = [(size[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(3)]
    y = np.zeros((n_, c_, *out))
    for pos in itertools.product(*map(range, out)):
        sl = tuple(slice(pos[i] * s[i], pos[i] * s[i] + k[i]) for i in range(3))
        win = xp[(slice(None), slice(None)) + sl]
        if reduce == "max":
            y[(slice(None), slice(None)) + pos] = win.max((2, 3, 4))
        else:
            count = np.prod(k) if count_include_pad else inside[sl].sum()
            y[(slice(None), slice(None)) + pos] = win.sum((2, 3, 4)) / count
    return y


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    ((1, 1, 1), (0, 0, 0), (1, 1, 1), 1),
    ((2, 1, 2), (1, 2, 0), (1, 1, 1), 2),
    ((1, 2, 1), (2, 0, 1), (2, 1, 1), 1),
])
def test_conv3d_matches_the_sum_over_each_window(stride, padding, dilation, groups):
    rng = np.random.default_rng(sum(stride) + groups)
    x = rng.standard_normal((2, 4, 5, 6, 4))
    w = rng.standard_normal((6, 4 // groups, 3, 2, 2))
    b = rng.standard_normal(6)
    y = F.conv3d(tg.tensor(x), tg.tensor(w), tg.tensor(b), stride, padding, dilation, groups)
    assert np.allclose(y.numpy(), _ref_conv3d(x, w, b, stride, padding, dilation, groups))
    assert gradcheck(lambda a, c, d: F.conv3d(a, c, d, stride, padding, dilation, groups),
                     (tg.tensor(x[:1, :, :4], requires_grad=True),
                      tg.tensor(w, requires_grad=True), tg.tensor(b, requires_grad=True)))


def test_conv3d_same_padding_and_the_module():
    """padding='same' keeps the size (odd and even kernels); Conv3d's padding modes pad before
    the convolution, as PyTorch's."""
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((1, 2, 4, 5, 3)))
    w = tg.tensor(rng.standard_normal((3, 2, 3, 2, 1)))
    assert F.conv3d(x, w, padding="same").shape == (1, 3, 4, 5, 3)
    tg.manual_seed(0)
    conv = nn.Conv3d(2, 3, 3, padding=1, padding_mode="circular").double()
    wrapped = np.pad(x.numpy(), [(0, 0), (0, 0), (1, 1), (1, 1), (1, 1)], mode="wrap")
    want = _ref_conv3d(wrapped, conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                       (1, 1, 1), (0, 0, 0), (1, 1, 1), 1)
    assert np.allclose(conv(x).detach().numpy(), want)
    with pytest.raises(tg.ShapeError, match="conv3d: input"):
        F.conv3d(x, tg.zeros(3, 5, 3, 3, 3, dtype=tg.float64))


@pytest.mark.parametrize("stride, padding, output_padding, dilation, groups", [
    ((1, 1, 1), (0, 0, 0), (0, 0, 0), (1, 1, 1), 1),
    ((2, 1, 3), (1, 0, 1), (1, 0, 2), (1, 1, 1), 1),
    ((3, 2, 1), (0, 1, 0), (2, 1, 0), (2, 1, 2), 2),
])
def test_conv_transpose3d_is_the_adjoint_of_conv3d(stride, padding, output_padding, dilation,
                                                   groups):
    """<conv3d(x, w), y> = <x, conv_transpose3d(y, w)> for every x and y (output_padding
    picking the x size conv3d maps onto y's), and finite differences in float64."""
    rng = np.random.default_rng(sum(stride) + groups)
    w = rng.standard_normal((4, 6 // groups, 3, 2, 2))  # conv3d: 4 out, 6 in channels
    y = rng.standard_normal((2, 4, 3, 4, 3))
    xt = F.conv_transpose3d(tg.tensor(y), tg.tensor(w), None, stride, padding, output_padding,
                            groups, dilation)
    x = rng.standard_normal(xt.shape)
    forward = F.conv3d(tg.tensor(x), tg.tensor(w), None, stride, padding, dilation, groups)
    assert forward.shape == y.shape
    assert np.isclose((forward.numpy() * y).sum(), (x * xt.numpy()).sum())
    assert gradcheck(lambda a, c: F.conv_transpose3d(a, c, None, stride, padding,
                                                     output_padding, groups, dilation),
                     (tg.tensor(y[:1, :, :2], requires_grad=True),
                      tg.tensor(w, requires_grad=True)))
    layer = nn.ConvTranspose3d(4, 6, (3, 2, 2), stride, padding, output_padding, groups,
                               dilation=dilation).double()
    assert layer(tg.tensor(y)).shape == xt.shape


@pytest.mark.parametrize("kernel, stride, padding", [
    ((2, 2, 2), (2, 2, 2), (0, 0, 0)),
    ((3, 2, 3), (2, 1, 2), (1, 1, 1)),
])
def test_max_and_avg_pool3d_match_the_window_loops(kernel, stride, padding):
    rng = np.random.default_rng(kernel[0])
    x = rng.standard_normal((2, 3, 5, 6, 5))
    xt = tg.tensor(x)
    assert np.allclose(F.max_pool3d(xt, kernel, stride, padding).numpy(),
                       _ref_pool3d(x, kernel, stride, padding, "max"))
    for include in (True, False):
        assert np.allclose(F.avg_pool3d(xt, kernel, stride, padding,
                                        count_include_pad=include).numpy(),
                           _ref_pool3d(x, kernel, stride, padding, "avg", include))
    small = tg.tensor(x[:1, :2], requires_grad=True)
    assert gradcheck(lambda a: F.max_pool3d(a, kernel, stride, padding), (small,))
    assert gradcheck(lambda a: F.avg_pool3d(a, kernel, stride, padding,
                                            count_include_pad=False), (small,))


def test_batch_and_instance_norm3d():
    """BatchNorm3d normalises each channel over (N, D, H, W) in training and keeps running
    statistics; InstanceNorm3d over each sample's (D, H, W)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 2, 3, 4)) * 2 + 1
    bn = nn.BatchNorm3d(2).double()
    y = bn(tg.tensor(x)).detach().numpy()
    mean, var = x.mean((0, 2, 3, 4), keepdims=True), x.var((0, 2, 3, 4), keepdims=True)
    assert np.allclose(y, (x - mean) / np.sqrt(var + 1e-5))
    unbiased = x.var((0, 2, 3, 4), ddof=1)
    assert np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * unbiased)
    inorm = nn.InstanceNorm3d(2)(tg.tensor(x)).numpy()
    mean, var = x.mean((2, 3, 4), keepdims=True), x.var((2, 3, 4), keepdims=True)
    assert np.allclose(inorm, (x - mean) / np.sqrt(var + 1e-5))
    with pytest.raises(tg.ShapeError, match="BatchNorm3d"):
        bn(tg.tensor(x[0]))


def test_a_small_3d_network_trains():
    """Conv3d -> BatchNorm3d -> ReLU -> MaxPool3d -> Linear learns to tell two kinds of volume
    apart (a bright centre or a bright corner)."""
    tg.manual_seed(3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 1, 4, 4, 4)).astype(np.float32) * 0.3
    labels = np.arange(32) % 2
    x[labels == 0, 0, 1:3, 1:3, 1:3] += 1.5
    x[labels == 1, 0, :2, :2, :2] += 1.5
    net = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                        nn.MaxPool3d(2), nn.Flatten(), nn.Linear(32, 2))
    opt = nn.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(net(tg.tensor(x)), tg.tensor(labels))
        loss.backward()
        opt.step()
    net.eval()
    accuracy = (net(tg.tensor(x)).argmax(1).numpy() == labels).mean()
    assert loss.item() < 0.2 and accuracy == 1.0


@pytest.mark.parametrize("output_size", [(3, 2, 4), 1, (None, 2, 3), (2, None, 5)])
def test_adaptive_pool3d_matches_the_bins(output_size):
    """Each output is the mean (max) of PyTorch's bin [floor(i D / out), ceil((i + 1) D / out))
    along every axis, computed here box by box; gradients by finite differences."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 7, 5, 6))
    sizes = (output_size,) * 3 if isinstance(output_size, int) else output_size
    out = [x.shape[2 + i] if s is None else s for i, s in enumerate(sizes)]

    def bins(size, n):
        return [((i * size) // n, -((-(i + 1) * size) // n)) for i in range(n)]

    for layer, reduce in ((nn.AdaptiveAvgPool3d(output_size), np.mean),
                          (nn.AdaptiveMaxPool3d(output_size), np.max)):
        want = np.empty(x.shape[:2] + tuple(out))
        for i, (d0, d1) in enumerate(bins(7, out[0])):
            for j, (h0, h1) in enumerate(bins(5, out[1])):
                for k, (w0, w1) in enumerate(bins(6, out[2])):
                    want[:, :, i, j, k] = reduce(x[:, :, d0:d1, h0:h1, w0:w1], axis=(2, 3, 4))
        assert np.allclose(layer(tg.tensor(x)).numpy(), want)
        assert gradcheck(layer, (tg.tensor(x[:1, :1], requires_grad=True),))


def test_trilinear_and_linear_interpolation_reproduce_linear_functions():
    """With align_corners=True output i samples the input at i (n_in - 1) / (n_out - 1) along
    each axis, and (tri)linear interpolation of a linear function is exact there; 'nearest'
    takes element floor(i n_in / n_out). Gradients by finite differences."""
    d, h, w = np.meshgrid(np.arange(3.0), np.arange(4.0), np.arange(5.0), indexing="ij")
    volume = (2 * d - h + 0.5 * w + 1)[None, None]
    y = F.interpolate(tg.tensor(volume), size=(5, 7, 6), mode="trilinear", align_corners=True)
    sd, sh, sw = np.meshgrid(np.arange(5) * 2 / 4, np.arange(7) * 3 / 6, np.arange(6) * 4 / 5,
                             indexing="ij")
    assert np.allclose(y.numpy()[0, 0], 2 * sd - sh + 0.5 * sw + 1)
    line = np.arange(4.0)[None, None] * 3 - 2
    y1 = F.interpolate(tg.tensor(line), size=7, mode="linear", align_corners=True)
    assert np.allclose(y1.numpy()[0, 0], np.arange(7) * 0.5 * 3 - 2)
    near = nn.Upsample(scale_factor=(2, 1.5, 1), mode="nearest")(tg.tensor(volume))
    idx = [np.floor(np.arange(n_out) * n_in / n_out).astype(int)
           for n_in, n_out in ((3, 6), (4, 6), (5, 5))]
    assert np.array_equal(near.numpy()[0, 0], volume[0, 0][np.ix_(*idx)])
    x = tg.tensor(np.random.default_rng(5).standard_normal((1, 1, 2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=1.5, mode="trilinear"), (x,))
    with pytest.raises(ValueError, match="'nearest' or 'trilinear'"):
        F.interpolate(x, scale_factor=2, mode="bilinear")
