"""torchless.utils.checkpoint against torch.utils.checkpoint: the same gradients (dropout's
random numbers replayed), with less kept for backward."""

from __future__ import annotations

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")


def _mlp_grads(lib, reentrant, dropout, sequential=False):
    lib.manual_seed(0)
    layers = [lib.nn.Linear(8, 8) for _ in range(6)]
    x = lib.randn(4, 8, requires_grad=True)

    def block(h):
        for layer in layers[:3]:
            h = lib.tanh(layer(h))
            if dropout:
                h = lib.nn.functional.dropout(h, 0.3)
        return h

    if sequential:
        model = lib.nn.Sequential(*[m for layer in layers for m in (layer, lib.nn.Tanh())])
        h = lib.utils.checkpoint.checkpoint_sequential(model, 3, x, use_reentrant=reentrant)
    else:
        h = lib.utils.checkpoint.checkpoint(block, x, use_reentrant=reentrant)
        for layer in layers[3:]:
            h = lib.tanh(layer(h))
    h.pow(2).sum().backward()
    return [x.grad.numpy()] + [layer.weight.grad.numpy() for layer in layers]


@pytest.mark.parametrize("reentrant", [False, True])
@pytest.mark.parametrize("dropout", [False, True])
def test_checkpoint_gradients_match_torch(reentrant, dropout):
    for ours, theirs in zip(_mlp_grads(tl, reentrant, dropout), _mlp_grads(torch, reentrant, dropout)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_sequential_matches_torch(reentrant):
    for ours, theirs in zip(_mlp_grads(tl, reentrant, False, True), _mlp_grads(torch, reentrant, False, True)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_non_reentrant_checkpoint_works_with_autograd_grad():
    x = tl.tensor([0.5, -1.0, 2.0], dtype=tl.float64, requires_grad=True)
    y = tl.utils.checkpoint.checkpoint(lambda v: v.exp() * v, x, use_reentrant=False)
    (g,) = tl.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.numpy(), (x.exp() * (1 + x)).detach().numpy())


def _saved_bytes(checkpointed: bool) -> int:
    """Bytes a 20-layer MLP's graph keeps for backward, counted as each tensor is saved."""
    tl.manual_seed(0)
    layers = [tl.nn.Linear(64, 64) for _ in range(20)]
    x = tl.randn(32, 64, requires_grad=True)
    seen = {}

    def pack(t):
        seen[id(t)] = t.numel() * t.element_size()
        return t

    with tl.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        h = x
        for i in range(0, 20, 5):
            def block(h, chunk=layers[i:i + 5]):
                for layer in chunk:
                    h = tl.tanh(layer(h))
                return h
            h = tl.utils.checkpoint.checkpoint(block, h, use_reentrant=False) if checkpointed else block(h)
        loss = h.sum()
    loss.backward()
    return sum(seen.values())


def test_checkpointing_keeps_less_for_backward():
    assert _saved_bytes(True) * 3 < _saved_bytes(False)


def test_checkpoint_without_use_reentrant_warns_as_torch():
    x = tl.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        tl.utils.checkpoint.checkpoint(tl.sin, x)
