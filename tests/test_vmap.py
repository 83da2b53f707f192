"""torchless.func.vmap against torch.func.vmap: batching rules (elementwise, reductions, shapes,
products, indexing, convolutions, losses), the per-element fallback, nesting, in/out dims,
chunking, randomness modes and error contracts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A, B = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 5, 2))
V, W = rng.standard_normal((4, 5)), rng.standard_normal(5)
M = rng.standard_normal((3, 5))
IMAGES, KERNEL = rng.standard_normal((3, 2, 1, 6, 6)), rng.standard_normal((4, 1, 3, 3))
LOGITS, LABELS = rng.standard_normal((3, 4, 5)), rng.integers(0, 5, (3, 4))


def _both(make, arrays):
    """``make(lib)`` run on both libraries' tensors of ``arrays``: (torch result, torchless result,
    names of ops that fell back to the per-element loop)."""
    results = []
    for lib in (torch, tl):
        args = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(make(lib)(*args))
    fallbacks = [str(w.message) for w in caught if "batching rule" in str(w.message)]
    return results[0], results[1], fallbacks


def _close(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12)


CASES = {
    "dot (function passed directly)": (lambda lib: lib.func.vmap(lib.dot, in_dims=(0, None)), [V, W]),
    "elementwise and reduction": (lambda lib: lib.func.vmap(lambda x, y: (x * y).sin().sum(), in_dims=(0, None)),
                                  [V, W]),
    "matmul batched both": (lambda lib: lib.func.vmap(lib.matmul), [A, B]),
    "matrix @ vector": (lambda lib: lib.func.vmap(lambda a, x: a @ x), [A, V]),
    "sum over a dim": (lambda lib: lib.func.vmap(lambda x: x.sum(1)), [A]),
    "softmax, batch in dim 1": (lambda lib: lib.func.vmap(lambda x: lib.softmax(x, -1), in_dims=1), [A]),
    "max along a dim": (lambda lib: lib.func.vmap(lambda x: x.max(0)), [A]),
    "max of all": (lambda lib: lib.func.vmap(lambda x: x.max()), [A]),
    "view and slice": (lambda lib: lib.func.vmap(lambda x: x.view(-1)[2:5]), [A]),
    "transpose, unsqueeze, out_dims=1": (lambda lib: lib.func.vmap(lambda x: x.t().unsqueeze(0), out_dims=1), [A]),
    "cat with an unbatched tensor": (lambda lib: lib.func.vmap(lambda x, y: lib.cat([x, y], 0), in_dims=(0, None)),
                                     [V, W]),
    "advanced indexing": (lambda lib: lib.func.vmap(lambda x: x[[0, 2], 1:]), [A]),
    "F.linear": (lambda lib: lib.func.vmap(lambda x, w: lib.nn.functional.linear(x, w), in_dims=(0, None)), [V, M]),
    "einsum": (lambda lib: lib.func.vmap(lambda a, b: lib.einsum("ij,jk->ik", a, b)), [A, B]),
    "nested vmap": (lambda lib: lib.func.vmap(lib.func.vmap(lib.dot)), [A, A]),
    "conv2d": (lambda lib: lib.func.vmap(lambda x, k: lib.nn.functional.conv2d(x, k), in_dims=(0, None)),
               [IMAGES, KERNEL]),
    "cross_entropy": (lambda lib: lib.func.vmap(lambda x, t: lib.nn.functional.cross_entropy(x, t)),
                      [LOGITS, LABELS]),
    "chunk_size": (lambda lib: lib.func.vmap(lambda x: x.sin().sum(), chunk_size=3), [A]),
    "where": (lambda lib: lib.func.vmap(lambda x: lib.where(x > 0, x, 0.0)), [A]),
    "tuple out, out_dims per output": (lambda lib: lib.func.vmap(lambda x: (x.sum(), x * 2), out_dims=(0, 1)), [A]),
    "dict in, in_dims per key": (lambda lib: lib.func.vmap(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},)),
                                 [None]),
    "unbatched output expanded": (lambda lib: lib.func.vmap(lambda x: lib.ones(2)), [V]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vmap_matches_torch(name):
    make, arrays = CASES[name]
    if name.startswith("dict in"):
        ref, out, fallbacks = _both(lambda lib: lambda _: make(lib)({"a": lib.tensor(V), "b": lib.tensor(W)}), [None])
    else:
        ref, out, fallbacks = _both(make, arrays)
    _close(ref, out)
    assert fallbacks == []  # (each of these has a batching rule)


def test_op_without_rule_runs_per_element_and_says_so():
    ref, out, fallbacks = _both(lambda lib: lib.func.vmap(lib.kron, in_dims=(0, None)),
                                [rng.standard_normal((3, 2, 2)), rng.standard_normal((2, 3))])
    _close(ref, out)
    assert len(fallbacks) == 1 and "batching rule for kron" in fallbacks[0]


def test_randomness_modes():
    x = tl.ones(4, 3)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tl.func.vmap(lambda v: tl.rand_like(v))(x)
    different = tl.func.vmap(lambda v: tl.rand_like(v), randomness="different")(x)
    same = tl.func.vmap(lambda v: tl.rand_like(v), randomness="same")(x)
    assert different.shape == same.shape == (4, 3)
    assert not tl.equal(different[0], different[1]) and all(tl.equal(same[0], same[i]) for i in range(4))
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        tl.func.vmap(lambda v: v, randomness="sometimes")


def test_error_contracts():
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension"):
        tl.func.vmap(tl.add)(tl.ones(3), tl.ones(4))
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        tl.func.vmap(lambda x, n: x * n, in_dims=(0, 0))(tl.ones(3), 2)
    with pytest.raises(ValueError, match="expected in_dim to satisfy"):
        tl.func.vmap(tl.sin, in_dims=2)(tl.ones(3))
    with pytest.raises(ValueError, match="must only return Tensors"):
        tl.func.vmap(lambda x: 3)(tl.ones(3))
    with pytest.raises(RuntimeError, match=r"\.item\(\)"):
        tl.func.vmap(lambda x: x.item())(tl.ones(3))
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        tl.func.vmap(lambda x: x if x > 0 else -x)(tl.ones(3))


def test_public_functions_are_restored_after_vmap():
    before = tl.sum
    tl.func.vmap(lambda x: tl.sum(x))(tl.ones(2, 3))
    assert tl.sum is before and tl.vmap is tl.func.vmap


def test_gradient_flows_through_vmap():
    w = tl.tensor(W, requires_grad=True)
    tl.func.vmap(lambda x: (x * w).sum())(tl.tensor(V)).sum().backward()
    wt = torch.tensor(W, requires_grad=True)
    torch.func.vmap(lambda x: (x * wt).sum())(torch.tensor(V)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy())
