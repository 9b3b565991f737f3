"""The workloads of issue 7, each built twice (tensorgrad and PyTorch) on the same float32 data.

(a) MLP 784-200-10 step, batch 128, SGD and Adam   (b) 784-100-200-10 step at batch 5000
(b') one Linear layer 784 -> 100 at batch 5000, forward and backward (the GEMM-bound layer)
(c) LeNet-5 step on 1x32x32, batch 64              (d) conv2d forward and forward+backward
(e) max/avg pooling 2x2 forward+backward           (f) per-op overhead of tiny elementwise ops
(h) the seeds' from-scratch numpy MLP step and conv forward (the baseline users come from)
(i) no target in the issue: a bidirectional LSTM and a 2-layer Transformer encoder, forward and
backward (examples/sequence_mnist.py's shapes)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tensorgrad as tg
import tensorgrad_nn as nn

from . import seeds


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Spec:
    name: str
    tg: Callable
    torch: Callable | None = None
    repeats: int | None = None
    unit: str = "ms"
    ops: int = 1
    needs_torch: bool = True  # False: the baseline is the seeds' numpy code


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _labels(n, k=10, seed=1):
    return np.random.default_rng(seed).integers(0, k, n)


def _sync(device):
    """On CUDA, wait for the queued kernels: launches return at once, so a timing without it
    would measure only the launches (PyTorch's side calls torch.cuda.synchronize likewise)."""
    if device != "cpu":
        tg.cuda.synchronize()


def _tg_step(model, optimizer, x, y):
    """One training step: cross-entropy, backward, optimizer step."""
    device = str(x.device)

    def step():
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        _sync(device)
        return loss

    return step


def _torch_step(model, optimizer, x, y, device):
    torch = torch_or_none()

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
        return loss

    return step


# ----- (a), (b): MLPs ---------------------------------------------------------------------------


def _mlp_flops(batch, sizes):
    """The GEMMs a training step computes: each layer's forward and weight gradient, and the
    input gradient of every layer but the first (its input, the data, needs none). Until the
    eleventh session this counted 3x the forward, a third more than the b5000 step computes."""
    forward = [2 * batch * a * b for a, b in zip(sizes, sizes[1:])]
    return 3 * sum(forward) - forward[0]


def mlp_tg(batch, opt, sizes=(784, 200, 10), device="cpu"):
    tg.manual_seed(0)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1]).to(device)
    optimizer = (nn.optim.SGD(model.parameters(), lr=0.01) if opt == "sgd"
                 else nn.optim.Adam(model.parameters(), lr=1e-3))
    x = tg.tensor(_data(batch, sizes[0]), device=device)
    y = tg.tensor(_labels(batch), device=device)
    return _tg_step(model, optimizer, x, y), _mlp_flops(batch, sizes)


def mlp_torch(batch, opt, sizes=(784, 200, 10), device="cpu"):
    torch = torch_or_none()
    torch.manual_seed(0)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).to(device)
    optimizer = (torch.optim.SGD(model.parameters(), lr=0.01) if opt == "sgd"
                 else torch.optim.Adam(model.parameters(), lr=1e-3))
    x = torch.tensor(_data(batch, sizes[0]), device=device)
    y = torch.tensor(_labels(batch), device=device)
    return _torch_step(model, optimizer, x, y, device)


# (b') one Linear layer at batch 5000, forward and backward, its input needing a gradient as
# every layer's but the first does: the "GEMM-bound layer" of issue 7's GEMM-share target. Its
# three GEMMs (y = x W^T, dx = gy W, dW = gy^T x) are its flops; the bias add and the bias
# gradient's column sum ride on them.
LINEAR_B5000 = (5000, 784, 100)


def linear_tg(device="cpu"):
    batch, fan_in, fan_out = LINEAR_B5000
    tg.manual_seed(0)
    layer = nn.Linear(fan_in, fan_out).to(device)
    x = tg.tensor(_data(batch, fan_in), device=device, requires_grad=True)
    gy = tg.tensor(_data(batch, fan_out, seed=3), device=device)

    def run():
        x.grad = layer.weight.grad = layer.bias.grad = None
        y = layer(x)
        y.backward(gy)
        _sync(device)
        return y

    return run, 3 * 2 * batch * fan_in * fan_out


def linear_torch(device="cpu"):
    torch = torch_or_none()
    batch, fan_in, fan_out = LINEAR_B5000
    torch.manual_seed(0)
    layer = torch.nn.Linear(fan_in, fan_out).to(device)
    x = torch.tensor(_data(batch, fan_in), device=device, requires_grad=True)
    gy = torch.tensor(_data(batch, fan_out, seed=3), device=device)

    def run():
        x.grad = layer.weight.grad = layer.bias.grad = None
        y = layer(x)
        y.backward(gy)
        if device == "cuda":
            torch.cuda.synchronize()

    return run


# ----- (i), no target: recurrent layers (a bidirectional LSTM over 28 steps, as
# examples/sequence_mnist.py) --------------------------------------------------------------------

LSTM_SHAPE = (64, 28, 28, 64)  # batch, steps, features, hidden


def lstm_tg(device="cpu"):
    batch, steps, features, hidden = LSTM_SHAPE
    tg.manual_seed(0)
    lstm = nn.LSTM(features, hidden, batch_first=True, bidirectional=True).to(device)
    head = nn.Linear(2 * hidden, 10).to(device)
    x = tg.tensor(_data(batch, steps, features), device=device)
    y = tg.tensor(_labels(batch), device=device)

    def run():
        for p in (*lstm.parameters(), *head.parameters()):
            p.grad = None
        h_n = lstm(x)[1][0]
        loss = nn.functional.cross_entropy(head(tg.cat([h_n[0], h_n[1]], -1)), y)
        loss.backward()
        _sync(device)
        return loss

    # input and hidden products forward and backward, both directions
    return run, 3 * 2 * 2 * batch * steps * 4 * hidden * (features + hidden)


def lstm_torch(device="cpu"):
    torch = torch_or_none()
    batch, steps, features, hidden = LSTM_SHAPE
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(features, hidden, batch_first=True, bidirectional=True).to(device)
    head = torch.nn.Linear(2 * hidden, 10).to(device)
    x = torch.tensor(_data(batch, steps, features), device=device)
    y = torch.tensor(_labels(batch), device=device)

    def run():
        for p in (*lstm.parameters(), *head.parameters()):
            p.grad = None
        h_n = lstm(x)[1][0]
        loss = torch.nn.functional.cross_entropy(head(torch.cat([h_n[0], h_n[1]], -1)), y)
        loss.backward()
        if device == "cuda":
            torch.cuda.synchronize()

    return run


ENCODER_SHAPE = (64, 29, 64, 4)  # batch, tokens, d_model, heads (sequence_mnist's encoder)


def encoder_tg(device="cpu"):
    batch, tokens, width, heads = ENCODER_SHAPE
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, batch_first=True,
                                       norm_first=True)
    model = nn.TransformerEncoder(layer, 2).to(device)
    x = tg.tensor(_data(batch, tokens, width), device=device)

    def run():
        for p in model.parameters():
            p.grad = None
        model(x).sum().backward()
        _sync(device)

    # per layer: q, k, v, out projections and the two feed-forward products (4 + 4 width^2
    # per token), and the two attention products (2 tokens width per token), 3x for backward
    per_token = 4 * width * width + 4 * width * width + 2 * tokens * width
    return run, 2 * 3 * 2 * batch * tokens * per_token


def encoder_torch(device="cpu"):
    torch = torch_or_none()
    batch, tokens, width, heads = ENCODER_SHAPE
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0,
                                             batch_first=True, norm_first=True)
    model = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).to(device)
    x = torch.tensor(_data(batch, tokens, width), device=device)

    def run():
        for p in model.parameters():
            p.grad = None
        model(x).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()

    return run


def _tg_sgd_step(model, batch, image, device):
    """A training step of model with SGD (lr 0.01) on a batch of random images of shape image."""
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    x = tg.tensor(_data(batch, *image), device=device)
    y = tg.tensor(_labels(batch), device=device)
    return _tg_step(model, optimizer, x, y)


def _torch_sgd_step(model, batch, image, device):
    torch = torch_or_none()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.tensor(_data(batch, *image), device=device)
    y = torch.tensor(_labels(batch), device=device)
    return _torch_step(model, optimizer, x, y, device)


# ----- (c): LeNet-5 -----------------------------------------------------------------------------

# 3x each layer's forward but 2x the first's: the data's gradient is not computed
_LENET_FLOPS_PER_SAMPLE = (3 * 2 * (16 * 150 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10)
                           + 2 * 2 * 6 * 25 * 28 * 28)


def lenet_tg(batch, device="cpu"):
    from tensorgrad_nn.train.zoo import lenet5

    tg.manual_seed(0)
    step = _tg_sgd_step(lenet5().to(device), batch, (1, 32, 32), device)
    return step, _LENET_FLOPS_PER_SAMPLE * batch


def lenet_torch(batch, device="cpu"):
    torch = torch_or_none()
    torch.manual_seed(0)
    tnn = torch.nn
    model = tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.Sigmoid(), tnn.MaxPool2d(2),
                           tnn.Conv2d(6, 16, 5), tnn.Sigmoid(), tnn.MaxPool2d(2), tnn.Flatten(),
                           tnn.Linear(400, 120), tnn.Sigmoid(), tnn.Linear(120, 84), tnn.Sigmoid(),
                           tnn.Linear(84, 10)).to(device)
    return _torch_sgd_step(model, batch, (1, 32, 32), device)


# A small CNN (not in issue 7's list): two 3x3 convs (1 -> 32 -> 64 on 28x28), max-pool, two
# Linear layers, batch 64. Its convolutions run next to GEMMs, as in any real network: the row
# that showed the parallel conv lanes losing beside OpenBLAS's spinning threads (_lanes.py).
CNN_FLOPS_PER_SAMPLE = (2 * 2 * 784 * 32 * 9 + 3 * 2 * 784 * 64 * 32 * 9
                        + 3 * 2 * (12544 * 128 + 128 * 10))


def _cnn_layers(n):
    return [n.Conv2d(1, 32, 3, padding=1), n.ReLU(), n.Conv2d(32, 64, 3, padding=1), n.ReLU(),
            n.MaxPool2d(2), n.Flatten(), n.Linear(64 * 14 * 14, 128), n.ReLU(),
            n.Linear(128, 10)]


def cnn_tg(batch, device="cpu"):
    tg.manual_seed(0)
    step = _tg_sgd_step(nn.Sequential(*_cnn_layers(nn)).to(device), batch, (1, 28, 28), device)
    return step, CNN_FLOPS_PER_SAMPLE * batch


def cnn_torch(batch, device="cpu"):
    torch = torch_or_none()
    torch.manual_seed(0)
    model = torch.nn.Sequential(*_cnn_layers(torch.nn)).to(device)
    return _torch_sgd_step(model, batch, (1, 28, 28), device)


# ----- (d): conv2d ------------------------------------------------------------------------------

CONV_SHAPES = [
    ("1ch", (64, 1, 28, 28), 32, 1),
    ("32ch", (64, 32, 14, 14), 64, 1),
    ("64ch-56", (32, 64, 56, 56), 64, 1),
    ("depthwise", (64, 64, 32, 32), 64, 64),
]


def _conv_flops(shape, out, groups):
    n, c, h, w = shape
    return 2 * n * out * (c // groups) * 9 * h * w


def conv_tg(shape, out, groups, backward, device="cpu"):
    x = tg.tensor(_data(*shape), device=device, requires_grad=backward)
    w = tg.tensor(_data(out, shape[1] // groups, 3, 3, seed=2) * 0.1, device=device,
                  requires_grad=backward)

    def run():
        y = tg.conv2d(x, w, padding=1, groups=groups)
        if backward:
            x.grad = w.grad = None
            y.backward(tg.ones_like(y))
        _sync(device)
        return y

    flops = _conv_flops(shape, out, groups) * (3 if backward else 1)
    return run, flops


def conv_torch(shape, out, groups, backward, device="cpu"):
    torch = torch_or_none()
    x = torch.tensor(_data(*shape), device=device, requires_grad=backward)
    w = torch.tensor(_data(out, shape[1] // groups, 3, 3, seed=2) * 0.1, device=device,
                     requires_grad=backward)

    def run():
        y = torch.nn.functional.conv2d(x, w, padding=1, groups=groups)
        if backward:
            x.grad = w.grad = None
            y.backward(torch.ones_like(y))
        if device == "cuda":
            torch.cuda.synchronize()
        return y

    return run


# ----- (e): pooling -----------------------------------------------------------------------------


POOL_SHAPE = (64, 32, 28, 28)


def pool_tg(kind, device="cpu", shape=POOL_SHAPE):
    x = tg.tensor(_data(*shape), device=device, requires_grad=True)
    fn = tg.max_pool2d if kind == "max" else tg.avg_pool2d

    def run():
        y = fn(x, 2)
        x.grad = None
        y.backward(tg.ones_like(y))
        _sync(device)
        return y

    return run, 0


def pool_torch(kind, device="cpu", shape=POOL_SHAPE):
    torch = torch_or_none()
    x = torch.tensor(_data(*shape), device=device, requires_grad=True)
    fn = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d

    def run():
        y = fn(x, 2)
        x.grad = None
        y.backward(torch.ones_like(y))
        if device == "cuda":
            torch.cuda.synchronize()

    return run


# ----- (f): per-op overhead ---------------------------------------------------------------------

CHAIN = 100


def chain_tg(device="cpu"):
    x = tg.tensor(_data(8), device=device, requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 2):
            y = y * 1.001
            y = y + 0.5
        x.grad = None
        y.sum().backward()
        _sync(device)
        return x.grad

    return run, 0


def chain_torch(device="cpu"):
    torch = torch_or_none()
    x = torch.tensor(_data(8), device=device, requires_grad=True)

    def run():
        y = x
        for _ in range(CHAIN // 2):
            y = y * 1.001
            y = y + 0.5
        x.grad = None
        y.sum().backward()

    return run


# ----- (h): the seeds' numpy code ---------------------------------------------------------------


def seed_mlp():
    layers = seeds.make_mlp()
    x, y = _data(128, 784), _labels(128)
    return (lambda: seeds.mlp_step(layers, x, y)), 0


def seed_conv():
    x = _data(64, 1, 28, 28)
    w = _data(1, 32, 3, 3, seed=2)
    b = np.zeros(32, dtype=np.float32)
    return (lambda: [seeds.conv_forward(img, w, b) for img in x]), 0


def conv_valid_tg():
    x = tg.tensor(_data(64, 1, 28, 28))
    w = tg.tensor(np.ascontiguousarray(_data(1, 32, 3, 3, seed=2).transpose(1, 0, 2, 3)[:, :,
                                                                                         ::-1,
                                                                                         ::-1]))
    return (lambda: tg.conv2d(x, w)), 0


def catalogue(device: str = "cpu") -> list[Spec]:
    d = device
    specs = [
        Spec("(a) MLP 784-200-10 b128 SGD step", lambda: mlp_tg(128, "sgd", device=d),
             lambda: mlp_torch(128, "sgd", device=d)),
        Spec("(a) MLP 784-200-10 b128 Adam step", lambda: mlp_tg(128, "adam", device=d),
             lambda: mlp_torch(128, "adam", device=d)),
        Spec("(b) MLP 784-100-200-10 b5000 SGD step",
             lambda: mlp_tg(5000, "sgd", (784, 100, 200, 10), d),
             lambda: mlp_torch(5000, "sgd", (784, 100, 200, 10), d), repeats=15),
        Spec("(b') Linear 784-100 b5000 fwd+bwd", lambda: linear_tg(d), lambda: linear_torch(d),
             repeats=15),
        Spec("(c) LeNet-5 b64 SGD step", lambda: lenet_tg(64, d), lambda: lenet_torch(64, d)),
        Spec("(c') CNN conv-conv-pool-fc b64 SGD step", lambda: cnn_tg(64, d),
             lambda: cnn_torch(64, d)),
    ]
    for name, shape, out, groups in CONV_SHAPES:
        for backward in (False, True):
            label = f"(d) conv {name} {'fwd+bwd' if backward else 'fwd'}"
            specs.append(Spec(label, lambda s=shape, o=out, g=groups, b=backward:
                              conv_tg(s, o, g, b, d),
                              lambda s=shape, o=out, g=groups, b=backward:
                              conv_torch(s, o, g, b, d),
                              repeats=10 if name == "64ch-56" else None))
    specs += [
        Spec("(e) max_pool2d 2x2 fwd+bwd", lambda: pool_tg("max", d), lambda: pool_torch("max", d)),
        Spec("(e) avg_pool2d 2x2 fwd+bwd", lambda: pool_tg("avg", d), lambda: pool_torch("avg", d)),
        Spec("(f) per-op overhead, 100 tiny ops fwd+bwd", lambda: chain_tg(d),
             lambda: chain_torch(d), unit="us/op", ops=CHAIN),
        Spec("(i) biLSTM 28x64 b64 fwd+bwd (no target)", lambda: lstm_tg(d),
             lambda: lstm_torch(d)),
        Spec("(i) 2-layer encoder 29x64 b64 fwd+bwd", lambda: encoder_tg(d),
             lambda: encoder_torch(d)),
    ]
    if device == "cpu":
        specs += [
            Spec("(h) vs numpy seed: MLP step (ratio tg/seed)", lambda: mlp_tg(128, "sgd"),
                 lambda: seed_mlp(), needs_torch=False),
            Spec("(h) vs scipy seed: conv fwd 1ch (ratio tg/seed)", conv_valid_tg,
                 lambda: seed_conv(), repeats=5, needs_torch=False),
        ]
    return specs
