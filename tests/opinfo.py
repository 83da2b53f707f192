"""Helpers for the tests generated from the op registry (``torchless.ops._core.OPS``).

A sample spec (see ``torchless/ops/_samples.py``) is first turned into a *plan*: the same
nested structure with NumPy arrays in place of ``T``/``I``/``B``. From one plan we build the
arguments twice, once for torchless and once for torch, so both libraries see the very same
numbers. Everything below is written against the API the two share (``lib.tensor``,
``lib.no_grad``, ``lib.autograd.grad``), so each helper runs on either library.

A sample is a tuple of positional arguments; a dict as its last entry holds keyword
arguments (``(T(3), T(3), {"alpha": 2.0})``).

The numerical derivatives are our own central differences, computed in NumPy from forward
passes only; they do not use ``torchless.autograd.gradcheck``.
"""

from __future__ import annotations

import zlib

import numpy as np

import torchless
from torchless.ops import OPS, load_all
from torchless.ops._samples import B, C, I, T

load_all()  # the registry whole: the lazily loaded topic files too (see ops/_lazy.py)

EPS = 1e-6  # central-difference step (float64)
ATOL, RTOL = 1e-6, 1e-5  # numerical vs analytical (torch.autograd.gradcheck allows 1e-5, 1e-3)
REF_ATOL, REF_RTOL = 1e-10, 1e-7  # torchless vs torch on the same float64 inputs
# least tolerance for results of these dtypes
LOW_PRECISION = {"torch.float32": 1e-6, "torch.float16": 1e-3, "torch.complex64": 1e-6}


# ---- the cases ---------------------------------------------------------------------------------
def cases(predicate=lambda info: True):
    """``(name, index, spec)`` for every sample of every registered op that satisfies ``predicate``."""
    return [(name, i, spec) for name, info in OPS.items() if predicate(info)
            for i, spec in enumerate(info.samples)]


def case_id(case) -> str:
    name, i, _ = case
    return f"{name}-{i}"


def seed(*parts) -> int:
    """A stable seed for a case (the same numbers on every run and every machine)."""
    return zlib.crc32("/".join(map(str, parts)).encode())


# ---- plans: sample specs with their data drawn ------------------------------------------------
class Leaf:
    """A float tensor argument: its data and whether it requires grad."""

    __slots__ = ("array", "requires_grad")

    def __init__(self, array, requires_grad):
        self.array, self.requires_grad = array, requires_grad


class Const:
    """An index or mask tensor argument (never requires grad)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def plan(spec, rng):
    """``spec`` with every ``T``/``I``/``B`` replaced by its drawn data (lists and tuples recursed)."""
    if isinstance(spec, T):
        return Leaf(np.asarray(rng.uniform(spec.lo, spec.hi, size=spec.shape)), spec.requires_grad)
    if isinstance(spec, I):
        return Const(np.asarray(spec.values, dtype=np.int64))
    if isinstance(spec, B):
        return Const(np.asarray(spec.values, dtype=np.bool_))
    if isinstance(spec, C):
        return Const(rng.standard_normal(spec.shape) + 1j * rng.standard_normal(spec.shape))
    if isinstance(spec, list):
        return [plan(s, rng) for s in spec]
    if isinstance(spec, tuple):
        return tuple(plan(s, rng) for s in spec)
    if isinstance(spec, dict):
        return {k: plan(s, rng) for k, s in spec.items()}
    return spec


def plan_for(case):
    name, i, spec = case
    return plan(spec, np.random.default_rng(seed(name, i)))


def leaves_of(p) -> list:
    """The ``Leaf`` entries of a plan that require grad, in argument order."""
    if isinstance(p, Leaf):
        return [p] if p.requires_grad else []
    if isinstance(p, dict):
        p = list(p.values())
    if isinstance(p, (list, tuple)):
        return [leaf for q in p for leaf in leaves_of(q)]
    return []


def build(p, lib, arrays=None, *, dtype="float64", layout="contiguous"):
    """The arguments of plan ``p`` as ``lib`` tensors, and the leaves that require grad.

    ``arrays`` replaces the data of those leaves (in order): used for perturbed evaluations.
    ``dtype`` casts the float tensors (the integer and bool ones then require no grad).
    ``layout="transposed"`` passes each float tensor of 2 or more dims as the transposed view of
    a contiguous leaf (so the op sees a non-contiguous tensor); the leaves are then those bases.
    """
    it = iter(arrays) if arrays is not None else None
    leaves = []

    def make(q):
        if isinstance(q, Leaf):
            data = np.array(next(it) if it is not None and q.requires_grad else q.array, dtype=np.float64)
            if dtype == "bool":
                data = data > 0
            elif dtype.startswith("int"):
                data = np.round(data * 2)  # (small integers of both signs)
            data = data.astype(dtype)
            rg = q.requires_grad and data.dtype.kind == "f"
            if layout == "transposed" and data.ndim >= 2:
                base = lib.tensor(data.swapaxes(-1, -2).copy(), requires_grad=rg)
                t = base.transpose(-1, -2)
            else:
                base = t = lib.tensor(data, requires_grad=rg)
            if rg:
                leaves.append(base)
            return t
        if isinstance(q, Const):
            return lib.tensor(q.array.copy())
        if isinstance(q, torchless.dtype):
            return getattr(lib, q.name)
        if isinstance(q, list):
            return [make(r) for r in q]
        if isinstance(q, tuple):
            return tuple(make(r) for r in q)
        if isinstance(q, dict):
            return {k: make(r) for k, r in q.items()}
        return q

    return make(p), leaves


# ---- calling an op -----------------------------------------------------------------------------
def call(name, lib, args, form="function"):
    """Apply op ``name`` of ``lib`` to ``args``.

    The functional form is used where the library has one (torch has no ``torch.expand``
    function, torchless registers some ops as methods only); else the Tensor method.
    ``form="method"`` forces the method on the first argument.
    """
    args, kwargs = split_kwargs(args)
    if form == "function":
        fn = OPS[name].fn if lib is torchless else lib
        for part in () if lib is torchless else name.split("."):  # (dotted: torch.linalg.det, ...)
            fn = getattr(fn, part, None)
        if fn is not None:
            return fn(*args, **kwargs)
    return getattr(args[0], name)(*args[1:], **kwargs)


def split_kwargs(args):
    """Positional arguments and keyword arguments (a trailing dict) of a built sample."""
    if args and isinstance(args[-1], dict):
        return tuple(args[:-1]), args[-1]
    return tuple(args), {}


def is_tensor(v) -> bool:
    return hasattr(v, "grad_fn") and hasattr(v, "dtype")


def tensors_in(out) -> list:
    """The tensors in an op's result (a tensor, or a tuple / namedtuple / list of them)."""
    if is_tensor(out):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors_in(o)]
    return []


def diff_outputs(out) -> list:
    """The outputs a gradient flows back from: floating tensors that require grad."""
    return [t for t in tensors_in(out) if t.dtype.is_floating_point and t.requires_grad]


def to_numpy(t) -> np.ndarray:
    # force: torch returns some zero gradients as ZeroTensors, which refuse a plain numpy()
    return np.array(t.detach().numpy(force=True), copy=True)


# ---- comparing results -------------------------------------------------------------------------
def assert_same_result(got, want, path="out", atol=REF_ATOL, rtol=REF_RTOL):
    """torchless result ``got`` equals torch result ``want``: structure, dtype, shape, values."""
    if is_tensor(want):
        assert is_tensor(got), f"{path}: expected a tensor, got {type(got).__name__}"
        assert str(got.dtype) == str(want.dtype), f"{path}: dtype {got.dtype} != torch's {want.dtype}"
        assert tuple(got.shape) == tuple(want.shape), f"{path}: shape {got.shape} != torch's {want.shape}"
        floor = LOW_PRECISION.get(str(want.dtype))  # (libm and torch's kernels differ in the last bits)
        if floor:
            atol, rtol = max(atol, floor), max(rtol, floor)
        assert_close(to_numpy(got), to_numpy(want), path, atol, rtol)
        assert got.requires_grad == want.requires_grad, (
            f"{path}: requires_grad {got.requires_grad} != torch's {want.requires_grad}")
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"{path}: expected a sequence, got {type(got).__name__}"
        assert len(got) == len(want), f"{path}: {len(got)} results, torch gives {len(want)}"
        for k in ("values", "indices"):  # torch.return_types
            if hasattr(want, k):
                assert hasattr(got, k), f"{path}: no .{k} field"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_result(g, w, f"{path}[{i}]", atol, rtol)
    else:
        assert type(got) is type(want), f"{path}: {type(got).__name__} != torch's {type(want).__name__}"
        assert got == want, f"{path}: {got!r} != torch's {want!r}"


def assert_close(got, want, what, atol, rtol):
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, equal_nan=True, err_msg=what)


# ---- gradients ---------------------------------------------------------------------------------
class GradProblem:
    """One op applied to one sample, with fixed random weights for the outputs (``w``) and for
    the gradients (``v``): the first-order quantity is ``d/dx sum(out * w)``, the second-order
    one ``d/dx sum(grad * v)``."""

    def __init__(self, case):
        self.name = case[0]
        self.plan = plan_for(case)
        self.inputs = [leaf.array for leaf in leaves_of(self.plan)]
        rng = np.random.default_rng(seed(*case[:2], "weights"))
        args, _ = build(self.plan, torchless)
        outs = diff_outputs(call(self.name, torchless, args))
        self.w = [rng.standard_normal(tuple(t.shape)) for t in outs]
        self.v = [rng.standard_normal(a.shape) for a in self.inputs]

    # -- forward only: what the numerical derivatives are taken of
    def objective(self, arrays, lib=torchless) -> float:
        """``sum(out * w)`` at the leaves ``arrays``, without recording a graph."""
        args, _ = build(self.plan, lib, arrays)
        with lib.no_grad():
            outs = [t for t in tensors_in(call(self.name, lib, args)) if t.dtype.is_floating_point]
        return float(sum(np.sum(to_numpy(o) * w) for o, w in zip(outs, self.w)))

    def grad_objective(self, arrays, lib=torchless) -> float:
        """``sum(grad * v)``: the first derivatives (by autograd) contracted with ``v``."""
        grads = self.grads(lib, arrays)[1]
        return float(sum(np.sum(to_numpy(g) * v) for g, v in zip(grads, self.v)))

    # -- autograd
    def grads(self, lib, arrays=None, create_graph=False):
        """The leaves and ``d sum(out * w) / d leaf`` by ``lib``'s autograd (zeros where unused)."""
        args, leaves = build(self.plan, lib, arrays)
        outs = diff_outputs(call(self.name, lib, args))
        assert len(outs) == len(self.w), f"{self.name}: {len(outs)} differentiable outputs, not {len(self.w)}"
        ws = [lib.tensor(w) for w in self.w]
        grads = lib.autograd.grad(outs, leaves, grad_outputs=ws, create_graph=create_graph, allow_unused=True)
        return leaves, [g if g is not None else lib.zeros_like(x) for g, x in zip(grads, leaves)]

    def second_grads(self, lib) -> list:
        """``d sum(grad * v) / d leaf``: autograd through the derivative rules (create_graph)."""
        leaves, grads = self.grads(lib, create_graph=True)
        pairs = [(g, v) for g, v in zip(grads, self.v) if g.requires_grad]
        if not pairs:  # the gradient does not depend on the inputs: the op is linear
            return [np.zeros_like(a) for a in self.inputs]
        gg = lib.autograd.grad([g for g, _ in pairs], leaves, grad_outputs=[lib.tensor(v) for _, v in pairs],
                               allow_unused=True)
        return [to_numpy(g) if g is not None else np.zeros_like(a) for g, a in zip(gg, self.inputs)]


def numerical_grad(f, arrays, eps=EPS) -> list:
    """Central differences of the scalar function ``f(arrays)`` with respect to each array."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = f(arrays)
            flat[i] = orig - eps
            minus = f(arrays)
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def assert_grads_close(analytical, numerical, what, atol=ATOL, rtol=RTOL):
    assert len(analytical) == len(numerical)
    for k, (a, n) in enumerate(zip(analytical, numerical)):
        a = to_numpy(a) if is_tensor(a) else np.asarray(a)
        assert a.shape == n.shape, f"{what}, input {k}: gradient shape {a.shape} != input shape {n.shape}"
        np.testing.assert_allclose(a, n, atol=atol, rtol=rtol, err_msg=f"{what}, input {k}")


# ---- one op, both libraries, whatever happens --------------------------------------------------
def run_op(name, p, lib, **build_kw):
    """Apply op ``name`` to plan ``p`` (built with ``build_kw``); return the result and the
    gradients of ``sum(out * w)`` for the leaves (w: fixed weights per output), or the exception."""
    try:
        args, leaves = build(p, lib, **build_kw)
        out = call(name, lib, args)
        outs = diff_outputs(out)
        grads = []
        if outs and leaves and OPS[name].gradcheck:
            ws = [lib.tensor(np.random.default_rng(k).standard_normal(tuple(o.shape))).to(o.dtype)
                  for k, o in enumerate(outs)]
            grads = lib.autograd.grad(outs, leaves, grad_outputs=ws, allow_unused=True)
        return out, grads
    except Exception as e:  # noqa: BLE001 - the caller compares what each library does
        return e, None


def assert_same_outcome(name, p, atol=REF_ATOL, rtol=REF_RTOL, **build_kw):
    """What torch computes from ``p``, torchless computes too, with the same result and gradients.

    Where torch refuses (no kernel for the dtype, a signature torch lacks) there is no torch
    code to run unchanged, and torchless may do anything: the test is skipped.
    """
    import pytest
    import torch

    want, want_grads = run_op(name, p, torch, **build_kw)
    if isinstance(want, Exception):
        pytest.skip(f"torch refuses: {type(want).__name__}: {str(want)[:80]}")
    got, got_grads = run_op(name, p, torchless, **build_kw)
    assert not isinstance(got, Exception), f"torchless raises {got!r}; torch computes {want!r}"
    assert_same_result(got, want, atol=atol, rtol=rtol)
    assert len(got_grads) == len(want_grads)
    for k, (g, w) in enumerate(zip(got_grads, want_grads)):
        if w is None or g is None:
            assert g is None or not to_numpy(g).any(), f"grad of input {k}: torch has none"
            assert w is None or not to_numpy(w).any(), f"grad of input {k}: torchless has none"
        else:
            assert_same_result(g, w, f"grad of input {k}", atol=atol, rtol=rtol)
