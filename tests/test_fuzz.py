"""Property-based fuzzing: random compositions of ops on random broadcastable shapes. The tape's
gradient must match central differences, and the only exceptions allowed are the documented
clear errors (ShapeError for shapes that do not fit)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorgrad as tg
from tensorgrad import ShapeError
from tensorgrad.testing import gradcheck

UNARY = [
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("exp", lambda x: (x * 0.3).exp()),
    ("softplus-ish", lambda x: (x.exp() + 1).log()),
    ("sqrt", lambda x: (x * x + 1).sqrt()),
    ("square", lambda x: x ** 2),
    ("sum", lambda x: x.sum(-1, keepdim=True) if x.ndim else x),
    ("mean", lambda x: x.mean(0) if x.ndim else x),
    ("transpose", lambda x: x.transpose(-1, -2) if x.ndim >= 2 else x),
    ("flatten", lambda x: x.flatten()),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("slice", lambda x: x[..., ::2] if x.ndim else x),
    ("logsumexp", lambda x: x.logsumexp(-1) if x.ndim else x),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1)),
    ("where", lambda a, b: tg.where(a.detach() > 0, a, b)),
    ("matmul", lambda a, b: a @ b),
    ("cat", lambda a, b: tg.cat([a, b], -1) if a.ndim and b.ndim else a + b),
]


@st.composite
def programs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                    max_side=3))
    arrays = [draw(hnp.arrays(np.float64, s, elements=st.floats(-2, 2, width=64)))
              for s in shapes.input_shapes]
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 2),
                                    st.integers(0, 2)), min_size=1, max_size=6))
    return arrays, steps


def _run(steps, *xs):
    values = list(xs)
    for binary, op, i, j in steps:
        if binary:
            _, fn = BINARY[op % len(BINARY)]
            values.append(fn(values[i % len(values)], values[j % len(values)]))
        else:
            _, fn = UNARY[op % len(UNARY)]
            values.append(fn(values[i % len(values)]))
    return values[-1]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(programs())
def test_random_compositions_have_correct_gradients(program):
    arrays, steps = program
    xs = [tg.tensor(a) for a in arrays]
    try:
        out = _run(steps, *xs)
    except ShapeError:
        return  # shapes that do not fit: the documented, clear error
    assert np.all(np.isfinite(out.numpy()))
    gradcheck(lambda *ts: _run(steps, *ts), *xs, atol=1e-5, rtol=1e-3)
