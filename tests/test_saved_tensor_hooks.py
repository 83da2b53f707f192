"""torch.autograd.graph's saved-tensor hooks, differential against torch: pack/unpack calls (count,
order, what they see), nesting, custom Functions, save_on_cpu, disable_saved_tensors_hooks,
allow_mutation_on_saved_tensors."""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch

import torchless as tl


def _recording_hooks(log):
    """pack/unpack hooks that log what they see and pass the tensor through."""

    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, t.grad_fn.name() if t.grad_fn else None))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape)))
        return t

    return pack, unpack


# each: the forward to record under the hooks, from lib and two leaves a (2,) and b (2,)
FORWARDS = {
    "mul": lambda lib, a, b: a * b,
    "mul_const": lambda lib, a, b: a * lib.tensor([3.0, 4.0]),
    "mul_number": lambda lib, a, b: a * 2,
    "div": lambda lib, a, b: a / b,
    "div_const": lambda lib, a, b: lib.tensor([3.0, 4.0]) / a,
    "pow_number": lambda lib, a, b: a**2,
    "pow_tensor": lambda lib, a, b: a**b,
    "exp": lambda lib, a, b: a.exp(),
    "log": lambda lib, a, b: a.log(),
    "sin": lambda lib, a, b: a.sin(),
    "cos": lambda lib, a, b: a.cos(),
    "relu": lambda lib, a, b: a.relu(),
    "sqrt": lambda lib, a, b: a.sqrt(),
    "mm": lambda lib, a, b: a.view(1, 2) @ b.view(2, 1),
    "dot": lambda lib, a, b: a @ b,
    "add": lambda lib, a, b: a + b,
    "sum": lambda lib, a, b: a.sum(),
    "chain": lambda lib, a, b: ((a * b).sin() * a).exp(),
}


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_pack_and_unpack_calls(name):
    def f(lib):
        log = []
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(*_recording_hooks(log)):
            y = FORWARDS[name](lib, a, b)
        packed = sorted(log)  # (the order of two same-shaped operands is checked below)
        n = len(log)
        y.sum().backward()
        return packed, sorted(log[n:]), a.grad, b.grad

    same_as_torch(f)


@pytest.mark.parametrize("name", ["mul", "div", "pow_tensor", "mm"])
def test_pack_order_of_operands(name):
    def f(lib):
        seen = []
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t.detach().flatten()[0].item()) or t,
                                                    lambda t: t):
            FORWARDS[name](lib, a, b)
        return seen

    same_as_torch(f)


def test_hooks_change_what_backward_sees():
    def f(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 10, lambda t: t + 1):
            y = a * a
        y.sum().backward()
        return a.grad

    same_as_torch(f)


def test_pack_runs_without_grad_unpack_with_create_graph():
    def f(lib):
        log = []

        def pack(t):
            log.append(("p", lib.is_grad_enabled()))
            return t.sin()

        def unpack(t):
            log.append(("u", lib.is_grad_enabled()))
            return t

        a = lib.tensor([0.5, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a.exp()
            z = (y * a).sum()
        (g,) = lib.autograd.grad(z, a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        return log, g, gg

    same_as_torch(f)


def test_double_backward_through_unpacked_tensors():
    def f(lib):
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = (a.sin() * a).tanh()
        (g,) = lib.autograd.grad(y.sum(), a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        return g, gg

    same_as_torch(f)


def test_nested_hooks_innermost_applies():
    def f(lib):
        log = []
        G = lib.autograd.graph
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with G.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: t):
            y = a * a
            with G.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t):
                z = y.sin()
            w = z.cos()
        (w.sum()).backward()
        return log, a.grad

    same_as_torch(f)


def test_custom_function_save_for_backward():
    def f(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                o = x * w
                ctx.save_for_backward(x, o, w)
                return o

            @staticmethod
            def backward(ctx, g):
                _, o, w = ctx.saved_tensors
                return g * w + o * 0, None

        log = []
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(*_recording_hooks(log)):
            o = F.apply(a, lib.ones(2))
        n = len(log)
        for _ in range(2):
            assert len(o.grad_fn.saved_tensors) == 3
        m = len(log)
        o.sum().backward()
        return log[:n], m - n, len(log) - m, a.grad

    same_as_torch(f)


def test_saved_attribute_reads_unpack_and_freed_error():
    def f(lib):
        log = []
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(*_recording_hooks(log)):
            y = a.exp()
        r = y.grad_fn._saved_result
        same_node = r.grad_fn is y.grad_fn
        y.sum().backward()
        try:
            err = y.grad_fn._saved_result is None
        except RuntimeError as e:
            err = "backward through the graph a second time" in str(e)
        return log, r, same_node, err

    same_as_torch(f)


def test_unpack_must_return_a_tensor():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = a * a
        y.sum().backward()

    raises_like_torch(f, "unpack_hook expected to be a Tensor")


def test_pack_must_not_modify_its_input():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.ones(2)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t if t.requires_grad else t.add_(1), lambda t: t):
            a * c

    raises_like_torch(f, "pack hook is modifying its input in place")


def test_no_version_check_on_packed_tensors():
    # what pack kept is what backward reads: an in-place change afterwards is not an error
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            y = b * b
        with lib.no_grad():
            b.mul_(10)
        y.sum().backward()
        return a.grad

    same_as_torch(f)


def test_save_on_cpu():
    def f(lib):
        a = lib.tensor([0.5, 2.0, 3.0], requires_grad=True)
        with lib.autograd.graph.save_on_cpu(pin_memory=True):
            y = (a * a).sin().exp()
        y.sum().backward()
        return y, a.grad

    same_as_torch(f)


def test_disable_saved_tensors_hooks():
    def registering_inside(lib):
        g = lib.autograd.graph
        with g.disable_saved_tensors_hooks("no hooks here"), g.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    def saving_inside_outer_hooks(lib):
        g = lib.autograd.graph
        a = lib.ones(2, requires_grad=True)
        with g.saved_tensors_hooks(lambda t: t, lambda t: t), g.disable_saved_tensors_hooks("saving is off"):
            a * a

    def nested(lib):
        g = lib.autograd.graph
        out = []
        with g.disable_saved_tensors_hooks("outer"):
            for _ in range(2):
                try:
                    with g.disable_saved_tensors_hooks("inner"), g.saved_tensors_hooks(lambda t: t, lambda t: t):
                        pass
                except RuntimeError as e:
                    out.append(str(e))
            try:
                with g.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
            except RuntimeError as e:
                out.append(str(e))
        a = lib.ones(2, requires_grad=True)
        with g.saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again
            y = a * a
        y.sum().backward()
        out.append(a.grad)
        return out

    def ops_still_work_without_hooks(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.disable_saved_tensors_hooks("off"):
            (a * a).sum().backward()
        return a.grad

    raises_like_torch(registering_inside, "^no hooks here$")
    raises_like_torch(saving_inside_outer_hooks, "^saving is off$")
    same_as_torch(nested)
    same_as_torch(ops_still_work_without_hooks)


def test_allow_mutation_on_saved_tensors():
    def f(lib):
        g = lib.autograd.graph
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = []
        with g.allow_mutation_on_saved_tensors():
            b = a.clone()
            loss = (b**2).sum()
            b.sin_()
            loss.backward()
            out.append(a.grad.clone())
        a.grad = None
        with g.allow_mutation_on_saved_tensors():  # a write through indexing
            b = a.clone()
            loss = (b**2).sum()
            b[0] = 10.0
            loss.backward()
            out += [a.grad.clone(), b.detach()]
        a.grad = None
        with g.allow_mutation_on_saved_tensors():  # a view saved, its base changed
            b = a.clone()
            loss = b[:2].exp().sum()
            b.mul_(2)
            loss.backward()
            out += [a.grad.clone(), b.detach()]
        a.grad = None
        with g.allow_mutation_on_saved_tensors():  # changed under no_grad
            b = a.clone()
            loss = (b * b).sum()
            with lib.no_grad():
                b += 1
            loss.backward()
            out.append(a.grad.clone())
        return out

    same_as_torch(f)


def test_allow_mutation_errors():
    def nested(lib):
        g = lib.autograd.graph
        with g.allow_mutation_on_saved_tensors(), g.allow_mutation_on_saved_tensors():
            pass

    def backward_outside(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.allow_mutation_on_saved_tensors():
            b = a.clone()
            loss = (b**2).sum()
        loss.backward()

    raises_like_torch(nested, "cannot be nested")
    raises_like_torch(backward_outside, "outside of the 'allow_mutation_on_saved_tensors' context")


def test_outside_allow_mutation_the_version_check_stays():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        loss = (b**2).sum()
        b.sin_()
        loss.backward()

    raises_like_torch(f, "modified by an inplace operation")


def test_no_state_left_behind():
    from torchless.autograd import recording

    a = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t), tl.autograd.graph.disable_saved_tensors_hooks("x"):
        pass
    with tl.autograd.graph.allow_mutation_on_saved_tensors():
        (a * a).sum().backward()
    assert recording.current() is None
    y = a * a
    assert y.grad_fn._saved.__class__ is tuple  # packed only while hooks are on
