"""MultiheadAttention and the Transformer modules against torch: module_db's samples (outputs,
input and parameter gradients, seeded initialisation), repr, state_dict keys, masks."""

from __future__ import annotations

import numpy as np
import pytest
from nn_module_db_compare import MODULE_DB, compare_sample, samples

import torchless as tl

torch = pytest.importorskip("torch")

NAMES = ["nn.MultiheadAttention", "nn.TransformerEncoderLayer", "nn.TransformerEncoder",
         "nn.TransformerDecoderLayer", "nn.Transformer"]
CASES = [(n, i) for n in NAMES if n in MODULE_DB for i in range(len(samples(n)))]


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n[3:]}-{i}" for n, i in CASES])
def test_module_db(name, index):
    # (a layer passed to TransformerEncoder was built, and drew its random numbers, before the seed)
    compare_sample(name, index, tol=1e-6, check_init=name != "nn.TransformerEncoder")


def _build(lib):
    lib.manual_seed(0)
    return lib.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                              dropout=0.0, batch_first=True)


def test_transformer_repr_state_dict_and_seeded_weights_match_torch():
    a, b = _build(torch), _build(tl)
    assert repr(b) == repr(a)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sb) == list(sa)
    for k in sa:
        np.testing.assert_array_equal(sb[k].numpy(), sa[k].numpy(), err_msg=k)


def _masked_run(lib):
    model = _build(lib)
    rng = np.random.default_rng(0)
    src = lib.tensor(rng.standard_normal((2, 5, 8)), dtype=lib.float32, requires_grad=True)
    tgt = lib.tensor(rng.standard_normal((2, 4, 8)), dtype=lib.float32)
    pad = lib.tensor([[False] * 5, [False, False, False, True, True]])
    out = model(src, tgt, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4),
                src_key_padding_mask=pad, memory_key_padding_mask=pad)
    out.pow(2).sum().backward()
    return out.detach().numpy(), src.grad.numpy(), model.encoder.layers[0].self_attn.in_proj_weight.grad.numpy()


def test_masks_causal_and_padding_match_torch():
    for ours, theirs in zip(_masked_run(tl), _masked_run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def _attention_variants(lib):
    lib.manual_seed(1)
    mha = lib.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, add_bias_kv=True, add_zero_attn=True, batch_first=True)
    q, k, v = lib.ones(2, 3, 6), lib.ones(2, 4, 4) * 0.5, lib.ones(2, 4, 5) * 0.25
    out, w = mha(q, k, v, average_attn_weights=False)
    return [n for n, _ in mha.named_parameters()], out.detach().numpy(), w.detach().numpy()


def test_separate_projections_bias_kv_zero_attn_match_torch():
    (na, oa, wa), (nb, ob, wb) = _attention_variants(torch), _attention_variants(tl)
    assert nb == na
    np.testing.assert_allclose(ob, oa, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wb, wa, rtol=1e-5, atol=1e-6)


def test_errors_and_warnings_as_torch():
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        tl.nn.MultiheadAttention(0, 1)
    with pytest.raises(AssertionError, match="divisible"):
        tl.nn.MultiheadAttention(5, 2)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        tl.nn.TransformerEncoderLayer(4, 2, activation="tanh")
    layer = tl.nn.TransformerEncoderLayer(4, 2)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False "
                                         "because encoder_layer.self_attn.batch_first was not True"):
        tl.nn.TransformerEncoder(layer, 2)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        _build(tl)(tl.ones(1, 2, 8), tl.ones(1, 2, 6))
