"""The legacy and deprecated forms torch still accepts: the ``torch.Tensor(...)`` constructor and
``Tensor.new(...)``, the typed tensor classes (``FloatTensor``, ``LongTensor``, ...) with their
isinstance checks and ``Tensor.type(...)``, ``autograd.Variable``, ``set_default_tensor_type``.

    >>> import torchless as torch
    >>> torch.Tensor([1, 2])
    tensor([1., 2.])
    >>> isinstance(torch.tensor([1, 2]), torch.LongTensor)
    True
"""

from __future__ import annotations

import warnings

from . import _dtype
from ._tensor import Tensor, _wrap
from .backend import np


def _construct(dt, args, kwargs, name: str, any_dtype: bool = False) -> Tensor:
    """torch's legacy constructor: ``(sequence)`` or ``(ndarray)`` or ``(tensor)`` copies the data in
    ``dt``; ``(*sizes)`` or ``(Size)`` makes an uninitialised tensor (zeros here); ``()`` an empty one."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    if device is not None and str(device) not in ("cpu", "cpu:0"):
        from .backend import xp_for

        xp_for(str(device).split(":")[0])
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not args:
        return _wrap(np.zeros((0,), dtype=dt.np), None)
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            if data._data.dtype != dt.np and not any_dtype:
                raise TypeError(f"expected {dt} (got {data.dtype})")
            return data.detach()  # (the same memory, as torch's)
        if isinstance(data, tuple) and all(isinstance(s, int) for s in data) and type(data).__name__ == "Size":
            return _wrap(np.zeros(tuple(data), dtype=dt.np), None)
        from ._creation import tensor

        return tensor(data, dtype=dt)
    if not all(isinstance(s, int) for s in args):
        raise TypeError(f"{name}(): new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)}, )")
    if any(s < 0 for s in args):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(args)}: {list(args)}")
    return _wrap(np.zeros(args, dtype=dt.np), None)


def _tensor_new(cls, *args, **kwargs):
    """``torch.Tensor(...)``: the legacy constructor, in the default float dtype."""
    return _construct(_dtype.DEFAULT.float, args, kwargs, "Tensor", any_dtype=True)


def _new(self, *args, **kwargs) -> Tensor:
    """``x.new(...)``: the legacy constructor in ``x``'s dtype."""
    return _construct(_dtype.FROM_NP[self._data.dtype], args, kwargs, "new")


def _apply_(self, callable) -> Tensor:
    """Legacy, CPU only: replace each element ``v`` by ``callable(v)``, in place (a Python call per
    element: slow by nature)."""
    if self.requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
    flat = self._data.reshape(-1)
    flat[...] = np.fromiter((callable(v) for v in flat.tolist()), dtype=self._data.dtype, count=flat.size)
    self._bump()
    return self


def _map_(self, other, callable) -> Tensor:
    """Legacy, CPU only: ``self[i] = callable(self[i], other[i])`` (other broadcast), in place."""
    if self.requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use var.detach().map_() instead.")
    b = np.broadcast_to(other._data, self._data.shape).reshape(-1).tolist()
    flat = self._data.reshape(-1)
    flat[...] = np.fromiter((callable(a, c) for a, c in zip(flat.tolist(), b)), dtype=self._data.dtype,
                            count=flat.size)
    self._bump()
    return self


Tensor.__new__ = _tensor_new
Tensor.__init__ = lambda self, *args, **kwargs: None
Tensor.new = _new
Tensor.apply_ = _apply_
Tensor.map_ = _map_


class _TypedMeta(type):
    """``isinstance(t, torch.FloatTensor)``: a Tensor whose dtype is the class's."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _typed(name: str, dt) -> type:
    def __new__(cls, *args, **kwargs):
        return _construct(dt, args, kwargs, name)

    return _TypedMeta(name, (), {"__new__": __new__, "dtype": dt, "__module__": "torch",
                                 "__doc__": f"The legacy constructor of {dt} tensors (``torch.{name}(data)``)."})


TYPES = {
    "FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16,
    "LongTensor": _dtype.int64, "IntTensor": _dtype.int32, "ShortTensor": _dtype.int16, "CharTensor": _dtype.int8,
    "ByteTensor": _dtype.uint8, "BoolTensor": _dtype.bool,
}
if hasattr(_dtype, "complex64"):
    TYPES.update({"ComplexFloatTensor": _dtype.complex64, "ComplexDoubleTensor": _dtype.complex128})
TYPED = {name: _typed(name, dt) for name, dt in TYPES.items()}
_NAME_OF = {dt.np: "torch." + name for name, dt in TYPES.items()}


def type_name(t: Tensor) -> str:
    """``torch.FloatTensor`` and the like: the legacy name of ``t``'s type."""
    return _NAME_OF[t._data.dtype]


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """With no argument, the legacy type name (``'torch.FloatTensor'``); otherwise a cast to a dtype,
    a typed class (``torch.LongTensor``) or a type name (``'torch.DoubleTensor'``)."""
    if dtype is None:
        return type_name(self)
    if isinstance(dtype, str):
        cls = TYPED.get(dtype.rpartition(".")[2])
        if cls is None or not dtype.startswith("torch."):
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = cls.dtype
    elif isinstance(dtype, _TypedMeta):
        dtype = dtype.dtype
    return self.to(dtype)


Tensor.type = _type


def typename(obj) -> str:
    """The type name torch prints for ``obj``: ``torch.FloatTensor`` for a tensor."""
    if isinstance(obj, Tensor):
        return type_name(obj)
    module = getattr(type(obj), "__module__", "") or ""
    qual = type(obj).__qualname__
    return qual if module in ("", "builtins") else f"{module}.{qual}"


def set_default_tensor_type(t) -> None:
    """Deprecated: set the default float dtype from a tensor type (class or name)."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning, stacklevel=2)
    if isinstance(t, str):
        cls = TYPED.get(t.rpartition(".")[2])
        if cls is None:
            raise TypeError(f"invalid type: '{t}'")
        t = cls
    dt = t.dtype
    if not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dt)


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated: ``Variable(tensor, requires_grad=False)`` is the tensor itself (a tensor is a Variable)."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            return _wrap(np.zeros((0,), dtype=_dtype.DEFAULT.float.np), None)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
