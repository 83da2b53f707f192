"""torch's ``grad_fn._saved_<name>`` attributes, read from what a built-in node saved.

A node's operands are ``self`` (one operand) or ``self``, ``other`` (two), its output ``result``,
unless ``OPERANDS`` names them as torch does. A Python number operand reads as a 0-d tensor
where torch's op takes a Tensor there (``(x * 2).grad_fn._saved_other``: ``tensor(2)``) and as
the number where it takes a Scalar (``exponent``).
"""

from __future__ import annotations

from .._tensor import Tensor, _wrap
from ..backend import np
from .graph import Node

# grad_fn name -> torch's names of the operands
OPERANDS = {
    "PowBackward0": ("self", "exponent"),
    "PowBackward1": ("self", "exponent"),
    "PowBackward2": ("self", "exponent"),
    "MmBackward0": ("self", "mat2"),
    "BmmBackward0": ("self", "mat2"),
    "MvBackward0": ("self", "vec"),
    "DotBackward0": ("self", "tensor"),
}
SCALAR_OPERANDS = frozenset({"exponent"})  # names whose number operands torch keeps as numbers
# grad_fn name -> names of operands whose sizes (and strides) torch keeps as well
SIZES = {
    "MmBackward0": ("self", "mat2"),
    "SumBackward0": ("self",),
    "MeanBackward0": ("self",),
}


def _is_op(node) -> bool:
    from ..ops._core import Op

    return isinstance(node, Op)


def _operand_names(node) -> tuple:
    names = OPERANDS.get(node.name())
    if names is not None:
        return names
    n = len(node._next)
    return ("self",) if n == 1 else ("self", "other") if n == 2 else ()


def saved_attribute_names(node) -> list:
    """The ``_saved_*`` names this node answers to (for dir())."""
    if not _is_op(node):
        return []
    names = []
    if node.saves_operands:
        names += [f"_saved_{n}" for n in _operand_names(node)]
    if node.save_output:
        names.append("_saved_result")
    for n in SIZES.get(node.name(), ()):
        names.append(f"_saved_{n}_sym_sizes")
        if node.name() == "MmBackward0":
            names.append(f"_saved_{n}_sym_strides")
    if node.name() == "MeanBackward0":
        names.append("_saved_self_sym_numel")
    return names + ["_raw" + n for n in names if not n.endswith(("_sizes", "_strides", "_numel"))]


def saved_attribute(node, name: str):
    """The value of ``node.<name>`` (``_saved_self``, ``_saved_result``, ``_raw_saved_self``, ...)."""
    if name not in saved_attribute_names(node):
        raise AttributeError(f"'{node.name()}' object has no attribute '{name}'")
    if name.startswith("_raw"):
        return RawSavedTensor(node, name[len("_raw_saved_"):])
    key = name[len("_saved_"):]
    if key == "result":
        return node.out
    operands = _operand_names(node)
    if key in operands:
        value = node.saved[operands.index(key)]
        if value is None or isinstance(value, Tensor) or key in SCALAR_OPERANDS:
            return value
        return _wrap(np.asarray(value), None)  # a wrapped number, as torch keeps it
    i = operands.index(key.split("_sym_")[0])
    shape = node.shapes[i]
    if key.endswith("_sym_sizes"):
        return tuple(shape)
    if key.endswith("_sym_numel"):
        return int(np.prod(shape, dtype=np.int64))
    saved = node._saved
    operand = saved[i] if isinstance(saved, tuple) else None
    if isinstance(operand, Tensor):
        return tuple(operand.stride())
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= max(s, 1)
    return tuple(reversed(strides))


class RawSavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor, on which hooks of its own can be set."""

    def __init__(self, node, key: str):
        self._node, self._key = node, key

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        """Pack this saved tensor now with ``pack_hook``; ``unpack_hook`` rebuilds it when read."""
        from .saved_hooks import _OWN_OUTPUT, PackedSaved, SavedTensor

        node, key = self._node, self._key
        if key == "result":
            out = node._out
            if out.__class__ is not tuple:
                raise RuntimeError("Calling register_hooks on a saved tensor after it has been freed or whose hooks "
                                   "were already set is forbidden.")
            node._out = SavedTensor(node.out, (pack_hook, unpack_hook), _OWN_OUTPUT)
            return
        saved = node._saved
        if saved.__class__ is not tuple:
            raise RuntimeError("Calling register_hooks on a saved tensor after it has been freed or whose hooks were "
                               "already set is forbidden.")
        i = _operand_names(node).index(key)
        value = node.saved[i]
        if not isinstance(value, Tensor):
            raise RuntimeError("Calling register_hooks on a saved tensor whose value is None is forbidden")  # noqa: TRY004 (torch's type)
        items = list(saved)
        items[i] = SavedTensor(value, (pack_hook, unpack_hook))
        node._saved = PackedSaved(items)


def _install(node_cls) -> None:
    """Give ``node_cls`` a property per ``_saved_*`` name any node answers to; a node that does not
    save that value raises AttributeError, as torch's nodes without it do."""
    keys = {"self", "other", "result"} | {k for names in OPERANDS.values() for k in names}
    names = {f"_saved_{k}" for k in keys} | {f"_raw_saved_{k}" for k in keys}
    for keys_sized in SIZES.values():
        for k in keys_sized:
            names |= {f"_saved_{k}_sym_sizes", f"_saved_{k}_sym_strides", f"_saved_{k}_sym_numel"}
    for name in names:
        setattr(node_cls, name, property(lambda node, name=name: saved_attribute(node, name)))


_install(Node)
