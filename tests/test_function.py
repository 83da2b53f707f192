"""Differential tests of ``autograd.Function``: each custom Function is defined once, inside a test
that runs with ``T`` = torchless and with ``T`` = torch (the spec), and checks values, gradients and
errors against what torch does.

Tests that torchless fails carry ``both(bug="BUG: ...")``: the torchless run is a strict xfail, the
torch run still proves that the expectation is torch's behaviour.
"""

from __future__ import annotations

import gc
import pathlib
import sys
import warnings

import numpy as np
import pytest

_SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

import torchless

# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def T(request):
    """The module under test: torchless, or torch itself (skipped where torch is not installed)."""
    if request.param == "torch":
        return pytest.importorskip("torch")
    return torchless


def both(bug: str | None = None):
    """Run the test with T = torchless and T = torch; ``bug`` makes the torchless run a strict xfail."""
    tl = "torchless"
    if bug is not None:
        tl = pytest.param("torchless", marks=pytest.mark.xfail(strict=True, reason=bug))
    return pytest.mark.parametrize("T", [tl, "torch"], indirect=True)


def npy(t):
    return t.detach().numpy()


def close(t, expected, dtype=None):
    """Values of ``t`` equal ``expected`` (and its dtype is ``dtype``, when given)."""
    assert t is not None
    np.testing.assert_allclose(npy(t), np.asarray(expected, dtype=np.float64), rtol=1e-6, atol=1e-6)
    if dtype is not None:
        assert t.dtype == dtype


def grad(T, out, inputs, **kw):
    return T.autograd.grad(out, inputs, **kw)


def _outcome(fn, T):
    """Run ``fn(T)``: ('ok', result as numpy) or ('raise', exception type name, message)."""
    try:
        return ("ok", _to_numpy(fn(T)))
    except Exception as e:  # noqa: BLE001
        return ("raise", type(e).__name__, str(e))


def _to_numpy(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_to_numpy(i) for i in x)
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return ("tensor", str(x.dtype).replace("torchless.", "torch."), x.detach().numpy())
    return x


def _assert_same(a, b, path="result"):
    if isinstance(a, tuple) and len(a) == 3 and a and a[0] == "tensor":
        assert isinstance(b, tuple) and b[0] == "tensor", f"{path}: {a!r} vs {b!r}"
        assert a[1] == b[1], f"{path}: dtype {a[1]} vs {b[1]}"
        assert a[2].shape == b[2].shape, f"{path}: shape {a[2].shape} vs {b[2].shape}"
        np.testing.assert_allclose(a[2], b[2], rtol=1e-5, atol=1e-6, err_msg=path)
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), f"{path}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def same_as_torch(fn):
    """``fn(T)`` gives the same values / dtypes (or the same exception type) with torchless as with torch."""
    torch = pytest.importorskip("torch")
    got, want = _outcome(fn, torchless), _outcome(fn, torch)
    if want[0] == "raise" or got[0] == "raise":
        assert got[:2] == want[:2], f"torchless {got} vs torch {want}"
    else:
        _assert_same(got[1], want[1])
    return got, want


# --------------------------------------------------------------------------------------------------
# forward / setup_context / backward styles, apply's argument binding, legacy calls
# --------------------------------------------------------------------------------------------------


@both()
def test_combined_style(T):
    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = T.tensor([4.0, 5.0, 6.0], requires_grad=True)
    z = Mul.apply(x, y)
    close(z, [4, 10, 18], T.float32)
    assert z.requires_grad and not z.is_leaf
    z.sum().backward()
    close(x.grad, [4, 5, 6])
    close(y.grad, [1, 2, 3])


@both()
def test_separate_style_setup_context_sees_inputs_and_output(T):
    seen = {}

    class Mul(T.autograd.Function):
        @staticmethod
        def forward(x, y):
            seen["grad_mode_in_forward"] = T.is_grad_enabled()
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen["inputs"], seen["output"] = inputs, output
            seen["output_requires_grad"] = output.requires_grad
            x, y = inputs
            ctx.save_for_backward(x, y)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = T.tensor([3.0, 4.0])
    z = Mul.apply(x, y)
    assert isinstance(seen["inputs"], tuple) and len(seen["inputs"]) == 2
    assert seen["inputs"][0] is x and seen["inputs"][1] is y
    close(seen["output"], [3, 8])
    assert seen["grad_mode_in_forward"] is False
    assert seen["output_requires_grad"] is False  # setup_context runs before the output is wired
    (gx,) = grad(T, z.sum(), [x])
    close(gx, [3, 4])


@both()
def test_separate_style_binds_keywords_and_defaults(T):
    seen = {}

    class Scale(T.autograd.Function):
        @staticmethod
        def forward(x, scale=2.0, shift=0.0):
            return x * scale + shift

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen["inputs"] = inputs[1:]
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            return g * ctx.scale, None, None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x)
    close(y, [2, 4])
    assert seen["inputs"] == (2.0, 0.0)
    (gx,) = grad(T, y.sum(), x)
    close(gx, [2, 2])
    assert seen["needs"] == (True, False, False)

    y = Scale.apply(x, shift=1.0, scale=3.0)
    close(y, [4, 7])
    assert seen["inputs"] == (3.0, 1.0)
    (gx,) = grad(T, y.sum(), x)
    close(gx, [3, 3])

    y = Scale.apply(x=x, scale=5.0)
    assert seen["inputs"] == (5.0, 0.0)
    close(grad(T, y.sum(), x)[0], [5, 5])


@both()
def test_separate_style_default_args_count_as_inputs(T):
    class Scale(T.autograd.Function):
        @staticmethod
        def forward(x, scale=2.0):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale  # one gradient, but forward has two (bound) inputs

    x = T.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        grad(T, Scale.apply(x).sum(), x)


@both()
def test_combined_style_does_not_bind_defaults(T):
    seen = {}

    class Scale(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale=2.0, shift=0.0):
            seen["needs"] = ctx.needs_input_grad
            ctx.scale = scale
            return x * scale + shift

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale  # a single gradient: only one argument was passed

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x)
    assert seen["needs"] == (True,)
    close(y, [2, 4])
    close(grad(T, y.sum(), x)[0], [2, 2])


@both()
def test_combined_style_keyword_argument(T):
    seen = {}

    class Scale(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale=2.0, shift=0.0):
            seen["needs"] = ctx.needs_input_grad
            ctx.scale = scale
            return x * scale + shift

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, scale=3.0)
    close(y, [3, 6])
    assert seen["needs"] == (True, False)
    close(grad(T, y.sum(), x)[0], [3, 3])


@both()
def test_combined_style_keywords_reach_forward(T):
    class Scale(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale=2.0):
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None, None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    close(Scale.apply(x, scale=3.0), [3, 6])
    close(Scale.apply(x, 4.0), [4, 8])
    y = Scale.apply(x=x)
    close(y, [2, 4])
    close(grad(T, y.sum(), x)[0], [2, 2])


@both()
def test_legacy_instantiation_and_call(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = Double()
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method"):
        f(T.ones(2, requires_grad=True))


@both()
def test_forward_not_implemented(T):
    class NoForward(T.autograd.Function):
        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(NotImplementedError, match="forward"):
        NoForward.apply(T.ones(2, requires_grad=True))


@both()
def test_backward_not_implemented(T):
    class NoBackward(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = T.ones(2, requires_grad=True)
    y = NoBackward.apply(x)
    close(y, [2, 2])
    with pytest.raises(NotImplementedError, match="backward or vjp"):
        y.sum().backward()


@both()
def test_subclass_inherits_forward_backward_and_setup_context(T):
    class Base(T.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = 3

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k

    class Child(Base):
        pass

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Child.apply(x)
    assert type(y.grad_fn).__name__ == "ChildBackward"
    close(grad(T, y.sum(), x)[0], [3, 3])


# --------------------------------------------------------------------------------------------------
# vjp, jvp, save_for_forward
# --------------------------------------------------------------------------------------------------


@both()
def test_vjp_is_an_alias_of_backward(T):
    class Triple(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3

    x = T.tensor([1.0, 2.0], requires_grad=True)
    Triple.apply(x).sum().backward()
    close(x.grad, [3, 3])


@both()
def test_backward_and_vjp_both_defined(T):
    class Both(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Both.apply(x)
    close(y, [2, 4])
    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        y.sum().backward()


@both()
def test_backward_and_vjp_both_defined_cannot_be_used(T):
    """Whatever the moment, a Function defining both can never differentiate."""
    with pytest.raises((TypeError, RuntimeError), match="Implementing both 'backward' and 'vjp'"):

        class Both(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 2

        x = T.tensor([1.0, 2.0], requires_grad=True)
        Both.apply(x).sum().backward()


@both()
def test_jvp_and_save_for_forward_are_accepted(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x)
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

        @staticmethod
        def jvp(ctx, t):
            raise AssertionError("jvp is not called by reverse mode")

    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Square.apply(x * 3)
    close(y, [9, 36, 81])
    close(grad(T, y.sum(), x)[0], [18, 36, 54])


@both()
def test_setup_context_style_with_jvp_and_save_for_forward(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

        @staticmethod
        def jvp(ctx, t):
            raise AssertionError("unused")

    x = T.tensor([1.0, -2.0], requires_grad=True)
    close(grad(T, Square.apply(x).sum(), x)[0], [2, -4])


# --------------------------------------------------------------------------------------------------
# arguments and outputs
# --------------------------------------------------------------------------------------------------


@both()
def test_any_python_objects_as_args(T):
    seen = {}

    class Obj(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, name, opts, items, nothing, k):
            seen.update(name=name, opts=opts, items=items, nothing=nothing, k=k)
            ctx.k = k * opts["scale"]
            return x * ctx.k

        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            return g * ctx.k, None, None, None, None, None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    opts = {"scale": 2}
    items = [1, "two", None]
    y = Obj.apply(x, "hi", opts, items, None, 3)
    assert seen["name"] == "hi" and seen["opts"] is opts and seen["items"] is items
    assert seen["nothing"] is None and seen["k"] == 3
    close(y, [6, 12])
    close(grad(T, y.sum(), x)[0], [6, 6])
    assert seen["needs"] == (True, False, False, False, False, False)


@both()
def test_tensors_inside_a_list_are_not_tracked(T):
    class SumList(T.autograd.Function):
        @staticmethod
        def forward(ctx, tensors):
            out = tensors[0] * 1
            for t in tensors[1:]:
                out = out + t
            return out

        @staticmethod
        def backward(ctx, g):
            return None

    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = T.tensor([3.0, 4.0], requires_grad=True)
    y = SumList.apply([a, b])
    close(y, [4, 6])
    assert not y.requires_grad and y.grad_fn is None


@both()
def test_tensors_in_list_ignored_direct_tensor_tracked(T):
    class Mixed(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, others):
            ctx.n = len(others)
            return x * 2 + others[0]

        @staticmethod
        def backward(ctx, g):
            assert ctx.needs_input_grad == (True, False)
            return g * 2, None

    x = T.tensor([1.0], requires_grad=True)
    o = T.tensor([5.0], requires_grad=True)
    y = Mixed.apply(x, [o])
    assert len(y.grad_fn.next_functions) == 1
    y.sum().backward()
    close(x.grad, [2])
    assert o.grad is None


@both()
def test_forward_runs_with_grad_mode_off(T):
    seen = {}

    class Probe(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["enabled"] = T.is_grad_enabled()
            inner = x * 2
            seen["inner_requires_grad"] = inner.requires_grad
            seen["inner_grad_fn"] = inner.grad_fn
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    y = Probe.apply(x)
    assert seen == {"enabled": False, "inner_requires_grad": False, "inner_grad_fn": None}
    assert T.is_grad_enabled()
    assert y.requires_grad and type(y.grad_fn).__name__ == "ProbeBackward"


@both()
def test_grad_mode_restored_after_forward_raises(T):
    class Boom(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            raise ValueError("boom")

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(ValueError, match="boom"):
        Boom.apply(T.ones(1, requires_grad=True))
    assert T.is_grad_enabled()


@both()
def test_single_tensor_or_tuple_returned(T):
    class One(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    class Pair(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 2 * g2

    class Single(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x + 1,)

        @staticmethod
        def backward(ctx, g):
            return g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = One.apply(x)
    assert isinstance(y, T.Tensor)
    p = Pair.apply(x)
    assert isinstance(p, tuple) and len(p) == 2
    assert p[0].grad_fn is p[1].grad_fn
    s = Single.apply(x)
    assert isinstance(s, tuple) and len(s) == 1 and isinstance(s[0], T.Tensor)
    close(grad(T, (p[0] + p[1]).sum(), x)[0], [3, 3])
    close(grad(T, s[0].sum(), x)[0], [1, 1])


@both()
def test_non_tensor_outputs_pass_through_with_none_grad_slot(T):
    seen = {}
    marker = object()

    class WithExtras(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, "label", 7, marker, None

        @staticmethod
        def backward(ctx, g, g_label, g_seven, g_marker, g_none):
            seen["slots"] = (g_label, g_seven, g_marker, g_none)
            close(g, [1, 1])
            return g * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y, label, seven, m, nothing = WithExtras.apply(x)
    assert label == "label" and seven == 7 and m is marker and nothing is None
    close(grad(T, y.sum(), x)[0], [2, 2])
    assert seen["slots"] == (None, None, None, None)


@both()
def test_floating_outputs_require_grad_integer_outputs_never(T):
    seen = {}

    class Split(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, (x * 3).long(), x > 1, x.double()

        @staticmethod
        def backward(ctx, g, g_long, g_bool, g_double):
            seen["long"], seen["bool"] = g_long, g_bool
            return g * 2 + g_double

    x = T.tensor([1.0, 2.0], requires_grad=True)
    f, i, b, d = Split.apply(x)
    assert f.requires_grad and f.grad_fn is not None
    assert not i.requires_grad and i.grad_fn is None and i.dtype == T.int64
    assert not b.requires_grad and b.grad_fn is None and b.dtype == T.bool
    assert d.requires_grad and d.grad_fn is f.grad_fn and d.dtype == T.float64
    close(grad(T, f.sum() + d.sum(), x)[0], [3, 3])
    # the integer outputs still get a slot, materialized as zeros of their dtype
    assert seen["long"].dtype == T.int64 and npy(seen["long"]).tolist() == [0, 0]
    assert seen["bool"].dtype == T.bool and npy(seen["bool"]).tolist() == [False, False]


@both()
def test_outputs_do_not_require_grad_without_tracked_inputs(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Double.apply(T.tensor([1.0, 2.0]))
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    close(y, [2, 4])


@both()
def test_output_requires_grad_when_any_tracked_input_does(T):
    class Add(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0])
    y = Add.apply(b, a)
    assert y.requires_grad
    (ga,) = grad(T, y.sum(), a)
    close(ga, [1])


@both()
def test_input_returned_unchanged_is_a_new_tensor(T):
    class Ident(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Ident.apply(x)
    assert y is not x
    assert y.grad_fn is not None and type(y.grad_fn).__name__ == "IdentBackward"
    assert x.is_leaf and x.grad_fn is None
    close(grad(T, y.sum(), x)[0], [5, 5])
    # y shares x's memory and version counter
    with T.no_grad():
        x.add_(1)
    close(y, [2, 3])
    assert y._version == x._version


# --------------------------------------------------------------------------------------------------
# the grad_fn node
# --------------------------------------------------------------------------------------------------


@both()
def test_grad_fn_class_name_and_name(T):
    class MyOp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    y = MyOp.apply(x)
    assert type(y.grad_fn).__name__ == "MyOpBackward"
    assert y.grad_fn.name() == "MyOpBackward"
    assert type(y.grad_fn) is MyOp._backward_cls
    assert isinstance(y.grad_fn, T.autograd.function.BackwardCFunction)
    assert "MyOpBackward" in repr(y.grad_fn)
    # the node is the ctx the Function's methods received
    assert MyOp.apply(x).grad_fn is not y.grad_fn


@both()
def test_grad_fn_is_the_ctx(T):
    seen = {}

    class Keep(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["fwd"] = ctx
            ctx.tag = "hello"
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = ctx
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    y = Keep.apply(x)
    assert y.grad_fn is seen["fwd"]
    assert y.grad_fn.tag == "hello"
    y.backward()
    assert seen["bwd"] is seen["fwd"]


@both()
def test_next_functions_one_entry_per_tensor_input(T):
    class Combine(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b, c):
            return a * b * c * k

        @staticmethod
        def backward(ctx, g):
            return g, None, g, g

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0])
    c = a * 3
    y = Combine.apply(a, 2.0, b, c)
    nf = y.grad_fn.next_functions
    assert len(nf) == 3
    assert type(nf[0][0]).__name__ == "AccumulateGrad" and nf[0][1] == 0
    assert nf[0][0].variable is a
    assert nf[1] == (None, 0)
    assert nf[2][0] is c.grad_fn and nf[2][1] == 0


@both()
def test_next_functions_points_at_other_function_outputs(T):
    class Pair(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 2 * g2

    class Add(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = T.tensor([1.0], requires_grad=True)
    p, q = Pair.apply(x)
    z = Add.apply(q, p)
    assert z.grad_fn.next_functions == ((p.grad_fn, 1), (p.grad_fn, 0))
    close(grad(T, z.sum(), x)[0], [3])


@both()
def test_grad_fn_register_hook_and_prehook(T):
    calls = []

    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            calls.append(("backward", npy(g).tolist()))
            x, y = ctx.saved_tensors
            return g * y, g * x

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = T.tensor([3.0, 4.0])
    z = Mul.apply(x, y)

    def pre(grad_outputs):
        calls.append(("pre", len(grad_outputs)))
        return (grad_outputs[0] * 10,)

    def post(grad_inputs, grad_outputs):
        calls.append(("post", len(grad_inputs), npy(grad_inputs[1]).tolist(), npy(grad_outputs[0]).tolist()))
        return (grad_inputs[0] + 1, grad_inputs[1])

    h1 = z.grad_fn.register_prehook(pre)
    h2 = z.grad_fn.register_hook(post)
    z.sum().backward(retain_graph=True)
    close(x.grad, [31, 41])
    # grad_inputs holds what backward returned, even for y, which does not require grad
    assert calls == [("pre", 1), ("backward", [10.0, 10.0]), ("post", 2, [10.0, 20.0], [10.0, 10.0])]
    h1.remove()
    h2.remove()
    x.grad = None
    calls.clear()
    z.sum().backward()
    close(x.grad, [3, 4])
    assert calls == [("backward", [1.0, 1.0])]


@both()
def test_tensor_hooks_on_function_outputs(T):
    class Pair(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return 2 * g1 + 3 * g2

    x = T.tensor([1.0], requires_grad=True)
    a, b = Pair.apply(x)
    b.register_hook(lambda g: g * 100)
    a.retain_grad()
    (a + b).sum().backward()
    close(x.grad, [302])
    close(a.grad, [1])


# --------------------------------------------------------------------------------------------------
# save_for_backward / saved_tensors
# --------------------------------------------------------------------------------------------------


@both()
def test_save_inputs_outputs_intermediates_and_none(T):
    seen = {}

    class Exp2(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, unused):
            tmp = x * 2
            out = tmp.exp()
            ctx.save_for_backward(x, None, out, tmp, unused)
            return out

        @staticmethod
        def backward(ctx, g):
            x, nothing, out, tmp, unused = ctx.saved_tensors
            seen["saved"] = (x, nothing, out, tmp, unused)
            return g * 2 * out, None

    x = T.tensor([0.0, 0.5], requires_grad=True)
    u = T.tensor([9.0])
    y = Exp2.apply(x, u)
    assert len(y.grad_fn.saved_tensors) == 5
    (gx,) = grad(T, y.sum(), x)
    close(gx, 2 * np.exp(2 * np.array([0.0, 0.5])))
    sx, nothing, sout, stmp, su = seen["saved"]
    assert sx is x and su is u and nothing is None
    close(sout, np.exp([0.0, 1.0]))
    close(stmp, [0.0, 1.0])
    assert sout.grad_fn is y.grad_fn  # a saved output is the output, with its grad_fn


@both()
def test_saved_tensors_empty_by_default(T):
    class Plain(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            assert ctx.saved_tensors == ()
            return g

    x = T.tensor([1.0], requires_grad=True)
    y = Plain.apply(x)
    assert y.grad_fn.saved_tensors == ()
    y.sum().backward()
    close(x.grad, [1])


@both()
def test_save_for_backward_in_setup_context_with_output(T):
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = T.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    close(grad(T, y.sum(), x)[0], np.exp([0.0, 1.0]))


@both()
def test_modified_input_after_apply_raises(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = Square.apply(a)
    a.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _ = y.grad_fn.saved_tensors


@both()
def test_modified_output_after_apply_raises(T):
    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = T.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        grad(T, y.sum(), x)


@both()
def test_version_message_names_the_function(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = Square.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    msg = str(info.value)
    assert "is at version 1; expected version 0 instead" in msg
    assert "[torch.FloatTensor [2]]" in msg


@both()
def test_saved_tensors_after_graph_freed_raises(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([3.0], requires_grad=True)
    y = Square.apply(x)
    node = y.grad_fn
    y.backward()
    close(x.grad, [6])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = node.saved_tensors
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@both()
def test_save_for_backward_non_tensor_raises_type_error(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    msg = "save_for_backward can only save variables, but argument 1 is of type int"
    with pytest.raises(TypeError, match=msg):
        Bad.apply(T.ones(2, requires_grad=True))


@both()
def test_save_for_backward_without_grad_does_not_keep_tensors(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    y = Square.apply(T.tensor([2.0]))
    assert y.grad_fn is None
    close(y, [4])


@both()
def test_saved_tensors_are_not_kept_alive_cycles_aside(T):
    """A Function saving its own output must not leak: the graph goes when its output goes."""
    import weakref

    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = T.tensor([1.0], requires_grad=True)
    y = Exp.apply(x)
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


# --------------------------------------------------------------------------------------------------
# mark_dirty
# --------------------------------------------------------------------------------------------------


DIRTY_EDGE_BUG = ("BUG: mark_dirty on a non-leaf: the node's edge for the dirty input points at the node "
                  "itself (next_functions is ((<itself>, 0),)) instead of the input's previous grad_fn, "
                  "so no gradient reaches the leaves")


def _add_one_inplace(T):
    class AddOne_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 1

    return AddOne_


@both()
def test_mark_dirty_returns_the_input_object_and_bumps_version(T):
    AddOne_ = _add_one_inplace(T)
    leaf = T.tensor([1.0, 2.0], requires_grad=True)
    a = leaf * 2
    assert a._version == 0
    y = AddOne_.apply(a)
    assert y is a
    assert a._version == 2  # add_ in forward, then mark_dirty's own bump
    assert type(a.grad_fn).__name__ == "AddOne_Backward"
    close(a, [3, 5])


@both()
def test_mark_dirty_on_tensor_not_requiring_grad(T):
    AddOne_ = _add_one_inplace(T)
    t = T.tensor([1.0, 2.0])
    y = AddOne_.apply(t)
    assert y is t and t._version == 2
    assert not t.requires_grad and t.grad_fn is None
    close(t, [2, 3])


@both()
def test_mark_dirty_grads_through_non_leaf(T):
    class MulTwo_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    leaf = T.tensor([1.0, 2.0], requires_grad=True)
    a = leaf * leaf  # grad 2*leaf
    before = a.grad_fn
    MulTwo_.apply(a)
    assert a.grad_fn.next_functions == ((before, 0),)
    b = a * 3
    b.sum().backward()
    close(leaf.grad, [12, 24])
    close(a, [2, 8])


@both()
def test_mark_dirty_with_saved_dirty_input(T):
    class Square_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.clone())
            x.mul_(x)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (orig,) = ctx.saved_tensors
            return 2 * orig * g

    leaf = T.tensor([1.0, 3.0], requires_grad=True)
    a = leaf + 1
    y = Square_.apply(a)
    close(y, [4, 16])
    y.sum().backward()
    close(leaf.grad, [4, 8])


@both()
def test_mark_dirty_with_a_second_output(T):
    class AddAndCopy(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x, x * 3

        @staticmethod
        def backward(ctx, g_x, g_three):
            return g_x + 3 * g_three

    leaf = T.tensor([1.0], requires_grad=True)
    a = leaf.clone()
    y, z = AddAndCopy.apply(a)
    assert y is a and z.grad_fn is a.grad_fn
    close(z, [6])
    (y + z).sum().backward()
    close(leaf.grad, [4])


@both()
def test_mark_dirty_leaf_requiring_grad_is_refused(T):
    AddOne_ = _add_one_inplace(T)
    x = T.tensor([1.0, 2.0], requires_grad=True)
    msg = "a leaf Variable that requires grad has been used in an in-place operation"
    with pytest.raises(RuntimeError, match=msg):
        AddOne_.apply(x)
    assert x.is_leaf and x.grad_fn is None


@both()
def test_mark_dirty_leaf_refused_version(T):
    AddOne_ = _add_one_inplace(T)
    x = T.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        AddOne_.apply(x)
    assert x._version == 2


@both()
def test_mark_dirty_input_not_returned_raises(T):
    class Sneaky(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = T.tensor([1.0], requires_grad=True).clone()
    msg = "Some elements marked as dirty during the forward method were not returned"
    with pytest.raises(RuntimeError, match=msg):
        Sneaky.apply(a)


@both()
def test_mark_dirty_under_no_grad(T):
    AddOne_ = _add_one_inplace(T)
    x = T.tensor([1.0, 2.0], requires_grad=True)
    with T.no_grad():
        y = AddOne_.apply(x)
    assert y is not x
    assert not y.requires_grad and y.grad_fn is None
    assert x.requires_grad and x.is_leaf
    close(x, [2, 3])
    assert x._version == 2


# --------------------------------------------------------------------------------------------------
# mark_non_differentiable, set_materialize_grads
# --------------------------------------------------------------------------------------------------


@both()
def test_mark_non_differentiable(T):
    seen = {}

    class SortLike(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values = x * 2
            mask = (x > 1).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            return values, mask

        @staticmethod
        def backward(ctx, g_values, g_mask):
            seen["g_mask"] = g_mask
            return g_values * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    values, mask = SortLike.apply(x)
    assert values.requires_grad and values.grad_fn is not None
    assert not mask.requires_grad and mask.grad_fn is None
    close(mask, [0, 1])
    close(grad(T, values.sum(), x)[0], [2, 2])
    close(seen["g_mask"], [0, 0], T.float32)  # the slot is there, materialized as zeros
    # using the non-differentiable output contributes nothing
    close(grad(T, (values + mask * 100).sum(), x)[0], [2, 2])


@both()
def test_mark_non_differentiable_without_materialize(T):
    seen = {}

    class SortLike(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            mask = x > 0
            idx = (x * 0).long()
            ctx.mark_non_differentiable(mask, idx)
            return x * 2, mask, idx

        @staticmethod
        def backward(ctx, g, g_mask, g_idx):
            seen["slots"] = (g_mask, g_idx)
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    v, _m, _i = SortLike.apply(x)
    close(grad(T, v.sum(), x)[0], [2])
    assert seen["slots"] == (None, None)


@both()
def test_mark_non_differentiable_input_returned(T):
    class Passthrough(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = T.tensor([1.0], requires_grad=True)
    y = Passthrough.apply(x)
    assert y is not x
    assert not y.requires_grad and y.grad_fn is None
    assert x.requires_grad


@both()
def test_materialize_grads_default_true(T):
    seen = {}

    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g"] = (g1, g2)
            return g1 * 2 + g2 * 3

    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    a, b = Two.apply(x)
    close(grad(T, a.sum(), x)[0], [2, 2])
    g1, g2 = seen["g"]
    close(g1, [1, 1])
    assert g2 is not None
    close(g2, [0, 0], T.float64)
    close(grad(T, b.sum(), x)[0], [3, 3])
    close(seen["g"][0], [0, 0], T.float64)


@both()
def test_set_materialize_grads_false(T):
    seen = {}

    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g"] = (g1, g2)
            gx = None
            if g1 is not None:
                gx = g1 * 2
            if g2 is not None:
                gx = g2 * 3 if gx is None else gx + g2 * 3
            return gx

    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, b = Two.apply(x)
    close(grad(T, a.sum(), x, retain_graph=True)[0], [2, 2])
    assert seen["g"][1] is None and seen["g"][0] is not None
    close(grad(T, b.sum(), x, retain_graph=True)[0], [3, 3])
    assert seen["g"][0] is None
    close(grad(T, (a + b).sum(), x)[0], [5, 5])


@both()
def test_set_materialize_grads_false_in_setup_context(T):
    seen = {}

    class MulConstantLazy(T.autograd.Function):
        @staticmethod
        def forward(tensor, constant):
            return tensor * constant

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.set_materialize_grads(False)
            ctx.constant = inputs[1]

        @staticmethod
        def backward(ctx, g):
            seen["g"] = g
            if g is None:
                return None, None
            return g * ctx.constant, None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = MulConstantLazy.apply(x, 5.0)
    close(grad(T, y.sum(), x)[0], [5, 5])


@both()
def test_backward_returning_all_none_gives_no_grad(T):
    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return None if g1 is None else g1 * 2

    x = T.tensor([1.0], requires_grad=True)
    _a, b = Two.apply(x)
    (gx,) = grad(T, b.sum(), x, allow_unused=True)
    assert gx is None
    (b * 1).sum().backward()
    assert x.grad is None


# --------------------------------------------------------------------------------------------------
# needs_input_grad, ctx attributes
# --------------------------------------------------------------------------------------------------


@both()
def test_needs_input_grad_one_bool_per_argument(T):
    seen = {}

    class Many(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k, s, c):
            seen["forward"] = ctx.needs_input_grad
            return a * b * k + c

        @staticmethod
        def backward(ctx, g):
            seen["backward"] = ctx.needs_input_grad
            return g, g, None, None, g

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0])
    c = a * 3
    y = Many.apply(a, b, 2.0, "s", c)
    y.sum().backward()
    assert seen["forward"] == (True, False, False, False, True)
    assert seen["backward"] == (True, False, False, False, True)
    assert all(type(v) is bool for v in seen["forward"])


@both()
def test_needs_input_grad_under_no_grad(T):
    seen = {}

    class Probe(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            seen["needs"] = ctx.needs_input_grad
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g

    a = T.tensor([1.0], requires_grad=True)
    with T.no_grad():
        y = Probe.apply(a)
    assert seen["needs"] == (True,)
    assert y.grad_fn is None


@both()
def test_needs_input_grad_skips_work(T):
    calls = []

    class MatMul(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a.mm(b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = gb = None
            if ctx.needs_input_grad[0]:
                calls.append("a")
                ga = g.mm(b.t())
            if ctx.needs_input_grad[1]:
                calls.append("b")
                gb = a.t().mm(g)
            return ga, gb

    a = T.ones(2, 3, requires_grad=True)
    b = T.ones(3, 2)
    MatMul.apply(a, b).sum().backward()
    assert calls == ["a"]
    close(a.grad, np.full((2, 3), 2.0))


@both()
def test_arbitrary_attributes_on_ctx(T):
    class Attrs(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, n):
            ctx.n = n
            ctx.shape = x.shape
            ctx.info = {"list": [1, 2], "name": "attrs"}
            ctx.fn = lambda t: t * n
            return x * n

        @staticmethod
        def backward(ctx, g):
            assert ctx.info == {"list": [1, 2], "name": "attrs"}
            assert tuple(ctx.shape) == (2,)
            return ctx.fn(g), None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Attrs.apply(x, 4)
    assert y.grad_fn.n == 4
    close(grad(T, y.sum(), x)[0], [4, 4])


# --------------------------------------------------------------------------------------------------
# what backward returns
# --------------------------------------------------------------------------------------------------


def _returning(T, fn_of_g, n_args=1):
    """A Function of ``n_args`` arguments (the first a tensor) whose backward returns ``fn_of_g(g)``."""

    class Ret(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, *rest):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return fn_of_g(g)

    return Ret


@both()
def test_backward_none_grads_allowed(T):
    class Pick(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0], requires_grad=True)
    ga, gb = grad(T, Pick.apply(a, b).sum(), [a, b], allow_unused=True)
    close(ga, [1])
    assert gb is None
    Pick.apply(a, b).sum().backward()
    close(a.grad, [1])
    assert b.grad is None


@both()
def test_backward_extra_trailing_nones_ignored(T):
    Ret = _returning(T, lambda g: (g * 2, None, None, None))
    x = T.tensor([1.0], requires_grad=True)
    close(grad(T, Ret.apply(x, 5).sum(), x)[0], [2])


@both()
def test_backward_single_tensor_for_single_input(T):
    Ret = _returning(T, lambda g: g * 2)
    x = T.tensor([1.0], requires_grad=True)
    close(grad(T, Ret.apply(x).sum(), x)[0], [2])


@both()
def test_backward_too_few_grads_raises(T):
    Ret = _returning(T, lambda g: (g * 2,))
    x = T.tensor([1.0], requires_grad=True)
    msg = r"function RetBackward returned an incorrect number of gradients \(expected 3, got 1\)"
    with pytest.raises(RuntimeError, match=msg):
        grad(T, Ret.apply(x, 1, 2).sum(), x)


@both()
def test_backward_too_many_non_none_grads_raises(T):
    Ret = _returning(T, lambda g: (g * 2, g))
    x = T.tensor([1.0], requires_grad=True)
    msg = r"returned an incorrect number of gradients \(expected 1, got 2\)"
    with pytest.raises(RuntimeError, match=msg):
        grad(T, Ret.apply(x).sum(), x)


@both()
def test_backward_wrong_shape_raises(T):
    class Wrong(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a.sum() + b.sum()

        @staticmethod
        def backward(ctx, g):
            return g.expand(2, 3), T.ones(3, 2)

    a = T.ones(2, 3, requires_grad=True)
    b = T.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        Wrong.apply(a, b).backward()
    msg = str(info.value)
    assert "WrongBackward" in msg
    assert "invalid gradient at index 1" in msg
    assert "got [3, 2] but expected shape compatible with [2, 3]" in msg


@both()
def test_backward_wrong_shape_index_counts_tensor_inputs(T):
    """The index in the message is the argument's position (non-tensor arguments included)."""

    class Wrong(T.autograd.Function):
        @staticmethod
        def forward(ctx, k, a):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return None, T.ones(5)

    a = T.ones(2, requires_grad=True)
    msg = r"invalid gradient at index \d - got \[5\] but expected shape compatible with \[2\]"
    with pytest.raises(RuntimeError, match=msg):
        Wrong.apply(3.0, a).sum().backward()
    same_as_torch(lambda T: _wrong_index_message(T))


def _wrong_index_message(T):
    class Wrong(T.autograd.Function):
        @staticmethod
        def forward(ctx, k, a):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return None, T.ones(5)

    a = T.ones(2, requires_grad=True)
    try:
        Wrong.apply(3.0, a).sum().backward()
    except RuntimeError as e:
        return str(e)
    return "no error"


@pytest.mark.parametrize("grad_shape", [(3,), (1, 3), (2, 1), ()])
@both()
def test_backward_smaller_broadcastable_grad_is_refused(T, grad_shape):
    """torch does not expand a smaller gradient: only shapes the input broadcasts to are accepted."""
    Ret = _returning(T, lambda g: T.ones(grad_shape))
    x = T.ones(2, 3, requires_grad=True)
    msg = (r"RetBackward returned an invalid gradient at index 0 - got \[.*\] but expected shape compatible "
           r"with \[2, 3\]")
    with pytest.raises(RuntimeError, match=msg):
        grad(T, Ret.apply(x).sum(), x)


@pytest.mark.parametrize("grad_shape,expected", [((4, 2, 3), 4.0), ((1, 2, 3), 1.0), ((5, 1, 2, 3), 5.0)])
@both()
def test_backward_bigger_broadcast_grad_is_summed(T, grad_shape, expected):
    Ret = _returning(T, lambda g: T.ones(grad_shape))
    x = T.ones(2, 3, requires_grad=True)
    (gx,) = grad(T, Ret.apply(x).sum(), x)
    assert tuple(gx.shape) == (2, 3)
    close(gx, np.full((2, 3), expected))


@both()
def test_backward_bigger_grad_summed_over_size_one_dims(T):
    Ret = _returning(T, lambda g: T.arange(6.0).reshape(2, 3))
    x = T.ones(1, 3, requires_grad=True)
    (gx,) = grad(T, Ret.apply(x).sum(), x)
    close(gx, [[3, 5, 7]])


@pytest.mark.parametrize("grad_dtype", ["float64", "float16", "int64", "int32", "bool"])
@both()
def test_backward_grad_dtype_cast_to_input_dtype(T, grad_dtype):
    Ret = _returning(T, lambda g: T.ones(2, dtype=getattr(T, grad_dtype)))
    x = T.ones(2, requires_grad=True)  # float32
    (gx,) = grad(T, Ret.apply(x).sum(), x)
    assert gx.dtype == T.float32
    close(gx, [1, 1])
    Ret.apply(x).sum().backward()
    assert x.grad.dtype == T.float32


@both()
def test_backward_float32_grad_cast_to_float64_input(T):
    Ret = _returning(T, lambda g: T.full((2,), 0.1))
    x = T.ones(2, dtype=T.float64, requires_grad=True)
    (gx,) = grad(T, Ret.apply(x).sum(), x)
    assert gx.dtype == T.float64
    close(gx, np.full(2, np.float32(0.1)))  # the float32 value, widened


@both()
def test_backward_grad_for_non_tensor_input_raises(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, g

    x = T.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                           "corresponding forward input was not a Variable"):
        grad(T, Bad.apply(x, 2.0).sum(), x)


@both()
def test_backward_grad_for_input_not_requiring_grad_is_dropped(T):
    class Add(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0])
    Add.apply(a, b).sum().backward()
    close(a.grad, [1])
    assert b.grad is None


@both()
def test_backward_returning_a_python_number_raises_runtime_error(T):
    Ret = _returning(T, lambda g: 3.0)
    x = T.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"expected Variable or None \(got float\)"):
        grad(T, Ret.apply(x).sum(), x)


@both()
def test_backward_returning_a_python_number_raises(T):
    Ret = _returning(T, lambda g: 3.0)
    x = T.ones(2, requires_grad=True)
    with pytest.raises((RuntimeError, TypeError), match="float"):
        grad(T, Ret.apply(x).sum(), x)


# --------------------------------------------------------------------------------------------------
# higher order: create_graph, once_differentiable
# --------------------------------------------------------------------------------------------------


def _my_cube(T):
    """The seed's MyCube: returns an intermediate as an output so that double backward works."""

    class MyCube(T.autograd.Function):
        @staticmethod
        def forward(x):
            dx = 3 * x ** 2
            result = x ** 3
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            _result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    return MyCube


@both()
def test_my_cube_double_backward(T):
    MyCube = _my_cube(T)
    x = T.tensor([0.5, -1.0, 2.0], dtype=T.double, requires_grad=True)
    y, _dx = MyCube.apply(x)
    close(y, [0.125, -1, 8])
    (g,) = grad(T, y.sum(), x, create_graph=True)
    close(g, [0.75, 3, 12])
    assert g.requires_grad
    (gg,) = grad(T, g.sum(), x)
    close(gg, [3, -6, 12])


@both()
def test_my_cube_gradcheck(T):
    MyCube = _my_cube(T)

    def cube(x):
        return MyCube.apply(x)[0]

    x = T.tensor([0.5, -1.0, 2.0], dtype=T.double, requires_grad=True)
    assert T.autograd.gradcheck(cube, (x,))
    assert T.autograd.gradgradcheck(cube, (x,))


@both()
def test_backward_grad_mode_follows_create_graph(T):
    seen = []

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            seen.append(T.is_grad_enabled())
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 3.0], requires_grad=True)
    (g,) = grad(T, Square.apply(x).sum(), x, create_graph=True)
    close(g, [2, 6])
    assert g.requires_grad
    (gg,) = grad(T, g.sum(), x)
    close(gg, [2, 2])
    (g2,) = grad(T, Square.apply(x).sum(), x)
    assert not g2.requires_grad
    Square.apply(x).sum().backward()
    assert not x.grad.requires_grad
    assert seen == [True, False, False]


@both()
def test_double_backward_through_backward_calling_a_function(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return Square.apply(x) * 0 + 2 * x * g  # a Function recorded inside backward

    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * Square.apply(x) * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(T, Cube.apply(x).sum(), x, create_graph=True)
    close(g, [3, 12])
    assert type(g.grad_fn).__name__ == "MulBackward0"
    (gg,) = grad(T, g.sum(), x, create_graph=True)
    close(gg, [6, 12])
    (ggg,) = grad(T, gg.sum(), x)
    close(ggg, [6, 6])


@both()
def test_once_differentiable(T):
    from_fn = T.autograd.function.once_differentiable
    seen = []

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @from_fn
        def backward(ctx, g):
            seen.append(T.is_grad_enabled())
            (x,) = ctx.saved_tensors
            out = 2 * x * g
            seen.append(out.requires_grad)
            return out

    x = T.tensor([1.0, 3.0], requires_grad=True)
    (g,) = grad(T, Square.apply(x).sum(), x)
    close(g, [2, 6])
    # the gradient reaching backward must itself require grad for the second order to matter
    y = (Square.apply(x) * x).sum()  # x^3: the grad into Square is x
    (g,) = grad(T, y, x, create_graph=True)
    close(g, [3, 27])
    assert seen == [False, False, False, False]
    assert g.requires_grad
    # autograd.grad(g.sum(), x) does not raise: the error node lies on no path to x; backward runs it
    (gg,) = grad(T, g.sum(), x, retain_graph=True)
    close(gg, [2, 6])  # only the x**2 term's derivative: d/dx of the once_differentiable part is lost
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


@both()
def test_once_differentiable_multiple_grads(T):
    once = T.autograd.function.once_differentiable

    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        @once
        def backward(ctx, g):
            _x, y = ctx.saved_tensors
            return g * y, None

    x = T.tensor([2.0], requires_grad=True)
    y = T.tensor([5.0], requires_grad=True)
    out = Mul.apply(x, y)
    gx, gy = grad(T, (out * out).sum(), [x, y], create_graph=True, allow_unused=True)
    close(gx, [100])  # 2 * out * y
    assert gy is None
    assert gx.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        gx.backward()


@both()
def test_once_differentiable_with_create_graph_and_no_grad_path(T):
    """create_graph over an output whose incoming grad does not require grad: no error later."""
    once = T.autograd.function.once_differentiable

    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @once
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad(T, Double.apply(x).sum(), x, create_graph=True)
    close(g, [2, 2])
    assert not g.requires_grad


# --------------------------------------------------------------------------------------------------
# composition: nesting, no_grad, several outputs, reuse, retain_graph
# --------------------------------------------------------------------------------------------------


@both()
def test_nested_functions(T):
    seen = {}

    class Inner(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            seen["inner"] = True
            return g * 3

    class Outer(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = Inner.apply(x)
            seen["inner_requires_grad"] = y.requires_grad
            seen["inner_grad_fn"] = y.grad_fn
            return y + 1

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Outer.apply(x)
    close(y, [4, 7])
    assert seen == {"inner_requires_grad": False, "inner_grad_fn": None}
    assert type(y.grad_fn).__name__ == "OuterBackward"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    y.sum().backward()
    close(x.grad, [3, 3])
    assert "inner" not in seen


@both()
def test_function_inside_no_grad_records_nothing(T):
    seen = {}

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x, (x > 0).long()

        @staticmethod
        def backward(ctx, g, _):
            seen["called"] = True
            return g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    with T.no_grad():
        y, m = Square.apply(x)
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert not m.requires_grad
    close(y, [1, 4])
    with T.set_grad_enabled(False):
        assert Square.apply(x)[0].grad_fn is None
    with T.enable_grad():
        assert Square.apply(x)[0].grad_fn is not None
    assert "called" not in seen


@both()
def test_function_under_inference_mode(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    with T.inference_mode():
        y = Double.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    close(y, [2])


@both()
def test_backward_calls_other_functions(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return Double.apply(g)

    class Sin(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return Double.apply(g * x.cos()) / 2

    x = T.tensor([0.0, 1.0], requires_grad=True)
    y = Double.apply(Sin.apply(x))
    (g,) = grad(T, y.sum(), x)
    close(g, 2 * np.cos([0.0, 1.0]))
    (g,) = grad(T, Double.apply(Sin.apply(x)).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = grad(T, g.sum(), x)
    close(gg, -2 * np.sin([0.0, 1.0]))


@both()
def test_several_outputs_grads_for_only_some(T):
    seen = []

    class Three(T.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x + y, x * y, x - y

        @staticmethod
        def backward(ctx, ga, gb, gc):
            seen.append(tuple(npy(t).tolist() for t in (ga, gb, gc)))
            x, y = ctx.xy
            return ga + gb * y + gc, ga + gb * x - gc

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.xy = tuple(t.detach() for t in inputs)

    x = T.tensor([2.0], requires_grad=True)
    y = T.tensor([5.0], requires_grad=True)
    a, b, c = Three.apply(x, y)
    gx, gy = grad(T, (b * 2).sum(), [x, y], retain_graph=True)
    close(gx, [10])
    close(gy, [4])
    gx, gy = grad(T, (a + c).sum(), [x, y])
    close(gx, [2])
    close(gy, [0])
    assert seen == [([0.0], [2.0], [0.0]), ([1.0], [0.0], [1.0])]


@both()
def test_function_used_twice_in_one_graph(T):
    calls = []

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(Square.apply(x)) + Square.apply(x)  # x^4 + x^2
    close(y, [2, 20])
    y.sum().backward()
    close(x.grad, [6, 36])
    assert len(calls) == 3


@both()
def test_same_output_used_twice_accumulates_before_backward(T):
    calls = []

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            calls.append(npy(g).tolist())
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([3.0], requires_grad=True)
    s = Square.apply(x)
    (s + s * 2).sum().backward()
    close(x.grad, [18])
    assert calls == [[3.0]]  # one call, with the summed gradient


@both()
def test_retain_graph_with_functions(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x).sum()
    y.backward(retain_graph=True)
    close(x.grad, [2, 4])
    y.backward(retain_graph=True)
    close(x.grad, [4, 8])
    y.backward()
    close(x.grad, [6, 12])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@both()
def test_function_without_saved_tensors_can_backward_twice(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0], requires_grad=True)
    y = Double.apply(x)
    y.backward()
    y.backward()
    close(x.grad, [4])


@both()
def test_function_on_views_and_non_contiguous_input(T):
    class Scale(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    base = T.arange(6.0).reshape(2, 3).requires_grad_()
    v = base.t()
    y = Scale.apply(v)
    close(y, [[0, 6], [2, 8], [4, 10]])
    (y * T.tensor([[1.0, 2.0]])).sum().backward()
    close(base.grad, [[2, 2, 2], [4, 4, 4]])


@both()
def test_function_output_then_inplace_op(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Double.apply(x)
    y.mul_(3)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    close(x.grad, [6, 6])


@both()
def test_scalar_output_backward(T):
    class SumSq(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x).sum()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert tuple(g.shape) == ()
            return 2 * x * g

    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = SumSq.apply(x)
    assert tuple(y.shape) == ()
    y.backward()
    close(x.grad, [2, 4, 6])


# --------------------------------------------------------------------------------------------------
# LinearFunction-style mm Functions vs torch, on random data
# --------------------------------------------------------------------------------------------------


def _linear_separate(T):
    class LinearFunction(T.autograd.Function):
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    return LinearFunction


def _linear_combined(T):
    class LinearFunction(T.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    return LinearFunction


_RNG = np.random.default_rng(1234)
_X = _RNG.standard_normal((5, 4))
_W = _RNG.standard_normal((3, 4))
_B = _RNG.standard_normal(3)
_G = _RNG.standard_normal((5, 3))


@pytest.mark.parametrize("make", [_linear_separate, _linear_combined], ids=["separate", "combined"])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (True, False, False)])
def test_linear_function_matches_torch(make, with_bias, dtype, needs):
    def scenario(T):
        dt = getattr(T, dtype)
        x = T.tensor(_X.tolist(), dtype=dt, requires_grad=needs[0])
        w = T.tensor(_W.tolist(), dtype=dt, requires_grad=needs[1])
        b = T.tensor(_B.tolist(), dtype=dt, requires_grad=needs[2]) if with_bias else None
        out = make(T).apply(x, w, b)
        g = T.tensor(_G.tolist(), dtype=dt)
        out.backward(g)
        return (out, x.grad if needs[0] else "no grad", w.grad if needs[1] else "no grad",
                (b.grad if needs[2] else "no grad") if with_bias else "no bias",
                type(out.grad_fn).__name__, out.requires_grad)

    same_as_torch(scenario)


@pytest.mark.parametrize("make", [_linear_separate, _linear_combined], ids=["separate", "combined"])
def test_linear_function_gradcheck(make):
    def scenario(T):
        x = T.tensor(_X.tolist(), dtype=T.float64, requires_grad=True)
        w = T.tensor(_W.tolist(), dtype=T.float64, requires_grad=True)
        b = T.tensor(_B.tolist(), dtype=T.float64, requires_grad=True)
        fn = make(T).apply
        return (T.autograd.gradcheck(fn, (x, w, b), eps=1e-6, atol=1e-4),
                T.autograd.gradcheck(lambda a, c: fn(a, c, None), (x, w), eps=1e-6, atol=1e-4))

    got, _ = same_as_torch(scenario)
    assert got == ("ok", (True, True))


def test_linear_function_in_a_training_step_matches_torch():
    """A few SGD steps through a Function-built two-layer net, compared with torch."""

    def scenario(T):
        Linear = _linear_combined(T)

        class ReLU(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * (x > 0).to(g.dtype)

        x = T.from_numpy(_X.copy())
        w1 = T.from_numpy(_W.copy()).requires_grad_()
        b1 = T.from_numpy(_B.copy()).requires_grad_()
        w2 = T.from_numpy(_W[:2, :3].copy()).requires_grad_()
        target = T.from_numpy(_G[:, :2].copy())
        losses = []
        for _ in range(5):
            out = Linear.apply(ReLU.apply(Linear.apply(x, w1, b1)), w2)
            loss = ((out - target) ** 2).mean()
            loss.backward()
            with T.no_grad():
                for p in (w1, b1, w2):
                    p -= 0.1 * p.grad
                    p.grad = None
            losses.append(loss.item())
        return losses, w1, b1, w2

    same_as_torch(scenario)


# --------------------------------------------------------------------------------------------------
# a few scenarios compared with torch as a whole (values, dtypes, versions)
# --------------------------------------------------------------------------------------------------


def _versions_scenario(T):
    class AddOne_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Ident(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    leaf = T.tensor([1.0, 2.0], requires_grad=True)
    a = leaf * 1
    versions = [a._version]
    AddOne_.apply(a)
    versions.append(a._version)
    AddOne_.apply(a)
    versions.append(a._version)
    b = Ident.apply(a)
    versions.append((a._version, b._version))
    a.mul_(2)
    versions.append((a._version, b._version))
    return versions, a, b


def test_versions_match_torch():
    same_as_torch(_versions_scenario)


def _mixed_dtypes_scenario(T):
    class Mixed(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, n):
            return a * 2, (b * 3).double(), n + 1

        @staticmethod
        def backward(ctx, ga, gb, gn):
            return ga * 2, gb * 3, None

    a = T.tensor([1.0, 2.0], dtype=T.float32, requires_grad=True)
    b = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    n = T.tensor([1, 2])
    x, y, z = Mixed.apply(a, b, n)
    (x.sum() + y.sum()).backward()
    return x, y, z, a.grad, b.grad, z.requires_grad, y.requires_grad


def test_mixed_dtypes_match_torch():
    same_as_torch(_mixed_dtypes_scenario)


# --------------------------------------------------------------------------------------------------
# more corners
# --------------------------------------------------------------------------------------------------


@both()
def test_same_tensor_returned_twice(T):
    seen = {}

    class Twice(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            return y, y

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g"] = (npy(g1).tolist(), npy(g2).tolist())
            return g1 * 2 + g2 * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, b = Twice.apply(x)
    assert a is b  # one object: it ends up as the last output
    close(grad(T, (a + 3 * b).sum(), x)[0], [8, 8])
    assert seen["g"] == ([0.0, 0.0], [4.0, 4.0])


@both()
def test_same_input_passed_twice(T):
    class Add(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, 2 * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Add.apply(x, x)
    assert y.grad_fn.next_functions[0] == y.grad_fn.next_functions[1]
    close(grad(T, y.sum(), x)[0], [3, 3])


@both()
def test_variadic_forward(T):
    class SumAll(T.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            out = xs[0] * 1
            for t in xs[1:]:
                out = out + t
            return out

        @staticmethod
        def backward(ctx, g):
            return tuple(g if n else None for n in ctx.needs_input_grad)

    a = T.tensor([1.0], requires_grad=True)
    b = T.tensor([2.0])
    c = T.tensor([3.0], requires_grad=True)
    y = SumAll.apply(a, b, c)
    close(y, [6])
    ga, gc = grad(T, y.sum(), [a, c])
    close(ga, [1])
    close(gc, [1])


@both()
def test_grad_fn_apply_calls_backward(T):
    class Add(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, 2 * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Add.apply(x, x)
    ga, gb = y.grad_fn.apply(T.ones(2))
    close(ga, [1, 1])
    close(gb, [2, 2])


@both()
def test_grad_fn_metadata_is_a_dict(T):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Double.apply(T.ones(1, requires_grad=True))
    assert y.grad_fn.metadata == {}
    y.grad_fn.metadata["k"] = 1
    assert y.grad_fn.metadata == {"k": 1}


@both()
def test_returned_input_not_requiring_grad_gets_the_node(T):
    class Second(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return b

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.ones(2)
    y = Second.apply(x, w)
    assert y is not w and not w.requires_grad
    assert y.requires_grad and type(y.grad_fn).__name__ == "SecondBackward"
    close(grad(T, y.sum(), x)[0], [1, 1])


@both()
def test_new_tensor_output_requires_grad(T):
    class New(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return T.ones(3)

        @staticmethod
        def backward(ctx, g):
            return None

    x = T.tensor([1.0], requires_grad=True)
    y = New.apply(x)
    assert y.requires_grad and type(y.grad_fn).__name__ == "NewBackward"
    (gx,) = grad(T, y.sum(), x, allow_unused=True)
    assert gx is None


@both()
def test_no_tensor_arguments(T):
    class Twice(T.autograd.Function):
        @staticmethod
        def forward(ctx, k):
            return k * 2

        @staticmethod
        def backward(ctx, g):
            return None

    assert Twice.apply(3) == 6
    assert Twice.apply("ab") == "abab"


@both()
def test_mark_dirty_and_save_the_dirty_tensor(T):
    seen = {}

    class MulTwo_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            seen["saved"] = npy(x).tolist()
            seen["saved_grad_fn"] = type(x.grad_fn).__name__
            return g * 2

    leaf = T.tensor([1.0, 2.0], requires_grad=True)
    a = leaf * 1
    MulTwo_.apply(a).sum().backward()
    close(leaf.grad, [2, 2])
    assert seen == {"saved": [2.0, 4.0], "saved_grad_fn": "MulTwo_Backward"}


@both()
def test_view_of_input_returned(T):
    class First(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view(-1)[:1]

        @staticmethod
        def backward(ctx, g):
            return g.expand(2) * T.tensor([1.0, 0.0])

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = First.apply(x)
    assert y.grad_fn is not None and y._version == 0
    close(grad(T, y.sum(), x)[0], [1, 0])


@both()
def test_exception_in_backward_propagates_and_grad_mode_restored(T):
    class Boom(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    x = T.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="boom in backward"):
        Boom.apply(x).sum().backward()
    assert T.is_grad_enabled()
    with pytest.raises(ValueError, match="boom in backward"):
        grad(T, Boom.apply(x).sum(), x, create_graph=True)
    assert T.is_grad_enabled()


@both()
def test_save_for_backward_twice_last_call_wins(T):
    class SaveTwice(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_backward(x * 3)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * s

    x = T.tensor([1.0, 2.0], requires_grad=True)
    close(grad(T, SaveTwice.apply(x).sum(), x)[0], [3, 6])


@both()
def test_all_outputs_non_differentiable(T):
    class Mask(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_non_differentiable(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g

    x = T.tensor([1.0], requires_grad=True)
    y = Mask.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        y.sum().backward()


@both()
def test_backward_returning_a_list_counts_as_one_gradient(T):
    class RetList(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return [g, g]

    x = T.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        grad(T, RetList.apply(x, x).sum(), x)


@both()
def test_forward_returning_a_list_is_not_unpacked(T):
    class RetList(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return [x * 1, x * 2]

        @staticmethod
        def backward(ctx, g):
            return g

    x = T.tensor([1.0], requires_grad=True)
    out = RetList.apply(x)
    assert isinstance(out, list)
    assert [t.requires_grad for t in out] == [False, False]


@both()
def test_mark_dirty_on_a_view_rebases_the_base(T):
    class MulTwo_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    leaf = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = leaf * 1
    v = base[0:2]
    y = MulTwo_.apply(v)
    assert y is v
    close(base, [2, 4, 3])
    assert type(base.grad_fn).__name__ == "CopySlices"
    close(grad(T, base.sum(), leaf)[0], [2, 2, 1])


@both()
def test_mark_dirty_on_a_view_with_two_outputs_raises(T):
    class MulTwo_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x, x * 3

        @staticmethod
        def backward(ctx, g, g2):
            return g * 2 + g2 * 6

    leaf = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = (leaf * 1)[0:2]
    with pytest.raises(RuntimeError, match="modifies inplace an input that is a view of another Tensor"):
        MulTwo_.apply(v)


@both()
def test_once_differentiable_error_node_name(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = T.tensor([1.0, 2.0], requires_grad=True)
    c = T.tensor([3.0, 4.0], requires_grad=True)
    (g,) = grad(T, (Square.apply(x) * c).sum(), x, create_graph=True)
    close(g, [6, 16])
    assert type(g.grad_fn).__name__ == "Error"
    assert g.grad_fn.name() == "torch::autograd::Error"
    assert "grad_fn=<Error>" in repr(g)


@both()
def test_saved_tensors_inside_forward_is_empty(T):
    seen = {}

    class Probe(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            seen["saved"] = ctx.saved_tensors
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(T.ones(1, requires_grad=True))
    assert seen["saved"] == ()


@both()
def test_in_place_change_of_a_view_made_inside_a_function_is_refused(T):
    class ViewOf(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.view(4)

        @staticmethod
        def backward(ctx, g):
            return g * 10

    class Same(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 10

    x = T.ones(4, requires_grad=True)
    for fn in (ViewOf, Same):
        y = fn.apply(x.clone())
        with pytest.raises(RuntimeError, match=f"Output 0 of {fn.__name__} is a view and is being modified inplace"):
            y.mul_(2)


# --------------------------------------------------------------------------------------------------
# a Function whose outputs receive no gradient still runs its backward
# --------------------------------------------------------------------------------------------------


@both()
@pytest.mark.parametrize("materialize", [True, False])
def test_backward_runs_when_no_gradient_arrives(T, materialize):
    seen = []

    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(None if g is None else npy(g).tolist())
            return None if g is None else g * 2

    class Cut(T.autograd.Function):  # passes no gradient back
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return None

    x = T.tensor([1.0, 2.0], requires_grad=True)
    Cut.apply(Double.apply(x)).sum().backward()
    assert seen == ([[0.0, 0.0]] if materialize else [None])
    if materialize:
        close(x.grad, [0, 0])
    else:
        assert x.grad is None


def test_ctx_will_backward_says_whether_the_call_is_recorded():
    seen = []

    class Probe(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(ctx.will_backward)
            if ctx.will_backward:
                ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(torchless.ones(2, requires_grad=True)).sum().backward()
    Probe.apply(torchless.ones(2))
    with torchless.no_grad():
        Probe.apply(torchless.ones(2, requires_grad=True))
    assert seen == [True, False, False]
    with pytest.raises(AttributeError):
        Probe._backward_cls().will_backward = True
