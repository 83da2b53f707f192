"""In-place operations: ``x.add_(y)``, ``x += y``, ``x.zero_()``, ...

An in-place op writes its result into the tensor's own memory and bumps the version counter
it shares with its views. When the graph is recorded, the tensor's history is rebased: its
grad_fn becomes the op's node, whose operand is a copy of the old value.
"""

from __future__ import annotations

from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from ..backend import np
from . import _core

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(self: Tensor, *others) -> bool:
    """Refuse what torch refuses; say whether this in-place op must be recorded."""
    if not _grad_enabled.get():
        return False
    if self._rg and self.grad_fn is None:
        raise RuntimeError(LEAF_MESSAGE)
    track = self._rg or any(isinstance(o, Tensor) and o._rg for o in others)
    if track and self._base is not None and self._base._rg and self._base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    return track


def rebase(self: Tensor, node) -> None:
    """Make ``node`` the tensor's grad_fn (the tensor is now the node's output)."""
    self.grad_fn = node
    self._output_nr = 0
    self._rg = True


def _write(self: Tensor, result: np.ndarray, name: str) -> None:
    dst = self._data
    if result.dtype is dst.dtype and result.shape == dst.shape and dst.flags.writeable:
        np.copyto(dst, result)
        return
    if result.dtype is not dst.dtype and not np.can_cast(result.dtype, dst.dtype, "same_kind"):
        from .._dtype import FROM_NP

        raise RuntimeError(
            f"result type {FROM_NP[result.dtype].name.capitalize()} can't be cast to the desired output type "
            f"{FROM_NP[dst.dtype].name.capitalize()}"
        )
    if result.shape != dst.shape:
        raise RuntimeError(
            f"output with shape {list(dst.shape)} doesn't match the broadcast shape {list(np.broadcast_shapes(dst.shape, result.shape))}"
        )
    if not dst.flags.writeable:
        raise RuntimeError(
            f"unsupported operation: {name} on a tensor whose memory is shared by broadcasting (expand) or is "
            "read-only; clone() it first."
        )
    np.copyto(dst, result, casting="unsafe")


def apply_inplace(self: Tensor, fn, name: str, *args, **kwargs) -> Tensor:
    """Run the out-of-place ``fn(self, *args)`` and store its result in ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{name}: expected a Tensor")
    if not _grad_enabled.get():  # the common case: an optimizer step under no_grad
        _write(self, fn(self, *args, **kwargs)._data, name)
        self._bump()
        return self
    track = check_inplace(self, *args)
    if not track:
        token = _grad_enabled.set(False)
        try:
            out = fn(self, *args, **kwargs)
        finally:
            _grad_enabled.reset(token)
        _write(self, out._data, name)
        self._bump()
        return self
    if self._base is not None and self._extra is not None and "view_index" in self._extra:
        return _inplace_on_view(self, fn, name, args, kwargs)
    if self._base is not None and (self._base._rg or self._base.grad_fn is not None):
        raise RuntimeError(
            f"torchless: {name} on a view of a tensor that requires grad is only supported for views made by "
            "indexing (x[...]); apply it out of place, or to the base tensor."
        )
    # the node must see the old value: keep a copy with the old history
    old = _wrap(self._data.copy(), self.grad_fn)
    old._rg, old._output_nr = self._rg, self._output_nr
    out = fn(old, *args, **kwargs)
    _write(self, out._data, name)
    self._bump()
    node = out.grad_fn
    if node is None:  # the new value does not depend on anything recorded
        self.grad_fn, self._rg = None, False
    else:
        rebase(self, node)
        if node._out is not None:  # the rule reads the output: it is now this tensor
            if self._vc is None:
                self._vc = [0]
            node._out = (self._data, self._vc, self._vc[0])
    return self


def _inplace_on_view(self, fn, name, args, kwargs):
    """An in-place op on x[index] where x is recorded: x[index] = op(x[index]) on the base."""
    base, index = self._base, self._extra["view_index"]
    new = fn(base[index].clone(), *args, **kwargs)  # a clone: writing into base must not change what fn saved
    base[index] = new
    fresh = base[index]
    self.grad_fn, self._output_nr, self._rg = fresh.grad_fn, 0, True
    return self


def _make_inplace(name, fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def install() -> None:
    """Add ``<op>_`` methods for every registered op that declares an in-place form."""
    for info in list(_core.OPS.values()):
        if info.inplace and info.method and not hasattr(Tensor, info.inplace):
            fn = getattr(Tensor, info.name)
            setattr(Tensor, info.inplace, _make_inplace(info.inplace, fn))


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return fill_(self, 0)


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    from .._creation import full_like

    if isinstance(value, Tensor):
        return apply_inplace(self, lambda s, v: v.to(s.dtype).expand(s._data.shape).clone(), "fill_", value)
    return apply_inplace(self, lambda s: full_like(s, value), "fill_")


def copy_(self: Tensor, src, non_blocking=False) -> Tensor:
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
    if not isinstance(src, Tensor):
        src = _wrap(np.asarray(src), None)
    return apply_inplace(self, lambda s, v: v.to(s.dtype).expand(s._data.shape).clone(), "copy_", src)


Tensor.zero_ = zero_
Tensor.fill_ = fill_
Tensor.copy_ = copy_
