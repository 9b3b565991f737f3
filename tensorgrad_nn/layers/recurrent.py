"""Recurrent layers (PyTorch's RNN, LSTM, GRU and their cells), composed from primitives: a
Python loop over time steps of Linear-style products and gates, so backprop through time is
the tape's ordinary work. Weights, gate order and initialisation follow PyTorch, so its
state_dicts load as they are: weight_ih_l{k} (gates * hidden, input), weight_hh_l{k},
bias_ih_l{k}, bias_hh_l{k} (and *_reverse for the backward direction when bidirectional);
LSTM gates (i, f, g, o), GRU gates (r, z, n)."""

from __future__ import annotations

import math

import tensorgrad as tg
from tensorgrad.ops.recurrent import (
    gru_cell,
    gru_sequence,
    lstm_cell,
    lstm_sequence,
    rnn_sequence,
)

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..utils.rnn import PackedSequence, pad_packed_sequence

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _step(mode, gi, h, c, w_hh, b_hh, nonlinearity):
    """One time step: the new (h, c) from the input's projection gi = W_ih x + b_ih (N, gates H)
    and the state h (N, H), c (LSTM). LSTM and GRU cells are fused primitives."""
    gh = F.linear(h, w_hh, b_hh)
    if mode == "RNN":
        pre = gi + gh
        return (pre.tanh() if nonlinearity == "tanh" else pre.relu()), None
    if mode == "LSTM":
        return lstm_cell(gi + gh, c)
    return gru_cell(gi, gh, h), None


class _Recurrent(Module):
    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__()
        name = type(self).__name__
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        if not 0 <= dropout < 1 or num_layers < 1:
            raise ValueError(f"{name}: num_layers {num_layers} must be positive and dropout "
                             f"{dropout} in [0, 1)")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        gates = _GATES[self.mode] * hidden_size
        for k in range(num_layers):
            fan_in = input_size if k == 0 else hidden_size * self.num_directions
            for sfx in self._suffixes(k):
                setattr(self, f"weight_ih{sfx}", Parameter(tg.empty(gates, fan_in, dtype=dtype)))
                setattr(self, f"weight_hh{sfx}", Parameter(tg.empty(gates, hidden_size,
                                                                    dtype=dtype)))
                if bias:
                    setattr(self, f"bias_ih{sfx}", Parameter(tg.empty(gates, dtype=dtype)))
                    setattr(self, f"bias_hh{sfx}", Parameter(tg.empty(gates, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _suffixes(self, k):
        """Parameter-name suffixes of layer k's directions: _l{k}, then _l{k}_reverse."""
        return [f"_l{k}", f"_l{k}_reverse"][:self.num_directions]

    def _weights(self, sfx):
        b_ih = getattr(self, f"bias_ih{sfx}") if self.bias else None
        b_hh = getattr(self, f"bias_hh{sfx}") if self.bias else None
        return getattr(self, f"weight_ih{sfx}"), getattr(self, f"weight_hh{sfx}"), b_ih, b_hh

    def forward(self, input, hx=None):
        """input (L, N, input_size) ((N, L, ...) with batch_first), (L, input_size), or a
        PackedSequence (nn.utils.rnn), each of whose sequences runs for its own length: the
        output is then packed the same way and h_n (c_n) hold each sequence's last state."""
        name = type(self).__name__
        packed, lengths = None, None
        if isinstance(input, PackedSequence):
            packed = input
            input, lengths = pad_packed_sequence(packed)
            lengths = lengths.numpy()
        unbatched = input.ndim == 2
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise tg.ShapeError(f"{name}: expected input (L, N, {self.input_size}) "
                                f"(batch_first: (N, L, {self.input_size})) or "
                                f"(L, {self.input_size}), got {tuple(input.shape)}")
        x = input.unsqueeze(1) if unbatched else (
            input.transpose(0, 1) if self.batch_first and packed is None else input)
        batch = x.shape[1]
        state_shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if self.mode == "LSTM":
            h0, c0 = hx if hx is not None else (None, None)
        else:
            h0, c0 = hx, None
        h0, c0 = (self._initial(s, state_shape, unbatched, input) for s in (h0, c0))
        layer_input = x  # (L, N, features)
        last_h, last_c = [], []
        for k in range(self.num_layers):
            per_direction = []
            for d, sfx in enumerate(self._suffixes(k)):
                w_ih, w_hh, b_ih, b_hh = self._weights(sfx)
                i = k * self.num_directions + d
                h, c = h0[i], (c0[i] if self.mode == "LSTM" else None)
                # every step's input projection in one product, as PyTorch's kernels do
                projected = F.linear(layer_input, w_ih, b_ih)
                if self.mode == "LSTM":  # the whole direction is one primitive
                    seq, h, c = lstm_sequence(projected, h, c, w_hh, b_hh, reverse=bool(d),
                                              lengths=lengths)
                elif self.mode == "GRU":
                    seq, h = gru_sequence(projected, h, w_hh, b_hh, reverse=bool(d),
                                          lengths=lengths)
                else:
                    seq, h = rnn_sequence(projected, h, w_hh, b_hh, reverse=bool(d),
                                          nonlinearity=self.nonlinearity, lengths=lengths)
                last_h.append(h)
                last_c.append(c)
                per_direction.append(seq)
            layer_input = per_direction[0] if self.num_directions == 1 else tg.cat(
                per_direction, -1)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout)
        out = layer_input
        if packed is not None:
            out = packed._replace(data=out[packed._positions()])
        elif unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        h_n = tg.stack(last_h, 0)
        h_n = h_n.squeeze(1) if unbatched else h_n
        if self.mode != "LSTM":
            return out, h_n
        c_n = tg.stack(last_c, 0)
        return out, (h_n, c_n.squeeze(1) if unbatched else c_n)

    def _initial(self, state, shape, unbatched, like):
        if state is None:
            return tg.zeros(*shape, dtype=like.dtype, device=like.device)
        want = (shape[0], shape[2]) if unbatched else shape
        if tuple(state.shape) != want:
            raise tg.ShapeError(f"{type(self).__name__}: expected an initial state of shape "
                                f"{want}, got {tuple(state.shape)}")
        return state.unsqueeze(1) if unbatched else state

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.batch_first:
            s += ", batch_first=True"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_Recurrent):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), layer by layer."""

    mode = "RNN"


class _Gated(_Recurrent):
    """LSTM and GRU: PyTorch's arguments, without RNN's nonlinearity (their gates fix it)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, "tanh", bias, batch_first,
                         dropout, bidirectional, dtype)


class LSTM(_Gated):
    """Long short-term memory: gates (i, f, g, o); c_t = f c_{t-1} + i g, h_t = o tanh(c_t);
    returns (output, (h_n, c_n))."""

    mode = "LSTM"


class GRU(_Gated):
    """Gated recurrent unit: gates (r, z, n); n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}."""

    mode = "GRU"


class _Cell(Module):
    """One time step of RNN, LSTM or GRU (PyTorch's RNNCell, LSTMCell, GRUCell): parameters
    weight_ih (gates * hidden, input), weight_hh, bias_ih, bias_hh; input (N, in) or (in,)."""

    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None):
        super().__init__()
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{type(self).__name__}: nonlinearity must be 'tanh' or 'relu', "
                             f"got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.nonlinearity = nonlinearity
        gates = _GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(tg.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(tg.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(tg.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(tg.empty(gates, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _state(self, state, batch, unbatched, like):
        if state is None:
            return tg.zeros(batch, self.hidden_size, dtype=like.dtype, device=like.device)
        want = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        if tuple(state.shape) != want:
            raise tg.ShapeError(f"{type(self).__name__}: expected a state of shape {want}, got "
                                f"{tuple(state.shape)}")
        return state.unsqueeze(0) if unbatched else state

    def forward(self, input, hx=None):
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise tg.ShapeError(f"{name}: expected input (N, {self.input_size}) or "
                                f"({self.input_size},), got {tuple(input.shape)}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        h, c = hx if self.mode == "LSTM" and hx is not None else (hx, None)
        h = self._state(h, x.shape[0], unbatched, x)
        c = self._state(c, x.shape[0], unbatched, x) if self.mode == "LSTM" else None
        b_ih, b_hh = (self.bias_ih, self.bias_hh) if self.bias else (None, None)
        h, c = _step(self.mode, F.linear(x, self.weight_ih, b_ih), h, c, self.weight_hh, b_hh,
                     self.nonlinearity)
        if unbatched:
            h, c = h.squeeze(0), (c.squeeze(0) if c is not None else None)
        return (h, c) if self.mode == "LSTM" else h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    mode = "RNN"


class _GatedCell(_Cell):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__(input_size, hidden_size, bias, "tanh", dtype)


class LSTMCell(_GatedCell):
    """One LSTM step: (h', c') from x and (h, c)."""

    mode = "LSTM"


class GRUCell(_GatedCell):
    """One GRU step: h' from x and h."""

    mode = "GRU"
