"""Tests generated from the op registry: every sample of every registered op is checked for

- its forward result against torch's (value, dtype, shape; function and method forms), also with
  non-contiguous operands and with the operands cast to float32, int64 and bool;
- its first derivatives against central differences, and its second derivatives (autograd run
  through the derivative rules with create_graph=True) against central differences of the first;
- its first and second derivatives and its grad_fn name against torch's;
- its in-place form against torch's.

Nothing here names an op: adding an op with samples to the registry adds its tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from opinfo import (
    GradProblem,
    Leaf,
    assert_grads_close,
    assert_same_outcome,
    assert_same_result,
    build,
    call,
    case_id,
    cases,
    leaves_of,
    numerical_grad,
    plan_for,
    split_kwargs,
    tensors_in,
    to_numpy,
)

import torchless
from torchless.ops import OPS, load_all

load_all()  # the registry whole: the lazily loaded topic files too (see ops/_lazy.py)

ALL = cases()
DIFFERENTIABLE = cases(lambda info: info.differentiable)
GRADCHECK = cases(lambda info: info.differentiable and info.gradcheck)
# (the method form calls the first operand, which must be a tensor)
WITH_METHOD = [c for c in ALL if OPS[c[0]].method and OPS[c[0]].fn is not None
               and isinstance(plan_for(c)[0], Leaf)]
IN_PLACE = [c for c in ALL if OPS[c[0]].inplace and isinstance(plan_for(c)[0], Leaf)]

# grad_fn names that differ from torch's for a reason (op name -> torchless name -> torch's name)
# ("*": torch composes the op from others, and which node ends up last is its implementation detail)
GRAD_FN_ALLOWED = {
    # torch folds batched matmul into mm + _unsafe_view, and 1-d operands into squeeze(dim) variants
    "matmul": {("MatmulBackward0", "UnsafeViewBackward0"), ("SqueezeBackward1", "UnsafeViewBackward0"),
               ("SqueezeBackward1", "SqueezeBackward4")},
    # torch's einsum is a chain of permute / bmm / view / sum, with no node of its own
    "einsum": {("EinsumBackward0", "*")},
    # torch's quantile is composite and ends with an in-place squeeze_(dims) (SqueezeBackward4)
    "quantile": {(g, "SqueezeBackward4") for g in ("LerpBackward1", "UnsqueezeBackward0", "SqueezeBackward1",
                                                    "ViewBackward0")},
    "nanquantile": {(g, "SqueezeBackward4") for g in ("LerpBackward1", "UnsqueezeBackward0", "SqueezeBackward1",
                                                       "ViewBackward0")},
    # torch builds stft from pad / unfold / fft ops; its last node depends on the arguments
    "stft": {("FftR2CBackward0", "*"), ("FftC2CBackward0", "*"), ("TransposeBackward0", "*"),
             ("MulBackward0", "*"), ("DivBackward0", "*"), ("ViewAsRealBackward0", "*"), ("SqueezeBackward1", "*")},
}
# ops whose float32 results depend on the LAPACK build (pseudo-inverses, least squares, condition
# numbers of random matrices): compared within float32's rounding of an SVD, 1e-4
FLOAT32_LAPACK = {"linalg.pinv", "pinverse", "linalg.lstsq", "linalg.cond"}


def _torch():
    return pytest.importorskip("torch")


# ---- the registry itself ---------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_has_samples(name):
    """Every registered op is exercised by the generated tests: by its own samples here, or by
    PyTorch's OpInfo database (tests/test_opinfo.py) through an OpInfo of its name, or of the
    op it is a form of (an alias, a Tensor-only name)."""
    if OPS[name].samples:
        return
    pytest.importorskip("torch")
    pytest.importorskip("expecttest")
    from opinfo_db import covered_names

    base = name[:-1] if name.endswith("_") and not name.endswith("__") else name  # (an in-place form)
    assert {name, base, base.rpartition(".")[2]} & covered_names(), (
        f"{name} is registered without samples and no OpInfo covers it")


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_exists_in_torch(name):
    """The registry publishes only names that torch has, in the same forms."""
    torch = _torch()
    info = OPS[name]
    if info.method:
        assert hasattr(torch.Tensor, info.method), f"torch.Tensor has no method {info.method}"
    if info.fn is not None:
        space = torch
        for part in name.split(".")[:-1]:
            space = getattr(space, part, None)
        assert hasattr(space, name.rpartition(".")[2]), f"torch has no function {name}"
    if info.inplace:
        assert hasattr(torch.Tensor, info.inplace), f"torch.Tensor has no method {info.inplace}"
        assert hasattr(torchless.Tensor, info.inplace), f"torchless.Tensor has no method {info.inplace}"


# ---- forward ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_forward_matches_torch(case):
    torch = _torch()
    p = plan_for(case)
    want = call(case[0], torch, build(p, torch)[0])
    got = call(case[0], torchless, build(p, torchless)[0])
    assert_same_result(got, want)


@pytest.mark.parametrize("case", WITH_METHOD, ids=case_id)
def test_method_matches_torch(case):
    torch = _torch()
    p = plan_for(case)
    want = call(case[0], torch, build(p, torch)[0], form="method")
    got = call(case[0], torchless, build(p, torchless)[0], form="method")
    assert_same_result(got, want)


def _has_matrix(p) -> bool:
    return any(leaf.array.ndim >= 2 for leaf in leaves_of(p))


@pytest.mark.parametrize("case", [c for c in ALL if _has_matrix(plan_for(c))], ids=case_id)
def test_noncontiguous_matches_torch(case):
    """The same with every float operand of 2+ dims passed as a transposed (non-contiguous) view."""
    _torch()
    assert_same_outcome(case[0], plan_for(case), layout="transposed")


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_other_dtypes_match_torch(case, dtype):
    """The same with the float64 operands cast to ``dtype``: result dtype, values, gradients (where
    torch has a kernel for that dtype)."""
    _torch()
    loose = dtype == "float32" and case[0] in FLOAT32_LAPACK
    assert_same_outcome(case[0], plan_for(case), dtype=dtype, **({"atol": 1e-4, "rtol": 1e-4} if loose else {}))


# ---- derivatives against central differences --------------------------------------------------
@pytest.mark.parametrize("case", GRADCHECK, ids=case_id)
def test_gradcheck(case):
    problem = GradProblem(case)
    leaves, grads = problem.grads(torchless)
    for x, g in zip(leaves, grads):
        assert (g.dtype, g.shape) == (x.dtype, x.shape), f"gradient {g.dtype}{g.shape} for {x.dtype}{x.shape}"
    numerical = numerical_grad(problem.objective, problem.inputs)
    assert_grads_close(grads, numerical, f"{case_id(case)}: first derivative")


@pytest.mark.parametrize("case", GRADCHECK, ids=case_id)
def test_gradgradcheck(case):
    problem = GradProblem(case)
    analytical = problem.second_grads(torchless)
    numerical = numerical_grad(problem.grad_objective, problem.inputs)
    assert_grads_close(analytical, numerical, f"{case_id(case)}: second derivative")


# ---- derivatives against torch ----------------------------------------------------------------
@pytest.mark.parametrize("case", GRADCHECK, ids=case_id)
def test_grads_match_torch(case):
    torch = _torch()
    problem = GradProblem(case)
    got, want = problem.grads(torchless)[1], problem.grads(torch)[1]
    for k, (g, w) in enumerate(zip(got, want)):
        assert_same_result(g, w, f"grad of input {k}")
    for k, (g, w) in enumerate(zip(problem.second_grads(torchless), problem.second_grads(torch))):
        assert_grads_close([g], [w], f"second derivative of input {k}", atol=1e-9, rtol=1e-7)


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_id)
def test_grad_fn_matches_torch(case):
    torch = _torch()
    p = plan_for(case)

    def names(lib):
        out = call(case[0], lib, build(p, lib)[0])
        return [type(t.grad_fn).__name__ if t.grad_fn is not None else None for t in tensors_in(out)]

    got, want = names(torchless), names(torch)
    allowed = GRAD_FN_ALLOWED.get(case[0], set())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w or (g, w) in allowed or (g, "*") in allowed, f"grad_fn {g}, torch's is {w}"


# ---- in-place forms ---------------------------------------------------------------------------
def _run_inplace(case, lib):
    """``x.op_(*rest)`` on a non-leaf ``x = first * 1``; the result and the leaves' gradients."""
    info = OPS[case[0]]
    args, leaves = build(plan_for(case), lib)
    args, kwargs = split_kwargs(args)
    x = args[0] * 1
    r = getattr(x, info.inplace)(*args[1:], **kwargs)
    assert r is x, f"{info.inplace} must return self"
    if not x.requires_grad or not info.gradcheck:  # (floor_divide: both libraries refuse the derivative)
        return x, []
    w = lib.tensor(np.random.default_rng(0).standard_normal(tuple(x.shape)))
    return x, lib.autograd.grad([x], leaves, grad_outputs=[w], allow_unused=True)


@pytest.mark.parametrize("case", IN_PLACE, ids=case_id)
def test_inplace_matches_torch(case):
    torch = _torch()
    p = plan_for(case)
    out = call(case[0], torch, build(p, torch)[0])
    if tuple(out.shape) != p[0].array.shape:
        pytest.skip("the result does not fit in the first operand (torch refuses too)")
    got, got_grads = _run_inplace(case, torchless)
    want, want_grads = _run_inplace(case, torch)
    assert_same_result(got, want)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    assert len(got_grads) == len(want_grads)
    for k, (g, w) in enumerate(zip(got_grads, want_grads)):
        if w is None:
            assert g is None or not to_numpy(g).any(), f"input {k}: torch has no gradient"
        else:
            assert_same_result(g, w, f"grad of input {k}")

