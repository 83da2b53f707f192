"""Forward-mode AD: tangents carried beside tensors and pushed through each op as it runs.

Inside ``dual_level()``, ``make_dual(x, t)`` gives a tensor that carries the tangent ``t``; every op
applied to dual tensors gives an output carrying ``J t`` (its Jacobian-vector product), and
``unpack_dual(y)`` reads it back. No op needs a forward rule of its own: an op's backward rule
``u -> J^T u`` is linear in ``u`` and written in torchless ops, so ``J t = d/du <J^T u, t>`` is
one more reverse pass over that rule (the "double vjp"). It is written in torchless ops too, so
tangents can be differentiated by reverse mode (reverse-over-forward).

When no dual level is active an op pays one ``is None`` check (the recording state, recording.py).
"""

from __future__ import annotations

import weakref
from collections import namedtuple

from .. import _grad_mode
from .._tensor import Tensor
from . import recording
from .graph import Node, _init_node

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level", "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Levels:
    """The dual levels entered (innermost last), each with the tensors that got a tangent at it."""

    def __init__(self, stack):
        self.stack = stack


def _levels() -> list:
    state = recording.get("dual")
    return state.stack if state is not None else []


def enter_dual_level() -> int:
    """Open a new dual level and return its number (one at a time, as torch allows)."""
    stack = list(_levels())
    if stack:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    level = len(stack)
    stack.append(weakref.WeakSet())
    recording.update(dual=_Levels(stack))
    return level


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost dual level: the tangents made at it are dropped."""
    stack = list(_levels())
    if not stack or (level is not None and level != len(stack) - 1):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This "
                           "is not supported.")
    for t in list(stack.pop()):
        tangents = _tangents(t)
        if tangents is not None:
            tangents.pop(len(stack), None)
    recording.update(dual=_Levels(stack) if stack else None)


class dual_level:
    """A context in which tensors may carry tangents (``make_dual``).

    >>> import torchless as torch
    >>> import torchless.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(torch.tensor([1., 2.]), torch.tensor([1., 0.]))
    ...     fwAD.unpack_dual((x * x).sum()).tangent
    tensor(2.)
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _tangents(t):
    extra = t._extra
    return extra.get("tangents") if extra is not None else None


def _current(level):
    stack = _levels()
    if not stack:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    return len(stack) - 1 if level is None else level


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` at the dual level (the innermost by default)."""
    level = _current(level)
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual expects Tensors for both the primal and the tangent")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if tangent._data.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    token = recording._recording.set(None)  # (the alias itself is not an op on dual values)
    try:
        out = tensor.view_as(tensor)
    finally:
        recording._recording.reset(token)
    _set_tangent(out, tangent.to(tensor.dtype) if tangent.dtype != tensor.dtype else tangent, level)
    return out


def _set_tangent(t: Tensor, tangent: Tensor, level: int) -> None:
    extra = t._extra
    if extra is None:
        extra = t._extra = {}
    tangents = extra.setdefault("tangents", {})
    tangents[level] = tangent
    _levels()[level].add(t)
    node = t.grad_fn
    if node is not None and node._out.__class__ is tuple and node._out and node._out[0] is t._data:
        # a rule that reads this output (node.out) sees its tangents too
        if node._hooks is None:
            node._hooks = {}
        node._hooks["tangents"] = tangents


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: a view of ``tensor`` without tangents, and its tangent (or None)."""
    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    stack = _levels()
    if not stack:
        return UnpackedDualTensor(tensor, None)
    level = len(stack) - 1 if level is None else level
    tangents = _tangents(tensor)
    token = recording._recording.set(None)
    try:
        primal = tensor.view_as(tensor)
    finally:
        recording._recording.reset(token)
    return UnpackedDualTensor(primal, tangents.get(level) if tangents else None)


# ---- pushing tangents through an op -----------------------------------------------------------------
class _Sink(Node):
    """Where the stand-in node's edges lead: a rule that reads the op's output records it as a
    tensor of that node, so its edges must be real (they are never run: nothing there leads to u)."""

    __slots__ = ()

    def __init__(self):
        _init_node(self, (), (), None, None)


_SINK = _Sink()

def on_op(cls, operands: tuple, params: tuple, out) -> None:
    """Called for every op while the recording state is on: give ``out`` the tangent ``J t`` at
    each dual level where an operand carries one."""
    stack = _levels()
    if not stack or not isinstance(out, Tensor):
        return
    for level in range(len(stack)):
        tangents = [(_tangents(op) or {}).get(level) if isinstance(op, Tensor) else None for op in operands]
        if any(t is not None for t in tangents):
            _set_tangent(out, _jvp(cls, operands, params, out, tangents), level)


def _jvp(cls, operands, params, out, tangents):
    """``J t`` of one op by the double vjp: the gradient, with respect to a cotangent ``u``, of
    ``<J^T u, t>``, with ``J^T u`` the op's own backward rule."""
    from .. import zeros_like
    from .api import grad

    token = recording._recording.set(None)  # (the rule's own ops carry no tangents)
    try:
        with _grad_mode.enable_grad():
            node = cls()
            # edges: the operand's own where it requires grad (a rule that reads the output then
            # differentiates back into the real graph: reverse-over-forward), else a sink
            node._next = tuple((op._edge() if op.requires_grad else _SINK if t is not None else None)
                               if isinstance(op, Tensor) else False for op, t in zip(operands, tangents))
            node._saved, node._versions, node._params, node._hooks = tuple(operands), None, params, None
            node._out = (out._data, [0], 0) if cls.save_output else None
            node.shapes = tuple(op._data.shape if isinstance(op, Tensor) else () for op in operands)
            u = zeros_like(out.detach()).requires_grad_()
            grads = node._apply([u])
            terms = [(g * t).sum() for g, t in zip(grads, tangents) if g is not None and t is not None]
            if not terms:
                return zeros_like(out.detach())
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            # (a graph for the tangent only where reverse mode may want it: reverse-over-forward)
            create = any(isinstance(op, Tensor) and op.requires_grad for op in operands) or any(
                t is not None and t.requires_grad for t in tangents)
            (jv,) = grad(total, u, allow_unused=True, create_graph=create)
    finally:
        recording._recording.reset(token)
    return zeros_like(out.detach()) if jv is None else jv


def has_tangents(values) -> bool:
    return any(isinstance(v, Tensor) and _tangents(v) for v in values)


def function_jvp(cls, ctx, args, result) -> None:
    """A custom Function's outputs' tangents, from its ``jvp`` static method."""
    from .function import Function
    if getattr(cls, "jvp", None) is getattr(Function, "jvp", None) or not hasattr(cls, "jvp"):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")
    level = len(_levels()) - 1
    tangents = [(_tangents(a) or {}).get(level) if isinstance(a, Tensor) else None for a in args]
    token = recording._recording.set(None)
    try:
        with _grad_mode.enable_grad():
            out_tangents = cls.jvp(_JvpContext(ctx), *tangents)
    finally:
        recording._recording.reset(token)
    outputs = result if isinstance(result, tuple) else (result,)
    out_tangents = out_tangents if isinstance(out_tangents, tuple) else (out_tangents,)
    non_diff = {id(t) for t in ctx._non_differentiable}
    for out, tangent in zip(outputs, out_tangents):
        if isinstance(out, Tensor) and tangent is not None and id(out) not in non_diff:
            _set_tangent(out, tangent, level)


class _JvpContext:
    """The ctx a ``jvp`` static method sees: the Function's ctx, whose ``saved_tensors`` are
    those given to ``save_for_forward``."""

    def __init__(self, ctx):
        object.__setattr__(self, "_ctx", ctx)

    @property
    def saved_tensors(self):
        return tuple(getattr(self._ctx, "saved_for_forward", ()))

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def __setattr__(self, name, value):
        setattr(self._ctx, name, value)
