"""Attention and Transformer layers (PyTorch's MultiheadAttention, TransformerEncoderLayer,
TransformerDecoderLayer and their stacks), composed from primitives: projections are
linear(), heads a reshape and a permute, scores batched matmuls and a softmax. Parameter names,
layouts, initialisation, mask conventions and the (L, N, E) default layout follow PyTorch, so
its state_dicts load as they are."""

from __future__ import annotations

import copy
import math

import numpy as np

import tensorgrad as tg

from .. import functional as F
from .. import init
from ..containers import ModuleList, _plain
from ..module import Module, Parameter
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm


class MultiheadAttention(Module):
    """Attention with num_heads heads of embed_dim / num_heads each (PyTorch's): inputs
    (L, N, E) (batch_first=False, the default), (N, L, E) with batch_first, or unbatched (L, E).
    Masks: attn_mask (L, S) or (N * num_heads, L, S) and key_padding_mask (N, S), bool True
    where a position may NOT be attended, or float (added). Returns (output, weights), the
    weights averaged over heads unless average_attn_weights=False, None if need_weights=False.
    Parameters in_proj_weight (3E, E) and in_proj_bias, or q/k/v_proj_weight when kdim or vdim
    differ from embed_dim, and out_proj (a Linear)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads})")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        dtype = dtype or tg.get_default_dtype()
        e = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(tg.empty(3 * e, e, dtype=dtype))
        else:
            self.q_proj_weight = Parameter(tg.empty(e, e, dtype=dtype))
            self.k_proj_weight = Parameter(tg.empty(e, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(tg.empty(e, self.vdim, dtype=dtype))
        self.in_proj_bias = Parameter(tg.zeros(3 * e, dtype=dtype)) if bias else None
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        self._reset_projections()

    def _reset_projections(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return ws, bs

    def _heads(self, x, n, length, batch_first):
        """A projection in its input's layout, (N, L, E) or (L, N, E), as (N, H, L, D)."""
        if batch_first:
            return x.reshape(n, length, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        return x.reshape(length, n, self.num_heads, self.head_dim).permute(1, 2, 0, 3)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, -1)
        # the projections run on the inputs as laid out (one GEMM each over contiguous rows);
        # the checks and the sizes read (L, N, E) views
        first = batched and self.batch_first
        given = (query, key, value)
        if first:
            query, key, value = (t.transpose(0, 1) for t in given)
        for name, t, dim in (("query", query, self.embed_dim), ("key", key, self.kdim),
                             ("value", value, self.vdim)):
            if t.ndim != 3 or t.shape[-1] != dim:
                raise tg.ShapeError(f"MultiheadAttention: expected {name} of embedding size "
                                    f"{dim}, (L, N, {dim}) or batched as configured, got "
                                    f"{tuple(t.shape)}")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != query.shape[1]:
            raise tg.ShapeError(f"MultiheadAttention: query {tuple(query.shape)}, key "
                                f"{tuple(key.shape)} and value {tuple(value.shape)} differ in "
                                "batch size or key length")
        tgt, n, _ = query.shape
        src = key.shape[0]
        if self._qkv_same_embed_dim and given[0] is given[1] is given[2]:
            # self-attention: the three projections as one GEMM with in_proj_weight (3E, E)
            qkv = F.linear(given[0], self.in_proj_weight, self.in_proj_bias).chunk(3, -1)
            q, k, v = (self._heads(t, n, tgt, first) for t in qkv)
        else:
            (wq, wk, wv), (bq, bk, bv) = self._projections()
            q = self._heads(F.linear(given[0], wq, bq), n, tgt, first)
            k = self._heads(F.linear(given[1], wk, bk), n, src, first)
            v = self._heads(F.linear(given[2], wv, bv), n, src, first)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # (N, H, L, S)
        if is_causal and attn_mask is None:
            scores = scores + F._causal(tgt, src, scores)
        mask = F._additive_mask(attn_mask, "MultiheadAttention", True, scores)
        if mask is not None:
            if mask.shape == (tgt, src):
                scores = scores + mask
            elif mask.shape == (n * self.num_heads, tgt, src):
                scores = scores + mask.reshape(n, self.num_heads, tgt, src)
            else:
                raise tg.ShapeError(f"MultiheadAttention: attn_mask must be ({tgt}, {src}) or "
                                    f"({n * self.num_heads}, {tgt}, {src}), got "
                                    f"{tuple(mask.shape)}")
        pad = F._additive_mask(key_padding_mask, "MultiheadAttention", True, scores)
        if pad is not None:
            if pad.shape != (n, src):
                raise tg.ShapeError(f"MultiheadAttention: key_padding_mask must be ({n}, {src}), "
                                    f"got {tuple(pad.shape)}")
            scores = scores + pad.reshape(n, 1, 1, src)
        weights = scores.softmax(-1)
        if self.dropout > 0 and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = weights @ v  # (N, H, L, D)
        if first:
            out = out.permute(0, 2, 1, 3).reshape(n, tgt, self.embed_dim)
        else:
            out = out.permute(2, 0, 1, 3).reshape(tgt, n, self.embed_dim)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


def _activation(activation):
    if callable(activation):
        return activation
    table = {"relu": F.relu, "gelu": F.gelu}
    if activation not in table:
        raise ValueError(f"Transformer: activation must be 'relu', 'gelu' or a callable, got "
                         f"{activation!r}")
    return table[activation]


class _TransformerLayer(Module):
    """The feed-forward block, norms and dropouts both layer kinds share (PyTorch's names)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                 batch_first, norm_first, bias, dtype, norms):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype))
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation)

    def _sa_block(self, x, mask, padding, is_causal):
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x, dropout):
        if self.activation is F.relu and _plain(self.linear1, Linear):
            h = self.linear1.forward(x, activation="relu")  # one fused primitive
        else:
            h = self.activation(self.linear1(x))
        return dropout(self.linear2(self.dropout(h)))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm
    (after it by default, before it with norm_first), PyTorch's."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, dtype, norms=2)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention over the target, attention over the encoder's memory, then a
    feed-forward block, each with a residual connection and LayerNorm, PyTorch's."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, dtype, norms=3)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout, bias,
                                                 batch_first=batch_first, dtype=dtype)

    def _mha_block(self, x, memory, mask, padding, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=mask, key_padding_mask=padding,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


class TransformerEncoder(Module):
    """num_layers copies of encoder_layer (layers.0, layers.1, ...), then norm if given."""

    def __init__(self, encoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        for layer in self.layers:
            x = layer(x, mask, src_key_padding_mask, is_causal)
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """num_layers copies of decoder_layer, each attending to the same memory, then norm."""

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                      memory_key_padding_mask, tgt_is_causal, memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """PyTorch's encoder-decoder Transformer: encoder (num_encoder_layers layers and a final
    LayerNorm) over src, decoder over tgt attending to the encoder's output; every weight
    matrix Xavier-uniform initialised, as PyTorch's."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype=None):
        super().__init__()
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                batch_first, norm_first, bias, dtype)
        self.encoder = custom_encoder or TransformerEncoder(
            TransformerEncoderLayer(*args), num_encoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype))
        self.decoder = custom_decoder or TransformerDecoder(
            TransformerDecoderLayer(*args), num_decoder_layers,
            LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool = False,
                tgt_is_causal: bool = False, memory_is_causal: bool = False):
        batch = 0 if self.batch_first else 1
        if src.ndim == tgt.ndim == 3 and src.shape[batch] != tgt.shape[batch]:
            raise tg.ShapeError(f"Transformer: src {tuple(src.shape)} and tgt "
                                f"{tuple(tgt.shape)} differ in batch size")
        memory = self.encoder(src, src_mask, src_key_padding_mask, src_is_causal)
        return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                            memory_key_padding_mask, tgt_is_causal, memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype=None):
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (causal)."""
        dtype = np.dtype(dtype or tg.get_default_dtype())
        return tg.tensor(np.where(np.tri(sz, dtype=bool), 0.0, -np.inf).astype(dtype))
