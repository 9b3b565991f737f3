"""The CUDA backend, run in Numba's CUDA simulator in CI (NUMBA_ENABLE_CUDASIM=1, set before numba
is imported: `NUMBA_ENABLE_CUDASIM=1 python -m pytest -m cuda`), on a real GPU when there is one.
Every op-table entry that has CUDA kernels runs on 'cuda' and must agree with the CPU backend, in
the forward pass and in its gradient, to float32 tolerance."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.backends.cuda import memory
from tests.ops.table import ENTRIES

pytestmark = pytest.mark.cuda

CASES = [pytest.param(spec, k, id=f"{spec.name}-{i}-{k}")
         for i, spec in enumerate(ENTRIES)
         for k in range(len(spec.samples(np.random.default_rng(0))))]


def _inputs(arrays, device, diff):
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        a = a.astype(np.float32) if a.dtype.kind == "f" else a
        t = tg.tensor(a, device=device)
        if a.dtype.kind == "f" and (not diff or i in diff):
            t.requires_grad_()
        out.append(t)
    return out


def test_cuda_is_available_here():
    assert tg.cuda.is_available(), "run the CUDA tests with NUMBA_ENABLE_CUDASIM=1 or on a GPU"


@pytest.mark.parametrize("spec,k", CASES)
def test_op_on_cuda_matches_cpu_forward_and_gradient(spec, k):
    arrays = spec.samples(np.random.default_rng(0))[k]
    results = {}
    for device in ("cpu", "cuda"):
        xs = _inputs(arrays, device, spec.differentiable)
        y = spec.op(*xs)
        assert y.device == device or spec.name == "ToDevice"
        grads = []
        if y.requires_grad and y.numel():
            v = tg.tensor(np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype),
                          device=y.device)
            wrt = [x for x in xs if x.requires_grad]
            grads = tg.autograd.grad((y * v).sum(), wrt, allow_unused=True)
        results[device] = (y.detach().numpy(), [None if g is None else g.numpy() for g in grads])
    (y_cpu, g_cpu), (y_cuda, g_cuda) = results["cpu"], results["cuda"]
    np.testing.assert_allclose(y_cuda, y_cpu, rtol=1e-5, atol=1e-5, err_msg=spec.name)
    for a, b in zip(g_cuda, g_cpu):
        if a is not None or b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=spec.name)


def _mlp_losses(device, steps=3):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 6)).astype(np.float32), device=device)
    y = tg.tensor(rng.integers(0, 3, 4), device=device)
    losses = []
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy() for p in model.parameters()]


def test_mlp_training_on_cuda_matches_cpu():
    cpu_losses, cpu_params = _mlp_losses("cpu")
    cuda_losses, cuda_params = _mlp_losses("cuda")
    np.testing.assert_allclose(cuda_losses, cpu_losses, rtol=1e-5)
    for a, b in zip(cuda_params, cpu_params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def _training_step(model, opt, loss_fn, x, target):
    def step():
        loss = loss_fn(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def _copies_during(step):
    """Run a warmed-up step once more; the host<->device copies it made, and its loss. (The
    first step makes the optimizer state and the constants, the second the constants only
    momentum updates use, buf.mul_(0.9).)"""
    step()
    step()
    before = dict(memory.TRANSFERS)
    loss = step()
    return {k: memory.TRANSFERS[k] - before[k] for k in before}, loss


def test_a_training_step_keeps_its_data_on_the_device():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to("cuda")
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tg.randn(5, 3, device="cuda")
    target = tg.randn(5, 2, device="cuda")
    copies, loss = _copies_during(_training_step(model, opt, nn.functional.mse_loss, x, target))
    assert copies == {"host_to_device": 0, "device_to_host": 0}, copies
    before = dict(memory.TRANSFERS)
    loss.item()
    assert memory.TRANSFERS["device_to_host"] == before["device_to_host"] + 1


def test_devices_on_tensors_and_modules():
    x = tg.ones(2, 3)
    y = x.to("cuda")
    assert y.device == "cuda" and y.is_cuda and x.device == "cpu"
    assert np.array_equal(y.cpu().numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="same device.*cpu and cuda:0"):
        x + y
    layer = nn.Linear(3, 2).to("cuda")
    assert all(p.device == "cuda" for p in layer.parameters())
    assert layer(y).device == "cuda"


def test_gradient_flows_back_across_devices():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x.to("cuda") * 3).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [3.0, 3.0]


def test_lenet5_training_step_on_cuda_matches_cpu():
    """One LeNet-5 step (batch 1: the simulator runs every GPU thread in Python, ~65 us each):
    the same loss and the same gradient for every parameter as on the CPU."""
    from tensorgrad_nn.train.zoo import lenet5

    results = {}
    for device in ("cpu", "cuda"):
        tg.manual_seed(0)
        model = lenet5().to(device)
        x = tg.tensor(np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32),
                      device=device)
        loss = nn.functional.cross_entropy(model(x), tg.tensor(np.array([3]), device=device))
        loss.backward()
        results[device] = (loss.item(), [p.grad.numpy() for p in model.parameters()])
    (loss_cpu, grads_cpu), (loss_cuda, grads_cuda) = results["cpu"], results["cuda"]
    assert abs(loss_cuda - loss_cpu) <= 1e-5 * abs(loss_cpu)
    for a, b in zip(grads_cuda, grads_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_tiled_matmul_kernel_matches_numpy():
    from tensorgrad.backends.cuda import linalg

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 5, 19)).astype(np.float32)
    b = rng.standard_normal((19, 7)).astype(np.float32)
    out = linalg.matmul(memory.asarray(a), memory.asarray(b), tiled=True)
    np.testing.assert_allclose(memory.to_host(out), a @ b, rtol=1e-5, atol=1e-5)


def test_random_draws_on_the_device():
    """rand/randn on 'cuda' come from the device generator: right distribution, reproducible
    from manual_seed, no host copy after the generator's states are made."""
    tg.manual_seed(3)
    a = tg.rand(3000, device="cuda")
    before = dict(memory.TRANSFERS)
    b = tg.rand(3000, device="cuda")
    n = tg.randn(4000, device="cuda", dtype=tg.float64)
    assert memory.TRANSFERS == before
    a, b, n = a.numpy(), b.numpy(), n.numpy()
    assert a.dtype == np.float32 and n.dtype == np.float64
    assert 0 <= a.min() and a.max() < 1 and abs(a.mean() - 0.5) < 0.03
    assert not np.array_equal(a, b)
    assert abs(n.mean()) < 0.08 and abs(n.std() - 1) < 0.08
    # a uniform sample passes a Kolmogorov-Smirnov test against U[0, 1)
    from scipy import stats

    assert stats.kstest(np.concatenate([a, b]), "uniform").pvalue > 1e-3
    assert stats.kstest(n, "norm").pvalue > 1e-3
    tg.manual_seed(3)
    assert np.array_equal(tg.rand(3000, device="cuda").numpy(), a)


def test_a_dropout_step_keeps_its_data_on_the_device():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2)).to("cuda")
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = tg.randn(6, 3, device="cuda")
    target = tg.randn(6, 2, device="cuda")
    copies, _ = _copies_during(_training_step(model, opt, nn.functional.mse_loss, x, target))
    assert copies == {"host_to_device": 0, "device_to_host": 0}, copies
    kept = (model[2](tg.ones(200, 8, device="cuda")).numpy() != 0).mean()
    assert 0.35 < kept < 0.65


def test_a_cross_entropy_step_keeps_its_data_on_the_device():
    """Class labels made on the device from host integers are range-checked from what was
    copied, and the loss reads them on the device: no copy back inside the step."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to("cuda")
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    x = tg.randn(6, 4, device="cuda")
    labels = np.array([0, 2, 1, 1, 0, 2])
    y = tg.tensor(labels, device="cuda")
    copies, _ = _copies_during(_training_step(model, opt, nn.functional.cross_entropy, x, y))
    assert copies == {"host_to_device": 0, "device_to_host": 0}, copies
    loss = nn.functional.cross_entropy(model(x), y)  # against numpy, on the trained parameters
    logits = model(x).detach().numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert np.isclose(loss.item(), -logp[np.arange(6), labels].mean(), rtol=1e-4)
    with pytest.raises(IndexError, match="out of range"):
        nn.functional.cross_entropy(model(x), tg.tensor(np.array([0, 3, 1, 1, 0, 2]),
                                                         device="cuda"))


def test_max_pool_windows_of_padding_only_on_cuda():
    """A dilated window of padding only: -inf and argmax -1 as on the CPU, and its gradient
    (to first and second order) goes nowhere."""
    x = tg.tensor(np.arange(60.0, dtype=np.float32).reshape(2, 3, 2, 5), device="cuda",
                  requires_grad=True)
    y, idx = tg.max_pool2d(x, 2, 1, 1, dilation=(3, 1), return_indices=True)
    assert np.isneginf(y.detach().cpu().numpy()).all() and (idx.cpu().numpy() == -1).all()
    gy = tg.tensor(np.ones(y.shape, dtype=np.float32), device="cuda", requires_grad=True)
    (gx,) = tg.autograd.grad([y], [x], [gy], create_graph=True)
    assert np.array_equal(gx.detach().cpu().numpy(), np.zeros(x.shape))
    (ggy,) = tg.autograd.grad([gx.sum()], [gy])
    assert np.array_equal(ggy.cpu().numpy(), np.zeros(y.shape))


def test_in_place_ops_on_the_graph_on_cuda_match_cpu():
    def run(device):
        x = tg.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), device=device,
                      requires_grad=True)
        y = x * 2.0
        y[0] = 5.0
        y += x
        y[y > 8] = 0.0
        y.mul_(x)
        y.sum().backward()
        return y.detach().cpu().numpy(), x.grad.cpu().numpy()

    for got, want in zip(run("cuda"), run("cpu")):
        assert np.allclose(got, want)


def test_composite_layers_on_cuda_match_cpu():
    """interpolate (nearest, bilinear), Conv1d with a reflect pad, and an embedding with a
    padding row: built from primitives, so the CUDA backend runs them as the CPU does."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    s = rng.standard_normal((2, 3, 9)).astype(np.float32)
    tg.manual_seed(0)
    conv = nn.Conv1d(3, 4, 3, padding=1, padding_mode="reflect")
    emb = nn.Embedding(5, 2, padding_idx=0)

    def run(device):
        conv.to(device)
        emb.to(device)
        for p in (*conv.parameters(), *emb.parameters()):
            p.grad = None
        xt = tg.tensor(x, device=device, requires_grad=True)
        st = tg.tensor(s, device=device, requires_grad=True)
        y = (nn.functional.interpolate(xt, scale_factor=2).sum()
             + nn.functional.interpolate(xt, size=(7, 3), mode="bilinear").sum()
             + conv(st).sum() + emb(tg.tensor([[0, 3, 0]], device=device)).sum())
        y.backward()
        return [y.detach().cpu().numpy(), xt.grad.cpu().numpy(), st.grad.cpu().numpy(),
                conv.weight.grad.cpu().numpy(), emb.weight.grad.cpu().numpy()]

    for got, want in zip(run("cuda"), run("cpu")):
        assert np.allclose(got, want, atol=1e-4)


def test_lstm_and_gru_on_cuda_match_cpu():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    for cls in (nn.LSTM, nn.GRU):
        tg.manual_seed(0)
        layer = cls(3, 4)

        def run(device, layer=layer):
            layer.to(device)
            for p in layer.parameters():
                p.grad = None
            xt = tg.tensor(x, device=device, requires_grad=True)
            out = layer(xt)[0]
            (out * out).sum().backward()
            return [out.detach().cpu().numpy(), xt.grad.cpu().numpy(),
                    layer.weight_hh_l0.grad.cpu().numpy()]

        for got, want in zip(run("cuda"), run("cpu")):
            assert np.allclose(got, want, atol=1e-4)


def test_attention_and_norm_layers_on_cuda_match_cpu():
    """A causal, padded TransformerEncoderLayer, GroupNorm, InstanceNorm2d and PReLU: built
    from primitives and constant masks made on the input's device."""
    rng = np.random.default_rng(5)
    seq = rng.standard_normal((2, 3, 4)).astype(np.float32)
    img = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    padding = np.array([[False, False, True], [False, False, False]])
    tg.manual_seed(0)
    enc = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
    norms = nn.Sequential(nn.GroupNorm(2, 4), nn.PReLU(4), nn.InstanceNorm2d(4, affine=True))

    def run(device):
        enc.to(device)
        norms.to(device)
        for p in (*enc.parameters(), *norms.parameters()):
            p.grad = None
        st = tg.tensor(seq, device=device, requires_grad=True)
        it = tg.tensor(img, device=device, requires_grad=True)
        y = enc(st, src_key_padding_mask=tg.tensor(padding, device=device), is_causal=True)
        z = norms(it)
        ((y * y).sum() + (z * z * z).sum()).backward()
        return [y.detach().cpu().numpy(), z.detach().cpu().numpy(), st.grad.cpu().numpy(),
                it.grad.cpu().numpy(), enc.self_attn.in_proj_weight.grad.cpu().numpy(),
                norms[1].weight.grad.cpu().numpy()]

    for got, want in zip(run("cuda"), run("cpu")):
        assert np.allclose(got, want, atol=1e-4)


def test_linalg_on_cuda_matches_cpu():
    """tensorgrad.linalg's factorisations on 'cuda' (run on the host, results back on the device)
    give the CPU's values and gradients, and stay on the device."""
    rng = np.random.default_rng(7)
    m = rng.standard_normal((2, 3, 3)).astype(np.float32)
    b = rng.standard_normal((2, 3, 2)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        M = tg.tensor(m, device=device, requires_grad=True)
        B = tg.tensor(b, device=device, requires_grad=True)
        spd = M @ M.mT + 3 * tg.eye(3, device=device)
        out = (tg.linalg.inv(spd).sum() + tg.linalg.det(spd).sum() + tg.linalg.logdet(spd).sum()
               + tg.linalg.solve(spd, B).sum() + tg.linalg.cholesky(spd).sum()
               + (tg.linalg.eigvalsh(spd) ** 2).sum() + tg.linalg.svdvals(M).sum())
        assert out.device == device
        out.backward()
        results[device] = (out.item(), M.grad.numpy(), B.grad.numpy())
    (o_cpu, *g_cpu), (o_cuda, *g_cuda) = results["cpu"], results["cuda"]
    np.testing.assert_allclose(o_cuda, o_cpu, rtol=1e-5)
    for a, c in zip(g_cuda, g_cpu):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-5)


def test_special_functions_on_cuda_match_cpu():
    x = np.array([0.3, 2.5, -1.7, 7.0], dtype=np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        t = tg.tensor(x, device=device, requires_grad=True)
        out = (t.lgamma() + t.digamma() + tg.polygamma(2, t) + (t / 10).erfinv()).sum()
        assert out.device == device
        out.backward()
        results[device] = (out.item(), t.grad.numpy())
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-5)
