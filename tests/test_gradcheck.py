"""torchless.autograd.gradcheck / gradgradcheck: they pass correct gradients, catch wrong ones,
explain failures briefly, and agree with torch.autograd on the same functions."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

import torchless
from torchless.autograd import GradcheckError, gradcheck, gradgradcheck


# ---- helpers -----------------------------------------------------------------------------------
def arr(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def leaf(lib, a, requires_grad=True):
    """A float64 leaf of library ``lib`` (torchless or torch) holding the numbers of ``a``."""
    return lib.tensor(np.array(a), dtype=lib.float64, requires_grad=requires_grad)


def dbl(*shape, seed=0):
    return leaf(torchless, arr(*shape, seed=seed))


def functions(lib):
    """Custom Functions, right and deliberately wrong, written once for either library."""
    Function = lib.autograd.Function

    class LinearFunction(Function):  # the seed's section 2 (forward + setup_context)
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

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

    class ScaledWeightGrad(Function):  # grad of the weight off by a factor 2
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x.mm(w.t())

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g.mm(w), 2 * g.t().mm(x)

    class WrongSign(Function):  # d sin = -cos
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return -g * x.cos()

    class IgnoresInput(Function):  # x * y, but no gradient for y
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            _, y = ctx.saved_tensors
            return g * y, None

    class Cube(Function):  # right, and twice differentiable (backward uses differentiable ops)
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    class DetachedBackward(Function):  # first derivative right, but computed without a graph
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2

    class BadSquare(Function):  # x**2 with a backward off by a factor: used inside BadCube's backward
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x

    class BadCube(Function):  # backward right in value, its own derivative wrong
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * BadSquare.apply(x)

    class MyCube(Function):  # the seed's s4: returns an intermediate for double backward
        @staticmethod
        def forward(x):
            return x**3, 3 * x**2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0], output[1])

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    class Once(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp()

    class NotMultiplied(Function):  # right on one-hot grad_outputs, not zero on a zero one
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            if not bool(g.any()):
                return lib.ones_like(x)
            return 2 * g * x

    class TwoOutputsNoneUnsafe(Function):  # backward cannot take an undefined (None) grad
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    class TwoOutputsNoneSafe(Function):  # the same, handling None as zero
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            total = None
            for g, k in ((g1, 2), (g2, 3)):
                if g is not None:
                    total = g * k if total is None else total + g * k
            return total

    class OneOutputNoneUnsafe(Function):  # torch calls its backward with None when grads are undefined
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class HalfDetached(Function):  # x * y; the gradient of x comes back without a graph
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return (g * y).detach(), g * x

    class DetachedGradOutput(Function):  # x ** 3 with the grad_output detached in backward
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g.detach() * 3 * x**2

    calls = [0]

    class Noisy(Function):  # right up to 1e-9, but not the same twice
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls[0] += 1
            return g * (2 + 1e-9 * calls[0])

    return {k: v for k, v in locals().items() if isinstance(v, type)}


FN = functions(torchless)


# ---- correct functions pass --------------------------------------------------------------------
def test_elementwise_functions_pass():
    x = dbl(4, 3)
    assert gradcheck(torchless.sin, (x,))
    assert gradcheck(torchless.exp, x)  # a bare tensor is accepted as the inputs
    assert gradcheck(lambda t: (t * t.sin()).sum(0), [x])  # and a list


def test_mm_chain_with_several_inputs():
    a, b, c = dbl(3, 4, seed=1), dbl(4, 5, seed=2), dbl(5, 2, seed=3)
    assert gradcheck(lambda a, b, c: a.mm(b).tanh().mm(c), (a, b, c))
    assert gradgradcheck(lambda a, b, c: a.mm(b).tanh().mm(c), (a, b, c))


def test_several_outputs_and_non_tensor_arguments():
    x, y = dbl(3, seed=1), dbl(3, seed=2)

    def f(x, scale, y, mode):
        assert mode == "both" and scale == 0.5
        return x * y * scale, x.sin(), (y.exp() * scale).sum()

    assert gradcheck(f, (x, 0.5, y, "both"))
    assert gradgradcheck(f, (x, 0.5, y, "both"))


def test_inputs_that_do_not_require_grad_are_passed_through():
    x, c = dbl(3), leaf(torchless, arr(3, seed=5), requires_grad=False)
    assert gradcheck(lambda x, c: x * c.exp(), (x, c))


def test_outputs_that_are_not_differentiable_are_skipped():
    x = dbl(4)
    assert gradcheck(lambda t: (t.sin(), t.argmax()), (x,))  # an integer output
    assert gradcheck(lambda t: (t.sin(), t.detach() * 2), (x,))  # a float one without grad, as torch


def test_output_sharing_the_inputs_memory():
    x = dbl(3, 2)
    assert gradcheck(lambda t: t, (x,))
    assert gradcheck(lambda t: t.t(), (x,))


def test_unusual_inputs():
    empty = leaf(torchless, np.zeros((0, 3)))
    assert gradcheck(torchless.sin, (empty,)) and gradgradcheck(torchless.sin, (empty,))
    base = dbl(3, 4)
    assert gradcheck(lambda t: (t * t).sum(1), (base.t(),))  # a non-contiguous view, written through
    x = dbl(3)
    assert gradcheck(lambda a, b: a * b.exp(), (x, x))  # the same tensor twice
    assert gradgradcheck(lambda a, b: a * b.exp(), (x, x))


def test_custom_linear_function_from_the_seed():
    x, w, b = dbl(5, 4, seed=1), dbl(3, 4, seed=2), dbl(3, seed=3)
    assert gradcheck(FN["LinearFunction"].apply, (x, w, b), eps=1e-6, atol=1e-4)
    assert gradcheck(FN["LinearFunction"].apply, (x, w, None))
    assert gradgradcheck(FN["LinearFunction"].apply, (x, w, b))


def test_seed_sized_check_is_fast():
    x, w = dbl(20, 20, seed=1), dbl(30, 20, seed=2)
    start = time.perf_counter()
    assert gradcheck(FN["LinearFunction"].apply, (x, w, None), eps=1e-6, atol=1e-4)
    assert time.perf_counter() - start < 10  # ~0.1 s here; a generous bound for slow machines


def test_double_backward_through_custom_functions():
    x = leaf(torchless, [0.5, -1.0, 2.0])
    assert gradcheck(lambda t: FN["MyCube"].apply(t)[0], (x,))
    assert gradgradcheck(lambda t: FN["MyCube"].apply(t)[0], (x,))
    assert gradgradcheck(FN["Cube"].apply, (x,))


def test_undefined_output_grads_handled_as_none():
    assert gradcheck(FN["TwoOutputsNoneSafe"].apply, (dbl(3),))


def test_inputs_are_restored():
    x = dbl(4, 3)
    before = x.detach().clone()
    with pytest.raises(GradcheckError):
        gradcheck(FN["WrongSign"].apply, (x,))
    calls = [0]

    def explodes(t):
        calls[0] += 1
        if calls[0] == 5:
            raise ValueError("boom")
        return t * 2

    with pytest.raises(ValueError, match="boom"):
        gradcheck(explodes, (x,))
    assert torchless.equal(x.detach(), before) and x.grad is None


def test_global_random_state_is_left_alone():
    x = dbl(3)
    torchless.manual_seed(7)
    want = torchless.randn(5)
    torchless.manual_seed(7)
    assert gradgradcheck(torchless.sin, (x,))
    assert torchless.equal(torchless.randn(5), want)


def test_fast_mode_passes_correct_functions():
    x, w, b = dbl(6, 4, seed=1), dbl(3, 4, seed=2), dbl(3, seed=3)
    assert gradcheck(FN["LinearFunction"].apply, (x, w, b), fast_mode=True)
    assert gradgradcheck(FN["LinearFunction"].apply, (x, w, b), fast_mode=True)
    assert gradcheck(lambda t: (t.sin(), t.argmax()), (x,), fast_mode=True)


def test_options_that_are_supported():
    x = dbl(3, 2)
    assert gradcheck(
        torchless.sin, (x,), check_grad_dtypes=True, nondet_tol=1e-12, check_undefined_grad=False
    )
    assert gradgradcheck(lambda t: t**3, (x,), gen_non_contig_grad_outputs=True)
    go = leaf(torchless, arr(3, 2, seed=9))
    assert gradgradcheck(lambda t: t**3, (x,), (go,))
    assert gradgradcheck(lambda t: t**3, (x,), go.detach())  # a fixed grad_output is not checked


# ---- wrong gradients are caught ----------------------------------------------------------------
WRONG = [
    ("ScaledWeightGrad", lambda: (dbl(4, 3, seed=1), dbl(5, 3, seed=2))),
    ("WrongSign", lambda: (dbl(4, 3),)),
    ("IgnoresInput", lambda: (dbl(4, seed=1), dbl(4, seed=2))),
]


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("name, make_inputs", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_backward_is_caught(name, make_inputs, fast_mode):
    fn, inputs = FN[name].apply, make_inputs()
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input"):
        gradcheck(fn, inputs, fast_mode=fast_mode)
    assert gradcheck(fn, inputs, fast_mode=fast_mode, raise_exception=False) is False


def test_gradgradcheck_checks_the_backward_against_itself_only():
    # -g cos x is a wrong first derivative but a consistent function of (x, g): as in torch,
    # gradgradcheck passes it; gradcheck is what catches it
    x = dbl(4, 3)
    assert gradgradcheck(FN["WrongSign"].apply, (x,))


@pytest.mark.parametrize("name", ["DetachedBackward", "BadCube"])
@pytest.mark.parametrize("fast_mode", [False, True])
def test_wrong_double_backward_is_caught(name, fast_mode):
    x = dbl(5, seed=4)
    assert gradcheck(FN[name].apply, (x,), fast_mode=fast_mode)  # first derivatives are right
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradgradcheck(FN[name].apply, (x,), fast_mode=fast_mode)
    assert gradgradcheck(FN[name].apply, (x,), fast_mode=fast_mode, raise_exception=False) is False


def test_detached_gradient_beside_a_differentiable_one_is_caught():
    # the gradient of x comes back without a graph, the one of y with one: torch skips the first
    x, y = dbl(3, seed=1), dbl(3, seed=2)
    assert gradcheck(FN["HalfDetached"].apply, (x, y))
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(FN["HalfDetached"].apply, (x, y))
    msg = str(info.value)
    assert msg.startswith(
        "Numerical gradient for function expected to be zero, for output 0 with respect to input 1,"
    )
    assert "output 0: the first-order gradient with respect to inputs[0], which does not require grad" in msg
    assert "it has no graph" in msg


def test_torch_misses_the_detached_gradient_beside_a_differentiable_one():
    torch_ref = pytest.importorskip("torch")
    x, y = leaf(torch_ref, arr(3, seed=1)), leaf(torch_ref, arr(3, seed=2))
    assert torch_ref.autograd.gradgradcheck(functions(torch_ref)["HalfDetached"].apply, (x, y))


def test_no_differentiable_output_must_not_depend_on_the_inputs():
    x = dbl(3)
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda t: t.detach() * 2, (x,))
    assert gradcheck(lambda t: torchless.zeros(3, dtype=torchless.float64), (x,))


def test_backward_not_multiplied_by_grad_output():
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(FN["NotMultiplied"].apply, (dbl(3),))


def test_backward_that_cannot_take_undefined_grads():
    x = dbl(3)
    for name in ("OneOutputNoneUnsafe", "TwoOutputsNoneUnsafe"):
        with pytest.raises(TypeError):  # None * 2, inside the Function's backward (torch: the same)
            gradcheck(FN[name].apply, (x,))
    assert gradcheck(FN["OneOutputNoneUnsafe"].apply, (x,), check_undefined_grad=False)
    # two outputs: the analytical Jacobian of one output already leaves the other's grad undefined
    with pytest.raises(TypeError):
        gradcheck(FN["TwoOutputsNoneUnsafe"].apply, (x,), check_undefined_grad=False)
    # through built-in ops too: the undefined gradient reaches the Function as None
    with pytest.raises(TypeError):
        gradcheck(lambda t: FN["OneOutputNoneUnsafe"].apply(t).sin() * 2, (x,))


def test_backward_that_raises_on_undefined_grads():
    class Strict(torchless.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if g is None:
                raise RuntimeError("no gradient")
            return g * 2

    with pytest.raises(GradcheckError, match="Expected backward function to handle undefined output grads"):
        gradcheck(Strict.apply, (dbl(3),))
    assert gradcheck(Strict.apply, (dbl(3),), raise_exception=False) is False


def test_nondeterministic_backward():
    x = dbl(3)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(FN["Noisy"].apply, (x,))
    assert gradcheck(FN["Noisy"].apply, (x,), nondet_tol=1e-6)


def test_once_differentiable_fails_gradgradcheck():
    # as in torch, its gradient has no path back to the inputs: the second derivative looks zero
    x = dbl(3)
    assert gradcheck(FN["Once"].apply, (x,))
    with pytest.raises(GradcheckError, match="analytical Jacobian is all zero"):
        gradgradcheck(FN["Once"].apply, (x,))


# ---- the failure message -----------------------------------------------------------------------
def test_message_names_output_input_worst_entry_and_counts():
    x, w = dbl(20, 20, seed=1), dbl(30, 20, seed=2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(FN["ScaledWeightGrad"].apply, (x, w))
    msg = str(info.value)
    lines = msg.splitlines()
    assert lines[0] == "Jacobian mismatch for output 0 with respect to input 1,"
    assert lines[1] == "  output 0: func's output 0, shape [20, 30]"
    assert lines[2] == "  input 1: inputs[1], shape [30, 20]"
    # 30 x 20 weight, 20 x 30 output: each weight entry reaches 20 outputs
    assert f"12000 of {600 * 600} Jacobian entries disagree" in msg
    assert "worst: d output[" in msg and "/ d input[" in msg
    assert "analytical = 2 * numerical" in msg
    assert len(lines) <= 8 and max(map(len, lines)) <= 110 and len(msg) < 800  # no Jacobian dumps


def test_message_worst_entry_values():
    x = leaf(torchless, [[0.1, 0.2], [0.3, 1.5]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(FN["WrongSign"].apply, (x,))
    msg = str(info.value)
    # the largest |difference| is 2 cos(0.1) on the diagonal entry (0, 0)
    assert "4 of 16 Jacobian entries disagree" in msg
    assert "worst: d output[0, 0] / d input[0, 0]" in msg
    assert f"analytical {-np.cos(0.1):.6g} vs numerical {np.cos(0.1):.6g}" in msg
    assert "analytical = -1 * numerical" in msg


def test_message_for_a_zero_dimensional_tensor_and_an_ignored_input():
    x, y = leaf(torchless, 2.0), leaf(torchless, 3.0)
    with pytest.raises(GradcheckError) as info:
        gradcheck(FN["IgnoresInput"].apply, (x, y))
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 1,")
    assert "worst: d output / d input: analytical 0 vs numerical 2" in msg
    assert "analytical Jacobian is all zero" in msg


def test_message_input_numbering_skips_inputs_without_grad():
    c = leaf(torchless, arr(3), requires_grad=False)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda c, x: FN["WrongSign"].apply(x) * c, (c, dbl(3)))
    assert "input 0: inputs[1]" in str(info.value)  # torch counts inputs that require grad


def test_gradgradcheck_message_names_grad_outputs():
    x = dbl(4, seed=4)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(FN["BadCube"].apply, (x,))
    msg = str(info.value)
    assert "output 0: the first-order gradient with respect to inputs[0], shape [4]" in msg
    assert "input 0: inputs[0], shape [4]" in msg
    assert "analytical = 1.5 * numerical" in msg  # g * 3 * (3 x) differentiated, against the true 6 g x
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(FN["DetachedGradOutput"].apply, (x,))
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 1,")
    assert "input 1: grad_outputs[0], shape [4]" in msg


def test_fast_mode_message_has_the_slow_details():
    x = dbl(5, 4)
    with pytest.raises(GradcheckError) as info:
        gradcheck(FN["WrongSign"].apply, (x,), fast_mode=True)
    msg = str(info.value)
    assert "worst: d output[" in msg and "fast_mode compared v^T J u" in msg


# ---- warnings and refusals ---------------------------------------------------------------------
def test_float32_input_warns():
    x = torchless.tensor([0.5, 1.0], requires_grad=True)  # float32
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not double precision") as record:
        gradcheck(torchless.exp, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
    assert record[0].filename == __file__  # points at the caller's line
    with pytest.warns(UserWarning, match="unreliable in float32") as record:
        gradgradcheck(torchless.exp, (x,), atol=1e-1, rtol=1e-1, eps=1e-2)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(torchless.exp, (dbl(2),))  # float64: silent


def test_no_input_requiring_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(torchless.sin, (leaf(torchless, [1.0], requires_grad=False),))


def test_stride_zero_input_is_refused():
    x = dbl(1).expand(3)
    if x.stride() != (0,):
        pytest.skip("expand does not make a stride-0 view here")
    with pytest.raises(RuntimeError, match="stride 0"):
        gradcheck(torchless.sin, (x,))


@pytest.mark.parametrize(
    "kwargs, feature",
    [
        ({"check_batched_grad": True}, "check_batched_grad"),
        ({"check_forward_ad": True}, "check_forward_ad"),
        ({"check_forward_ad": True, "check_batched_forward_grad": True}, "check_batched_forward_grad"),
        ({"masked": True}, "masked"),
    ],
)
def test_gradcheck_refuses_unsupported_features(kwargs, feature):
    with pytest.raises(NotImplementedError, match=feature):
        gradcheck(torchless.sin, (dbl(2),), **kwargs)
    with pytest.raises(NotImplementedError):  # not a GradcheckError: raise_exception=False does not hide it
        gradcheck(torchless.sin, (dbl(2),), raise_exception=False, **kwargs)


@pytest.mark.parametrize(
    "kwargs, feature",
    [
        ({"check_batched_grad": True}, "check_batched_grad"),
        ({"check_fwd_over_rev": True}, "check_fwd_over_rev"),
        ({"masked": True}, "masked"),
    ],
)
def test_gradgradcheck_refuses_unsupported_features(kwargs, feature):
    with pytest.raises(NotImplementedError, match=feature):
        gradgradcheck(torchless.sin, (dbl(2),), **kwargs)


def test_invalid_flag_combinations_as_torch():
    x = dbl(2)
    with pytest.raises(AssertionError):
        gradcheck(torchless.sin, (x,), check_backward_ad=False)
    with pytest.raises(AssertionError):
        gradcheck(torchless.sin, (x,), check_batched_forward_grad=True)
    with pytest.raises(AssertionError):
        gradgradcheck(torchless.sin, (x,), check_rev_over_rev=False)


# ---- agreement with torch ----------------------------------------------------------------------
def _cases():
    """name -> (lib -> (function, inputs, gradcheck kwargs)); the same numbers for both libraries."""
    a, b, c = arr(4, 3, seed=1), arr(5, 3, seed=2), arr(5, seed=3)
    v = arr(6, seed=4, low=0.2, high=1.5)

    def with_fn(name, *arrays):
        return lambda lib: (functions(lib)[name].apply, tuple(leaf(lib, x) for x in arrays), {})

    def plain(fn, *arrays, **kw):
        return lambda lib: (lambda *args: fn(lib, *args), tuple(leaf(lib, x) for x in arrays), kw)

    return {
        "sin": plain(lambda lib, x: x.sin(), v),
        "exp_log": plain(lambda lib, x: x.exp() * x.log(), v),
        "mm_chain": plain(lambda lib, x, w: x.mm(w.t()).tanh().mm(w), a, b),
        "multi_output": plain(lambda lib, x, w: (x.mm(w.t()), x.sum(), (w * 2).relu()), a, b),
        "int_output": plain(lambda lib, x: (x.sin(), x.argmax()), v),
        "detached_output_beside": plain(lambda lib, x: (x.sin(), x.detach() * 2), v),
        "only_detached_output": plain(lambda lib, x: x.detach() * 2, v),
        "constant_output": plain(lambda lib, x: lib.zeros(2, dtype=lib.float64), v),
        "linear_function": with_fn("LinearFunction", a, b, c),
        "my_cube": lambda lib: (lambda t: functions(lib)["MyCube"].apply(t)[0], (leaf(lib, v),), {}),
        "scaled_weight_grad": with_fn("ScaledWeightGrad", a, b),
        "wrong_sign": with_fn("WrongSign", v),
        "ignores_input": with_fn("IgnoresInput", c, c * 2),
        "detached_backward": with_fn("DetachedBackward", v),
        "bad_cube": with_fn("BadCube", v),
        "cube": with_fn("Cube", v),
        "not_multiplied": with_fn("NotMultiplied", v),
        "none_safe": with_fn("TwoOutputsNoneSafe", v),
        "none_unsafe": with_fn("TwoOutputsNoneUnsafe", v),
        "one_output_none_unsafe": with_fn("OneOutputNoneUnsafe", v),
        "none_unsafe_through_builtins": plain(
            lambda lib, x: functions(lib)["OneOutputNoneUnsafe"].apply(x).sin() * 2, v
        ),
        "half_detached": with_fn("HalfDetached", c, c * 2),
        "detached_grad_output": with_fn("DetachedGradOutput", v),
        "none_unsafe_unchecked": lambda lib: (
            functions(lib)["TwoOutputsNoneUnsafe"].apply,
            (leaf(lib, v),),
            {"check_undefined_grad": False},
        ),
        "noisy": with_fn("Noisy", v),
        "noisy_tolerated": lambda lib: (functions(lib)["Noisy"].apply, (leaf(lib, v),), {"nondet_tol": 1e-6}),
        "once_differentiable": with_fn("Once", v),
        "loose_eps": plain(lambda lib, x: x.exp(), v, eps=1e-3, atol=1e-2),
    }


CASES = _cases()


def _outcome(lib, check, case, **extra):
    fn, inputs, kwargs = CASES[case](lib)
    kwargs = {**kwargs, **extra}
    try:
        return getattr(lib.autograd, check)(fn, inputs, raise_exception=False, **kwargs)
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return type(e).__name__


def test_agreement_covers_both_outcomes():
    outcomes = {_outcome(torchless, "gradcheck", case) for case in CASES}
    assert {True, False} <= outcomes


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_agrees_with_torch(case, check):
    torch_ref = pytest.importorskip("torch")
    if check == "gradgradcheck" and case == "noisy_tolerated":
        pytest.skip("1e-9 noise on the first derivative is far too much for a second derivative")
    if check == "gradgradcheck" and case in ("only_detached_output", "constant_output"):
        pytest.skip("no differentiable output: torch calls func with no arguments (args[:-0]) and fails")
    if check == "gradgradcheck" and case == "half_detached":
        pytest.skip("deliberately stricter than torch: see test_torch_misses_the_detached_gradient...")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _outcome(torch_ref, check, case)
        got = _outcome(torchless, check, case)
    assert got == want


@pytest.mark.parametrize(
    "case",
    [
        "sin",
        "mm_chain",
        "linear_function",
        "scaled_weight_grad",
        "wrong_sign",
        "ignores_input",
        "int_output",
        "only_detached_output",
    ],
)
def test_fast_mode_agrees_with_torch(case):
    torch_ref = pytest.importorskip("torch")
    assert _outcome(torchless, "gradcheck", case, fast_mode=True) == _outcome(
        torch_ref, "gradcheck", case, fast_mode=True
    )


def test_float32_warning_as_torch():
    torch_ref = pytest.importorskip("torch")
    for lib in (torchless, torch_ref):
        x = lib.tensor([0.5, 1.0], requires_grad=True)
        with pytest.warns(UserWarning, match="Input #0 requires gradient and is not"):
            lib.autograd.gradcheck(lib.exp, (x,), atol=1e-2, rtol=1e-2, eps=1e-3, raise_exception=False)
