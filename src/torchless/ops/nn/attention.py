"""nn.functional attention ops (registered as "nn.functional.<name>"; see ops/_core.py):
scaled_dot_product_attention and multi_head_attention_forward, plain functions of torchless ops
(torch's math path), with the softmax that gives fully masked rows zeros (_safe_softmax)."""

from __future__ import annotations

import math

from ..._dtype import float64
from ..._tensor import Tensor, _wrap, _wrap_dim
from ...backend import np
from .._core import Op, nary, register, unary
from .._samples import T
from ..activation import SoftmaxBackward0, softmax
from ..shape import cat
from .dropout import dropout
from .embedding import linear


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


class SafeSoftmaxBackward0(SoftmaxBackward0):
    """softmax with zeros where a whole row is -inf (the rule reads the output: 0 there)"""

    __slots__ = ()

    @staticmethod
    def forward(x, dim):
        if x.ndim == 0:
            return np.ones_like(x) if x != -np.inf else np.zeros_like(x)
        dead = np.all(x == -np.inf, axis=dim, keepdims=True)
        out = SoftmaxBackward0.forward(np.where(dead, 0, x), dim)
        return np.where(dead, 0, out).astype(x.dtype, copy=False)


def _safe_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """softmax along ``dim``, with zeros (not nan) where a whole row is -inf."""
    if dtype is not None:
        input = input.to(dtype)
    return unary(SafeSoftmaxBackward0, input, _wrap_dim(dim, input.ndim) if input.ndim else 0)


register("ops.aten._safe_softmax", samples=[(T(3, 4), 1), (T(2, 3, 4), -1)])(_safe_softmax)


class SoftmaxBackwardDataBackward0(Op):
    """f = y * (g - sum(g * y)) (softmax's derivative applied to g): for a cotangent v,
    d/dg = y * (v - sum(v * y)), d/dy = v * (g - sum(g * y)) - g * sum(v * y)"""

    @staticmethod
    def forward(g, y, dim):
        return (y * (g - np.sum(g * y, axis=dim, keepdims=True))).astype(g.dtype, copy=False)

    def backward(self, v):
        g, y = self.saved
        (dim,) = self._params
        vy = (v * y).sum(dim, keepdim=True)
        gg = y * (v - vy) if self.needs(0) else None
        gy = v * (g - (g * y).sum(dim, keepdim=True)) - g * vy if self.needs(1) else None
        return gg, gy


def _softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int, input_dtype) -> Tensor:
    """softmax's derivative applied to ``grad_output``: ``output * (g - sum(g * output))``."""
    return nary(SoftmaxBackwardDataBackward0, (grad_output, output), _wrap_dim(dim, output.ndim) if output.ndim else 0)


register("ops.aten._softmax_backward_data", samples=[(T(3, 4), T(3, 4, lo=0.1, hi=0.9), 1, float64)])(
    _softmax_backward_data)


def _float_mask(mask: Tensor, dtype, attend=True) -> Tensor:
    """A boolean mask as an additive one (0 or -inf; True means attend, or with ``attend=False``
    (multi-head attention's masks) do not); a float mask as it is."""
    if mask._data.dtype == np.bool_:
        keep = mask._data if attend else ~mask._data
        return _const(np.where(keep, 0.0, -np.inf).astype(dtype))
    return mask


@register("nn.functional.scaled_dot_product_attention")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False) -> Tensor:
    """``softmax(q @ k.T * scale + mask) @ v`` (dropout on the attention weights)."""
    dt = query._data.dtype
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    e = query.shape[-1]
    s = 1.0 / math.sqrt(e) if scale is None else float(scale)
    factor = math.sqrt(abs(s))
    q = query * (-factor if s < 0 else factor)
    mask = None
    if is_causal:
        length, src = query.shape[-2], key.shape[-2]
        mask = _const(np.where(np.tril(np.ones((length, src), bool)), 0.0, -np.inf).astype(dt))
    elif attn_mask is not None:
        mask = _float_mask(attn_mask, dt)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        idx = _const(np.repeat(np.arange(key.shape[-3]), groups))
        key = key.index_select(key.ndim - 3, idx)
        value = value.index_select(value.ndim - 3, idx)
    attn = q.matmul(key.transpose(-2, -1) * factor)
    if mask is not None:
        attn = attn + mask
    attn = _safe_softmax(attn, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


def _in_projection(query, key, value, e, in_proj_weight, in_proj_bias, use_separate, q_w, k_w, v_w):
    if not use_separate:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = q_w, k_w, v_w
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _pad_last(mask: Tensor) -> Tensor:
    zeros = _const(np.zeros(mask.shape[:-1] + (1,), mask._data.dtype))
    return cat([mask, zeros], -1)


@register("nn.functional.multi_head_attention_forward")
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias, training: bool = True,
                                 key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple:
    """nn.MultiheadAttention's forward: (attention output, attention weights or None)."""
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, e = query.shape
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {e}")
    head_dim = e // num_heads
    if head_dim * num_heads != e:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {num_heads}")
    dt = query._data.dtype
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        is_causal = False
    q, k, v = _in_projection(query, key, value, e, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        attn_mask = _float_mask(attn_mask, dt, False)
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if key_padding_mask is not None:
        key_padding_mask = _float_mask(key_padding_mask, dt, False)
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v)
    if add_zero_attn:
        zeros = _const(np.zeros((bsz * num_heads, 1, head_dim), dt))
        k = cat([k, zeros], 1)
        v = cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        weights = q_scaled.matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            weights = attn_mask + weights
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights.matmul(v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, e)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 and attn_mask.ndim == 3
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, e)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not batched:
        out = out.squeeze(1)
    return out, None
