"""Parameter (a module's learnable leaf tensor), Buffer, and the uninitialized forms lazy modules use."""

from __future__ import annotations

from .._tensor import Tensor, _wrap


def _adopt(cls, data, requires_grad: bool):
    """A new ``cls`` tensor over ``data``'s array (shared, as torch shares the storage), a leaf."""
    if data is None:
        from .. import empty
        data = empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(f"Creating a {cls.__name__} from an instance of type {type(data).__name__} requires that "
                        f"detach() returns an instance of the same type, but return type {type(data).__name__} "
                        f"was found instead.")
    t = object.__new__(cls)
    t._data, t.grad_fn, t._output_nr, t._grad = data._data, None, 0, None
    t._vc, t._base, t._acc, t._extra, t._rg = data._vc, None, None, None, False
    if requires_grad and not (t.is_floating_point() or t.is_complex()):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t._rg = bool(requires_grad)
    return t


class Parameter(Tensor):
    """A tensor that is a module's parameter: assigned to a Module attribute, it registers itself
    (``parameters()``, ``state_dict()``). A leaf that requires grad unless told otherwise.

    >>> import torchless as torch
    >>> torch.nn.Parameter(torch.tensor([1., 2.]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        return _adopt(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return _rebuild_parameter, (_wrap(self._data, None), self._rg)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copy = type(self)(_wrap(self._data.copy(), None), self._rg)  # (torch leaves .grad behind)
        memo[id(self)] = copy
        return copy


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor as a module's buffer when assigned to a Module attribute: saved in
    ``state_dict()`` unless ``persistent=False``, moved by ``to()``, never trained."""

    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent: bool = True):
        t = _adopt(cls, data, data is not None and data.requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent: bool = True):
        pass


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (lazy modules): it becomes a real one
    through ``materialize(shape)``."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        from .. import empty
        self._data = empty(shape, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    def _uninitialized(self, *args, **kwargs):
        raise ValueError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                         "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                         "initialized one. Call `forward` to initialize the parameters before accessing their "
                         "attributes.")

    shape = property(_uninitialized)
    size = numel = _uninitialized

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        raise RuntimeError(f"{type(self).__name__} cannot be pickled: run the module once to materialize it")


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from .. import empty
        return _adopt(cls, empty(0, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        from .. import empty
        return _adopt(cls, empty(0, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        pass


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedTensorMixin)
