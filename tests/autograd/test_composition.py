"""A causal self-attention block written the way PyTorch code is (einsum, masked_fill with -inf,
softmax, an in-place residual `+=`, layer norm, GELU, label-smoothed cross-entropy with an
ignored target): its gradients by central differences in float64, for every input at once."""

import numpy as np

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck

B, T, D, H, V = 2, 4, 4, 2, 5


def block(x, wq, wk, wv, w1, wout):
    ln = nn.LayerNorm(D, elementwise_affine=False).double()
    h = ln(x)
    q = (h @ wq).reshape(B, T, H, D // H)
    k = (h @ wk).reshape(B, T, H, D // H)
    v = (h @ wv).reshape(B, T, H, D // H)
    scores = tg.einsum("bqhd,bkhd->bhqk", q, k) / (D // H) ** 0.5
    scores = scores.masked_fill(tg.tensor(np.triu(np.ones((T, T), bool), 1)), float("-inf"))
    out = tg.einsum("bhqk,bkhd->bqhd", scores.softmax(-1), v).reshape(B, T, D)
    y = x * 1.0
    y += out  # recorded on the tape
    y = y + nn.functional.gelu(ln(y) @ w1)
    labels = np.arange(B * T) % V
    labels[0] = -100
    return nn.functional.cross_entropy((y @ wout).reshape(B * T, V), tg.tensor(labels),
                                       label_smoothing=0.1)


def test_attention_block_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((B, T, D))] + [rng.standard_normal(s) * 0.5 for s in
                                                   [(D, D), (D, D), (D, D), (D, D), (D, V)]]
    assert gradcheck(block, *[tg.tensor(a) for a in inputs])
