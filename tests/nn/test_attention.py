"""Attention and Transformer layers against numpy implementations of their equations (float64),
gradients against central differences, PyTorch's parameter names and mask conventions."""

import copy

import numpy as np
import pytest
from scipy import special

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.testing import gradcheck

F = nn.functional
rng = np.random.default_rng(0)


def np_attention(q, k, v, add_mask=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if add_mask is not None:
        scores = scores + add_mask
    weights = special.softmax(scores, axis=-1)
    return weights @ v, weights


def np_mha(module, q, k, v, add_mask=None):
    """(L, N, E) inputs; PyTorch's equations with the module's weights."""
    e, h = module.embed_dim, module.num_heads
    d = e // h
    w = module.in_proj_weight.detach().numpy()
    b = module.in_proj_bias.detach().numpy()

    def heads(x, i):  # (L, N, E) -> (N, H, L, D)
        y = x @ w[i * e:(i + 1) * e].T + b[i * e:(i + 1) * e]
        return y.reshape(x.shape[0], x.shape[1], h, d).transpose(1, 2, 0, 3)

    out, weights = np_attention(heads(q, 0), heads(k, 1), heads(v, 2), add_mask)
    out = out.transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], e)
    wo, bo = module.out_proj.weight.detach().numpy(), module.out_proj.bias.detach().numpy()
    return out @ wo.T + bo, weights


def np_layer_norm(x, ln):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + ln.eps) * ln.weight.detach().numpy() + ln.bias.detach(
    ).numpy()


def np_linear(x, layer):
    return x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()


def test_scaled_dot_product_attention_matches_numpy_and_gradcheck():
    q, k, v = (rng.standard_normal((2, 3, n, d)) for n, d in ((4, 5), (6, 5), (6, 2)))
    got = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v))
    assert np.allclose(got.detach().numpy(), np_attention(q, k, v)[0])
    allowed = rng.random((4, 6)) > 0.4
    allowed[:, 0] = True
    got = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v),
                                         attn_mask=tg.tensor(allowed), scale=0.3)
    assert np.allclose(got.detach().numpy(),
                       np_attention(q, k, v, np.where(allowed, 0, -np.inf), scale=0.3)[0])
    causal = np.where(np.tri(4, 6, 0, dtype=bool), 0, -np.inf)
    got = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v),
                                         is_causal=True)
    assert np.allclose(got.detach().numpy(), np_attention(q, k, v, causal)[0])
    bias = rng.standard_normal((4, 6))
    gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
              tg.tensor(q[:1, :2]), tg.tensor(k[:1, :2]), tg.tensor(v[:1, :2]), tg.tensor(bias))
    with pytest.raises(tg.ShapeError, match="scaled_dot_product_attention: query"):
        F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k[..., :4]), tg.tensor(v))


def test_multihead_attention_matches_the_equations():
    mha = nn.MultiheadAttention(8, 2).double()
    with tg.no_grad():  # nonzero biases, so a misplaced one shows
        mha.in_proj_bias.copy_(tg.tensor(rng.standard_normal(24)))
        mha.out_proj.bias.copy_(tg.tensor(rng.standard_normal(8)))
    q, k = rng.standard_normal((4, 3, 8)), rng.standard_normal((6, 3, 8))
    v = rng.standard_normal((6, 3, 8))
    out, weights = mha(tg.tensor(q), tg.tensor(k), tg.tensor(v))
    ref, ref_w = np_mha(mha, q, k, v)
    assert out.shape == (4, 3, 8) and weights.shape == (3, 4, 6)
    assert np.allclose(out.detach().numpy(), ref)
    assert np.allclose(weights.detach().numpy(), ref_w.mean(1))
    # masks: bool True blocks (PyTorch's MultiheadAttention convention), float is added
    blocked = rng.random((4, 6)) > 0.6
    blocked[:, 0] = False
    padding = np.zeros((3, 6), dtype=bool)
    padding[1, 4:] = True
    out, weights = mha(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=tg.tensor(blocked),
                       key_padding_mask=tg.tensor(padding), average_attn_weights=False)
    add = np.where(blocked, -np.inf, 0)[None, None] + np.where(padding, -np.inf, 0)[:, None,
                                                                                    None]
    ref, ref_w = np_mha(mha, q, k, v, add)
    assert np.allclose(out.detach().numpy(), ref) and np.allclose(weights.detach().numpy(), ref_w)
    assert np.all(weights.detach().numpy()[1, :, :, 4:] == 0)
    per_head = rng.standard_normal((3 * 2, 4, 6))
    out, _ = mha(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=tg.tensor(per_head))
    assert np.allclose(out.detach().numpy(), np_mha(mha, q, k, v, per_head.reshape(3, 2, 4, 6))[0])
    with pytest.raises(tg.ShapeError, match=r"attn_mask must be \(4, 6\) or \(6, 4, 6\)"):
        mha(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=tg.zeros(5, 6))
    with pytest.raises(tg.ShapeError, match="expected key of embedding size 8"):
        mha(tg.tensor(q), tg.tensor(k[..., :5]), tg.tensor(v))


def test_multihead_attention_layouts_and_gradients():
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = rng.standard_normal((3, 5, 4))  # (N, L, E)
    out, weights = mha(tg.tensor(x), tg.tensor(x), tg.tensor(x), need_weights=False)
    assert weights is None
    seq_first = np.swapaxes(x, 0, 1)
    assert np.allclose(out.detach().numpy(), np.swapaxes(np_mha(mha, seq_first, seq_first,
                                                       seq_first)[0], 0, 1))
    one, w1 = mha(tg.tensor(x[0]), tg.tensor(x[0]), tg.tensor(x[0]))  # unbatched (L, E)
    assert one.shape == (5, 4) and w1.shape == (5, 5)
    assert np.allclose(one.detach().numpy(), out.detach().numpy()[0])

    gradcheck(lambda x: mha(x, x, x, is_causal=True)[0], tg.tensor(x[:2, :3]))
    x_t = tg.tensor(x, requires_grad=True)
    mha(x_t, x_t, x_t)[0].sum().backward()
    assert mha.in_proj_weight.grad.shape == (12, 4) and mha.out_proj.weight.grad is not None


def test_multihead_attention_with_other_key_and_value_sizes():
    mha = nn.MultiheadAttention(6, 3, kdim=4, vdim=5, bias=False)
    names = sorted(dict(mha.named_parameters()))
    assert names == ["k_proj_weight", "out_proj.weight", "q_proj_weight", "v_proj_weight"]
    q, k, v = tg.randn(2, 1, 6), tg.randn(7, 1, 4), tg.randn(7, 1, 5)
    out, weights = mha(q, k, v)
    assert out.shape == (2, 1, 6) and weights.shape == (1, 2, 7) and out.dtype == np.float32
    assert np.allclose(weights.detach().numpy().sum(-1), 1, atol=1e-6)


def test_pytorch_parameter_names():
    mha = nn.MultiheadAttention(8, 2)
    assert sorted(mha.state_dict()) == ["in_proj_bias", "in_proj_weight", "out_proj.bias",
                                        "out_proj.weight"]
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    keys = set(enc.state_dict())
    for k in ("layers.1.self_attn.in_proj_weight", "layers.0.linear1.weight",
              "layers.0.linear2.bias", "layers.1.norm1.weight", "layers.1.norm2.bias"):
        assert k in keys
    assert len(keys) == 2 * 12
    dec = nn.TransformerDecoderLayer(8, 2, 16)
    assert "multihead_attn.in_proj_weight" in dec.state_dict() and "norm3.weight" in (
        dec.state_dict())


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer_matches_numpy(norm_first):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first).double()
    for ln in (layer.norm1, layer.norm2):
        with tg.no_grad():
            ln.weight.copy_(tg.tensor(rng.uniform(0.5, 1.5, 8)))
            ln.bias.copy_(tg.tensor(rng.standard_normal(8)))
    x = rng.standard_normal((5, 2, 8))
    causal = np.where(np.tri(5, 5, 0, dtype=bool), 0.0, -np.inf)

    def sa(y):
        return np_mha(layer.self_attn, y, y, y, causal)[0]

    def ff(y):
        return np_linear(np.maximum(np_linear(y, layer.linear1), 0), layer.linear2)

    if norm_first:
        ref = x + sa(np_layer_norm(x, layer.norm1))
        ref = ref + ff(np_layer_norm(ref, layer.norm2))
    else:
        ref = np_layer_norm(x + sa(x), layer.norm1)
        ref = np_layer_norm(ref + ff(ref), layer.norm2)
    got = layer(tg.tensor(x), src_mask=tg.tensor(causal))
    assert np.allclose(got.detach().numpy(), ref)
    assert np.allclose(layer(tg.tensor(x), is_causal=True).detach().numpy(), ref)
    small = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first).double()
    gradcheck(lambda t: small(t), tg.tensor(rng.standard_normal((3, 2, 4))))


def test_transformer_decoder_matches_numpy_and_stacks_copies():
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation="gelu").double()
    x, memory = rng.standard_normal((4, 2, 8)), rng.standard_normal((6, 2, 8))
    causal = np.where(np.tri(4, 4, 0, dtype=bool), 0.0, -np.inf)

    def ff(y):
        hidden = np_linear(y, layer.linear1)
        return np_linear(hidden * 0.5 * (1 + special.erf(hidden / np.sqrt(2))), layer.linear2)

    ref = np_layer_norm(x + np_mha(layer.self_attn, x, x, x, causal)[0], layer.norm1)
    ref = np_layer_norm(ref + np_mha(layer.multihead_attn, ref, memory, memory)[0],
                        layer.norm2)
    ref = np_layer_norm(ref + ff(ref), layer.norm3)
    got = layer(tg.tensor(x), tg.tensor(memory), tgt_is_causal=True)
    assert np.allclose(got.detach().numpy(), ref)
    stack = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8).double())
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight
    assert np.array_equal(stack.layers[1].linear1.weight.detach().numpy(),
                          layer.linear1.weight.detach().numpy())
    out = stack(tg.tensor(x), tg.tensor(memory), tgt_mask=tg.tensor(causal))
    assert out.shape == (4, 2, 8)


def test_transformer_trains_a_copy_task():
    """A one-layer encoder learns to output its input tokens (an end-to-end smoke test of
    embeddings, attention, the feed-forward block, cross-entropy and Adam)."""
    tg.manual_seed(0)
    vocab, d = 6, 16
    emb = nn.Embedding(vocab, d)
    enc = nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0, batch_first=True)
    head = nn.Linear(d, vocab)
    params = list(emb.parameters()) + list(enc.parameters()) + list(head.parameters())
    opt = nn.optim.Adam(params, lr=0.01)
    data = np.random.default_rng(1).integers(0, vocab, (32, 5))
    losses = []
    for _ in range(60):
        logits = head(enc(emb(tg.tensor(data))))
        loss = F.cross_entropy(logits.reshape(-1, vocab), tg.tensor(data.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_deepcopy_of_a_model_copies_values_not_storage():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model(tg.randn(5, 3)).sum().backward()
    twin = copy.deepcopy(model)
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    assert np.array_equal(twin[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    assert np.array_equal(twin[0].weight.grad.numpy(), model[0].weight.grad.numpy())
    with tg.no_grad():
        twin[0].weight.mul_(0.0)
        twin[1].running_mean.add_(1.0)
    assert model[0].weight.detach().numpy().any()
    assert not np.allclose(model[1].running_mean.numpy(), twin[1].running_mean.numpy())
    with pytest.raises(RuntimeError, match="only leaf tensors support deepcopy"):
        copy.deepcopy(model[0].weight * 2)


def test_transformer_is_its_encoder_then_its_decoder():
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).double()
    enc, dec = model.encoder.layers[0], model.decoder.layers[0]
    src, tgt = rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype="float64")
    assert np.array_equal(mask.numpy(), np.where(np.tri(4, dtype=bool), 0.0, -np.inf))

    def ff(layer, y):
        return np_linear(np.maximum(np_linear(y, layer.linear1), 0), layer.linear2)

    memory = np_layer_norm(src + np_mha(enc.self_attn, src, src, src)[0], enc.norm1)
    memory = np_layer_norm(memory + ff(enc, memory), enc.norm2)
    memory = np_layer_norm(memory, model.encoder.norm)
    x = np_layer_norm(tgt + np_mha(dec.self_attn, tgt, tgt, tgt, mask.numpy())[0], dec.norm1)
    x = np_layer_norm(x + np_mha(dec.multihead_attn, x, memory, memory)[0], dec.norm2)
    x = np_layer_norm(np_layer_norm(x + ff(dec, x), dec.norm3), model.decoder.norm)
    got = model(tg.tensor(src), tg.tensor(tgt), tgt_mask=mask)
    assert np.allclose(got.detach().numpy(), x)
    bound = np.sqrt(6 / (8 + 16))  # Xavier-uniform for every matrix, as PyTorch's
    assert np.abs(enc.linear1.weight.detach().numpy()).max() <= bound
    with pytest.raises(tg.ShapeError, match="Transformer: src .* differ in batch size"):
        model(tg.tensor(src), tg.tensor(tgt[:, :1]))
