"""Argument helpers the layers share (and that user code imports from ``torch.nn.modules.utils``):
``_pair(3) == (3, 3)``, a sequence is kept as a tuple of its items."""

from __future__ import annotations

from collections.abc import Iterable

from ... import _creation
from ..parameter import Parameter, UninitializedParameter, is_lazy
from .linear import LazyModuleMixin
from .module import Module

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    def parse(x):
        return tuple(x) if isinstance(x, Iterable) else (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """``t`` reversed with each item repeated ``n`` times: a conv's per-dimension padding in the
    last-dimension-first order ``F.pad`` takes (``(1, 2)`` -> ``(2, 2, 1, 1)``)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """``out_size`` with each ``None`` replaced by the matching trailing size in ``defaults``."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Strip ``prefix`` from the keys of ``state_dict`` (and of its ``_metadata``) in place, e.g. the
    ``module.`` a DataParallel wrapper adds."""
    for key in sorted(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                metadata[key[len(prefix):]] = metadata.pop(key)


def _materialize(module, name: str, shape) -> None:
    """Give the lazy module's uninitialized parameter (or buffer) ``name`` its ``shape``: a new
    Parameter (tensor) of its dtype and requires_grad takes its place. (``materialize`` would keep the
    object, as torch does, but here it cannot turn an UninitializedParameter into a Parameter: their
    layouts differ, so assigning ``__class__`` raises.)"""
    old = getattr(module, name)
    data = _creation.zeros(shape, dtype=old.dtype)
    setattr(module, name, Parameter(data, old.requires_grad) if isinstance(old, UninitializedParameter) else data)


class _LazyMixin(LazyModuleMixin):
    """The core's LazyModuleMixin with two gaps filled for the lazy layers here:

    - its ``__call__`` changes the module's class and then calls ``super()`` from a class the module
      no longer is (TypeError): this one calls ``Module.__call__`` directly;
    - ``Module._apply`` skips uninitialized tensors, so ``.double()`` before the first call left them
      float32: this one gives them the dtype ``fn`` would, as torch does.
    """

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            self.initialize_parameters(*args, **kwargs)
            if self.cls_to_become is not None:
                self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)

    def _apply(self, fn, recurse: bool = True):
        for t in list(self._parameters.values()) + list(self._buffers.values()):
            if is_lazy(t):
                t._data = fn(_creation.empty(0, dtype=t.dtype))._data
        return super()._apply(fn, recurse)
