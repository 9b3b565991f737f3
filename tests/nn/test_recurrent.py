"""RNN, LSTM and GRU against numpy implementations of their equations (PyTorch's gate order
and layout), and their gradients through time against central differences."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck

rng = np.random.default_rng(0)


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _direction(mode, x, w_ih, w_hh, b_ih, b_hh, h, c):
    """One layer in one direction over x (L, N, in): the outputs (L, N, H), last h and c."""
    out = []
    for t in range(x.shape[0]):
        gi, gh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        if mode == "rnn":
            h = np.tanh(gi + gh)
        elif mode == "lstm":
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c = _sig(f) * c + _sig(i) * np.tanh(g)
            h = _sig(o) * np.tanh(c)
        else:
            r = _sig(gi[:, :4] + gh[:, :4])
            z = _sig(gi[:, 4:8] + gh[:, 4:8])
            n = np.tanh(gi[:, 8:] + r * gh[:, 8:])
            h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out), h, c


def _reference(mode, x, params, h0, c0=None):
    """x (L, N, in); params per layer (w_ih, w_hh, b_ih, b_hh); returns output, h_n, c_n."""
    hs, cs = [], []
    for k, weights in enumerate(params):
        x, h, c = _direction(mode, x, *weights, h0[k], None if c0 is None else c0[k])
        hs.append(h)
        cs.append(c)
    return x, np.stack(hs), (None if c0 is None else np.stack(cs))


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_recurrent_layers_match_their_equations(mode):
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[mode]
    layer = cls(3, 4, num_layers=2, batch_first=True).double()
    params = [tuple(getattr(layer, f"{n}_l{k}").detach().numpy()
                    for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")) for k in range(2)]
    x = rng.standard_normal((2, 5, 3))  # (N, L, in)
    h0 = rng.standard_normal((2, 2, 4))
    c0 = rng.standard_normal((2, 2, 4)) if mode == "lstm" else None
    state = (tg.tensor(h0), tg.tensor(c0)) if mode == "lstm" else tg.tensor(h0)
    out, last = layer(tg.tensor(x), state)
    ref_out, ref_h, ref_c = _reference(mode, x.transpose(1, 0, 2), params, h0, c0)
    assert np.allclose(out.detach().numpy(), ref_out.transpose(1, 0, 2))
    h_n = last[0] if mode == "lstm" else last
    assert np.allclose(h_n.detach().numpy(), ref_h)
    if mode == "lstm":
        assert np.allclose(last[1].detach().numpy(), ref_c)
    assert [name for name, _ in layer.named_parameters()][:4] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_backprop_through_time_matches_finite_differences(cls):
    layer = cls(2, 3).double()
    gradcheck(lambda x: (layer(x)[0] ** 2).sum(), tg.tensor(rng.standard_normal((4, 2, 2))))
    x = tg.tensor(rng.standard_normal((4, 2, 2)))
    loss = (layer(x)[0] ** 2).sum()
    loss.backward()
    w = layer.weight_hh_l0
    base = w.detach().numpy().copy()
    numeric = np.zeros_like(base)
    for idx in np.ndindex(*base.shape):
        for sign in (1, -1):
            with tg.no_grad():
                w.copy_(base)
                w[idx] = base[idx] + sign * 1e-6
            numeric[idx] += sign * float((layer(x)[0] ** 2).sum().item()) / 2e-6
    assert np.allclose(w.grad.numpy(), numeric, atol=1e-6)


def test_recurrent_errors_and_unbatched_input():
    lstm = nn.LSTM(3, 4)
    out, (h, c) = lstm(tg.randn(5, 3))  # (L, in): no batch dim
    assert out.shape == (5, 4) and h.shape == (1, 4) and c.shape == (1, 4)
    with pytest.raises(tg.ShapeError, match=r"LSTM: expected input \(L, N, 3\)"):
        lstm(tg.randn(5, 2, 7))


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_bidirectional_layers_run_a_reversed_pass_and_concatenate(mode):
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[mode]
    layer = cls(3, 4, num_layers=2, bidirectional=True).double()
    names = [name for name, _ in layer.named_parameters()]
    assert names[4:8] == ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                          "bias_hh_l0_reverse"]
    assert layer.weight_ih_l1.shape[1] == 8  # layer 1 reads both directions
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((4, 2, 4))  # (layers * directions, N, H)
    c0 = rng.standard_normal((4, 2, 4)) if mode == "lstm" else None
    state = (tg.tensor(h0), tg.tensor(c0)) if mode == "lstm" else tg.tensor(h0)
    out, last = layer(tg.tensor(x), state)
    seq, hs, cs = x, [], []
    for k in range(2):
        halves = []
        for d, sfx in enumerate(("", "_reverse")):
            weights = [getattr(layer, f"{n}_l{k}{sfx}").detach().numpy()
                       for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            i = 2 * k + d
            inp = seq[::-1] if d else seq
            o, h, c = _direction(mode, inp, *weights, h0[i], None if c0 is None else c0[i])
            halves.append(o[::-1] if d else o)
            hs.append(h)
            cs.append(c)
        seq = np.concatenate(halves, -1)
    assert out.shape == (5, 2, 8)
    assert np.allclose(out.detach().numpy(), seq)
    h_n = last[0] if mode == "lstm" else last
    assert np.allclose(h_n.detach().numpy(), np.stack(hs))
    if mode == "lstm":
        assert np.allclose(last[1].detach().numpy(), np.stack(cs))
    small = cls(2, 3, bidirectional=True).double()
    gradcheck(lambda x: (small(x)[0] ** 2).sum(), tg.tensor(rng.standard_normal((3, 2, 2))))


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_cells_are_one_step_of_their_layer(mode):
    cls = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[mode]
    cell = cls(3, 4).double()
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih",
                                                       "bias_hh"]
    weights = [getattr(cell, n).detach().numpy()
               for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    x, h, c = (rng.standard_normal((2, k)) for k in (3, 4, 4))
    _, ref_h, ref_c = _direction(mode, x[None], *weights, h, c if mode == "lstm" else None)
    if mode == "lstm":
        got_h, got_c = cell(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
        assert np.allclose(got_c.detach().numpy(), ref_c)
    else:
        got_h = cell(tg.tensor(x), tg.tensor(h))
    assert np.allclose(got_h.detach().numpy(), ref_h)
    one = cell(tg.tensor(x[0]))  # unbatched, zero state
    one_h = one[0] if mode == "lstm" else one
    zero = np.zeros((1, 4))
    assert np.allclose(one_h.detach().numpy(),
                       _direction(mode, x[None, :1], *weights, zero, zero)[1][0])

    def step(x, h):
        return cell(x, (h, h))[0] if mode == "lstm" else cell(x, h)

    gradcheck(step, tg.tensor(x), tg.tensor(h))
    with pytest.raises(tg.ShapeError, match="expected a state of shape"):
        cell(tg.tensor(x), (tg.tensor(h[:1]), tg.tensor(c)) if mode == "lstm" else tg.tensor(
            h[:1]))
