"""Copies and casts: clone, contiguous, to / type conversions, detach."""

from __future__ import annotations

from .. import _dtype
from .._device import as_device
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from ._core import Op, register, unary
from ._samples import T


class CloneBackward0(Op):
    """clone: d/dx = 1"""

    saves_operands = False

    @staticmethod
    def forward(x):
        return x.copy()

    def backward(self, g):
        return (g,)


@register(samples=[(T(3, 4),)])
def clone(input, *, memory_format=None) -> Tensor:
    """A copy with its own memory; gradients flow back to ``input``."""
    return unary(CloneBackward0, input)


def contiguous(self, memory_format=None) -> Tensor:
    """``self`` when its memory is already C-ordered, else a contiguous copy."""
    return self if self._data.flags.c_contiguous else clone(self)


Tensor.contiguous = contiguous


def _cast(x: Tensor, d: _dtype.dtype, copy=False) -> Tensor:
    if x._data.dtype is d.np and not copy:
        return x
    if x._data.dtype.kind == "c" and d.np.kind != "c":
        import warnings

        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3)
    if x._rg and d.np.kind in "fc" and _grad_enabled.get():
        return unary(ToCopyBackward0, x, d.np, x._data.dtype)
    return _wrap(_astype(x._data, d.np), None)


def _astype(a, np_dtype):
    """``a.astype(np_dtype)``; complex to real keeps the real part (as torch, and without NumPy's warning)."""
    if a.dtype.kind == "c" and np_dtype.kind != "c":
        a = a.real
    return a.astype(np_dtype)


class ToCopyBackward0(Op):
    """a dtype cast: the gradient is cast back to the input's dtype"""

    saves_operands = False

    @staticmethod
    def forward(x, np_dtype, src_dtype):
        return _astype(x, np_dtype)

    def backward(self, g):
        _, src = self._params
        if g._data.dtype.kind == "c" and src.kind != "c":  # a real input gets the real part
            g = g.real
        return (_cast(g, _dtype.FROM_NP[src]),)


def to(self, *args, **kwargs) -> Tensor:
    """Cast to a dtype and/or move to a device: ``to(torch.float64)``, ``to("cpu")``, ``to(other)``."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif a is not None and not isinstance(a, bool):
            device = a
    if device is not None:
        as_device(device)
    if dtype is None:
        return clone(self) if copy else self
    return _cast(self, dtype, copy)


def type_as(self, other) -> Tensor:
    return to(self, other.dtype)


def _caster(dt):
    """Tensor.float, Tensor.long, ...: a cast to ``dt``."""
    return lambda self, memory_format=None: _cast(self, dt)


Tensor.to = to
Tensor.type_as = type_as
for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                   ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool)):
    setattr(Tensor, _name, _caster(_dt))
Tensor.cpu = lambda self, memory_format=None: self


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    as_device("cuda")


Tensor.cuda = _cuda


def detach(self) -> Tensor:
    """A tensor sharing this one's memory (and version counter), outside the graph."""
    out = _wrap(self._data, None)
    if self._vc is None:
        self._vc = [0]
    out._vc = self._vc
    return out


def detach_(self) -> Tensor:
    """Take this tensor out of the graph, in place (it becomes a leaf)."""
    if self._base is not None and self._base._rg:
        raise RuntimeError("Can't detach views in-place. Use detach() instead.")
    self.grad_fn = None
    self._rg = False
    return self


Tensor.detach = detach
Tensor.detach_ = detach_
