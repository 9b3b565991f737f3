"""The fused LSTM and GRU cells: values against numpy's equations, first and second
derivatives against central differences (float64), float32 kept."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops.recurrent import gru_cell, lstm_cell
from tensorgrad.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _sig(v):
    return 1 / (1 + np.exp(-v))


def test_lstm_cell_matches_the_equations_and_its_derivatives():
    gates, c = rng.standard_normal((3, 8)), rng.standard_normal((3, 2))
    i, f, g, o = np.split(gates, 4, axis=1)
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    h, c2 = lstm_cell(tg.tensor(gates), tg.tensor(c))
    assert np.allclose(c2.numpy(), c_new) and np.allclose(h.numpy(), _sig(o) * np.tanh(c_new))

    def both(gates, c):
        h, c2 = lstm_cell(gates, c)
        return h * 1.5 + c2 * c2  # both outputs reach the loss

    gradcheck(both, tg.tensor(gates), tg.tensor(c))
    gradgradcheck(both, tg.tensor(gates), tg.tensor(c))
    h32, _ = lstm_cell(tg.tensor(gates.astype(np.float32)), tg.tensor(c.astype(np.float32)))
    assert h32.dtype == np.float32


def test_gru_cell_matches_the_equations_and_its_derivatives():
    gi, gh = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    h = rng.standard_normal((3, 2))
    r = _sig(gi[:, :2] + gh[:, :2])
    z = _sig(gi[:, 2:4] + gh[:, 2:4])
    n = np.tanh(gi[:, 4:] + r * gh[:, 4:])
    assert np.allclose(gru_cell(tg.tensor(gi), tg.tensor(gh), tg.tensor(h)).numpy(),
                       (1 - z) * n + z * h)
    gradcheck(gru_cell, tg.tensor(gi), tg.tensor(gh), tg.tensor(h))
    gradgradcheck(gru_cell, tg.tensor(gi), tg.tensor(gh), tg.tensor(h))


def test_cells_check_their_shapes():
    with pytest.raises(tg.ShapeError, match=r"expected \(N, 4H\), \(N, H\), got \(3, 7\)"):
        lstm_cell(tg.randn(3, 7), tg.randn(3, 2))
    with pytest.raises(tg.ShapeError, match="gru_cell: expected"):
        gru_cell(tg.randn(3, 6), tg.randn(3, 5), tg.randn(3, 2))


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_is_the_cell_repeated_and_backpropagates_through_time(reverse):
    from tensorgrad.ops.recurrent import lstm_sequence

    steps, n, hidden = 5, 3, 2
    gi = rng.standard_normal((steps, n, 4 * hidden))
    h0, c0 = rng.standard_normal((n, hidden)), rng.standard_normal((n, hidden))
    w, b = rng.standard_normal((4 * hidden, hidden)), rng.standard_normal(4 * hidden)
    h, c, hs = h0, c0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        i, f, g, o = np.split(gi[t] + h @ w.T + b, 4, axis=1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        hs[t] = h
    seq, last_h, last_c = lstm_sequence(*map(tg.tensor, (gi, h0, c0, w, b)), reverse=reverse)
    assert np.allclose(seq.numpy(), np.stack(hs))
    assert np.allclose(last_h.numpy(), h) and np.allclose(last_c.numpy(), c)

    def loss(gi, h0, c0, w, b):
        seq, last_h, last_c = lstm_sequence(gi, h0, c0, w, b, reverse=reverse)
        return (seq * seq).sum() + last_h.sum() * 0.5 + (last_c * last_c).sum()

    gradcheck(loss, *map(tg.tensor, (gi, h0, c0, w, b)))
    gradgradcheck(lambda gi, w: lstm_sequence(gi, tg.tensor(h0), tg.tensor(c0), w,
                                              tg.tensor(b), reverse=reverse)[0],
                  tg.tensor(gi[:3]), tg.tensor(w))


@pytest.mark.parametrize("reverse", [False, True])
def test_gru_sequence_is_the_cell_repeated_and_backpropagates_through_time(reverse):
    from tensorgrad.ops.recurrent import gru_sequence

    steps, n, hidden = 5, 3, 2
    gi, h0 = rng.standard_normal((steps, n, 3 * hidden)), rng.standard_normal((n, hidden))
    w, b = rng.standard_normal((3 * hidden, hidden)), rng.standard_normal(3 * hidden)
    h, hs = h0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        gh = h @ w.T + b
        r = _sig(gi[t, :, :2] + gh[:, :2])
        z = _sig(gi[t, :, 2:4] + gh[:, 2:4])
        new = np.tanh(gi[t, :, 4:] + r * gh[:, 4:])
        h = (1 - z) * new + z * h
        hs[t] = h
    seq, last = gru_sequence(*map(tg.tensor, (gi, h0, w, b)), reverse=reverse)
    assert np.allclose(seq.numpy(), np.stack(hs)) and np.allclose(last.numpy(), h)

    def loss(gi, h0, w, b):
        seq, last = gru_sequence(gi, h0, w, b, reverse=reverse)
        return (seq * seq).sum() + last.sum() * 0.5

    gradcheck(loss, *map(tg.tensor, (gi, h0, w, b)))
    gradgradcheck(lambda gi, w: gru_sequence(gi, tg.tensor(h0), w, tg.tensor(b),
                                             reverse=reverse)[0], tg.tensor(gi[:3]), tg.tensor(w))


@pytest.mark.parametrize("reverse, nonlinearity", [(False, "tanh"), (True, "relu")])
def test_rnn_sequence_is_the_cell_repeated_and_backpropagates_through_time(reverse,
                                                                           nonlinearity):
    from tensorgrad.ops.recurrent import rnn_sequence

    steps, n, hidden = 5, 3, 2
    gi, h0 = rng.standard_normal((steps, n, hidden)), rng.standard_normal((n, hidden))
    w, b = rng.standard_normal((hidden, hidden)), rng.standard_normal(hidden)
    act = np.tanh if nonlinearity == "tanh" else (lambda v: np.maximum(v, 0))
    h, hs = h0, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h = act(gi[t] + h @ w.T + b)
        hs[t] = h
    seq, last = rnn_sequence(*map(tg.tensor, (gi, h0, w, b)), reverse=reverse,
                             nonlinearity=nonlinearity)
    assert np.allclose(seq.numpy(), np.stack(hs)) and np.allclose(last.numpy(), h)
    if nonlinearity == "relu":  # central differences straddle ReLU's kink: check tanh only
        return

    def loss(gi, h0, w, b):
        seq, last = rnn_sequence(gi, h0, w, b, reverse=reverse)
        return (seq * seq).sum() + last.sum() * 0.5

    gradcheck(loss, *map(tg.tensor, (gi, h0, w, b)))
    gradgradcheck(lambda gi, w: rnn_sequence(gi, tg.tensor(h0), w, tg.tensor(b),
                                             reverse=reverse)[0], tg.tensor(gi[:3]), tg.tensor(w))
