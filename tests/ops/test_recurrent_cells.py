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
