"""Convolution and pooling specifics the op table does not spell out: string padding, the seeds'
hand-derived backward formulas, and pooling ties."""

import numpy as np
import pytest
from scipy import signal

import tensorgrad as tg
from tensorgrad.testing import gradcheck

from .table import (
    ref_avg_pool2d,
    ref_avg_pool2d_backward,
    ref_conv2d,
    ref_conv2d_weight,
    ref_conv_transpose2d,
    ref_max_pool2d,
    ref_max_pool2d_backward,
)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_same_and_valid_padding_match_scipy(k):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((1, 1, 9, 8))
    w = rng.standard_normal((1, 1, k, k))
    same = tg.conv2d(tg.tensor(x), tg.tensor(w), padding="same").numpy()
    valid = tg.conv2d(tg.tensor(x), tg.tensor(w), padding="valid").numpy()
    assert same.shape == (1, 1, 9, 8)
    assert np.allclose(valid[0, 0], signal.correlate2d(x[0, 0], w[0, 0], mode="valid"))
    # PyTorch's 'same' puts the extra pad of even kernels on the right/bottom
    before = (k - 1) // 2
    xp = np.pad(x[0, 0], ((before, k - 1 - before),) * 2)
    assert np.allclose(same[0, 0], signal.correlate2d(xp, w[0, 0], mode="valid"))


def test_conv_input_gradient_is_full_convolution_with_flipped_kernel():
    """The CNN seed's formula: dL/dx = full correlation of gy with the kernel flipped in both
    axes, i.e. scipy.signal.convolve2d(gy, w, 'full')."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((1, 1, 7, 6)), requires_grad=True)
    w = rng.standard_normal((1, 1, 3, 2))
    gy = rng.standard_normal((1, 1, 5, 5))
    tg.conv2d(x, tg.tensor(w)).backward(tg.tensor(gy))
    expected = signal.convolve2d(gy[0, 0], w[0, 0], mode="full")
    assert np.allclose(x.grad.numpy()[0, 0], expected)


def test_conv_weight_gradient_is_correlation_of_input_with_gy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1, 7, 6))
    w = tg.tensor(rng.standard_normal((1, 1, 3, 2)), requires_grad=True)
    gy = rng.standard_normal((1, 1, 5, 5))
    tg.conv2d(tg.tensor(x), w).backward(tg.tensor(gy))
    assert np.allclose(w.grad.numpy()[0, 0], signal.correlate2d(x[0, 0], gy[0, 0], mode="valid"))


def test_float32_conv_matches_float64_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 9, 9))
    w = rng.standard_normal((6, 2, 3, 3))
    y = tg.conv2d(tg.tensor(x.astype(np.float32)), tg.tensor(w.astype(np.float32)), stride=2,
                  padding=1, groups=2)
    assert y.dtype == np.float32
    ref = ref_conv2d(x, w, stride=(2, 2), padding=(1, 1), groups=2)
    assert np.allclose(y.numpy(), ref, atol=1e-4)


def test_conv_bias_and_unbatched_input():
    x = tg.randn(3, 6, 6)
    w = tg.randn(2, 3, 3, 3)
    b = tg.tensor([1.0, -1.0])
    y = tg.conv2d(x, w, b)
    assert y.shape == (2, 4, 4)
    assert np.allclose(y.numpy(), tg.conv2d(x.unsqueeze(0), w).numpy()[0] + [[[1.0]], [[-1.0]]],
                       atol=1e-5)


def test_max_pool_of_equal_window_sends_gradient_to_exactly_one_element():
    x = tg.ones(1, 1, 4, 4, requires_grad=True)
    tg.max_pool2d(x, 2).sum().backward()
    g = x.grad.numpy()[0, 0]
    assert g.sum() == 4
    for i in range(2):
        for j in range(2):
            assert g[2 * i:2 * i + 2, 2 * j:2 * j + 2].sum() == 1


def test_mean_pool_backward_is_gy_over_window_size():
    """Slugnet's mean pooling: every input of a window gets gy / |window|."""
    x = tg.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    y = tg.avg_pool2d(x, 2)
    assert y.detach().numpy()[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    y.backward(tg.tensor(np.array([[[[4.0, 8.0], [12.0, 16.0]]]])))
    assert x.grad.numpy()[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4],
                                             [3, 3, 4, 4]]


def test_slugnet_pooling_figures():
    image = np.array([[4, 7, 1, 2], [6, 3, 0, 8], [9, 1, 6, 0], [6, 4, 1, 7]], dtype=np.float32)
    x = tg.tensor(image.reshape(1, 1, 4, 4))
    assert tg.avg_pool2d(x, 2).numpy()[0, 0].tolist() == [[5.0, 2.75], [5.0, 3.5]]
    assert tg.max_pool2d(x, 2).numpy()[0, 0].tolist() == [[7.0, 8.0], [9.0, 7.0]]


def _first_max_or_nan(window):
    """The flat position in a window (row-major) of its first NaN, else of its first maximum."""
    flat = window.reshape(-1)
    nans = np.flatnonzero(np.isnan(flat))
    return nans[0] if nans.size else int(np.argmax(flat))


@pytest.mark.parametrize("parallel", [False, True])
def test_max_pool_2x2_kernel_picks_first_nan_or_first_max(parallel, monkeypatch):
    """The 2x2 stride-2 kernel (branch-free selects, int32 argmax) against a per-window scan:
    ties, NaNs (several in a window), odd sizes; return_indices gives int64 as PyTorch does."""
    from tensorgrad.backends.cpu import _jit

    if parallel:
        monkeypatch.setattr(_jit, "PARALLEL_MIN_ELEMENTS", 0)
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(3, 4, 9, 7)).astype(np.float32)  # many ties
    x[rng.random(x.shape) < 0.15] = np.nan
    y, idx = tg.max_pool2d(tg.tensor(x), 2, return_indices=True)
    assert idx.dtype == np.int64 and y.shape == (3, 4, 4, 3)
    for n, c, i, j in np.ndindex(*y.shape):
        k = _first_max_or_nan(x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2])
        expected = (2 * i + k // 2) * 7 + 2 * j + k % 2
        assert idx.numpy()[n, c, i, j] == expected
        value, got = x[n, c].reshape(-1)[expected], y.numpy()[n, c, i, j]
        assert got == value or (np.isnan(value) and np.isnan(got))


@pytest.mark.parametrize("parallel", [False, True])
def test_max_pool_windows_of_padding_only_are_minus_inf_and_route_no_gradient(
        parallel, monkeypatch):
    """A dilated window can hold padding only (two rows, taps 3 apart from row -1): PyTorch's
    max there is -inf. Its argmax is -1, and neither the gradient nor the gradient's gradient
    goes anywhere (a write at index -1 would land in the plane before)."""
    from tensorgrad.backends.cpu import _jit

    if parallel:
        monkeypatch.setattr(_jit, "PARALLEL_MIN_ELEMENTS", 0)
    x = tg.tensor(np.arange(60.0).reshape(2, 3, 2, 5), requires_grad=True)
    y, idx = tg.max_pool2d(x, 2, 1, 1, dilation=(3, 1), return_indices=True)
    assert y.shape == (2, 3, 1, 6) and idx.shape == y.shape
    assert np.isneginf(y.detach().numpy()).all() and (idx.numpy() == -1).all()
    gy = tg.tensor(np.arange(1.0, 37.0).reshape(y.shape), requires_grad=True)
    (gx,) = tg.autograd.grad([y], [x], [gy], create_graph=True)
    assert np.array_equal(gx.detach().numpy(), np.zeros(x.shape))
    (ggy,) = tg.autograd.grad([(gx * tg.tensor(np.arange(60.0).reshape(x.shape))).sum()], [gy])
    assert np.array_equal(ggy.numpy(), np.zeros(y.shape))


def test_pooling_follows_pytorch_argument_order():
    """max_pool2d(x, k, s, p, dilation, ceil_mode, return_indices) and avg_pool2d(x, k, s, p,
    ceil_mode, count_include_pad, divisor_override), positionally, as in torch.nn.functional;
    a 3-d input gives 3-d indices."""
    x = np.arange(2 * 5 * 5, dtype=np.float64).reshape(2, 5, 5)
    y, idx = tg.max_pool2d(tg.tensor(x), 2, 2, 0, 1, True, True)
    assert y.shape == (2, 3, 3) and idx.shape == (2, 3, 3)
    assert np.array_equal(y.numpy(), ref_max_pool2d(x[None], (2, 2), (2, 2), (0, 0),
                                                    ceil_mode=True)[0])
    z = tg.avg_pool2d(tg.tensor(x), 3, 2, 1, True, False, 2)
    assert np.allclose(z.numpy(), ref_avg_pool2d(x[None], (3, 3), (2, 2), (1, 1), True, False,
                                                 2)[0])
    with pytest.raises(ValueError, match="divisor_override"):
        tg.avg_pool2d(tg.tensor(x), 2, divisor_override=0)


def test_max_pool_propagates_nan():
    x = np.zeros((1, 1, 2, 2), dtype=np.float32)
    x[0, 0, 1, 0] = np.nan
    assert np.isnan(tg.max_pool2d(tg.tensor(x), 2).numpy()).all()


@pytest.mark.parametrize("mult, stride, padding, dilation", [
    (2, (1, 1), (1, 1), (1, 1)),
    (1, (1, 1), (0, 2), (2, 1)),
    (3, (2, 1), (0, 2), (1, 2)),
])
def test_depthwise_with_channel_multiplier(mult, stride, padding, dilation):
    """groups == C_in with C_out = mult * C_in, and the transposed conv with one output channel
    per group (its input gradient), against scipy and finite differences."""
    rng = np.random.default_rng(mult)
    x = rng.standard_normal((2, 3, 7, 8))
    w = rng.standard_normal((3 * mult, 1, 3, 2))
    conf = dict(stride=stride, padding=padding, dilation=dilation, groups=3)
    y = tg.conv2d(tg.tensor(x), tg.tensor(w), **conf)
    assert np.allclose(y.numpy(), ref_conv2d(x, w, **conf))
    xt = tg.tensor(x, requires_grad=True)
    wt = tg.tensor(w, requires_grad=True)
    assert gradcheck(lambda a, b: tg.conv2d(a, b, **conf), xt, wt)
    gy = tg.tensor(rng.standard_normal(y.shape), requires_grad=True)
    assert gradcheck(lambda a, b: tg.conv_transpose2d(a, b, **conf), gy, wt)


@pytest.mark.parametrize("mult, padding, dilation, size, rows", [
    (1, (1, 1), (1, 1), (8, 7), False),
    (1, (1, 2), (2, 1), (8, 7), False),
    (1, (0, 0), (1, 1), (8, 7), False),
    (2, (1, 1), (1, 2), (8, 7), False),
    (1, (1, 1), (1, 1), (7, 6), True),  # odd number of output rows: the last one alone
    (2, (0, 2), (1, 1), (6, 5), True),
    (1, (2, 0), (1, 1), (5, 9), True),
])
def test_depthwise_3x3_stride1(monkeypatch, mult, padding, dilation, size, rows):
    """3x3 depthwise kernels have one-pass kernels of their own (and the input gradient of a
    one-channel-per-group conv is the flipped forward): against scipy and finite differences.
    With `rows` the row kernel's floor is lowered so that these small planes take it
    (_rows3x3: output rows two at a time, straight into the output)."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    if rows:
        monkeypatch.setattr(cpu_conv, "DEPTHWISE_ROWS_MIN_WIDTH", 0)
    ow = cpu_conv.conv_out_size(size[1], 3, 1, padding[1], dilation[1])
    assert cpu_conv._depthwise_rows(3, 3, dilation, ow) == rows
    rng = np.random.default_rng(13 + mult + sum(size))
    x = rng.standard_normal((2, 3, *size))
    w = rng.standard_normal((3 * mult, 1, 3, 3))
    conf = dict(padding=padding, dilation=dilation, groups=3)
    y = tg.conv2d(tg.tensor(x), tg.tensor(w), **conf)
    assert np.allclose(y.numpy(), ref_conv2d(x, w, **conf))
    xt = tg.tensor(x, requires_grad=True)
    wt = tg.tensor(w, requires_grad=True)
    assert gradcheck(lambda a, b: tg.conv2d(a, b, **conf), xt, wt)
    gy = rng.standard_normal(y.shape)
    assert np.allclose(tg.conv_transpose2d(tg.tensor(gy), tg.tensor(w), **conf).numpy(),
                       ref_conv_transpose2d(gy, w, **conf))


@pytest.mark.parametrize("stride", [1, 2])
def test_large_depthwise_float32_matches_float64_reference(stride, parallel_kernels):
    """The parallel kernels (the small cases above run their serial twins); stride 1 runs the
    flattened-plane kernels, stride 2 the row kernels."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 16, 40, 40))
    w = rng.standard_normal((16, 1, 3, 3))
    gy = rng.standard_normal((8, 16, 40 // stride, 40 // stride))
    s = (stride, stride)
    xt = tg.tensor(x.astype(np.float32), requires_grad=True)
    wt = tg.tensor(w.astype(np.float32), requires_grad=True)
    y = tg.conv2d(xt, wt, stride=stride, padding=1, groups=16)
    assert y.dtype == np.float32
    assert np.allclose(y.detach().numpy(), ref_conv2d(x, w, s, (1, 1), groups=16), atol=1e-4)
    y.backward(tg.tensor(gy.astype(np.float32)))
    assert xt.grad.dtype == np.float32 and wt.grad.dtype == np.float32
    gx = ref_conv_transpose2d(gy, w, s, (1, 1), output_padding=(stride - 1,) * 2, groups=16)
    gw = ref_conv2d_weight(x, gy, w.shape, s, (1, 1), (1, 1), 16)
    assert np.allclose(xt.grad.numpy(), gx, atol=1e-4)
    assert np.allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("k, s, p", [((2, 2), (2, 2), (0, 0)), ((3, 2), (2, 1), (1, 1))])
def test_large_pooling_matches_reference(k, s, p, parallel_kernels):
    """The parallel kernels; (2, 2) stride 2 has kernels of its own."""
    rng = np.random.default_rng(7)
    x = rng.permutation(4 * 9 * 34 * 33).reshape(4, 9, 34, 33).astype(np.float32) / 100
    for pool, ref, ref_back in ((tg.max_pool2d, ref_max_pool2d, ref_max_pool2d_backward),
                                (tg.avg_pool2d, ref_avg_pool2d, None)):
        xt = tg.tensor(x, requires_grad=True)
        y = pool(xt, k, s, p)
        assert y.dtype == np.float32
        assert np.allclose(y.detach().numpy(), ref(x.astype(np.float64), k, s, p), atol=1e-4)
        gy = rng.standard_normal(y.shape)
        y.backward(tg.tensor(gy.astype(np.float32)))
        expected = (ref_back(x.astype(np.float64), gy, k, s, p) if ref_back else
                    ref_avg_pool2d_backward(gy, x.shape, k, s, p))
        assert np.allclose(xt.grad.numpy(), expected, atol=1e-4)


def _check_conv_against_references(rng, x, w, stride, padding, dilation, gradcheck_images):
    """conv2d's forward, input and weight gradients against the independent references in
    float64, and by finite differences on the first images."""
    conf = dict(stride=stride, padding=padding, dilation=dilation)
    xt = tg.tensor(x, requires_grad=True)
    wt = tg.tensor(w, requires_grad=True)
    y = tg.conv2d(xt, wt, **conf)
    assert np.allclose(y.detach().numpy(), ref_conv2d(x, w, **conf))
    gy = rng.standard_normal(y.shape)
    y.backward(tg.tensor(gy))
    assert np.allclose(wt.grad.numpy(), ref_conv2d_weight(x, gy, w.shape, stride, padding,
                                                          dilation, 1))
    # the input gradient is conv_transpose2d of gy: with output_padding where the stride leaves
    # rows of x that no window reaches
    op = tuple(n - ((o - 1) * s - 2 * p + d * (kk - 1) + 1) for n, o, s, p, d, kk in
               zip(x.shape[2:], y.shape[2:], stride, padding, dilation, w.shape[2:]))
    assert np.allclose(xt.grad.numpy(), ref_conv_transpose2d(gy, w, stride, padding, op,
                                                             dilation))
    small = (tg.tensor(x[:gradcheck_images], requires_grad=True), tg.tensor(w, requires_grad=True))
    assert gradcheck(lambda a, b: tg.conv2d(a, b, **conf), *small)


@pytest.mark.parametrize("shape, k, padding, dilation", [
    ((3, 8, 10, 9), (3, 3), (1, 1), (1, 1)),   # 'same', several images per chunk
    ((2, 5, 16, 15), (5, 3), (2, 1), (1, 1)),  # rectangular kernel and image
    ((2, 8, 13, 12), (3, 3), (2, 1), (2, 1)),  # dilation along rows
    ((2, 3, 24, 20), (5, 5), (1, 2), (1, 1)),  # padding below the kernel's reach, per axis
])
def test_stride1_grid_convolution_matches_reference(shape, k, padding, dilation):
    """Stride-1 convolutions with >= 64 patch rows run on the stacked grid of unpadded images
    (backends/cpu/conv.py): forward, input and weight gradients against scipy's correlation
    and finite differences in float64."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    w = rng.standard_normal((5, shape[1]) + k)
    assert cpu_conv._grid_shape(shape[2], shape[3], *k, (1, 1), padding, dilation, 1,
                                shape[1]) is not None
    _check_conv_against_references(rng, x, w, (1, 1), padding, dilation, gradcheck_images=2)


@pytest.mark.parametrize("shape, k, padding, dilation", [
    ((2, 22, 7, 6), (3, 3), (1, 1), (1, 1)),
    ((2, 22, 9, 8), (5, 3), (4, 1), (2, 1)),  # dilation along rows, rectangular kernel
])
def test_row_tap_passes_match_reference(shape, k, padding, dilation, monkeypatch):
    """'Same'-sized stride-1 convolutions with large patch matrices run all three passes over
    the rows' horizontal taps (backends/cpu/conv.py, one GEMM per kernel row); with its size
    floor lowered (and Winograd's 3x3 path off), small ones take that path too: against the
    references and finite differences."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    monkeypatch.setattr(cpu_conv, "ROWS_MIN_BYTES", 0)
    monkeypatch.setattr(cpu_conv, "WINOGRAD_MIN_CHANNELS", 1 << 30)
    rng = np.random.default_rng(sum(shape) + 1)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((shape[1], shape[1]) + k)
    flipped_pad = tuple(d * (kk - 1) - p for d, kk, p in zip(dilation, k, padding))
    assert cpu_conv._uses_rows(shape, *k, (1, 1), padding, dilation, 1, *shape[2:])
    assert cpu_conv._uses_rows(shape, *k, (1, 1), flipped_pad, dilation, 1, *shape[2:])
    _check_conv_against_references(rng, x, w, (1, 1), padding, dilation, gradcheck_images=1)


@pytest.mark.parametrize("shape, k, padding, dilation", [
    ((2, 64, 48, 48), (3, 3), (1, 1), (1, 1)),
    ((2, 40, 44, 42), (3, 5), (2, 4), (2, 2)),
])
def test_row_tap_forward_at_full_size(shape, k, padding, dilation, monkeypatch):
    """Patch matrices over ROWS_MIN_BYTES per image take the row-tap path on their own (two
    images: on two lanes; Winograd's 3x3 path off): the forward and weight gradient in float32
    against the float64 references."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    monkeypatch.setattr(cpu_conv, "WINOGRAD_MIN_CHANNELS", 1 << 30)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((3, shape[1]) + k) * 0.1
    assert cpu_conv._uses_rows(shape, *k, (1, 1), padding, dilation, 1, *shape[2:])
    wt = tg.tensor(w.astype(np.float32), requires_grad=True)
    y = tg.conv2d(tg.tensor(x.astype(np.float32)), wt, padding=padding, dilation=dilation)
    assert y.dtype == np.float32
    assert np.allclose(y.detach().numpy(), ref_conv2d(x, w, padding=padding, dilation=dilation),
                       atol=1e-4)
    gy = rng.standard_normal(y.shape)
    y.backward(tg.tensor(gy.astype(np.float32)))
    gw = ref_conv2d_weight(x, gy, w.shape, (1, 1), padding, dilation, 1)
    assert np.allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("shape, out, k, stride, padding, dilation", [
    ((3, 6, 14, 14), 5, (5, 5), (1, 1), (0, 0), (1, 2)),  # valid, too wasteful for a grid
    ((2, 8, 11, 10), 4, (3, 3), (2, 2), (1, 1), (1, 1)),  # stride 2, odd sizes
    ((2, 6, 13, 12), 3, (4, 3), (2, 3), (2, 0), (1, 2)),  # rectangular, per-axis stride/dilation
    ((2, 16, 6, 7), 6, (2, 2), (1, 1), (2, 2), (1, 1)),   # padded past the kernel's reach
])
def test_chunk_wide_convolution_matches_reference(shape, out, k, stride, padding, dilation):
    """Convolutions with >= 64 patch rows that the grid does not take run on the chunk-wide
    patch matrix (backends/cpu/conv.py): forward, input and weight gradients against the
    independent references and finite differences in float64."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    rng = np.random.default_rng(sum(shape) + out)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1]) + k)
    oh = cpu_conv.conv_out_size(shape[2], k[0], stride[0], padding[0], dilation[0])
    ow = cpu_conv.conv_out_size(shape[3], k[1], stride[1], padding[1], dilation[1])
    layout = cpu_conv._layout(shape[2], shape[3], *k, stride, padding, dilation, 1, shape[1],
                              oh, ow, out)
    assert layout == (True, oh, ow)
    _check_conv_against_references(rng, x, w, stride, padding, dilation, gradcheck_images=1)


@pytest.mark.parametrize("shape, out, k, dilation", [
    ((3, 6, 14, 14), 5, (5, 5), (1, 1)),  # LeNet-5's second conv
    ((2, 8, 9, 12), 4, (3, 4), (1, 1)),   # rectangular kernel and image
    ((2, 8, 12, 11), 3, (3, 3), (2, 1)),  # dilated rows
    ((2, 8, 10, 13), 3, (3, 3), (1, 2)),  # dilated columns: runs past the last plane's end
])
def test_valid_grid_convolution_matches_reference(shape, out, k, dilation):
    """Valid stride-1 convolutions that a grid of whole images would waste run on the grid of
    the output's rows at the input's pitch (backends/cpu/conv.py, _valid_patches): forward,
    input and weight gradients against the references and finite differences in float64."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    rng = np.random.default_rng(sum(shape) + out)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1]) + k)
    oh = cpu_conv.conv_out_size(shape[2], k[0], 1, 0, dilation[0])
    ow = cpu_conv.conv_out_size(shape[3], k[1], 1, 0, dilation[1])
    layout = cpu_conv._layout(shape[2], shape[3], *k, (1, 1), (0, 0), dilation, 1, shape[1],
                              oh, ow, out)
    assert layout == (False, oh, shape[3])
    _check_conv_against_references(rng, x, w, (1, 1), (0, 0), dilation, gradcheck_images=1)


def test_valid_grid_takes_short_rows_and_few_output_channels():
    """The valid grid's junk columns cost GEMM work per output channel and save copying per
    output row: LeNet-5's second convolution takes it, more output channels or long output
    rows stay on the chunk-wide matrix."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    one, zero = (1, 1), (0, 0)
    assert cpu_conv._layout(14, 14, 5, 5, one, zero, one, 1, 6, 10, 10, 16) == (False, 10, 14)
    assert cpu_conv._layout(14, 14, 5, 5, one, zero, one, 1, 6, 10, 10, 32) == (True, 10, 10)
    assert cpu_conv._layout(32, 32, 7, 7, one, zero, one, 1, 3, 26, 26, 16) == (True, 26, 26)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf * 0 in the GEMM
def test_valid_grid_junk_columns_stay_out_of_non_finite_gradients():
    """The valid grid's junk columns (past each output row) hold pixels no window of that tap
    reads; an inf there must not reach that tap's weight gradient (inf * 0 is nan), nor an inf
    weight the input gradient's pixels it does not touch."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 14, 14))
    w = rng.standard_normal((5, 6, 5, 5))
    x[1, 2, 4, 12] = np.inf  # read by taps j = 3, 4 only
    xt = tg.tensor(x, requires_grad=True)
    wt = tg.tensor(w, requires_grad=True)
    y = tg.conv2d(xt, wt)
    gy = rng.standard_normal(y.shape)
    y.backward(tg.tensor(gy))
    expected = ref_conv2d_weight(x, gy, w.shape, (1, 1), (0, 0), (1, 1), 1)
    assert np.isfinite(expected[:, :, :, :3]).all() and not np.isfinite(expected).all()
    np.testing.assert_allclose(wt.grad.numpy(), expected, equal_nan=True)
    w[2, 1, 0, 0] = -np.inf
    gx = tg.conv_transpose2d(tg.tensor(gy), tg.tensor(w)).numpy()
    expected = ref_conv_transpose2d(gy, w)
    assert np.isfinite(expected).any() and not np.isfinite(expected).all()
    np.testing.assert_allclose(gx, expected, equal_nan=True)


def test_chunk_wide_transposed_convolution_with_output_padding():
    """A stride-2 transposed convolution with output_padding, >= 64 patch rows: the wide
    path's col2im, checked against the reference and by finite differences."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((4, 8, 3, 3))  # (C_in, C_out, kh, kw): 8*9 = 72 patch rows
    conf = dict(stride=(2, 2), padding=(1, 1), output_padding=(1, 0))
    y = tg.conv_transpose2d(tg.tensor(x), tg.tensor(w), **conf)
    assert y.shape == (2, 8, 10, 11)
    assert cpu_conv._layout(10, 11, 3, 3, (2, 2), (1, 1), (1, 1), 1, 8, 5, 6, 4) == (True, 5, 6)
    assert np.allclose(y.numpy(), ref_conv_transpose2d(x, w, **conf))
    small = (tg.tensor(x[:1], requires_grad=True), tg.tensor(w, requires_grad=True))
    assert gradcheck(lambda a, b: tg.conv_transpose2d(a, b, **conf), *small)


@pytest.mark.parametrize("x_shape, w_shape, padding, winograd", [
    ((40, 32, 14, 14), (16, 32, 3, 3), 1, False),  # the stacked grid
    ((40, 32, 14, 14), (16, 32, 3, 3), 1, True),   # Winograd's F(2x2, 3x3)
    ((300, 6, 14, 14), (16, 6, 5, 5), 0, False),   # the chunk-wide matrix (LeNet-5's second)
])
def test_conv_layouts_in_float32_over_many_chunks(x_shape, w_shape, padding, winograd,
                                                  monkeypatch):
    """Enough images for several chunks of the patch buffer, float32 throughout."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    if winograd:
        monkeypatch.setattr(cpu_conv, "_winograd_lanes", lambda *args: 1)
    else:
        monkeypatch.setattr(cpu_conv, "WINOGRAD_MIN_CHANNELS", 1 << 30)
    assert cpu_conv._uses_winograd(x_shape[1], w_shape[0], *w_shape[2:], (1, 1), (1, 1),
                                   1) == winograd

    rng = np.random.default_rng(x_shape[0])
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape) * 0.1
    oh = x_shape[2] + 2 * padding - w_shape[2] + 1
    patch_bytes = w_shape[1] * w_shape[2] * w_shape[3] * oh * oh * 4
    assert x_shape[0] > cpu_conv._chunk(x_shape[0], patch_bytes)
    conf = dict(padding=(padding, padding))
    xt = tg.tensor(x.astype(np.float32), requires_grad=True)
    wt = tg.tensor(w.astype(np.float32), requires_grad=True)
    y = tg.conv2d(xt, wt, **conf)
    assert y.dtype == np.float32
    assert np.allclose(y.detach().numpy(), ref_conv2d(x, w, **conf), atol=1e-4)
    gy = rng.standard_normal(y.shape)
    y.backward(tg.tensor(gy.astype(np.float32)))
    assert xt.grad.dtype == np.float32 and wt.grad.dtype == np.float32
    assert np.allclose(xt.grad.numpy(), ref_conv_transpose2d(gy, w, **conf), atol=1e-4)
    gw = ref_conv2d_weight(x, gy, w.shape, (1, 1), conf["padding"], (1, 1), 1)
    assert np.allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-2)


@pytest.fixture
def winograd_taken(monkeypatch):
    """Winograd's path whatever the size and the lanes free (as with two free lanes); yields
    the list of output_tiles' / grad_tiles' calls, to show the path ran."""
    from tensorgrad.backends.cpu import _lanes, winograd
    from tensorgrad.backends.cpu import conv as cpu_conv

    monkeypatch.setattr(cpu_conv, "WINOGRAD_LANES_MIN_BYTES", 0)
    monkeypatch.setattr(_lanes, "blas_threads", lambda: 2)
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    calls = []
    for name in ("output_tiles", "grad_tiles"):
        kernel = getattr(winograd, name)
        monkeypatch.setattr(winograd, name,
                            lambda *a, k=kernel, n=name: calls.append(n) or k(*a))
    return calls


def test_winograd_runs_where_its_transforms_get_the_cores_blas_would(monkeypatch):
    """Winograd's transforms run one chunk per lane: it is taken with every BLAS thread's core
    as a lane, or with BLAS single-threaded, and not where the lanes are held by other busy
    threads (BLAS would run on more cores than the transforms) or the convolution is small."""
    from tensorgrad.backends.cpu import _lanes
    from tensorgrad.backends.cpu import conv as cpu_conv

    x = np.zeros((64, 32, 14, 14), np.float32)
    for threads, lanes, expected in [(2, 2, 2), (2, 1, 0), (1, 1, 1), (4, 2, 0)]:
        monkeypatch.setattr(_lanes, "blas_threads", lambda t=threads: t)
        monkeypatch.setattr(_lanes, "count", lambda n=lanes: n)
        assert cpu_conv._winograd_lanes(x, 7, 7, 64) == expected
    monkeypatch.setattr(_lanes, "blas_threads", lambda: 2)
    monkeypatch.setattr(_lanes, "count", lambda: 2)
    assert cpu_conv._winograd_lanes(x[:2], 7, 7, 64) == 0  # below WINOGRAD_LANES_MIN_BYTES


@pytest.mark.parametrize("shape, out, padding", [
    ((2, 16, 7, 6), 16, (1, 1)),   # 'same'; odd rows leave half a tile
    ((2, 17, 9, 8), 20, (0, 0)),   # valid
    ((1, 16, 5, 8), 16, (2, 1)),   # padded past the kernel's reach: output larger than input
    ((3, 24, 4, 4), 16, (1, 0)),   # per-axis padding
])
def test_winograd_passes_match_reference(shape, out, padding, winograd_taken):
    """3x3 stride-1 convolutions with >= WINOGRAD_MIN_CHANNELS channels both ways run as
    Winograd's F(2x2, 3x3) (backends/cpu/winograd.py): forward, input gradient (the flipped
    kernel's convolution) and weight gradient (the transform's adjoint) against scipy's
    correlation and finite differences in float64."""
    from tensorgrad.backends.cpu import conv as cpu_conv

    rng = np.random.default_rng(sum(shape) + out)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1], 3, 3))
    assert cpu_conv._uses_winograd(shape[1], out, 3, 3, (1, 1), (1, 1), 1)
    _check_conv_against_references(rng, x, w, (1, 1), padding, (1, 1), gradcheck_images=1)
    assert "output_tiles" in winograd_taken and "grad_tiles" in winograd_taken


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_winograd_transposed_convolution_and_its_weight_gradient(padding, winograd_taken):
    """A stride-1 conv_transpose2d with a 3x3 kernel is the flipped kernel's convolution, which
    Winograd's path runs; its weight gradient is conv2d_weight with the roles swapped."""
    rng = np.random.default_rng(padding)
    x = rng.standard_normal((2, 16, 6, 5))
    w = rng.standard_normal((16, 18, 3, 3))
    conf = dict(padding=padding)
    xt, wt = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    y = tg.conv_transpose2d(xt, wt, **conf)
    assert np.allclose(y.detach().numpy(), ref_conv_transpose2d(x, w, padding=(padding,) * 2))
    assert gradcheck(lambda a, b: tg.conv_transpose2d(a, b, **conf),
                     tg.tensor(x[:1], requires_grad=True), tg.tensor(w, requires_grad=True))
    assert "output_tiles" in winograd_taken and "grad_tiles" in winograd_taken


@pytest.mark.parametrize("where", ["x", "w", "gy"])
def test_winograd_falls_back_to_the_direct_sum_on_non_finite_values(where, winograd_taken):
    """Winograd's transforms subtract inputs the direct sum never combines, so one inf would
    turn neighbouring outputs into NaN (inf - inf): with a non-finite operand the passes take
    the direct sum, whose outputs and gradients are those of the float64 references."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 16, 6, 6))
    w = rng.standard_normal((16, 16, 3, 3))
    gy = rng.standard_normal((2, 16, 6, 6))
    {"x": x, "w": w, "gy": gy}[where][0, 3, 2, 2] = np.inf
    xt, wt = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    y = tg.conv2d(xt, wt, padding=1)
    y.backward(tg.tensor(gy))
    with np.errstate(invalid="ignore"):
        expected = (ref_conv2d(x, w, padding=(1, 1)),
                    ref_conv_transpose2d(gy, w, padding=(1, 1)),
                    ref_conv2d_weight(x, gy, w.shape, (1, 1), (1, 1), (1, 1), 1))
    for got, want in zip((y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()), expected):
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.allclose(got, want, equal_nan=True)
