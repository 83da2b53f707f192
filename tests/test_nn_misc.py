"""nn.functional embedding, linear maps, dropout, distances and attention against torch."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(3)
EMB = RNG.normal(size=(7, 4))
IDX = np.array([[0, 2, 2, 6], [3, 1, 2, 0]])
X = RNG.normal(size=(3, 4))
Y = RNG.normal(size=(3, 4))


def _t(lib, a, rg=True):
    return lib.tensor(a, dtype=lib.float64, requires_grad=rg)


def _grads(lib, out, *inputs, second=False):
    cot = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)), dtype=out.dtype)
    first = lib.autograd.grad(out, inputs, cot, create_graph=second, allow_unused=True)
    if not second:
        return out, first, out.grad_fn.name()
    again = lib.autograd.grad(sum((g * g).sum() for g in first), inputs, allow_unused=True)
    return out, [g.detach() for g in first], again


# ---- embedding --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1, "scale_grad_by_freq": True},
                                {"scale_grad_by_freq": True}])
def test_embedding(kw):
    def f(lib):
        w = _t(lib, EMB)
        return _grads(lib, lib.nn.functional.embedding(lib.tensor(IDX), w, **kw), w)

    same_as_torch(f)


def test_embedding_max_norm_renormalises_in_place():
    def f(lib):
        w = lib.tensor(EMB, dtype=lib.float64)
        out = lib.nn.functional.embedding(lib.tensor(IDX), w, max_norm=1.0)
        return out, w

    same_as_torch(f)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    def f(lib):
        w = _t(lib, EMB)
        two_d = lib.nn.functional.embedding_bag(lib.tensor(IDX), w, mode=mode, padding_idx=2)
        flat = lib.nn.functional.embedding_bag(lib.tensor(IDX.reshape(-1)), w, lib.tensor([0, 3, 3, 5]), mode=mode)
        last = lib.nn.functional.embedding_bag(lib.tensor(IDX.reshape(-1)), w, lib.tensor([0, 2, 8]), mode=mode,
                                               include_last_offset=True)
        # (values and gradients; torch's single EmbeddingBagBackward0 node is a composite here)
        return _grads(lib, two_d, w), _grads(lib, flat, w), _grads(lib, last, w)

    same_as_torch(f)


def test_embedding_bag_per_sample_weights():
    def f(lib):
        w, psw = _t(lib, EMB), _t(lib, np.linspace(0.1, 0.8, 8))
        out = lib.nn.functional.embedding_bag(lib.tensor(IDX.reshape(-1)), w, lib.tensor([0, 5]), mode="sum",
                                              per_sample_weights=psw)
        return _grads(lib, out, w, psw)

    same_as_torch(f)


def test_one_hot_linear_bilinear():
    same_as_torch(lambda lib: lib.nn.functional.one_hot(lib.tensor(IDX)))
    same_as_torch(lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 0]), 4))

    def lin(lib):
        x, w, b = _t(lib, X), _t(lib, Y[:2]), _t(lib, X[0, :2])
        return _grads(lib, lib.nn.functional.linear(x, w, b), x, w, b), _grads(
            lib, lib.nn.functional.linear(x.reshape(3, 1, 4), w), x, w)[:2]

    same_as_torch(lin)

    def bil(lib):
        x1, x2, w, b = _t(lib, X), _t(lib, Y[:, :3]), _t(lib, RNG_W), _t(lib, X[0, :2])
        return _grads(lib, lib.nn.functional.bilinear(x1, x2, w, b), x1, x2, w, b, second=True)

    same_as_torch(bil)


RNG_W = RNG.normal(size=(2, 4, 3))


def test_one_hot_errors():
    raises_like_torch(lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 5]), 3), "Class values must be smaller")
    raises_like_torch(lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 0])), "Class values must be non-negative")
    raises_like_torch(lambda lib: lib.nn.functional.embedding(lib.tensor([7]), lib.tensor(EMB)),
                      "index out of range in self")


# ---- dropout -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,shape", [("dropout", (6, 5)), ("dropout1d", (3, 4, 5)), ("dropout2d", (2, 3, 4, 2)),
                                        ("dropout3d", (2, 3, 2, 2, 2)), ("alpha_dropout", (6, 5)),
                                        ("feature_alpha_dropout", (2, 3, 4))])
def test_dropout_same_seed_same_mask(name, shape):
    data = np.random.default_rng(4).normal(size=shape)

    def f(lib):
        lib.manual_seed(11)
        x = _t(lib, data)
        out = getattr(lib.nn.functional, name)(x, 0.4, training=True)
        evaluation = getattr(lib.nn.functional, name)(x, 0.4, training=False)
        return _grads(lib, out, x), evaluation is x

    same_as_torch(f)


def test_dropout_inplace_and_errors():
    def f(lib):
        lib.manual_seed(2)
        x = lib.tensor(X)
        out = lib.nn.functional.dropout(x, 0.5, inplace=True)
        return out is x, x

    same_as_torch(f)
    raises_like_torch(lambda lib: lib.nn.functional.dropout(lib.tensor(X), 1.5),
                      "dropout probability has to be between 0 and 1")


# ---- distances --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
def test_distances(p):
    def f(lib):
        x, y = _t(lib, X), _t(lib, Y)
        return (_grads(lib, lib.nn.functional.pairwise_distance(x, y, p), x, y),
                _grads(lib, lib.nn.functional.pdist(x, p), x),
                _grads(lib, lib.cdist(x, y[:2], p), x, y),
                _grads(lib, lib.nn.functional.cosine_similarity(x, y, dim=1), x, y, second=True))

    same_as_torch(f)


def test_distance_errors():
    raises_like_torch(lambda lib: lib.nn.functional.pdist(lib.tensor(EMB).reshape(7, 2, 2)), "pdist only supports 2D")
    raises_like_torch(lambda lib: lib.cdist(lib.tensor(X), lib.tensor(EMB[:, :3])), "must have the same number of columns")


# ---- attention ------------------------------------------------------------------------------------------------
Q = RNG.normal(size=(2, 2, 3, 4))
K = RNG.normal(size=(2, 2, 5, 4))
V = RNG.normal(size=(2, 2, 5, 4))


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"attn_mask": "bool"},
                                {"attn_mask": "float"}])
def test_scaled_dot_product_attention(kw):
    def f(lib):
        q, k, v = _t(lib, Q), _t(lib, K), _t(lib, V)
        args = dict(kw)
        if args.get("attn_mask") == "bool":
            mask = np.ones((3, 5), bool)
            mask[1] = False  # a row with nothing to attend to: zeros, not nan
            mask[0, 2:] = False
            args["attn_mask"] = lib.tensor(mask)
        elif args.get("attn_mask") == "float":
            args["attn_mask"] = lib.tensor(np.linspace(-1, 1, 15).reshape(3, 5))
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, **args)
        return _grads(lib, out, q, k, v)[:2]

    same_as_torch(f)


def test_sdpa_gqa_and_dropout():
    def f(lib):
        q, k, v = _t(lib, Q), _t(lib, K[:, :1]), _t(lib, V[:, :1])
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    same_as_torch(f)

    def drop(lib):
        lib.manual_seed(5)
        return lib.nn.functional.scaled_dot_product_attention(_t(lib, Q), _t(lib, K), _t(lib, V), dropout_p=0.3)

    same_as_torch(drop)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multi_head_attention_forward(need_weights):
    e, heads = 4, 2
    rng = np.random.default_rng(7)
    q, kv = rng.normal(size=(3, 2, e)), rng.normal(size=(5, 2, e))
    w_in, b_in = rng.normal(size=(3 * e, e)), rng.normal(size=3 * e)
    w_out, b_out = rng.normal(size=(e, e)), rng.normal(size=e)
    bias_k, bias_v = rng.normal(size=(1, 1, e)), rng.normal(size=(1, 1, e))
    kpm = np.zeros((2, 5), bool)
    kpm[0, 4] = True

    def f(lib):
        tq, tk = _t(lib, q), _t(lib, kv)
        out, weights = lib.nn.functional.multi_head_attention_forward(
            tq, tk, tk, e, heads, _t(lib, w_in), _t(lib, b_in), _t(lib, bias_k), _t(lib, bias_v), True, 0.0,
            _t(lib, w_out), _t(lib, b_out), training=False, key_padding_mask=lib.tensor(kpm),
            need_weights=need_weights, attn_mask=lib.tensor(np.linspace(-1, 0, 15).reshape(3, 5)))
        return out, weights, lib.autograd.grad(out.sum(), (tq, tk))

    same_as_torch(f)


def test_more_error_contracts():
    def emb(lib):
        return lib.tensor(EMB)

    raises_like_torch(lambda lib: lib.nn.functional.embedding_bag(lib.tensor([[0, 1]]), emb(lib), mode="mean",
                                                                  per_sample_weights=lib.tensor([[1.0, 2.0]])),
                      "per_sample_weights is only supported for mode='sum'")
    raises_like_torch(lambda lib: lib.nn.functional.embedding_bag(lib.tensor([[0, 1]]), emb(lib), lib.tensor([0])),
                      "if input is 2D, then offsets has to be None")
    raises_like_torch(lambda lib: lib.nn.functional.embedding(lib.tensor([0]), emb(lib), padding_idx=9),
                      "Padding_idx must be within num_embeddings")
    raises_like_torch(lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0])), "only applicable to index tensor")
    raises_like_torch(lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.tensor(X), lib.tensor(X), lib.tensor(X), attn_mask=lib.tensor(X), is_causal=True),
        "Explicit attn_mask should not be set when is_causal=True")
    raises_like_torch(lambda lib: lib.nn.functional.cosine_similarity(lib.tensor(X), lib.tensor(X), dim=2),
                      "Dimension out of range")
