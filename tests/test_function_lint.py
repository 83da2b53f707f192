"""The Function linter: each code is raised by a Function that has the bug and not by its
corrected twin; nothing is checked outside lint_functions()."""

from __future__ import annotations

import warnings

import pytest

import torchless as torch
from torchless.autograd import FunctionLintWarning, lint_functions
from torchless.autograd.lint import CODES


def _codes(run) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lint_functions():
            run()
    return [str(w.message).split()[0] for w in caught if issubclass(w.category, FunctionLintWarning)]


def _x():
    return torch.tensor([1.0, 2.0], requires_grad=True)


def _function(forward, backward, setup=None):
    attrs = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    return type("Probe", (torch.autograd.Function,), attrs)


# each code: (buggy forward, buggy backward), (fixed forward, fixed backward), how to run it
def _ctx_attr(ctx, x):
    ctx.x = x
    return x * x


def _ctx_attr_fixed(ctx, x):
    ctx.save_for_backward(x)
    return x * x


def _identity(ctx, x):
    return x


def _identity_fixed(ctx, x):
    return x.clone()


def _save_twice(ctx, x):
    ctx.save_for_backward(x)
    ctx.save_for_backward(x * 2)
    return x * 3


def _save_once(ctx, x):
    ctx.save_for_backward(x, x * 2)
    return x * 3


def _double(ctx, x):
    return x * 2


def _argmax(ctx, x):
    return x * 2, x.argmax()


def _argmax_fixed(ctx, x):
    idx = x.argmax()
    ctx.mark_non_differentiable(idx)
    return x * 2, idx


def _two_grads(ctx, g):
    return g * 2, None


def _bad_shape(ctx, g):
    return (g * 2).double()  # (converted back by torch too, but a sign of a bug)


def _mutates(ctx, g):
    g.mul_(2)
    return g


def _good(ctx, g):
    return g * 2


def _good_pair(ctx, g, _):
    return g * 2


def _saved_backward(ctx, g):
    return g * 2


CASES = {
    "TL001": ((_ctx_attr, _saved_backward), (_ctx_attr_fixed, _saved_backward)),
    "TL002": ((_identity, _good), (_identity_fixed, _good)),
    "TL003": ((_save_twice, _good), (_save_once, _good)),
    "TL004": ((_double, _two_grads), (_double, _good)),
    "TL005": ((_double, _bad_shape), (_double, _good)),
    "TL006": ((_double, _mutates), (_double, _good)),
    "TL007": ((_argmax, _good_pair), (_argmax_fixed, _good_pair)),
}


def _run(forward, backward):
    def run():
        out = _function(forward, backward).apply(_x())
        out = out[0] if isinstance(out, tuple) else out
        (out * 1).sum().backward()
    return run


@pytest.mark.parametrize("code", list(CASES))
def test_each_code_is_raised_by_the_bug_and_not_by_the_fix(code):
    buggy, fixed = CASES[code]
    assert code in _codes(_run(*buggy))
    assert _codes(_run(*fixed)) == []


def test_every_code_is_documented_and_tested():
    assert set(CASES) == set(CODES)


def test_the_warning_names_the_function_and_its_line():
    with pytest.warns(FunctionLintWarning, match=r"TL001 Probe\.forward \(.*test_function_lint\.py:\d+\): tensor "
                                                  r"stored as ctx\.x .* It requires grad"), lint_functions():
        _run(_ctx_attr, _saved_backward)()


def test_nothing_is_checked_outside_lint_functions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(_ctx_attr, _saved_backward)()


def test_lint_functions_as_a_decorator():
    @lint_functions()
    def run():
        _run(_identity, _good)()

    with pytest.warns(FunctionLintWarning, match="TL002"):
        run()
