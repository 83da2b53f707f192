"""Property tests against torch: broadcasting gradients of the registry's binary elementwise ops,
random expression graphs with shared subexpressions, and torch's type-promotion table."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from opinfo import T, assert_close, case_id, to_numpy

import torchless
from torchless.ops import OPS, load_all

load_all()  # the registry whole: the lazily loaded topic files too (see ops/_lazy.py)

torch = pytest.importorskip("torch")

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {"atol": 1e-10, "rtol": 1e-7}


def _tensor(lib, array, requires_grad=False):
    return lib.tensor(np.array(array), requires_grad=requires_grad)


# ---- broadcasting gradients of binary ops ------------------------------------------------------
def _broadcasting_sample(info):
    """The first sample of two tensors whose shapes differ and broadcast to the result's shape:
    the op broadcasts elementwise, and the sample says where its operands' values may lie."""
    for spec in info.samples:
        if len(spec) == 2 and all(isinstance(s, T) for s in spec) and spec[0].shape != spec[1].shape:
            try:
                shape = np.broadcast_shapes(spec[0].shape, spec[1].shape)
            except ValueError:
                continue
            args = [torchless.ones(*s.shape, dtype=torchless.float64) * (s.lo + s.hi) / 2 for s in spec]
            try:
                out = info.fn(*args)
            except Exception:  # noqa: BLE001, S112 - not an elementwise op (a solver refusing these values)
                continue
            if isinstance(out, torchless.Tensor) and tuple(out.shape) == shape:
                return spec
    return None


# ops whose sample looks elementwise (a 0-d operand scales the other) but that are not
NOT_ELEMENTWISE = {"inner"}
BINARY = []
for _name, _info in OPS.items():
    if _name in NOT_ELEMENTWISE:
        continue
    _spec = _broadcasting_sample(_info) if _info.differentiable and _info.gradcheck and _info.fn else None
    if _spec is not None:
        BINARY.append((_name, _info.samples.index(_spec), _spec))


@pytest.mark.parametrize("case", BINARY, ids=case_id)
@PROPERTY
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_broadcasting_gradients(case, shapes, seed):
    """Each input's gradient has the input's shape and equals torch's, whatever the broadcast."""
    name, _, specs = case
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(s.lo, s.hi, size=shape) for s, shape in zip(specs, shapes.input_shapes)]
    weight = rng.standard_normal(shapes.result_shape)
    results = []
    for lib in (torchless, torch):
        xs = [_tensor(lib, a, requires_grad=True) for a in arrays]
        fn = lib
        for part in name.split("."):  # (special.xlogy: a namespace's function)
            fn = getattr(fn, part)
        out = fn(*xs)
        grads = lib.autograd.grad(out, xs, grad_outputs=_tensor(lib, weight))
        results.append((out, grads))
    (out, grads), (want, want_grads) = results
    assert tuple(out.shape) == tuple(want.shape) == shapes.result_shape
    assert_close(to_numpy(out), to_numpy(want), "value", **TOL)
    for k, (g, w, a) in enumerate(zip(grads, want_grads, arrays)):
        assert tuple(g.shape) == a.shape, f"gradient of input {k} has shape {g.shape}, the input {a.shape}"
        assert_close(to_numpy(g), to_numpy(w), f"gradient of input {k}", **TOL)


# ---- random expression graphs ------------------------------------------------------------------
# Every node has shape (2, 3); each step reads earlier nodes (inputs or results) and any node may
# be read many times, so gradients meet and accumulate at shared subexpressions.
UNARY = {
    "sin": lambda lib, a: a.sin(),
    "tanh": lambda lib, a: lib.tanh(a),
    "sigmoid": lambda lib, a: a.sigmoid(),
    "square": lambda lib, a: a * a,
    "neg": lambda lib, a: -a,
    "softmax": lambda lib, a: lib.softmax(a, 1),
    "log_softmax0": lambda lib, a: a.log_softmax(0),
    "rowsum": lambda lib, a: a.sum(1, keepdim=True).expand(2, 3),
    "colmean": lambda lib, a: a.mean(0, keepdim=True) + a,
    "flip": lambda lib, a: a.flip(0),
    "roll": lambda lib, a: a.roll(1, 1),
    "cumsum": lambda lib, a: a.cumsum(1),
    "permute_cols": lambda lib, a: a[:, [2, 0, 0]],
    "transpose_twice": lambda lib, a: a.t().reshape(3, 2).t(),
    "slice_cat": lambda lib, a: lib.cat([a[:, 1:], a[:, :1]], 1),
    "norm": lambda lib, a: a / (1 + a.norm()),
    "abs_sqrt": lambda lib, a: (a.abs() + 1).sqrt(),
    "max_dim": lambda lib, a: a - a.max(1, keepdim=True).values,
    "pow": lambda lib, a: (a * a + 0.5) ** 1.5,
    "logsumexp": lambda lib, a: a.logsumexp(0) * a,
}
BINARY_STEPS = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / (1 + b * b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "matmul": lambda lib, a, b: a @ b.t() @ a / 4,
    "where": lambda lib, a, b: lib.where(a > b, a, b * 2),
    "stack_sum": lambda lib, a, b: lib.stack([a, b]).sum(0),
    "atan2": lambda lib, a, b: lib.atan2(a, b * b + 1),
    "lerp": lambda lib, a, b: lib.lerp(a, b, 0.3),
}
STEPS = sorted(UNARY) + sorted(BINARY_STEPS)


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(2, 3))
    n_steps = draw(st.integers(1, 8))
    steps = []
    for k in range(n_steps):
        pool = n_inputs + k  # nodes defined so far
        op = draw(st.sampled_from(STEPS))
        steps.append((op, draw(st.integers(0, pool - 1)), draw(st.integers(0, pool - 1))))
    # the loss reads several nodes (always the last one): more sharing
    outputs = sorted(set(draw(st.lists(st.integers(0, n_inputs + n_steps - 1), min_size=1, max_size=4))
                         + [n_inputs + n_steps - 1]))
    return n_inputs, steps, outputs


def _run(lib, arrays, program, weights):
    _, steps, outputs = program
    xs = [_tensor(lib, a, requires_grad=True) for a in arrays]
    nodes = list(xs)
    for op, i, j in steps:
        if op in UNARY:
            nodes.append(UNARY[op](lib, nodes[i]))
        else:
            nodes.append(BINARY_STEPS[op](lib, nodes[i], nodes[j]))
    loss = sum((nodes[k] * _tensor(lib, w)).sum() for k, w in zip(outputs, weights))
    return xs, nodes, loss


@settings(PROPERTY, max_examples=150)
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_graphs_match_torch(program, seed):
    """Values, gradients and second derivatives of a random DAG equal torch's."""
    n_inputs, _, outputs = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, size=(2, 3)) for _ in range(n_inputs)]
    weights = [rng.standard_normal((2, 3)) for _ in outputs]
    v = [rng.standard_normal((2, 3)) for _ in range(n_inputs)]
    results = {}
    for lib in (torchless, torch):
        xs, nodes, loss = _run(lib, arrays, program, weights)
        grads = lib.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
        grads = [g if g is not None else lib.zeros_like(x) for g, x in zip(grads, xs)]
        pairs = [(g, lib.tensor(w)) for g, w in zip(grads, v) if g.requires_grad]
        second = [None] * n_inputs
        if pairs:
            second = lib.autograd.grad([g for g, _ in pairs], xs, grad_outputs=[w for _, w in pairs],
                                       allow_unused=True)
        results[lib] = (nodes, loss, grads, second)
    got, want = results[torchless], results[torch]
    for k, (a, b) in enumerate(zip(got[0], want[0])):
        assert_close(to_numpy(a), to_numpy(b), f"node {k}", **TOL)
    assert_close(to_numpy(got[1]), to_numpy(want[1]), "loss", **TOL)
    for k, (a, b) in enumerate(zip(got[2], want[2])):
        assert_close(to_numpy(a), to_numpy(b), f"gradient of input {k}", atol=1e-9, rtol=1e-7)
    for k, (a, b) in enumerate(zip(got[3], want[3])):
        a = np.zeros((2, 3)) if a is None else to_numpy(a)
        b = np.zeros((2, 3)) if b is None else to_numpy(b)
        assert_close(a, b, f"second derivative of input {k}", atol=1e-8, rtol=1e-7)


# ---- type promotion ----------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 3, -2, 2.5]
PROMOTING = {
    "add": lambda lib, a, b: lib.add(a, b),
    "sub": lambda lib, a, b: lib.sub(a, b),
    "mul": lambda lib, a, b: lib.mul(a, b),
    "div": lambda lib, a, b: lib.div(a, b),
    "eq": lambda lib, a, b: lib.eq(a, b),
    "lt": lambda lib, a, b: lib.lt(a, b),
    "ge": lambda lib, a, b: lib.ge(a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False, True, False]), a, b),
    "+": lambda lib, a, b: a + b,
    "-": lambda lib, a, b: a - b,
    "*": lambda lib, a, b: a * b,
    "/": lambda lib, a, b: a / b,
    "==": operator.eq,
    "<": operator.lt,
    "!=": operator.ne,
}


def _values(dtype, nonzero=False):
    if dtype == "bool":
        return np.array([True, True, True, True] if nonzero else [True, False, True, False])
    vals = np.array([3, 1, 2, 5] if nonzero else [-2, 0, 1, 3])
    return vals.astype("uint8" if dtype == "uint8" else dtype)  # (uint8 wraps -2 to 254)


def _operand(lib, kind, dtype, nonzero):
    if kind == "scalar":
        return dtype
    data = _values(dtype, nonzero)
    return lib.tensor(data if kind == "tensor" else data[0], dtype=getattr(lib, dtype))


def _operands():
    """(kind, dtype or number) of every second operand: dimensioned and 0-d tensors, Python numbers."""
    return ([("tensor", d) for d in DTYPES] + [("0-d", d) for d in DTYPES] + [("scalar", s) for s in SCALARS])


def _outcome(fn, lib, a, b):
    try:
        out = fn(lib, a, b)
    except Exception as e:  # noqa: BLE001 - torch refuses some pairs (bool - bool); torchless must too
        return "raises", type(e).__name__
    return str(out.dtype), out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", sorted(PROMOTING))
def test_type_promotion_matches_torch(op, dtype):
    """``dtype`` tensor <op> every other operand kind, in both orders: torch's result dtype and values."""
    fn = PROMOTING[op]
    mismatches = []
    for kind, other in _operands():
        for swapped in (False, True):
            if swapped and kind == "tensor":
                continue  # (the tensor-tensor pairs are covered from the other dtype's side)
            nonzero = op in ("div", "/")
            outcomes = []
            for lib in (torchless, torch):
                a = _operand(lib, "tensor", dtype, nonzero=False)
                b = _operand(lib, kind, other, nonzero)
                if swapped:
                    a, b = _operand(lib, kind, other, nonzero=False), _operand(lib, "tensor", dtype, nonzero)
                outcomes.append(_outcome(fn, lib, a, b))
            (got_kind, got), (want_kind, want) = outcomes
            if want_kind == "raises" and want == "TypeError":
                continue  # torch's signature does not take this (torch.eq(3, t)): not torch code
            pair = f"{kind} {other} {op} {dtype}" if swapped else f"{dtype} {op} {kind} {other}"
            problem = None
            if want_kind == "raises" or got_kind == "raises":
                if got_kind != want_kind:
                    problem = f"{pair}: torchless {got_kind} {got}, torch {want_kind} {want}"
            elif got_kind != want_kind:
                problem = f"{pair}: torchless {got_kind}, torch {want_kind}"
            else:
                g, w = to_numpy(got).astype(np.float64), to_numpy(want).astype(np.float64)
                tol = 1e-3 if got_kind == "torch.float16" else 1e-6
                if not np.allclose(g, w, rtol=tol, atol=tol, equal_nan=True):
                    problem = f"{pair}: torchless {g.tolist()}, torch {w.tolist()}"
            if problem:
                mismatches.append(problem)
    assert not mismatches, "\n".join(mismatches)
