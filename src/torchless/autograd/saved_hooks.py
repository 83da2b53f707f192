"""Hooks on the tensors a node saves for backward: ``saved_tensors_hooks`` and its relatives.

While hooks are set, every tensor a node saves (an operand, its output, a custom Function's
``save_for_backward``) goes through ``pack(tensor)`` when the node is recorded, and the node keeps
only what pack returned; ``unpack(packed)`` gives a tensor back each time backward (or
``ctx.saved_tensors``, ``grad_fn._saved_self``) reads it. The node's ``_saved`` (``_out``) is then
a ``PackedSaved`` (``SavedTensor``) instead of a tuple, which the readers in graph.py and
function.py tell apart with the class check they already make for freed values. As in torch,
no version check is made on packed tensors: what pack kept is what backward gets.
"""

from __future__ import annotations

import contextlib
import weakref

from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from . import recording
from .graph import AccumulateGrad, edge_parts

_OWN_OUTPUT = object()  # stands for the node itself, as the grad_fn of one of its outputs (no cycle)


class SavedTensor:
    """What pack returned for one saved tensor, and how to rebuild a tensor of the graph from
    what unpack gives back: the original's grad_fn and output number, or a leaf's accumulator."""

    __slots__ = ("packed", "unpack_hook", "grad_fn", "output_nr", "requires_grad", "accumulator")

    def __init__(self, t: Tensor, hooks, grad_fn=None, output_nr=0):
        pack, self.unpack_hook = hooks
        self.grad_fn, self.output_nr, self.requires_grad, self.accumulator = grad_fn, output_nr, t._rg, None
        if grad_fn is None and t._rg:
            edge = t._edge()
            node, self.output_nr = edge_parts(edge)
            if node.__class__ is AccumulateGrad:
                self.accumulator = node  # (held: the unpacked leaf sends its gradient there)
            else:
                self.grad_fn = node
        version = t._version
        token = _grad_enabled.set(False)  # (as torch: pack records nothing)
        try:
            self.packed = pack(t)
        finally:
            _grad_enabled.reset(token)
        if t._version != version:
            raise RuntimeError(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open "
                "an issue if you need to perform in-place operations on the input to a pack hook."
            )

    def unpack(self, node) -> Tensor:
        value = self.unpack_hook(self.packed)
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                f"{type(value).__name__}"
            )
        grad_fn = node if self.grad_fn is _OWN_OUTPUT else self.grad_fn
        t = _wrap(value._data, grad_fn)
        t._output_nr, t._rg = self.output_nr, self.requires_grad
        if self.accumulator is not None:
            t._acc = weakref.ref(self.accumulator)
        return t


class PackedSaved:
    """A node's saved values with each tensor replaced by its SavedTensor."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = tuple(items)

    def unpack(self, node) -> tuple:
        return tuple([v.unpack(node) if v.__class__ is SavedTensor else v for v in self.items])


def pack_node(node, hooks, reverse: bool) -> None:
    """Pack what ``node`` saved (see recording.on_record)."""
    from .function import BackwardCFunction

    saved = node._saved
    if isinstance(node, BackwardCFunction):
        if saved:  # None, a tensor, or one of the node's own outputs as (data, vc, nr, rg)
            node._saved = PackedSaved([_pack_function_item(node, v, hooks) for v in saved])
        return
    if saved.__class__ is tuple and any(isinstance(v, Tensor) for v in saved):
        items = list(saved)
        order = range(len(items) - 1, -1, -1) if reverse else range(len(items))
        for i in order:
            if isinstance(items[i], Tensor):
                items[i] = SavedTensor(items[i], hooks)
        node._saved = PackedSaved(items)
    out = node._out
    if out.__class__ is tuple and out and out[0].__class__ is not tuple:  # (a MultiOp's outputs: left as they are)
        data, vc, _ = out
        t = _wrap(data, node)
        t._vc = vc
        node._out = SavedTensor(t, hooks, _OWN_OUTPUT)


def _pack_function_item(node, v, hooks):
    if v is None:
        return None
    if v.__class__ is tuple:
        data, vc, nr, rg = v
        t = _wrap(data, node if rg else None)
        t._vc, t._output_nr, t._rg = vc, nr, rg
        return SavedTensor(t, hooks, _OWN_OUTPUT if rg else None, nr)
    return SavedTensor(v, hooks)


class saved_tensors_hooks:
    """Pack every tensor saved for backward with ``pack_hook`` inside this block, and rebuild it
    with ``unpack_hook`` when backward needs it. Nested blocks: the innermost hooks apply.

    >>> import torchless as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
    ...     y = x * x
    >>> y.sum().backward(); x.grad
    tensor([4., 4.])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._prev = []

    def __enter__(self):
        disabled = recording.get("disabled")
        if disabled is not None:
            raise RuntimeError(disabled)
        self._prev.append(recording.get("hooks"))
        recording.update(hooks=(self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        recording.update(hooks=self._prev.pop())


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors as copies in CPU memory (here, where every tensor is on the CPU: a copy).
    ``pin_memory`` is accepted and changes nothing."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return t.device, _wrap(t._data.copy(), None)

        def unpack(packed):
            device, t = packed
            return t.to(device)

        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside this block, setting saved-tensor hooks (or saving a tensor while hooks set outside
    it are active) raises RuntimeError(error_message)."""
    prev = recording.get("disabled")
    recording.update(disabled=error_message)
    try:
        yield
    finally:
        recording.update(disabled=prev)


# ---- allow_mutation_on_saved_tensors ----------------------------------------------------------------
class _AllowMutationOnSavedContext:
    """The tensors saved inside one allow_mutation_on_saved_tensors block, by the root of their
    memory (the tensor itself, or its view base): an in-place change of that memory first replaces
    each with a copy of the value it was saved with."""

    def __init__(self):
        self.saved = {}  # id(root) -> (root, [holders]); a holder is a one-item list: the saved tensor
        self.closed = False

    def pack(self, t: Tensor):
        root = t._base if t._base is not None else t
        entry = self.saved.get(id(root))
        if entry is None:
            entry = self.saved[id(root)] = (root, [])
            root._extras()["saved_mutation"] = self
        holder = [t]
        entry[1].append(holder)
        return holder

    def unpack(self, holder):
        if self.closed:
            raise AssertionError("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context in "
                                 "which the graph was originally recorded.")
        return holder[0]

    def before_mutation(self, root: Tensor) -> None:
        root._extra.pop("saved_mutation", None)
        _, holders = self.saved.pop(id(root), (None, ()))
        for holder in holders:
            holder[0] = _wrap(holder[0]._data.copy(), None)

    def close(self) -> None:
        self.closed = True
        for root, _ in self.saved.values():
            root._extra.pop("saved_mutation", None)
        self.saved.clear()


def note_mutation(t: Tensor) -> None:
    """Called before an in-place change of a tensor whose ``_extra`` is set (ops/inplace.py): if a
    saved tensor shares its memory inside allow_mutation_on_saved_tensors, copy that first."""
    root = t._base if t._base is not None else t
    extra = root._extra
    if extra is not None:
        ctx = extra.get("saved_mutation")
        if ctx is not None:
            ctx.before_mutation(root)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Inside this block a tensor saved for backward may be changed in place: the saved value is
    copied just before the change, so that backward still sees the value it was saved with.

    >>> import torchless as torch
    >>> x = torch.tensor([1., 2.], requires_grad=True)
    >>> with torch.autograd.graph.allow_mutation_on_saved_tensors():
    ...     y = x.clone(); out = (y * y).sum(); _ = y.mul_(10); out.backward()
    >>> x.grad
    tensor([2., 4.])
    """
    if recording.get("mutation") is not None:
        raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
    ctx = _AllowMutationOnSavedContext()
    recording.update(mutation=ctx)
    try:
        with saved_tensors_hooks(ctx.pack, ctx.unpack):
            yield ctx
    finally:
        ctx.close()
        recording.update(mutation=None)
