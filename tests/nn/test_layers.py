"""Every layer: forward against a numpy reference, gradients against finite differences (float64),
train/eval behaviour where it differs."""

import numpy as np
import pytest
from scipy import special
from scipy.spatial import distance

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck
from tests.ops.table import ref_avg_pool2d, ref_conv2d, ref_conv_transpose2d, ref_max_pool2d

rng = np.random.default_rng(0)


def _params_f64(module):
    return module.double()


def test_linear_matches_numpy_and_gradcheck():
    layer = _params_f64(nn.Linear(4, 3))
    x = rng.standard_normal((5, 4))
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.allclose(layer(tg.tensor(x)).detach().numpy(), x @ w.T + b)
    gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), tg.tensor(x), tg.tensor(w),
              tg.tensor(b))


def test_linear_default_init_bounds_follow_pytorch():
    layer = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    assert layer.weight.dtype == np.float32


def test_dense_backprop_matches_the_slugnet_formulas():
    """dL/dW = delta^T x (PyTorch's (out, in) layout of x^T delta), dL/dx = delta W,
    dL/db = sum of delta over the batch."""
    layer = _params_f64(nn.Dense(3, inshape=4))
    x = tg.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    delta = rng.standard_normal((6, 3))
    layer(x).backward(tg.tensor(delta))
    w = layer.weight.detach().numpy()
    assert np.allclose(layer.weight.grad.numpy(), delta.T @ x.detach().numpy())
    assert np.allclose(x.grad.numpy(), delta @ w)
    assert np.allclose(layer.bias.grad.numpy(), delta.sum(0))


def test_relu_backward_is_piecewise():
    x = tg.tensor(np.linspace(-1, 1, 10 * 32).reshape(10, 32), requires_grad=True)
    nn.ReLU()(x).backward(tg.ones(10, 32, dtype=tg.float64) / (32 * 10))
    expected = (x.detach().numpy() > 0) / (32 * 10)
    assert np.array_equal(x.grad.numpy(), expected)


def test_dense_infers_its_input_size_and_applies_activation():
    layer = nn.Dense(5, activation=nn.Softmax())
    assert layer.in_features is None
    y = layer(tg.randn(2, 7))
    assert layer.in_features == 7 and layer.weight.shape == (5, 7)
    assert np.allclose(y.detach().numpy().sum(1), 1, atol=1e-6)


def test_lazy_layers_keep_parameter_identity_for_optimizers():
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.Flatten(), nn.LazyLinear(2))
    params = list(model.parameters())
    opt = nn.optim.SGD(params, lr=0.1)
    loss = model(tg.randn(2, 3, 6, 6)).sum()
    loss.backward()
    before = model[0].weight.detach().numpy().copy()
    opt.step()
    assert model[0].weight.shape == (4, 3, 3, 3) and model[2].weight.shape == (2, 64)
    assert not np.array_equal(before, model[0].weight.detach().numpy())


@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=2),
])
def test_conv2d_layer_matches_scipy_reference(kw):
    layer = _params_f64(nn.Conv2d(4, 6, 3, **kw))
    x = rng.standard_normal((2, 4, 7, 7))
    stride = (kw.get("stride", 1),) * 2
    dilation = (kw.get("dilation", 1),) * 2
    pad = kw.get("padding", 0)
    pad = (dilation[0],) * 2 if pad == "same" else (pad,) * 2
    ref = ref_conv2d(x, layer.weight.detach().numpy(), stride, pad, dilation,
                     kw.get("groups", 1)) + layer.bias.detach().numpy()[:, None, None]
    assert np.allclose(layer(tg.tensor(x)).detach().numpy(), ref)


def test_depthwise_separable_is_two_layers():
    block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.Conv2d(8, 16, 1))
    y = block(tg.randn(2, 8, 32, 32))
    assert y.shape == (2, 16, 32, 32)
    assert block[0].weight.shape == (8, 1, 3, 3) and block[1].weight.shape == (16, 8, 1, 1)


def test_conv_layer_gradients():
    layer = _params_f64(nn.Conv2d(2, 3, 3, stride=2, padding=1))
    x = tg.tensor(rng.standard_normal((2, 2, 5, 5)))
    gradcheck(lambda x, w, b: tg.conv2d(x, w, b, 2, 1), x, layer.weight.detach(),
              layer.bias.detach())


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                           ("circular", "wrap")])
@pytest.mark.parametrize("padding", [(1, 2), "same"])
def test_conv_layer_padding_modes_match_numpy_padding(mode, np_mode, padding):
    """padding_mode pads the input as np.pad's mode does, then convolves without padding
    (PyTorch's Conv2d); 'same' splits an even kernel's padding as conv2d does (less before)."""
    layer = _params_f64(nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode))
    x = rng.standard_normal((2, 2, 5, 6))
    widths = ((1, 1), (2, 2)) if padding == (1, 2) else ((1, 1), (1, 2))
    xp = np.pad(x, ((0, 0), (0, 0)) + widths, mode=np_mode)
    ref = ref_conv2d(xp, layer.weight.detach().numpy()) + layer.bias.detach().numpy()[:, None,
                                                                                       None]
    xt = tg.tensor(x, requires_grad=True)
    y = layer(xt)
    assert y.shape == ref.shape and np.allclose(y.detach().numpy(), ref)
    gradcheck(lambda t: layer(t), tg.tensor(x[:1]))
    assert f"padding_mode='{mode}'" in repr(layer)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 3, 3, padding_mode="mirror")


def test_conv_transpose_layer_matches_reference():
    layer = _params_f64(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1))
    x = rng.standard_normal((2, 3, 4, 4))
    y = layer(tg.tensor(x)).detach().numpy()
    ref = ref_conv_transpose2d(x, layer.weight.detach().numpy(), (2, 2), (1, 1), (1, 1)) + \
        layer.bias.detach().numpy()[:, None, None]
    assert y.shape == (2, 4, 8, 8) and np.allclose(y, ref)


def test_pooling_layers():
    x = rng.standard_normal((2, 3, 6, 6))
    assert np.allclose(nn.MaxPool2d(2)(tg.tensor(x)).numpy(), ref_max_pool2d(x, (2, 2), (2, 2),
                                                                           (0, 0)))
    mean = nn.MeanPooling((2, 2))(tg.tensor(x)).numpy()
    assert np.allclose(mean, x.reshape(2, 3, 3, 2, 3, 2).mean((3, 5)))
    assert np.allclose(nn.AdaptiveAvgPool2d(1)(tg.tensor(x)).numpy(), x.mean((2, 3),
                                                                             keepdims=True))
    ada = nn.AdaptiveAvgPool2d((4, 4))(tg.tensor(x)).numpy()
    assert np.isclose(ada[0, 0, 0, 0], x[0, 0, 0:2, 0:2].mean())
    assert np.isclose(ada[0, 0, 1, 1], x[0, 0, 1:3, 1:3].mean())
    gradcheck(lambda t: nn.AdaptiveAvgPool2d((4, 3))(t), tg.tensor(x[:1, :1]))


def test_pooling_layers_take_pytorchs_options():
    x = rng.standard_normal((2, 3, 7, 7))
    pool = nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True)
    assert np.allclose(pool(tg.tensor(x)).numpy(),
                       ref_max_pool2d(x, (3, 3), (2, 2), (1, 1), (2, 2), True))
    y, idx = nn.MaxPool2d(2, return_indices=True)(tg.tensor(x))
    assert idx.shape == y.shape == (2, 3, 3, 3)
    avg = nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False, divisor_override=3)
    assert np.allclose(avg(tg.tensor(x)).numpy(),
                       ref_avg_pool2d(x, (2, 2), (2, 2), (0, 0), True, False, 3))


def test_dropout_mask_scaling_and_eval_identity():
    tg.manual_seed(0)
    layer = nn.Dropout(0.5)
    x = tg.ones(1000, requires_grad=True)
    y = layer(x)
    kept = y.detach().numpy() != 0
    assert np.all(y.detach().numpy()[kept] == 2.0)
    assert 0.4 < kept.mean() < 0.6
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), kept * 2.0)  # the gradient uses the same mask
    layer.eval()
    assert np.array_equal(layer(x).detach().numpy(), np.ones(1000))
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(-0.1)


def test_batchnorm2d_train_and_eval():
    bn = _params_f64(nn.BatchNorm2d(3))
    x = rng.standard_normal((4, 3, 5, 5)) * 2 + 1
    y = bn(tg.tensor(x)).detach().numpy()
    ref = (x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(x.var((0, 2, 3), keepdims=True) + 1e-5)
    assert np.allclose(y, ref)
    assert np.allclose(bn.running_mean.numpy(), 0.1 * x.mean((0, 2, 3)))
    n = 4 * 25
    assert np.allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var((0, 2, 3)) * n / (n - 1))
    bn.eval()
    y_eval = bn(tg.tensor(x)).detach().numpy()
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    assert np.allclose(y_eval, (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5))
    bn.train()
    gradcheck(_bn_fn,
              tg.tensor(x[:2, :, :2, :2]), tg.tensor(np.ones(3)), tg.tensor(np.zeros(3)))


def test_batchnorm_momentum_none_keeps_a_cumulative_average():
    """momentum=None (PyTorch's): the running statistics are the plain average of every batch's
    mean and unbiased variance so far."""
    bn = _params_f64(nn.BatchNorm1d(3, momentum=None))
    batches = [rng.standard_normal((5, 3)) * (k + 1) + k for k in range(4)]
    for x in batches:
        bn(tg.tensor(x))
    assert bn.num_batches_tracked.item() == 4
    assert np.allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], 0))
    assert np.allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], 0))


def _bn_fn(x, w, b):
    mean = x.mean((0, 2, 3), keepdim=True)
    var = x.var((0, 2, 3), correction=0, keepdim=True)
    return (x - mean) / (var + 1e-5).sqrt() * w.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1)


def test_batchnorm1d_and_layernorm():
    x = rng.standard_normal((6, 4))
    bn = _params_f64(nn.BatchNorm1d(4))
    assert np.allclose(bn(tg.tensor(x)).detach().numpy(),
                       (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))
    ln = _params_f64(nn.LayerNorm(4))
    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    assert np.allclose(ln(tg.tensor(x)).detach().numpy(), ref)
    with pytest.raises(tg.ShapeError, match="BatchNorm1d"):
        bn(tg.randn(6, 5))
    x3 = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    mean, var = x3.mean((1, 2), keepdims=True), x3.var((1, 2), keepdims=True)
    got = nn.functional.layer_norm(tg.tensor(x3), (3, 4), tg.tensor(w), tg.tensor(b))
    assert np.allclose(got.numpy(), (x3 - mean) / np.sqrt(var + 1e-5) * w + b)
    gradcheck(lambda t, s: nn.functional.layer_norm(t, 4, s), tg.tensor(x3[0]), tg.tensor(w[0]))
    with pytest.raises(tg.ShapeError, match=r"layer_norm: expected trailing dims \(5,\)"):
        nn.functional.layer_norm(tg.tensor(x3), 5)


def test_embedding_lookup_and_gradient_sums_repeats():
    emb = _params_f64(nn.Embedding(5, 3))
    idx = tg.tensor([1, 3, 1])
    out = emb(idx)
    assert np.allclose(out.detach().numpy(), emb.weight.detach().numpy()[[1, 3, 1]])
    out.sum().backward()
    assert emb.weight.grad.numpy()[1].tolist() == [2.0, 2.0, 2.0]
    assert emb.weight.grad.numpy()[0].tolist() == [0.0, 0.0, 0.0]


def test_embedding_padding_idx_starts_at_zero_and_gets_no_gradient():
    emb = _params_f64(nn.Embedding(5, 3, padding_idx=-2))  # row 3
    assert emb.padding_idx == 3 and emb.weight.detach().numpy()[3].tolist() == [0.0] * 3
    with tg.no_grad():
        emb.weight[3] = 7.0  # a user's own padding vector still reads back as it is
    idx = np.array([[3, 1], [1, 3]])
    out = emb(tg.tensor(idx))
    assert np.array_equal(out.detach().numpy(), emb.weight.detach().numpy()[idx])
    (out * tg.tensor(np.arange(12.0).reshape(2, 2, 3))).sum().backward()
    grad = emb.weight.grad.numpy()
    assert grad[3].tolist() == [0.0] * 3 and grad[1].tolist() == [9.0, 11.0, 13.0]
    frozen = nn.Embedding.from_pretrained(np.arange(6.0).reshape(3, 2))
    assert not frozen.weight.requires_grad
    assert frozen(tg.tensor([2, 0])).numpy().tolist() == [[4.0, 5.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match="padding_idx 5 is out of range"):
        nn.Embedding(5, 3, padding_idx=5)


@pytest.mark.parametrize("layer,ref", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    (nn.GELU(), lambda x: 0.5 * x * (1 + special.erf(x / np.sqrt(2)))),
    (nn.GELU("tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
    (nn.Elementwise("Tanh"), np.tanh),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(2.0, 1.5), lambda x: np.where(2 * x > 1.5, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.Mish(), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    (nn.LogSigmoid(), lambda x: -np.log1p(np.exp(-x))),
    (nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    (nn.Hardtanh(-0.5, 1.0), lambda x: np.clip(x, -0.5, 1.0)),
    (nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    (nn.SELU(), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                        * (np.exp(x) - 1))),
    (nn.Identity(), lambda x: x),
    (nn.Flatten(), lambda x: x.reshape(len(x), -1)),
    (nn.Reshape(2, 2), lambda x: x.reshape(len(x), 2, 2)),
])
def test_activation_and_shape_layers(layer, ref):
    x = rng.uniform(0.2, 2.0, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    assert np.allclose(layer(tg.tensor(x)).detach().numpy(), ref(x))
    gradcheck(layer, tg.tensor(x))


@pytest.mark.parametrize("conf", [dict(), dict(stride=2, padding=1),
                                  dict(dilation=2, padding=2, groups=2)])
def test_conv1d_and_1d_pooling_match_2d_references_over_a_height_of_one(conf):
    x = rng.standard_normal((2, 4, 11))
    layer = _params_f64(nn.Conv1d(4, 6, 3, **conf))
    assert layer.weight.shape == (6, 4 // conf.get("groups", 1), 3)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    conf2 = {k: (1, v) if k != "groups" else v for k, v in conf.items()}
    if "padding" in conf2:
        conf2["padding"] = (0, conf["padding"])
    ref = ref_conv2d(x[:, :, None], w[:, :, None], **conf2)[:, :, 0] + b[:, None]
    assert np.allclose(layer(tg.tensor(x)).detach().numpy(), ref)
    gradcheck(lambda t: layer(t), tg.tensor(x[:1]))
    mp = nn.MaxPool1d(3, 2, 1, ceil_mode=True)(tg.tensor(x)).numpy()
    assert np.allclose(mp, ref_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                          ceil_mode=True)[:, :, 0])
    ap = nn.AvgPool1d(2, count_include_pad=False, padding=1)(tg.tensor(x)).numpy()
    assert np.allclose(ap, ref_avg_pool2d(x[:, :, None], (1, 2), (1, 2), (0, 1),
                                          count_include_pad=False)[:, :, 0])


def _bilinear_ref(x, out_h, out_w, align_corners):
    """Per output pixel: the four neighbours of its source point, weighted (explicit loops)."""
    n, c, h, w = x.shape

    def src(i, n_out, n_in):
        if align_corners:
            return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((i + 0.5) * n_in / n_out - 0.5, 0.0)

    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        sy = src(i, out_h, h)
        y0 = int(np.floor(sy))
        y1, fy = min(y0 + 1, h - 1), sy - y0
        for j in range(out_w):
            sx = src(j, out_w, w)
            x0 = int(np.floor(sx))
            x1, fx = min(x0 + 1, w - 1), sx - x0
            out[:, :, i, j] = ((1 - fy) * ((1 - fx) * x[:, :, y0, x0] + fx * x[:, :, y0, x1])
                               + fy * ((1 - fx) * x[:, :, y1, x0] + fx * x[:, :, y1, x1]))
    return out


@pytest.mark.parametrize("align_corners", [False, True])
def test_upsample_nearest_and_bilinear_match_references(align_corners):
    x = rng.standard_normal((2, 3, 4, 5))
    near = nn.Upsample(scale_factor=(2, 3))(tg.tensor(x)).numpy()
    assert np.array_equal(near, x.repeat(2, axis=2).repeat(3, axis=3))
    up = nn.Upsample(size=(7, 9), mode="bilinear", align_corners=align_corners)
    assert np.allclose(up(tg.tensor(x)).numpy(), _bilinear_ref(x, 7, 9, align_corners))
    down = nn.functional.interpolate(tg.tensor(x), size=(3, 2), mode="bilinear",
                                     align_corners=align_corners)
    assert np.allclose(down.numpy(), _bilinear_ref(x, 3, 2, align_corners))
    gradcheck(lambda t: up(t), tg.tensor(x[:1, :1]))
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        nn.functional.interpolate(tg.tensor(x))


# ----- more of PyTorch's layers: each against numpy, gradients by central differences ---------


@pytest.mark.parametrize("name, module, ref", [
    ("hardsigmoid", nn.Hardsigmoid(), lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardswish", nn.Hardswish(), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("tanhshrink", nn.Tanhshrink(), lambda x: x - np.tanh(x)),
    ("softshrink", nn.Softshrink(0.5), lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    ("hardshrink", nn.Hardshrink(0.5), lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    ("threshold", nn.Threshold(0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
    ("celu", nn.CELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    ("softmin", nn.Softmin(1), lambda x: special.softmax(-x, axis=1)),
    ("glu", nn.GLU(1), lambda x: x[:, :2] * special.expit(x[:, 2:])),
])
def test_more_activations_match_numpy(name, module, ref):
    x = rng.standard_normal((3, 4, 5)) * 3
    assert np.allclose(module(tg.tensor(x)).numpy(), ref(x)), name
    # away from the kinks, where central differences are meaningful
    smooth = x[np.all(np.abs(np.abs(x[..., None]) - [0.3, 0.5, 3.0]) > 1e-3, (-1,))]
    if name in ("softmin", "glu"):
        smooth = x
    gradcheck(module, tg.tensor(smooth))


def test_prelu_learns_one_slope_per_channel():
    layer = _params_f64(nn.PReLU(3))
    assert np.allclose(layer.weight.detach().numpy(), 0.25)
    x = rng.standard_normal((2, 3, 4))
    a = rng.uniform(0.1, 0.9, 3)
    with tg.no_grad():
        layer.weight.copy_(tg.tensor(a))
    assert np.allclose(layer(tg.tensor(x)).detach().numpy(),
                       np.where(x > 0, x, a[None, :, None] * x))
    gradcheck(nn.functional.prelu, tg.tensor(x), tg.tensor(a))
    with pytest.raises(tg.ShapeError, match="prelu: 3 slopes"):
        layer(tg.randn(2, 4, 4).double())


def test_group_and_instance_norm_match_numpy():
    x = rng.standard_normal((3, 6, 4, 5)) * 2 + 1
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    gn = _params_f64(nn.GroupNorm(2, 6))
    with tg.no_grad():
        gn.weight.copy_(tg.tensor(w))
        gn.bias.copy_(tg.tensor(b))
    g = x.reshape(3, 2, -1)
    ref = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5)).reshape(
        x.shape) * w[:, None, None] + b[:, None, None]
    assert np.allclose(gn(tg.tensor(x)).detach().numpy(), ref)
    gradcheck(lambda t, w, b: nn.functional.group_norm(t, 3, w, b), tg.tensor(x[:2, :, :2]),
              tg.tensor(w), tg.tensor(b))
    with pytest.raises(ValueError, match="GroupNorm: num_channels"):
        nn.GroupNorm(4, 6)

    inorm = _params_f64(nn.InstanceNorm2d(6, track_running_stats=True))
    mean, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    assert np.allclose(inorm(tg.tensor(x)).numpy(), (x - mean) / np.sqrt(var + 1e-5))
    assert np.allclose(inorm.running_mean.numpy(), 0.1 * mean.mean(0).ravel())
    n = 4 * 5
    assert np.allclose(inorm.running_var.numpy(),
                       0.9 + 0.1 * var.mean(0).ravel() * n / (n - 1))
    inorm.eval()
    rm, rv = inorm.running_mean.numpy(), inorm.running_var.numpy()
    assert np.allclose(inorm(tg.tensor(x[0])).numpy(),  # unbatched (C, H, W)
                       (x[0] - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5))
    gradcheck(lambda t: nn.functional.instance_norm(t), tg.tensor(x[:2, :2, :3]))
    with pytest.raises(tg.ShapeError, match="InstanceNorm1d: expected a 3-d"):
        nn.InstanceNorm1d(6)(tg.tensor(x))


def test_functional_batch_norm_updates_running_stats_in_place():
    x = rng.standard_normal((8, 3, 4))
    rm, rv = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    y = nn.functional.batch_norm(tg.tensor(x), rm, rv, training=True, momentum=0.5)
    mean, var = x.mean((0, 2)), x.var((0, 2))
    assert np.allclose(y.numpy(), (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-5))
    assert np.allclose(rm.numpy(), 0.5 * mean)
    assert np.allclose(rv.numpy(), 0.5 + 0.5 * var * 32 / 31)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.functional.batch_norm(tg.randn(1, 3), None, None, training=True)


@pytest.mark.parametrize("cls, shape", [(nn.Dropout2d, (40, 30, 3, 3)),
                                        (nn.Dropout1d, (40, 30, 4)),
                                        (nn.Dropout2d, (30, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    tg.manual_seed(1)
    layer = cls(0.4)
    y = layer(tg.ones(*shape)).numpy()
    per_channel = y.reshape(*y.shape[:len(shape) - (2 if cls is nn.Dropout2d else 1)], -1)
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.6).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.5
    layer.eval()
    x = tg.randn(*shape)
    assert layer(x) is x


def test_adaptive_max_pool_matches_numpy_bins():
    x = rng.standard_normal((2, 3, 7, 9))
    got = nn.AdaptiveMaxPool2d((3, 4))(tg.tensor(x)).numpy()
    ref = np.empty((2, 3, 3, 4))
    for i in range(3):
        for j in range(4):
            rows = slice(i * 7 // 3, -(-(i + 1) * 7 // 3))
            cols = slice(j * 9 // 4, -(-(j + 1) * 9 // 4))
            ref[..., i, j] = x[..., rows, cols].max((-2, -1))
    assert np.allclose(got, ref)
    assert np.allclose(nn.AdaptiveMaxPool2d(1)(tg.tensor(x)).numpy(),
                       x.max((2, 3), keepdims=True))
    gradcheck(nn.AdaptiveMaxPool2d((2, 3)), tg.tensor(x[:1, :2, :5, :7]))


def test_pixel_shuffle_places_channels_in_blocks():
    x = rng.standard_normal((2, 8, 3, 4))
    y = nn.PixelShuffle(2)(tg.tensor(x)).numpy()
    assert y.shape == (2, 2, 6, 8)
    for c in range(2):
        for i in range(2):
            for j in range(2):  # channel c*4 + i*2 + j fills offset (i, j) of every block
                assert np.array_equal(y[:, c, i::2, j::2], x[:, c * 4 + i * 2 + j])
    assert np.array_equal(nn.PixelUnshuffle(2)(tg.tensor(y)).numpy(), x)
    gradcheck(lambda t: nn.functional.pixel_shuffle(t, 2), tg.tensor(x[:1, :4, :2, :2]))
    with pytest.raises(tg.ShapeError, match="pixel_shuffle: expected"):
        nn.PixelShuffle(3)(tg.tensor(x))


def test_padding_layers_and_unflatten_match_numpy():
    x = rng.standard_normal((2, 3, 4, 5))
    widths = ((0, 0), (0, 0), (0, 3), (1, 2))  # (left, right, top, bottom) = (1, 2, 0, 3)
    assert np.array_equal(nn.ZeroPad2d((1, 2, 0, 3))(tg.tensor(x)).numpy(), np.pad(x, widths))
    assert np.array_equal(nn.ConstantPad2d(1, 3.5)(tg.tensor(x)).numpy(),
                          np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=3.5))
    assert np.array_equal(nn.ReflectionPad2d((1, 2, 0, 3))(tg.tensor(x)).numpy(),
                          np.pad(x, widths, mode="reflect"))
    assert np.array_equal(nn.ReplicationPad2d((1, 2, 0, 3))(tg.tensor(x)).numpy(),
                          np.pad(x, widths, mode="edge"))
    flat = tg.tensor(np.arange(24.0).reshape(2, 12))
    assert np.array_equal(nn.Unflatten(1, (3, 4))(flat).numpy(),
                          np.arange(24.0).reshape(2, 3, 4))


def test_tril_triu_match_numpy_and_route_gradients():
    x = rng.standard_normal((2, 4, 5))
    for k in (-1, 0, 2):
        assert np.array_equal(tg.tril(tg.tensor(x), k).numpy(), np.tril(x, k))
        assert np.array_equal(tg.tensor(x).triu(k).numpy(), np.triu(x, k))
    t = tg.tensor(x, requires_grad=True)
    t.tril(1).sum().backward()
    assert np.array_equal(t.grad.numpy(), np.broadcast_to(np.tril(np.ones((4, 5)), 1), x.shape))
    with pytest.raises(tg.ShapeError, match="tril: expected a tensor of 2 or more dims"):
        tg.tril(tg.ones(3))


def _np_unfold(x, k, d, p, s):
    """im2col by loops: column l = patch l (row-major), rows channel-major."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for ch in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                row = (ch * k[0] + i) * k[1] + j
                for a in range(oh):
                    for b in range(ow):
                        out[:, row, a * ow + b] = xp[:, ch, a * s[0] + i * d[0],
                                                     b * s[1] + j * d[1]]
    return out


def test_unfold_is_im2col_and_fold_its_adjoint():
    x = rng.standard_normal((2, 3, 7, 6))
    k, d, p, s = (2, 3), (2, 1), (1, 1), (2, 1)
    cols = nn.Unfold(k, d, p, s)(tg.tensor(x)).numpy()
    ref = _np_unfold(x, k, d, p, s)
    assert np.array_equal(cols, ref)
    # fold is unfold's adjoint: <unfold(x), u> == <x, fold(u)>
    u = rng.standard_normal(ref.shape)
    folded = nn.Fold((7, 6), k, d, p, s)(tg.tensor(u)).numpy()
    assert np.isclose((ref * u).sum(), (x * folded).sum())
    # conv2d == unfold, matmul, reshape (the CNN notebook's im2col convolution)
    w = rng.standard_normal((4, 3, 3, 3))
    conv = nn.functional.unfold(tg.tensor(x), 3, padding=1)
    y = (tg.tensor(w.reshape(4, -1)) @ conv).reshape(2, 4, 7, 6)
    assert np.allclose(y.numpy(), ref_conv2d(x, w, padding=(1, 1)))
    gradcheck(lambda t: nn.functional.fold(t, (4, 4), 2, stride=2), tg.tensor(u[:1, :4, :4]))
    gradcheck(lambda t: nn.functional.unfold(t, 2, padding=1), tg.tensor(x[:1, :1, :3, :3]))
    with pytest.raises(tg.ShapeError, match=r"fold: expected \(N, C \* 6, 24\)"):
        nn.functional.fold(tg.tensor(u[:, :, :5]), (7, 6), k, d, p, s)


def test_adaptive_1d_pools_rms_norm_and_bilinear_match_numpy():
    x = rng.standard_normal((2, 3, 11))
    bins = [(i * 11 // 4, -(-(i + 1) * 11 // 4)) for i in range(4)]
    assert np.allclose(nn.AdaptiveAvgPool1d(4)(tg.tensor(x)).numpy(),
                       np.stack([x[..., a:b].mean(-1) for a, b in bins], -1))
    assert np.allclose(nn.AdaptiveMaxPool1d(4)(tg.tensor(x)).numpy(),
                       np.stack([x[..., a:b].max(-1) for a, b in bins], -1))
    norm = _params_f64(nn.RMSNorm(11, eps=1e-6))
    assert np.allclose(norm(tg.tensor(x)).detach().numpy(),
                       x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6))
    gradcheck(lambda t, w: nn.functional.rms_norm(t, 11, w), tg.tensor(x[0]),
              tg.tensor(rng.standard_normal(11)))
    layer = _params_f64(nn.Bilinear(4, 3, 5))
    x1, x2 = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    ref = np.array([[x1[n] @ w[k] @ x2[n] for k in range(5)] for n in range(6)]) + b
    assert np.allclose(layer(tg.tensor(x1), tg.tensor(x2)).detach().numpy(), ref)
    gradcheck(nn.functional.bilinear, tg.tensor(x1), tg.tensor(x2), tg.tensor(w))


def test_conv_transpose1d_is_conv1d_adjoint_and_module_shapes():
    x, w = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 4, 3))
    y = rng.standard_normal((2, 6, 4))
    conv = nn.functional.conv1d(tg.tensor(x), tg.tensor(w), stride=2).numpy()  # (2, 6, 4)
    back = nn.functional.conv_transpose1d(tg.tensor(y), tg.tensor(w), stride=2,
                                          output_padding=0).numpy()  # (2, 4, 9)
    assert np.isclose((conv * y).sum(), (x * back).sum())
    layer = nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert layer.weight.shape == (4, 3, 3) and layer(tg.randn(1, 4, 5)).shape == (1, 6, 10)
    gradcheck(lambda a, b: nn.functional.conv_transpose1d(a, b, stride=2), tg.tensor(y[:1]),
              tg.tensor(w[:, :2]))


def test_local_response_norm_lp_pool_channel_shuffle_pdist_match_numpy():
    x = rng.standard_normal((2, 6, 3, 4))
    size, alpha, beta, k = 3, 1e-2, 0.75, 2.0
    sq = np.pad(x * x, ((0, 0), (size // 2, (size - 1) // 2), (0, 0), (0, 0)))
    window = sum(sq[:, i:i + 6] for i in range(size))
    ref = x / (k + alpha * window / size) ** beta
    got = nn.LocalResponseNorm(size, alpha, beta, k)(tg.tensor(x)).numpy()
    assert np.allclose(got, ref)
    gradcheck(lambda t: nn.functional.local_response_norm(t, 3), tg.tensor(x[:1, :4, :2]))
    pos = np.abs(x) + 0.1
    got = nn.LPPool2d(3, 2)(tg.tensor(pos)).numpy()  # (2, 6, 1, 2): 2x2 windows, row 2 unused
    ref = np.zeros((2, 6, 1, 2))
    for j in range(2):
        ref[:, :, 0, j] = (pos[:, :, 0:2, 2 * j:2 * j + 2] ** 3).sum((2, 3)) ** (1 / 3)
    assert np.allclose(got, ref)
    shuffled = nn.ChannelShuffle(3)(tg.tensor(x)).numpy()
    assert np.array_equal(shuffled[:, [0, 1, 2, 3, 4, 5]], x[:, [0, 2, 4, 1, 3, 5]])
    rows = rng.standard_normal((5, 3))
    assert np.allclose(nn.functional.pdist(tg.tensor(rows)).numpy(), distance.pdist(rows))
    assert np.allclose(nn.functional.pdist(tg.tensor(rows), 1.0).numpy(),
                       distance.pdist(rows, "cityblock"))


def test_embedding_alpha_dropout_and_gumbel_softmax():
    weight = tg.tensor(rng.standard_normal((10, 3)), requires_grad=True)
    idx = np.array([[2, 5, 2], [0, 9, 2]])
    out = nn.functional.embedding(tg.tensor(idx), weight, padding_idx=2)
    assert np.array_equal(out.detach().numpy(), weight.detach().numpy()[idx])
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=10)
    counts[2] = 0  # the padding row gets no gradient
    assert np.array_equal(weight.grad.numpy(), np.repeat(counts[:, None], 3, 1))
    with pytest.raises(IndexError, match="embedding: index out of range"):
        nn.functional.embedding(tg.tensor([[-1]]), weight)
    tg.manual_seed(0)
    z = tg.tensor(rng.standard_normal(200000))
    dropped = nn.AlphaDropout(0.2)(z).numpy()  # keeps SELU's zero mean and unit variance
    assert abs(dropped.mean()) < 0.01 and abs(dropped.std() - 1) < 0.01
    alpha = -1.0507009873554805 * 1.6732632423543772  # SELU's negative saturation
    a = ((1 - 0.2) * (1 + 0.2 * alpha ** 2)) ** -0.5
    assert abs(np.isclose(dropped, a * alpha - a * alpha * 0.2).mean() - 0.2) < 0.01
    layer = nn.AlphaDropout(0.2).eval()
    assert layer(z) is z
    probs = np.array([0.1, 0.2, 0.7])
    logits = tg.tensor(np.log(probs)).reshape(1, 3)
    samples = np.stack([nn.functional.gumbel_softmax(logits, hard=True).numpy()[0]
                        for _ in range(3000)])
    assert set(np.unique(samples)) == {0.0, 1.0} and np.all(samples.sum(1) == 1)
    assert np.allclose(samples.mean(0), probs, atol=0.03)  # Gumbel-max draws the categorical
    soft = tg.tensor(np.log(probs), requires_grad=True)
    nn.functional.gumbel_softmax(soft, tau=0.5, hard=True)[2].backward()
    assert np.abs(soft.grad.numpy()).sum() > 0  # straight-through: the soft sample's gradient


def test_triplet_loss_with_a_custom_distance():
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))

    def cosine_distance(u, v):
        return 1 - nn.functional.cosine_similarity(u, v)

    def np_cos(u, v):
        return 1 - (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)

    got = nn.functional.triplet_margin_with_distance_loss(
        tg.tensor(a), tg.tensor(p), tg.tensor(n), distance_function=cosine_distance, margin=0.5)
    assert np.isclose(got.item(), np.maximum(np_cos(a, p) - np_cos(a, n) + 0.5, 0).mean())


def test_softmax2d_and_the_upsampling_aliases():
    from scipy import ndimage

    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 4, 5))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax2d()(tg.tensor(x)).numpy(), e / e.sum(1, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_allclose(nn.UpsamplingNearest2d(scale_factor=2)(tg.tensor(x)).numpy(),
                               x.repeat(2, 2).repeat(2, 3))
    up = nn.UpsamplingBilinear2d(size=(7, 9))(tg.tensor(x)).numpy()
    rows, cols = np.meshgrid(np.linspace(0, 3, 7), np.linspace(0, 4, 9), indexing="ij")
    for n in range(2):
        for c in range(3):  # align_corners=True: the corners map onto the corners
            ref = ndimage.map_coordinates(x[n, c], [rows, cols], order=1)
            np.testing.assert_allclose(up[n, c], ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(tg.ShapeError, match="Softmax2d"):
        nn.Softmax2d()(tg.ones(2, 3))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border"])
def test_grid_sample_and_affine_grid_match_scipy(align_corners, padding_mode):
    """affine_grid against its formula, grid_sample's bilinear samples against
    scipy.ndimage.map_coordinates (grid-constant zeros, or nearest for the border), and their
    gradients in the image and in theta by central differences."""
    from scipy import ndimage

    from tensorgrad.testing import gradcheck

    F = nn.functional
    rng = np.random.default_rng(12)
    theta = rng.standard_normal((2, 2, 3)) * 0.7
    x = rng.standard_normal((2, 3, 5, 6))
    grid = F.affine_grid(tg.tensor(theta), (2, 3, 4, 7), align_corners=align_corners).numpy()
    cols = np.linspace(-1, 1, 7) if align_corners else (2 * np.arange(7) + 1) / 7 - 1
    rows = np.linspace(-1, 1, 4) if align_corners else (2 * np.arange(4) + 1) / 4 - 1
    base = np.stack([*np.meshgrid(cols, rows), np.ones((4, 7))], -1)
    np.testing.assert_allclose(grid, np.einsum("hwk,njk->nhwj", base, theta), atol=1e-12)
    out = F.grid_sample(tg.tensor(x), tg.tensor(grid), padding_mode=padding_mode,
                        align_corners=align_corners).numpy()
    scale = (np.array([6, 5]) - 1) / 2 if align_corners else None
    for n in range(2):
        if align_corners:
            px, py = (grid[n, ..., 0] + 1) * scale[0], (grid[n, ..., 1] + 1) * scale[1]
        else:
            px, py = ((grid[n, ..., 0] + 1) * 6 - 1) / 2, ((grid[n, ..., 1] + 1) * 5 - 1) / 2
        for c in range(3):
            ref = ndimage.map_coordinates(
                x[n, c], [py, px], order=1,
                mode="grid-constant" if padding_mode == "zeros" else "nearest")
            np.testing.assert_allclose(out[n, c], ref, atol=1e-12)

    def sampled(image, th):
        g = F.affine_grid(th, (2, 3, 4, 7), align_corners=align_corners)
        return F.grid_sample(image, g, padding_mode=padding_mode, align_corners=align_corners)

    assert gradcheck(sampled, tg.tensor(x), tg.tensor(theta))


def test_grid_sample_nearest_and_errors():
    F = nn.functional
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    # pixel centres of (row 1, col 2) and (row 0, col 0), and one far outside (zeros)
    grid = np.array([[[[(2 * 2 + 1) / 4 - 1, (2 * 1 + 1) / 3 - 1], [-0.8, -0.7], [3.0, 0.0]]]])
    out = F.grid_sample(tg.tensor(x), tg.tensor(grid), mode="nearest").numpy()
    np.testing.assert_array_equal(out.ravel(), [6.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(tg.tensor(x), tg.tensor(grid), padding_mode="reflection")
    with pytest.raises(tg.ShapeError, match="affine_grid: theta"):
        F.affine_grid(tg.ones(1, 3, 3), (1, 1, 2, 2))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag_against_a_loop_over_bags(mode, padding_idx):
    rng = np.random.default_rng(13)
    w = rng.standard_normal((10, 4))
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0])
    offsets = np.array([0, 4, 4, 7])  # the second bag is empty
    bag = nn.EmbeddingBag(10, 4, mode=mode, padding_idx=padding_idx).to(tg.float64)
    with tg.no_grad():
        bag.weight.copy_(tg.tensor(w))
    out = bag(tg.tensor(idx), tg.tensor(offsets))
    g = rng.standard_normal(out.shape)
    (out * tg.tensor(g)).sum().backward()
    expected, grad = np.zeros((4, 4)), np.zeros_like(w)
    ends = list(offsets[1:]) + [len(idx)]
    for b, (s, e) in enumerate(zip(offsets, ends)):
        members = [i for i in idx[s:e] if i != padding_idx]
        if not members:
            continue
        rows = w[members]
        if mode == "max":
            expected[b] = rows.max(0)
            for d, k in enumerate(rows.argmax(0)):
                grad[members[k], d] += g[b, d]
            continue
        scale = 1.0 if mode == "sum" else 1.0 / len(members)
        expected[b] = rows.sum(0) * scale
        for i in members:
            grad[i] += g[b] * scale
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(bag.weight.grad.numpy(), grad, rtol=1e-12, atol=1e-15)


def test_embedding_bag_2d_input_per_sample_weights_and_errors():
    F = nn.functional
    rng = np.random.default_rng(14)
    w = rng.standard_normal((6, 3))
    rows = np.array([[0, 5, 2], [1, 1, 3]])
    np.testing.assert_allclose(F.embedding_bag(tg.tensor(rows), tg.tensor(w)).numpy(),
                               w[rows].mean(1), rtol=1e-12)
    psw = rng.standard_normal(6)
    p = tg.tensor(psw, requires_grad=True)
    out = F.embedding_bag(tg.tensor(rows.ravel()), tg.tensor(w), tg.tensor([0, 3]), mode="sum",
                          per_sample_weights=p)
    np.testing.assert_allclose(out.detach().numpy(),
                               (w[rows] * psw.reshape(2, 3, 1)).sum(1), rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), w[rows.ravel()].sum(1), rtol=1e-12)
    with pytest.raises(ValueError, match="needs mode='sum'"):
        F.embedding_bag(tg.tensor(rows), tg.tensor(w), per_sample_weights=p)
    with pytest.raises(ValueError, match="offsets must be None"):
        F.embedding_bag(tg.tensor(rows), tg.tensor(w), tg.tensor([0, 1]))
    with pytest.raises(IndexError, match="out of range for 6"):
        F.embedding_bag(tg.tensor([[7]]), tg.tensor(w))
