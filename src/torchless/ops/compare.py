"""Comparisons and logic: boolean results, not differentiable."""

from __future__ import annotations

from .._dtype import result_np_dtype
from .._tensor import Tensor, _wrap
from ..backend import np
from ._core import Op, _as_number, binary, check_int, nary, register
from ._samples import B, I, T

# sample arguments for the generated tests
_PAIRS = [(T(3, 4), T(4)), (T(3), 0.5), (I([1, 2, 3]), I([[1], [3]])), (I([1, 2, 3]), 2),
          (T(3), I([0, 1, 2])), (B([True, False]), True)]
_MASKS = [(B([True, False, True, False]), B([[True], [False]])), (B([True, False]), I([0, 3])), (T(3), T(3))]


def _operands(a, b):
    """Arrays of ``a`` and ``b`` in their common dtype (numbers stay numbers)."""
    ad = a._data if isinstance(a, Tensor) else _as_number(a)
    bd = b._data if isinstance(b, Tensor) else _as_number(b)
    check_int(ad)
    check_int(bd)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and ad.dtype is bd.dtype:
        return ad, bd
    rd = result_np_dtype((a, b))
    if isinstance(a, Tensor) and ad.dtype is not rd:
        ad = ad.astype(rd)
    if isinstance(b, Tensor) and bd.dtype is not rd:
        bd = bd.astype(rd)
    if rd.kind in "iu":
        ad, bd = _wrap_int(ad, rd), _wrap_int(bd, rd)
    return ad, bd


def _wrap_int(v, rd):
    """A Python int compared with an integer tensor is cast to its dtype first, wrapping around
    as torch does (uint8 tensor == -2 compares with 254); NumPy would compare the true values."""
    if v.__class__ is int:
        info = np.iinfo(rd)
        if not info.min <= v <= info.max:
            return np.array(v).astype(rd)
    return v


class _ComparisonNode(Op):
    """an in-place comparison of a tensor that requires grad: the new values are 0s and 1s, with a
    zero gradient (torch records this node; its out-of-place form records nothing)"""

    saves_operands = False

    def backward(self, g):
        return tuple(g.new_zeros(s) if self.needs(i) else None for i, s in enumerate(self.shapes))


def _inplace_comparison(name: str, ufunc) -> None:
    """``x.eq_(y)``: x becomes the comparison's 0s and 1s in its own dtype."""
    from .inplace import apply_inplace

    title = "".join(part.capitalize() for part in name.split("_"))
    nodes = {is_tensor: type(f"{title}Backward{0 if is_tensor else 1}", (_ComparisonNode,), {
        "__slots__": (), "forward": staticmethod(lambda a, b: ufunc(a, b))}) for is_tensor in (True, False)}

    def recorded(t, other):
        a, b = _operands(t, other)
        if not t._rg and not (isinstance(other, Tensor) and other._rg):
            return _wrap(ufunc(a, b), None)
        o = other if isinstance(other, Tensor) else b
        return nary(nodes[isinstance(other, Tensor)], (t, o))

    def method(self, other):
        return apply_inplace(self, recorded, name + "_", other)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``{name}``, written into this tensor in its dtype."
    setattr(Tensor, name + "_", method)


def _comparison(name, ufunc, dunder, reflected=None):
    def fn(input, other) -> Tensor:
        a, b = _operands(input, other)
        return _wrap(ufunc(a, b), None)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``, a bool tensor."
    register(name, differentiable=False, samples=_PAIRS)(fn)
    _inplace_comparison(name, ufunc)

    def op(self, other):
        if not isinstance(other, (Tensor, int, float, bool, complex, np.generic)):
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
    register(name, differentiable=False, samples=_MASKS)(fn)
    _inplace_comparison(name, ufunc)
    return fn


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def _unary_bool(name, ufunc):
    def fn(input) -> Tensor:
        return _wrap(ufunc(input._data), None)

    fn.__name__ = name
    register(name, differentiable=False, samples=[(B([True, False]),), (T(3, 4),), (I([0, 2]),)])(fn)
    return fn


logical_not = _unary_bool("logical_not", np.logical_not)
# x.logical_not_() as an unrecorded write (torch keeps x's old history, a gradient of 1 through it)
def _logical_not_(self) -> Tensor:
    from .inplace import apply_inplace

    return apply_inplace(self, logical_not, "logical_not_")


Tensor.logical_not_ = _logical_not_
isnan = _unary_bool("isnan", np.isnan)
isinf = _unary_bool("isinf", np.isinf)
isfinite = _unary_bool("isfinite", np.isfinite)


class _BitwiseNode(Op):
    """bitwise ops take integer and bool tensors only: nothing to differentiate"""

    saves_operands = False

    def backward(self, g):
        raise RuntimeError(f"the derivative for '{self.op_name}' is not implemented.")


def _bitwise(ufunc, name):
    """A bitwise op of two integer/bool tensors or numbers, with torch's type promotion."""
    node = type(name.capitalize() + "Backward0", (_BitwiseNode,), {
        "__slots__": (), "forward": staticmethod(ufunc), "op_name": name})

    def fn(input, other) -> Tensor:
        for v in (input, other):
            kind = v._data.dtype.kind if isinstance(v, Tensor) else ("f" if isinstance(v, float) else "i")
            if kind in "fc":
                raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                   f"'{'Float' if kind == 'f' else 'ComplexFloat'}'")
        return binary(node, input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name.replace('_', ' ')} of integer or bool tensors."
    register(name, inplace=name + "_", differentiable=False,
             samples=[(I([1, 6, 3]), I([3, 2, 1])), (I([5, 2]), 1)])(fn)
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift")
Tensor.__and__ = bitwise_and
Tensor.__or__ = bitwise_or
Tensor.__xor__ = bitwise_xor
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rshift__ = bitwise_right_shift
Tensor.__rand__ = lambda self, other: bitwise_and(other, self)
Tensor.__ror__ = lambda self, other: bitwise_or(other, self)
Tensor.__rxor__ = lambda self, other: bitwise_xor(other, self)
Tensor.__rlshift__ = lambda self, other: bitwise_left_shift(other, self)
Tensor.__rrshift__ = lambda self, other: bitwise_right_shift(other, self)
Tensor.__iand__ = lambda self, other: self.bitwise_and_(other)
Tensor.__ior__ = lambda self, other: self.bitwise_or_(other)
Tensor.__ixor__ = lambda self, other: self.bitwise_xor_(other)
Tensor.__ilshift__ = lambda self, other: self.bitwise_left_shift_(other)
Tensor.__irshift__ = lambda self, other: self.bitwise_right_shift_(other)


def _invert(self):
    if self._data.dtype.kind == "f":
        raise TypeError("~ (bitwise not) is only supported for integer and bool tensors")
    return _wrap(np.invert(self._data), None)


Tensor.__invert__ = _invert
bitwise_not = _invert


@register(differentiable=False, samples=[(T(3, 4), T(3, 4)), (T(3), T(3, lo=-0.01, hi=0.01), 0.0, 5.0)])
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether all elements are close: ``|input - other| <= atol + rtol * |other|``."""
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@register(differentiable=False, samples=[(T(3, 4), T(4)), (T(3), T(3, lo=-0.01, hi=0.01), 0.0, 1.0)])
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``."""
    b = other._data if isinstance(other, Tensor) else other
    return _wrap(np.isclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan), None)


@register(differentiable=False, samples=[(T(3, 4), T(3, 4)), (T(3), T(4)), (I([1, 2]), I([1, 2]))])
def equal(input, other) -> bool:
    """Whether both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))
