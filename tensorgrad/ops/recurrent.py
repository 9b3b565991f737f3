"""Fused recurrent cells: an LSTM or GRU cell's gate nonlinearities and state update as one
primitive (one tape node where the formula takes a dozen, and no temporaries per gate), with the
gradients written out. On the CPU; other devices compose the same formula from primitives, as
does the backward under create_graph=True, so every order of derivative stays available."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backends import CPU
from ..errors import ShapeError, shape_str
from ..ops import elementwise as E
from ..ops import shape
from ..ops.elementwise import _direct, _recording
from ..tensor import Tensor

# ----- LSTM ------------------------------------------------------------------------------------


def _lstm_formula(gates: Tensor, c: Tensor):
    """(h', c') from pre-activation gates [i f g o] (N, 4H) and c (N, H), in tensor ops."""
    i, f, g, o = gates.chunk(4, -1)
    i, f, g, o = E.sigmoid(i), E.sigmoid(f), E.tanh(g), E.sigmoid(o)
    c_new = f * c + i * g
    return o * E.tanh(c_new), c_new


def _lstm_gates_(act, gates) -> None:
    """act (4, N, H) = [s(i), s(f), tanh(g), s(o)] of gates (N, 4H), each gate contiguous
    (numpy runs 3x slower on strided blocks); s(x) = (tanh(x / 2) + 1) / 2: one tanh pass."""
    n, hidden = act.shape[1:]
    np.multiply(gates.reshape(n, 4, hidden).transpose(1, 0, 2), _LSTM_SCALE[:, None, None],
                out=act, casting="unsafe")
    np.tanh(act, out=act)
    for k in (0, 1, 3):
        act[k] *= 0.5
        act[k] += 0.5


def _lstm_gate_grads_(d, act, tanh_c, c, dh, dc):
    """d (4, N, H) <- the gradient of the pre-activation gates of one step, from the step's
    activations, tanh(c'), the previous c and the gradients dh' and dc' reaching the step;
    returns dc'' = dc' + dh' s(o) (1 - tanh(c')^2) (dc = dc'' s(f) continues the recurrence)."""
    i, f, g, o = act
    total = dh * o
    total *= 1 - tanh_c * tanh_c
    total += dc
    np.multiply(total, g, out=d[0])
    d[0] *= i * (1 - i)
    np.multiply(total, c, out=d[1])
    d[1] *= f * (1 - f)
    np.multiply(total, i, out=d[2])
    d[2] *= 1 - g * g
    np.multiply(dh, tanh_c, out=d[3])
    d[3] *= o * (1 - o)
    return total


class LSTMCell(Function):
    """y = stack(h', c') (2, N, H): c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c'), from the
    pre-activation gates G = [i f g o] (N, 4H) and c (N, H). With dc'' = dc' + dh' s(o)
    (1 - tanh(c')^2): dG = [dc'' tanh(g) s'(i), dc'' c s'(f), dc'' s(i) tanh'(g),
    dh' tanh(c') s'(o)] and dc = dc'' s(f)."""

    @staticmethod
    def forward(ctx, gates, c):
        n, hidden = c.shape
        act = np.empty((4, n, hidden), dtype=gates.dtype)
        _lstm_gates_(act, gates)
        i, f, g, o = act
        out = np.empty((2, n, hidden), dtype=gates.dtype)
        np.multiply(f, c, out=out[1])
        out[1] += i * g
        tanh_c = np.tanh(out[1])
        np.multiply(o, tanh_c, out=out[0])
        ctx.save_for_backward(gates, c, act, tanh_c)
        return out

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:
            gates, c = ctx.saved_tensors[:2]  # (raises the usual error after a free)
            return _lstm_backward_recorded(gates, c, gy)
        _, c, act, tanh_c = ctx._saved
        d = np.empty_like(act)
        total = _lstm_gate_grads_(d, act, tanh_c, c, gy._data[0], gy._data[1])
        n, hidden = c.shape
        dgates = np.ascontiguousarray(d.transpose(1, 0, 2)).reshape(n, 4 * hidden)
        return _direct(ctx, dgates), _direct(ctx, total * act[1])


_LSTM_SCALE = np.array([0.5, 0.5, 1.0, 0.5])


def _lstm_backward_recorded(gates, c, gy):
    """LSTMCell's gradients in tensor ops (recorded under create_graph=True)."""
    i, f, g, o = gates.chunk(4, -1)
    i, f, g, o = E.sigmoid(i), E.sigmoid(f), E.tanh(g), E.sigmoid(o)
    tanh_c = E.tanh(f * c + i * g)
    dh, dc = gy[0], gy[1]
    total = dc + dh * o * (1.0 - tanh_c * tanh_c)
    dgates = shape.cat([total * g * i * (1.0 - i), total * c * f * (1.0 - f),
                        total * i * (1.0 - g * g), dh * tanh_c * o * (1.0 - o)], -1)
    return dgates, total * f


def _check(op, pieces, inputs):
    """inputs of shapes (N, pieces[k] H), the last one the state (N, H)."""
    first = inputs[0]
    n = first.shape[0] if first.ndim == 2 else None
    hidden = inputs[-1].shape[-1] if inputs[-1].ndim == 2 else None
    for t, width in zip(inputs, pieces):
        if t.ndim != 2 or n is None or hidden is None or tuple(t.shape) != (n, width * hidden):
            want = ", ".join(f"(N, {w}H)" if w > 1 else "(N, H)" for w in pieces)
            raise ShapeError(f"{op}: expected {want}, got "
                             f"{', '.join(shape_str(x.shape) for x in inputs)}")


def lstm_cell(gates: Tensor, c: Tensor) -> tuple:
    """One LSTM step's (h', c') from the summed pre-activation gates [i f g o] (N, 4H) =
    W_ih x + b_ih + W_hh h + b_hh and the cell state c (N, H) (PyTorch's gate order)."""
    _check("lstm_cell", (4, 1), (gates, c))
    if gates.device is not CPU or gates.dtype != c.dtype or gates.dtype.kind != "f":
        return _lstm_formula(gates, c)
    out = LSTMCell.apply(gates, c)
    return out[0], out[1]


# ----- GRU -------------------------------------------------------------------------------------


def _gru_formula(gi: Tensor, gh: Tensor, h: Tensor):
    """h' from the input and hidden projections [r z n] (N, 3H) and h (N, H), in tensor ops."""
    ir, iz, in_ = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r = E.sigmoid(ir + hr)
    z = E.sigmoid(iz + hz)
    n = E.tanh(in_ + r * hn)
    return (n + z * (h - n),)


class GRUCell(Function):
    """h' = n + z (h - n): r = s(ir + hr), z = s(iz + hz), n = tanh(in + r hn), from the input
    projection gi = [ir iz in] (N, 3H), the hidden one gh = [hr hz hn] and h (N, H)."""

    @staticmethod
    def forward(ctx, gi, gh, h):
        hidden = h.shape[-1]
        rz = gi[:, :2 * hidden] + gh[:, :2 * hidden]
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        r, z = rz[:, :hidden], rz[:, hidden:]
        n = r * gh[:, 2 * hidden:]
        n += gi[:, 2 * hidden:]
        np.tanh(n, out=n)
        out = h - n
        out *= z
        out += n
        ctx.save_for_backward(gi, gh, h, rz, n)
        return out

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:
            gi, gh, h = ctx.saved_tensors[:3]
            return _gru_backward_recorded(gi, gh, h, gy)
        _, gh, h, rz, n = ctx._saved
        hidden = h.shape[-1]
        r, z = rz[:, :hidden], rz[:, hidden:]
        dy = gy._data
        dn = dy * (1 - z)
        dn *= 1 - n * n  # through tanh: the gradient of in's pre-activation
        dgi = np.empty(rz.shape[:1] + (3 * hidden,), dtype=dy.dtype)
        dgh = np.empty_like(dgi)
        np.multiply(dn, gh[:, 2 * hidden:], out=dgi[:, :hidden])
        dgi[:, :hidden] *= r * (1 - r)
        np.subtract(h, n, out=dgi[:, hidden:2 * hidden])
        dgi[:, hidden:2 * hidden] *= dy
        dgi[:, hidden:2 * hidden] *= z * (1 - z)
        dgi[:, 2 * hidden:] = dn
        dgh[:, :2 * hidden] = dgi[:, :2 * hidden]
        np.multiply(dn, r, out=dgh[:, 2 * hidden:])
        return _direct(ctx, dgi), _direct(ctx, dgh), _direct(ctx, dy * z)


def _gru_backward_recorded(gi, gh, h, dy):
    """GRUCell's gradients in tensor ops (recorded under create_graph=True)."""
    ir, iz, in_ = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r, z = E.sigmoid(ir + hr), E.sigmoid(iz + hz)
    n = E.tanh(in_ + r * hn)
    dn = dy * (1.0 - z) * (1.0 - n * n)
    dr = dn * hn * r * (1.0 - r)
    dz = dy * (h - n) * z * (1.0 - z)
    return shape.cat([dr, dz, dn], -1), shape.cat([dr, dz, dn * r], -1), dy * z


def gru_cell(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """One GRU step's h' from gi = W_ih x + b_ih, gh = W_hh h + b_hh (N, 3H, gates [r z n]) and
    h (N, H) (PyTorch's formula: b_hn stays inside r's product)."""
    _check("gru_cell", (3, 3, 1), (gi, gh, h))
    if gi.device is not CPU or not gi.dtype == gh.dtype == h.dtype or gi.dtype.kind != "f":
        return _gru_formula(gi, gh, h)[0]
    return GRUCell.apply(gi, gh, h)


# ----- a whole LSTM layer direction as one primitive ---------------------------------------------


class LSTMSequence(Function):
    """Every step of one LSTM layer in one direction: from the input projections gi (L, N, 4H)
    (W_ih x_t + b_ih), the initial state h0, c0 (N, H), W_hh (4H, H) and b_hh (4H,), the output
    (L + 1, N, H) holds h_t at t < L and the last cell state at L (steps in reverse order with
    reverse=True, h_t still at index t). Backward is backpropagation through time in one loop:
    with dc'' = dc' + dh' s(o) (1 - tanh(c')^2), dG_t = [dc'' tanh(g) s'(i), dc'' c s'(f),
    dc'' s(i) tanh'(g), dh' tanh(c') s'(o)], dh_(t-1) += dG_t W_hh, dc_(t-1) = dc'' s(f),
    dW_hh = sum dG_t^T h_(t-1), db_hh = sum dG_t, dgi_t = dG_t. With last (N,) (sequences of
    their own lengths, _by_length), index L holds each sequence's cell state after its step
    last[n], and that state's gradient enters backward at that step."""

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, b_hh, reverse=False, last=None):
        steps, n, four_h = gi.shape
        hidden = four_h // 4
        dtype = gi.dtype
        out = np.empty((steps + 1, n, hidden), dtype=dtype)
        acts = np.empty((steps, 4, n, hidden), dtype=dtype)
        tanh_cs = np.empty((steps, n, hidden), dtype=dtype)
        prev_h = np.empty((steps, n, hidden), dtype=dtype)
        prev_c = np.empty((steps, n, hidden), dtype=dtype)
        h, c = h0, c0
        w_t = w_hh.T
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            prev_h[t], prev_c[t] = h, c
            gates = h @ w_t
            gates += gi[t]
            gates += b_hh
            act = acts[t]
            _lstm_gates_(act, gates)
            c_new = act[1] * c
            c_new += act[0] * act[2]
            np.tanh(c_new, out=tanh_cs[t])
            np.multiply(act[3], tanh_cs[t], out=out[t])
            h, c = out[t], c_new
            if last is not None:  # each sequence's cell state after its own last step
                ends = last == t
                out[steps][ends] = c_new[ends]
        if last is None:
            out[steps] = c
        ctx.reverse, ctx.last = reverse, last
        ctx.save_for_backward(gi, h0, c0, w_hh, b_hh, acts, tanh_cs, prev_h, prev_c)
        return out

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:
            saved = ctx.saved_tensors  # (raises the usual error after a free)
            return _lstm_sequence_recorded(*saved[:5], gy, ctx.reverse, ctx.last)
        _, _, _, w_hh, _, acts, tanh_cs, prev_h, prev_c = ctx._saved
        g = gy._data
        steps, n, hidden = tanh_cs.shape
        dgi = np.empty((steps, n, 4 * hidden), dtype=g.dtype)
        dw = np.zeros_like(w_hh)
        dh = np.zeros((n, hidden), dtype=g.dtype)
        last = ctx.last
        if last is None:
            dc = g[steps].astype(g.dtype, copy=True)
        else:
            dc = np.zeros((n, hidden), dtype=g.dtype)
        d = np.empty((4, n, hidden), dtype=g.dtype)
        for t in (range(steps) if ctx.reverse else range(steps - 1, -1, -1)):
            dh += g[t]
            if last is not None:
                ends = last == t
                dc[ends] += g[steps][ends]
            total = _lstm_gate_grads_(d, acts[t], tanh_cs[t], prev_c[t], dh, dc)
            dgates = dgi[t]
            dgates.reshape(n, 4, hidden)[...] = d.transpose(1, 0, 2)
            dw += dgates.T @ prev_h[t]
            dh = dgates @ w_hh
            dc = total * acts[t][1]
        db = dgi.reshape(-1, 4 * hidden).sum(0)
        return (_direct(ctx, dgi), _direct(ctx, dh), _direct(ctx, dc), _direct(ctx, dw),
                _direct(ctx, db))


def _lstm_sequence_formula(gi, h0, c0, w_hh, b_hh, reverse, last=None):
    """LSTMSequence's output in tensor ops: one lstm cell formula per step."""
    h, c = h0, c0
    steps = gi.shape[0]
    hs, cs = [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h, c = _lstm_formula(gi[t] + h @ w_hh.mT + b_hh, c)
        hs[t], cs[t] = h, c
    if last is not None:  # each sequence's cell state after its own last step
        c = shape.stack(cs, 0)[last, np.arange(len(last))]
    return shape.stack(hs + [c], 0)


def _recorded_grads(out, inputs, gy):
    """d(out . gy)/d(inputs) recorded (create_graph=True), zeros for inputs without grad: a
    sequence primitive's backward under create_graph, from its formula rebuilt on the saved
    inputs."""
    from ..autograd.functional import grad

    wanted = [t for t in inputs if t.requires_grad]
    # retain_graph: the inputs' own history is walked too and must survive for the outer pass
    found = iter(grad(out, wanted, grad_outputs=[gy], retain_graph=True, create_graph=True,
                      allow_unused=True) if wanted else ())
    grads = [next(found) if t.requires_grad else None for t in inputs]
    return tuple(g if g is not None else t.detach() * 0 for g, t in zip(grads, inputs))


def _lstm_sequence_recorded(gi, h0, c0, w_hh, b_hh, gy, reverse, last=None):
    """LSTMSequence's gradients in tensor ops, recorded under create_graph=True."""
    out = _lstm_sequence_formula(gi, h0, c0, w_hh, b_hh, reverse, last)
    return _recorded_grads(out, [gi, h0, c0, w_hh, b_hh], gy)


def lstm_sequence(gi: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                  reverse: bool = False, lengths=None, *, _last=None):
    """(h_t for every t as (L, N, H), the last h, the last c) of one LSTM layer direction over
    the input projections gi (L, N, 4H): one primitive on the CPU, the per-step cell on other
    devices. With lengths (N,), sequence n is its first lengths[n] steps (see _by_length)."""
    if lengths is not None:
        return _by_length("lstm_sequence", lstm_sequence, gi, (h0, c0, w_hh, b_hh), reverse,
                          lengths)
    steps, n = gi.shape[:2]
    hidden = h0.shape[-1]
    if gi.ndim != 3 or gi.shape[-1] != 4 * hidden or tuple(h0.shape) != (n, hidden) or tuple(
            c0.shape) != (n, hidden) or tuple(w_hh.shape) != (4 * hidden, hidden):
        raise ShapeError(f"lstm_sequence: expected gi (L, N, 4H), h0 and c0 (N, H), w_hh "
                         f"(4H, H), got {shape_str(gi.shape)}, {shape_str(h0.shape)}, "
                         f"{shape_str(c0.shape)}, {shape_str(w_hh.shape)}")
    if b_hh is None:
        b_hh = Tensor(np.zeros(4 * hidden, dtype=gi.dtype), device=gi.device)
    same = gi.dtype == h0.dtype == c0.dtype == w_hh.dtype == b_hh.dtype
    if gi.device is not CPU or not same or gi.dtype.kind != "f" or steps == 0:
        out = _lstm_sequence_formula(gi, h0, c0, w_hh, b_hh, reverse, _last) if steps else None
    else:
        out = LSTMSequence.apply(gi, h0, c0, w_hh, b_hh, reverse=reverse, last=_last)
    if out is None:
        raise ShapeError("lstm_sequence: needs at least one step")
    last = out[0] if reverse else out[steps - 1]
    return out[:steps], last, out[steps]


def _by_length(name, run, gi, args, reverse, lengths, **options):
    """One layer direction over sequences of their own lengths, padded to gi's L steps
    (PyTorch's packed sequences): the steps past a sequence's end take no part. Forwards, they
    come after it, so only the outputs there are set to 0 and the last state is taken at the
    sequence's own last step (for the LSTM's cell state, inside the primitive). Backwards, each
    sequence is first reversed within its length (the padding stays at the end) and run
    forwards, and the outputs are put back in order."""
    steps, n = gi.shape[:2]
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if lengths.shape != (n,) or lengths.min(initial=1) < 1 or lengths.max(initial=1) > steps:
        raise ShapeError(f"{name}: lengths must be {n} integers in [1, {steps}], got "
                         f"{lengths.tolist()}")
    t = np.arange(steps)[:, None]
    order = np.where(t < lengths, lengths - 1 - t, t) if reverse else None  # an involution

    def in_order(x):
        index = Tensor(np.broadcast_to(order[:, :, None], x.shape).copy(), device=x.device)
        return x.gather(0, index)

    if reverse:
        gi = in_order(gi)
    lstm = run is lstm_sequence
    if lstm:
        options["_last"] = lengths - 1
    seq, *rest = run(gi, *args, reverse=False, **options)
    last_h = seq[lengths - 1, np.arange(n)]
    if reverse:
        seq = in_order(seq)
    valid = Tensor((t < lengths).astype(seq.dtype)[:, :, None], device=seq.device)
    seq = seq * valid
    return (seq, last_h, rest[1]) if lstm else (seq, last_h)


# ----- a whole GRU layer direction as one primitive ----------------------------------------------


def _sigmoid_(x) -> None:
    """x <- 1 / (1 + exp(-x)) in place, as (tanh(x / 2) + 1) / 2."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5


class GRUSequence(Function):
    """Every step of one GRU layer in one direction: from the input projections gi (L, N, 3H)
    (W_ih x_t + b_ih, gates [r z n]), h0 (N, H), W_hh (3H, H) and b_hh (3H,), the output h_t
    for every t (L, N, H) (steps in reverse order with reverse=True). Backward is
    backpropagation through time in one loop (GRUCell's gradients, step after step)."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, reverse=False):
        steps, n, three_h = gi.shape
        hidden = three_h // 3
        dtype = gi.dtype
        out = np.empty((steps, n, hidden), dtype=dtype)
        rz = np.empty((steps, 2, n, hidden), dtype=dtype)  # r and z, each contiguous
        news = np.empty((steps, n, hidden), dtype=dtype)
        gh_n = np.empty((steps, n, hidden), dtype=dtype)
        prev_h = np.empty((steps, n, hidden), dtype=dtype)
        h = h0
        w_t = w_hh.T
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            prev_h[t] = h
            gh = h @ w_t
            gh += b_hh
            gates = rz[t]
            np.add(gi[t, :, :2 * hidden].reshape(n, 2, hidden).transpose(1, 0, 2),
                   gh[:, :2 * hidden].reshape(n, 2, hidden).transpose(1, 0, 2), out=gates)
            _sigmoid_(gates)
            r, z = gates
            gh_n[t] = gh[:, 2 * hidden:]
            new = news[t]
            np.multiply(r, gh_n[t], out=new)
            new += gi[t, :, 2 * hidden:]
            np.tanh(new, out=new)
            np.subtract(h, new, out=out[t])
            out[t] *= z
            out[t] += new
            h = out[t]
        ctx.reverse = reverse
        ctx.save_for_backward(gi, h0, w_hh, b_hh, rz, news, gh_n, prev_h)
        return out

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:
            saved = ctx.saved_tensors  # (raises the usual error after a free)
            return _gru_sequence_recorded(*saved[:4], gy, ctx.reverse)
        _, _, w_hh, _, rz, news, gh_n, prev_h = ctx._saved
        g = gy._data
        steps, n, hidden = news.shape
        dgi = np.empty((steps, n, 3 * hidden), dtype=g.dtype)
        dgh = np.empty((n, 3 * hidden), dtype=g.dtype)
        dw = np.zeros_like(w_hh)
        db = np.zeros(3 * hidden, dtype=g.dtype)
        dh = np.zeros((n, hidden), dtype=g.dtype)
        for t in (range(steps) if ctx.reverse else range(steps - 1, -1, -1)):
            r, z = rz[t]
            new = news[t]
            dh += g[t]
            dn = dh * (1 - z)
            dn *= 1 - new * new  # the gradient of n's pre-activation
            d = dgi[t]
            np.multiply(dn, gh_n[t], out=d[:, :hidden])
            d[:, :hidden] *= r * (1 - r)
            np.subtract(prev_h[t], new, out=d[:, hidden:2 * hidden])
            d[:, hidden:2 * hidden] *= dh
            d[:, hidden:2 * hidden] *= z * (1 - z)
            d[:, 2 * hidden:] = dn
            dgh[:, :2 * hidden] = d[:, :2 * hidden]
            np.multiply(dn, r, out=dgh[:, 2 * hidden:])
            dw += dgh.T @ prev_h[t]
            db += dgh.sum(0)
            dh = dh * z
            dh += dgh @ w_hh
        return _direct(ctx, dgi), _direct(ctx, dh), _direct(ctx, dw), _direct(ctx, db)


def _gru_sequence_formula(gi, h0, w_hh, b_hh, reverse):
    """GRUSequence's output in tensor ops: one GRU cell formula per step."""
    h = h0
    steps = gi.shape[0]
    hs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        (h,) = _gru_formula(gi[t], h @ w_hh.mT + b_hh, h)
        hs[t] = h
    return shape.stack(hs, 0)


def _gru_sequence_recorded(gi, h0, w_hh, b_hh, gy, reverse):
    """GRUSequence's gradients in tensor ops, recorded under create_graph=True."""
    out = _gru_sequence_formula(gi, h0, w_hh, b_hh, reverse)
    return _recorded_grads(out, [gi, h0, w_hh, b_hh], gy)


def gru_sequence(gi: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                 reverse: bool = False, lengths=None):
    """(h_t for every t as (L, N, H), the last h) of one GRU layer direction over the input
    projections gi (L, N, 3H): one primitive on the CPU, the per-step cell elsewhere. With
    lengths (N,), sequence n is its first lengths[n] steps (see _by_length)."""
    if lengths is not None:
        return _by_length("gru_sequence", gru_sequence, gi, (h0, w_hh, b_hh), reverse, lengths)
    hidden = h0.shape[-1]
    if gi.ndim != 3 or gi.shape[0] == 0 or gi.shape[-1] != 3 * hidden or tuple(
            h0.shape) != (gi.shape[1], hidden) or tuple(w_hh.shape) != (3 * hidden, hidden):
        raise ShapeError(f"gru_sequence: expected gi (L, N, 3H) with L >= 1, h0 (N, H), w_hh "
                         f"(3H, H), got {shape_str(gi.shape)}, {shape_str(h0.shape)}, "
                         f"{shape_str(w_hh.shape)}")
    if b_hh is None:
        b_hh = Tensor(np.zeros(3 * hidden, dtype=gi.dtype), device=gi.device)
    same = gi.dtype == h0.dtype == w_hh.dtype == b_hh.dtype
    if gi.device is not CPU or not same or gi.dtype.kind != "f":
        out = _gru_sequence_formula(gi, h0, w_hh, b_hh, reverse)
    else:
        out = GRUSequence.apply(gi, h0, w_hh, b_hh, reverse=reverse)
    return out, (out[0] if reverse else out[gi.shape[0] - 1])


# ----- a whole Elman RNN layer direction as one primitive ----------------------------------------


class RNNSequence(Function):
    """Every step of one tanh or ReLU RNN layer in one direction: h_t = act(gi_t + W_hh h_(t-1)
    + b_hh) from the input projections gi (L, N, H) and h0 (N, H); the output is h_t for every
    t (L, N, H). Backward: dpre_t = (dh_t + dh from step t+1) act'(h_t), dh_(t-1) = dpre_t W_hh,
    dW_hh = sum dpre_t^T h_(t-1), db_hh = sum dpre_t, dgi_t = dpre_t."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, reverse=False, relu=False):
        steps = gi.shape[0]
        out = np.empty(gi.shape, dtype=gi.dtype)
        h = h0
        w_t = w_hh.T
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            pre = h @ w_t
            pre += gi[t]
            pre += b_hh
            if relu:
                np.maximum(pre, 0, out=out[t])
            else:
                np.tanh(pre, out=out[t])
            h = out[t]
        ctx.reverse, ctx.relu = reverse, relu
        ctx.save_for_backward(gi, h0, w_hh, b_hh, out)
        return out

    @staticmethod
    def backward(ctx, gy):
        if _recording() or ctx._saved is None:
            gi, h0, w_hh, b_hh = ctx.saved_tensors[:4]
            out = _rnn_sequence_formula(gi, h0, w_hh, b_hh, ctx.reverse, ctx.relu)
            return _recorded_grads(out, [gi, h0, w_hh, b_hh], gy)
        _, h0, w_hh, _, out = ctx._saved
        g = gy._data
        steps = out.shape[0]
        dgi = np.empty_like(out)
        dw = np.zeros_like(w_hh)
        dh = np.zeros_like(h0)
        order = list(range(steps - 1, -1, -1)) if ctx.reverse else list(range(steps))
        for k in range(steps - 1, -1, -1):  # backwards through the order the steps ran in
            t = order[k]
            h = out[t]
            dh += g[t]
            d = dgi[t]
            if ctx.relu:
                np.multiply(dh, h > 0, out=d)
            else:
                np.multiply(dh, 1 - h * h, out=d)
            h_prev = h0 if k == 0 else out[order[k - 1]]
            dw += d.T @ h_prev
            dh = d @ w_hh
        db = dgi.reshape(-1, dgi.shape[-1]).sum(0)
        return _direct(ctx, dgi), _direct(ctx, dh), _direct(ctx, dw), _direct(ctx, db)


def _rnn_sequence_formula(gi, h0, w_hh, b_hh, reverse, relu):
    h = h0
    steps = gi.shape[0]
    hs = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        pre = gi[t] + h @ w_hh.mT + b_hh
        h = E.relu(pre) if relu else E.tanh(pre)
        hs[t] = h
    return shape.stack(hs, 0)


def rnn_sequence(gi: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                 reverse: bool = False, nonlinearity: str = "tanh", lengths=None):
    """(h_t for every t as (L, N, H), the last h) of one tanh/ReLU RNN layer direction over
    the input projections gi (L, N, H): one primitive on the CPU, the per-step formula
    elsewhere. With lengths (N,), sequence n is its first lengths[n] steps (see _by_length)."""
    if lengths is not None:
        return _by_length("rnn_sequence", rnn_sequence, gi, (h0, w_hh, b_hh), reverse, lengths,
                          nonlinearity=nonlinearity)
    hidden = h0.shape[-1]
    if gi.ndim != 3 or gi.shape[0] == 0 or gi.shape[-1] != hidden or tuple(
            h0.shape) != (gi.shape[1], hidden) or tuple(w_hh.shape) != (hidden, hidden):
        raise ShapeError(f"rnn_sequence: expected gi (L, N, H) with L >= 1, h0 (N, H), w_hh "
                         f"(H, H), got {shape_str(gi.shape)}, {shape_str(h0.shape)}, "
                         f"{shape_str(w_hh.shape)}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    relu = nonlinearity == "relu"
    if b_hh is None:
        b_hh = Tensor(np.zeros(hidden, dtype=gi.dtype), device=gi.device)
    same = gi.dtype == h0.dtype == w_hh.dtype == b_hh.dtype
    if gi.device is not CPU or not same or gi.dtype.kind != "f":
        out = _rnn_sequence_formula(gi, h0, w_hh, b_hh, reverse, relu)
    else:
        out = RNNSequence.apply(gi, h0, w_hh, b_hh, reverse=reverse, relu=relu)
    return out, (out[0] if reverse else out[gi.shape[0] - 1])
