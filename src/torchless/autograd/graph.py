"""Graph nodes: what an operation leaves behind so that backward can run it in reverse.

A Node holds its edges to the nodes of its inputs (``_next``: one edge per input, see
``make_edge``; None for an input that needs no gradient, False for a Python number), what it
saved for its derivative rule, and its hooks.
Built-in operations and user-defined Functions are both Nodes; the engine calls
``node._apply(grads)`` (one gradient per output of the node, None where none arrived) and
gets back one gradient per edge.
"""

from __future__ import annotations

import sys

_FREED = "freed"  # stands in for saved values that a backward without retain_graph released

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling backward."
)


def make_edge(node, output_nr: int):
    """The edge to output ``output_nr`` of ``node``: the node itself for output 0, the common
    case (no tuple to allocate, nor for the garbage collector to walk while the graph lives),
    else ``(node, output_nr)``."""
    return node if output_nr == 0 else (node, output_nr)


def edge_parts(edge) -> tuple:
    """``(node, output_nr)`` of an edge."""
    return edge if type(edge) is tuple else (edge, 0)


def edge_node(edge):
    """The node an edge leads to."""
    return edge if type(edge) is not tuple else edge[0]


class RemovableHandle:
    """Returned by the register_*hook methods; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self._key = object()  # unique, and the hook table keeps the order hooks were added in

    @property
    def id(self) -> int:
        return id(self._key)

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks: dict, fn) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle._key] = fn
    return handle


def version_mismatch(tensor, node_name: str, saved_version: int) -> RuntimeError:
    d = tensor._data
    kind = {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}.get(d.dtype.kind, "")
    kind = {"float64": "Double", "float16": "Half", "int32": "Int", "int16": "Short", "int8": "Char"}.get(
        d.dtype.name, kind
    )
    where = ""
    fn = tensor.grad_fn
    if fn is not None:
        where = f", which is output {tensor._output_nr} of {fn.name()},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{kind}Tensor {list(d.shape)}]{where} is at version {tensor._version}; "
        f"expected version {saved_version} instead. (It was saved by {node_name}; do the in-place "
        "operation on a clone, or after backward.)"
    )


class Node:
    """A step of the recorded graph. Subclasses say how gradients flow through it."""

    __slots__ = ("_next", "_saved", "_versions", "_params", "_out", "_hooks", "__weakref__")
    n_outputs = 1
    # whether the node runs when no gradient arrived at any output (a custom Function's
    # backward does, with zeros; a built-in rule's inputs then get nothing)
    runs_without_grads = False

    # ---- what the engine calls -----------------------------------------------------------
    def _apply(self, grads: list):
        """Gradients for the inputs (one per edge), given gradients for the outputs."""
        return self.backward(grads[0])

    def _release(self) -> None:
        """Drop what was saved for backward (called after a backward without retain_graph)."""
        if self._saved:
            self._saved = _FREED
        if self._out is not None:
            self._out = _FREED
        if self._hooks is not None and "strict" in self._hooks:  # (write-locked by strict mode)
            from .strict import release

            release(self)

    # ---- for derivative rules ------------------------------------------------------------
    @property
    def saved(self) -> tuple:
        """The saved operands, checked against in-place changes since they were saved."""
        saved = self._saved
        if saved.__class__ is not tuple:  # freed, or packed by saved-tensor hooks (saved_hooks.py)
            if saved is _FREED:
                raise RuntimeError(FREED_MESSAGE)
            return saved.unpack(self)
        versions = self._versions
        if versions is not None:
            for t, v in zip(saved, versions):
                if v is not None:
                    vc = t._vc  # (t._version, without the property call: this runs for every rule)
                    if (vc[0] if vc else 0) != v:
                        raise version_mismatch(t, self.name(), v)
        return saved

    @property
    def out(self):
        """The output of the forward pass, as a tensor whose grad_fn is this node."""
        out = self._out
        if out.__class__ is not tuple:  # freed, or packed by saved-tensor hooks (saved_hooks.py)
            if out is _FREED:
                raise RuntimeError(FREED_MESSAGE)
            return out.unpack(self)
        data, vc, version = out
        t = _wrap(data, self)
        t._vc = vc
        hooks = self._hooks
        if hooks is not None and "tangents" in hooks:  # (forward-mode AD: the output's tangents)
            t._extra = {"tangents": hooks["tangents"]}
        if vc[0] != version:
            raise version_mismatch(t, self.name(), version)
        return t

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(bool(e) for e in self._next)

    def needs(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (rules skip the work when it does not)."""
        return bool(self._next[i])

    # ---- public Node API ------------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    # torch lists a Python number operand as (None, 0), except in the few ops it implements with
    # a Scalar overload (x ** 2, 2 ** x, 1 - x), whose nodes have no slot for it
    lists_number_operands = True

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` per input; ``(None, 0)`` where it needs no gradient.
        (An edge ``False`` stands for a Python number operand.)"""
        listed = self.lists_number_operands
        return tuple(edge_parts(e) if e else (None, 0) for e in self._next if e is not False or listed)

    @property
    def metadata(self) -> dict:
        return self._hook_table("metadata")

    def register_hook(self, fn) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        return add_hook(self._hook_table("post"), fn)

    def register_prehook(self, fn) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        return add_hook(self._hook_table("pre"), fn)

    def _hook_table(self, kind: str) -> dict:
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = {}
        table = hooks.get(kind)
        if table is None:
            table = hooks[kind] = {}
        return table

    def _tensor_hooks(self, output_nr: int):
        """Hooks registered with Tensor.register_hook on output ``output_nr`` (or None)."""
        hooks = self._hooks
        if hooks is None:
            return None
        return hooks.get(("tensor", output_nr))

    # (torch's _saved_<name> attributes are properties set on this class by node_attrs.py: a
    # __getattr__ would slow down every attribute read of every node)
    def __dir__(self):
        from .node_attrs import saved_attribute_names

        return sorted(set(super().__dir__()) | set(saved_attribute_names(self)))

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        """Run this node's rule on the given output gradients (one input: a tensor; else a tuple)."""
        result = self._apply(list(grads))
        return result[0] if len(result) == 1 else tuple(result)


def _init_node(node: Node, next_edges: tuple, saved, versions, params) -> Node:
    node._next = next_edges
    node._saved = saved
    node._versions = versions
    node._params = params
    node._out = None
    node._hooks = None
    return node


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the gradient that reaches it into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        _init_node(self, (), (), None, None)
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def _apply(self, grads):
        accumulate_grad(self.variable, grads[0])
        return ()

    def _tensor_hooks(self, output_nr):
        extra = self.variable._extra
        return None if extra is None else extra.get("hooks")


# CPython counts every reference, so a count can prove that nothing else holds a gradient
_COUNTS_REFERENCES = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _exclusive(g) -> bool:
    """Whether only the engine holds ``g`` and its memory, so that ``.grad`` may take it as it is
    (torch does the same when a gradient's use count is 1; for a 2048x2048 matrix it saves a
    16 MB copy). References: the engine's gradient list, accumulate_grad's argument, this
    function's and getrefcount's own; the array: g's and getrefcount's, and it must own its
    memory."""
    return (
        _COUNTS_REFERENCES
        and sys.getrefcount(g) <= 4
        and sys.getrefcount(g._data) <= 2
        and g._data.base is None
        and g._data.flags.writeable
    )


def accumulate_grad(var, g) -> None:
    """Add ``g`` into ``var.grad`` (nothing when g is None); then run the leaf's
    post-accumulate hooks."""
    if g is not None:
        if g._data.dtype is not var._data.dtype:
            g = g.to(var.dtype)
        old = var._grad
        if old is None:
            if is_grad_enabled():  # create_graph: a copy that keeps the gradient's own graph
                var._grad = g.clone()
            elif _exclusive(g):
                var._grad = g
            else:  # the same gradient may also reach other leaves, a hook or the caller: a copy
                var._grad = _wrap(g._data.copy(), None)
        elif is_grad_enabled() or old._rg:
            var._grad = old + g
        else:
            old._data += g._data
            old._bump()
    extra = var._extra
    if extra is not None:
        post = extra.get("post_acc")
        if post:
            for fn in tuple(post.values()):
                fn(var)


# at the end: these modules import this one
from .._grad_mode import is_grad_enabled
from .._tensor import _wrap
from . import node_attrs  # noqa: F401  (sets the _saved_* properties on Node)

# torchless's own debugging views of a graph (describe.py)
from .describe import describe, holders  # noqa: F401

# torch.autograd.graph's other public names, defined in their own modules
from .graph_api import GradientEdge, get_gradient_edge, increment_version, register_multi_grad_hook  # noqa: F401
from .saved_hooks import (  # noqa: F401
    allow_mutation_on_saved_tensors,
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)
