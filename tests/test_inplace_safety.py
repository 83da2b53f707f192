"""In-place changes against torch: what may be overwritten, what must refuse, and what each op saves.

- An op saves for backward exactly what torch's rule saves (its input, its result, or nothing), so
  an in-place change of something it did not save does not stop backward.
- torch refuses an in-place op whose operand partly overlaps the written memory (size-1 dims
  included) and one that writes through a broadcast view whose elements share memory; it allows
  writing into a view that only added sizes of 1.
- Inference tensors (made in ``inference_mode``) refuse in-place changes outside the mode and
  being saved for backward.
"""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch


@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "reciprocal", "relu", "exp2", "expm1", "rsqrt"])
def test_op_that_saves_its_result_survives_a_change_of_its_input(op):
    def run(lib):
        a = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        b = a * 1
        c = getattr(b, op)()
        b.mul_(3)  # b is not saved by the op: backward still runs
        c.sum().backward()
        return a.grad

    same_as_torch(run)


def test_op_that_saves_its_input_refuses_after_a_change_of_it():
    def run(lib):
        a = lib.tensor([0.5, 2.0], requires_grad=True)
        b = a * 1
        c = b.sin()
        b.mul_(3)
        c.sum().backward()

    raises_like_torch(run, "modified by an inplace operation")


@pytest.mark.parametrize("other", ["squeeze", "reshape0d", "view11"])
def test_operand_sharing_memory_with_other_sizes_of_one_is_refused(other):
    def run(lib):
        x = lib.tensor([[1.0]]) if other == "view11" else lib.tensor([1.0])
        y = {"squeeze": lambda: x.squeeze(), "reshape0d": lambda: x.reshape(()), "view11": lambda: x.view(1)}[other]()
        x.add_(y)

    raises_like_torch(run, "refer to a single memory location")


def test_operand_with_the_same_layout_is_allowed():
    same_as_torch(lambda lib: lib.tensor([[1.0]]).add_(lib.tensor([[1.0]]).view(1, 1)))

    def run(lib):
        x = lib.tensor([[2.0]])
        return x.add_(x.view(1, 1)), x.mul_(x)

    same_as_torch(run)


def test_write_into_an_expand_that_shares_no_memory():
    def run(lib):
        base = lib.tensor([3.0])
        v = base.expand(1)
        v *= v
        return v, base, v.stride()

    same_as_torch(run)


def test_write_into_a_broadcast_view_is_refused():
    def run(lib):
        v = lib.tensor([3.0]).expand(2)
        v *= 2

    raises_like_torch(run, "more than one element of the written-to tensor")


# ---- inference tensors ---------------------------------------------------------------------------
def _inference_tensor(lib):
    with lib.inference_mode():
        t = lib.ones(2) * 2
    return t


def test_tensors_made_in_inference_mode_are_inference_tensors():
    def run(lib):
        with lib.inference_mode():
            a = lib.ones(2)
            b = a * 2
            v = b[0]
        return a.is_inference(), b.is_inference(), v.is_inference(), lib.ones(2).is_inference()

    same_as_torch(run)


@pytest.mark.parametrize("how", ["method", "operator", "no_grad", "setitem"])
def test_inference_tensor_refuses_inplace_change_outside_the_mode(how):
    def run(lib):
        t = _inference_tensor(lib)
        if how == "method":
            t.add_(1)
        elif how == "operator":
            t += 1
        elif how == "no_grad":
            with lib.no_grad():
                t.mul_(2)
        else:
            t[0] = 5

    raises_like_torch(run, "Inplace update to inference tensor outside InferenceMode")


def test_inference_tensor_can_change_inside_the_mode():
    def run(lib):
        t = _inference_tensor(lib)
        with lib.inference_mode():
            t.add_(1)
        return t

    same_as_torch(run)


@pytest.mark.parametrize("op", ["mul", "div"])
def test_inference_tensor_cannot_be_saved_for_backward(op):
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        return getattr(p, op)(_inference_tensor(lib))

    raises_like_torch(run, "Inference tensors cannot be saved for backward")


@pytest.mark.parametrize("op", ["add", "cat", "where"])
def test_inference_tensor_in_an_op_that_does_not_save_it(op):
    def run(lib):
        p = lib.ones(2, requires_grad=True)
        t = _inference_tensor(lib)
        out = {"add": lambda: p + t, "cat": lambda: lib.cat([p, t]), "where": lambda: lib.where(t > 0, p, t)}[op]()
        out.sum().backward()
        return out, p.grad

    same_as_torch(run)


def test_numpy_of_a_tensor_that_requires_grad_under_no_grad():
    def run(lib):
        w = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            return lib.tensor(w.numpy() * 2)

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.ones(2, requires_grad=True).numpy(), "Use tensor.detach")
