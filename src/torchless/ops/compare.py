"""Comparisons and logic: boolean results, not differentiable."""

from __future__ import annotations

from .._dtype import result_np_dtype
from .._tensor import Tensor, _wrap
from ..backend import np
from ._core import _as_number, register


def _operands(a, b):
    """Arrays of ``a`` and ``b`` in their common dtype (numbers stay numbers)."""
    ad = a._data if isinstance(a, Tensor) else _as_number(a)
    bd = b._data if isinstance(b, Tensor) else _as_number(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and ad.dtype is bd.dtype:
        return ad, bd
    rd = result_np_dtype((a, b))
    if isinstance(a, Tensor) and ad.dtype is not rd:
        ad = ad.astype(rd)
    if isinstance(b, Tensor) and bd.dtype is not rd:
        bd = bd.astype(rd)
    return ad, bd


def _comparison(name, ufunc, dunder, reflected=None):
    def fn(input, other) -> Tensor:
        a, b = _operands(input, other)
        return _wrap(ufunc(a, b), None)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``, a bool tensor."
    register(name, differentiable=False, samples=[])(fn)

    def op(self, other):
        if not isinstance(other, (Tensor, int, float, bool, np.generic)):
            return NotImplemented
        return fn(self, other)

    setattr(Tensor, dunder, op)
    return fn


eq = _comparison("eq", np.equal, "__eq__")
ne = _comparison("ne", np.not_equal, "__ne__")
lt = _comparison("lt", np.less, "__lt__")
le = _comparison("le", np.less_equal, "__le__")
gt = _comparison("gt", np.greater, "__gt__")
ge = _comparison("ge", np.greater_equal, "__ge__")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def _logical(name, ufunc):
    def fn(input, other) -> Tensor:
        b = other._data if isinstance(other, Tensor) else other
        return _wrap(ufunc(input._data, b), None)

    fn.__name__ = name
    register(name, differentiable=False, samples=[])(fn)
    return fn


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def _unary_bool(name, ufunc):
    def fn(input) -> Tensor:
        return _wrap(ufunc(input._data), None)

    fn.__name__ = name
    register(name, differentiable=False, samples=[])(fn)
    return fn


logical_not = _unary_bool("logical_not", np.logical_not)
isnan = _unary_bool("isnan", np.isnan)
isinf = _unary_bool("isinf", np.isinf)
isfinite = _unary_bool("isfinite", np.isfinite)


def _bitwise(ufunc, symbol):
    def op(self, other):
        b = other._data if isinstance(other, Tensor) else other
        if self._data.dtype.kind == "f" or (isinstance(b, np.ndarray) and b.dtype.kind == "f") or isinstance(b, float):
            raise TypeError(f"unsupported operand: bitwise {symbol} needs integer or bool tensors")
        return _wrap(ufunc(self._data, b), None)

    return op


Tensor.__and__ = Tensor.__rand__ = _bitwise(np.bitwise_and, "and")
Tensor.__or__ = Tensor.__ror__ = _bitwise(np.bitwise_or, "or")
Tensor.__xor__ = Tensor.__rxor__ = _bitwise(np.bitwise_xor, "xor")


def _invert(self):
    if self._data.dtype.kind == "f":
        raise TypeError("~ (bitwise not) is only supported for integer and bool tensors")
    return _wrap(np.invert(self._data), None)


Tensor.__invert__ = _invert
bitwise_not = _invert


@register(differentiable=False, samples=[])
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether all elements are close: ``|input - other| <= atol + rtol * |other|``."""
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@register(differentiable=False, samples=[])
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``."""
    b = other._data if isinstance(other, Tensor) else other
    return _wrap(np.isclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan), None)


@register(differentiable=False, samples=[])
def equal(input, other) -> bool:
    """Whether both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))
