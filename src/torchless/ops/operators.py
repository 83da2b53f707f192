"""Python operators on tensors: ``+ - * / // % ** @`` (reflected and in-place forms too)."""

from __future__ import annotations

from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from ._core import _F16, INT_END, INT_MIN, binary
from .elementwise import (
    AddBackward0,
    DivBackward0,
    FloorDivideNode,
    MulBackward0,
    PowBackward0,
    RemainderBackward0,
    RsubBackward1,
    SubBackward0,
    abs,
    add,
    div,
    floor_divide,
    mul,
    neg,
    pow,
    reciprocal,
    remainder,
    sub,
)
from .inplace import apply_inplace, inplace_method, inplace_operator

_enabled = _grad_enabled.get


def arithmetic(cls, reflected=False, general=None):
    """The operator method of an arithmetic op: ``binary(cls, self, other)`` (operands swapped
    when ``reflected``), or ``general(self, other)`` when given. This is the hot path of every
    user program, and of every derivative rule: when neither operand can record (no
    requires_grad, not a view) and nothing needs promoting, the op's forward runs at once."""
    ufunc = cls.forward

    def operator(self, other):
        data = self._data
        # (a tensor with _extra may carry a tangent, forward_ad.py: binary looks after it)
        if self._base is None and data.dtype.kind == "f" and (not self._rg or not _enabled()) and self._extra is None:
            oc = other.__class__
            if (oc is float or oc is int and INT_MIN <= other < INT_END) and data.dtype is not _F16:
                return _wrap(ufunc(other, data) if reflected else ufunc(data, other), None)
            if oc is Tensor and other._base is None and other._data.dtype is data.dtype and (
                not other._rg or not _enabled()
            ) and other._extra is None:
                try:
                    return _wrap(ufunc(other._data, data) if reflected else ufunc(data, other._data), None)
                except ValueError:
                    pass  # shapes that do not broadcast: binary raises torch's error
        if general is not None:
            return general(self, other)
        return binary(cls, other, self) if reflected else binary(cls, self, other)

    return operator


Tensor.__add__ = Tensor.__radd__ = arithmetic(AddBackward0)
Tensor.__sub__ = arithmetic(SubBackward0)
Tensor.__rsub__ = arithmetic(RsubBackward1, reflected=True)
Tensor.__mul__ = Tensor.__rmul__ = arithmetic(MulBackward0)
Tensor.__truediv__ = arithmetic(DivBackward0)
# number / tensor: torch multiplies the reciprocal by the number (values and node: MulBackward0)
Tensor.__rtruediv__ = lambda self, other: reciprocal(self) * other
Tensor.__div__, Tensor.__rdiv__ = Tensor.__truediv__, Tensor.__rtruediv__  # (Python 2's names, kept by torch)
Tensor.__floordiv__ = lambda self, other: binary(FloorDivideNode, self, other)
Tensor.__rfloordiv__ = lambda self, other: binary(FloorDivideNode, other, self)
Tensor.__mod__ = lambda self, other: binary(RemainderBackward0, self, other)
Tensor.__rmod__ = lambda self, other: binary(RemainderBackward0, other, self)
Tensor.__pow__ = arithmetic(PowBackward0, general=pow)  # (pow picks the node for a tensor exponent)
# (pow picks the node by the operands' kinds; torch's __rpow__ is pow(other, self) whatever they are)
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs

Tensor.__iadd__ = inplace_operator(AddBackward0, add, "add_")
Tensor.__isub__ = inplace_operator(SubBackward0, sub, "sub_")
Tensor.__imul__ = inplace_operator(MulBackward0, mul, "mul_")
Tensor.__itruediv__ = inplace_operator(DivBackward0, div, "div_")
Tensor.__idiv__ = Tensor.__itruediv__
Tensor.add_ = inplace_method(AddBackward0, add, "add_", alpha=True)
Tensor.sub_ = inplace_method(SubBackward0, sub, "sub_", alpha=True)
Tensor.mul_ = inplace_method(MulBackward0, mul, "mul_")
Tensor.div_ = inplace_method(DivBackward0, div, "div_")
Tensor.__ifloordiv__ = lambda self, other: apply_inplace(self, floor_divide, "floor_divide_", other)
Tensor.__imod__ = lambda self, other: apply_inplace(self, remainder, "remainder_", other)
Tensor.__ipow__ = lambda self, other: apply_inplace(self, pow, "pow_", other)
