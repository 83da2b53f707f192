"""Python operators on tensors: ``+ - * / // % ** @`` (reflected and in-place forms too)."""

from __future__ import annotations

from .._tensor import Tensor
from ._core import binary
from .elementwise import (
    AddBackward0,
    DivBackward0,
    FloorDivideNode,
    MulBackward0,
    PowBackward2,
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
    remainder,
    sub,
)
from .inplace import apply_inplace, inplace_operator

# The operators call binary() directly: this is the hot path of every user program.
Tensor.__add__ = lambda self, other: binary(AddBackward0, self, other)
Tensor.__radd__ = lambda self, other: binary(AddBackward0, self, other)
Tensor.__sub__ = lambda self, other: binary(SubBackward0, self, other)
Tensor.__rsub__ = lambda self, other: binary(RsubBackward1, other, self)
Tensor.__mul__ = lambda self, other: binary(MulBackward0, self, other)
Tensor.__rmul__ = lambda self, other: binary(MulBackward0, self, other)
Tensor.__truediv__ = lambda self, other: binary(DivBackward0, self, other)
Tensor.__rtruediv__ = lambda self, other: binary(DivBackward0, other, self)
Tensor.__floordiv__ = lambda self, other: binary(FloorDivideNode, self, other)
Tensor.__rfloordiv__ = lambda self, other: binary(FloorDivideNode, other, self)
Tensor.__mod__ = lambda self, other: binary(RemainderBackward0, self, other)
Tensor.__rmod__ = lambda self, other: binary(RemainderBackward0, other, self)
Tensor.__pow__ = lambda self, other: pow(self, other)
Tensor.__rpow__ = lambda self, other: binary(PowBackward2, other, self)
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs

Tensor.__iadd__ = inplace_operator(AddBackward0, add, "add_")
Tensor.__isub__ = inplace_operator(SubBackward0, sub, "sub_")
Tensor.__imul__ = inplace_operator(MulBackward0, mul, "mul_")
Tensor.__itruediv__ = inplace_operator(DivBackward0, div, "div_")
Tensor.__ifloordiv__ = lambda self, other: apply_inplace(self, floor_divide, "floor_divide_", other)
Tensor.__imod__ = lambda self, other: apply_inplace(self, remainder, "remainder_", other)
Tensor.__ipow__ = lambda self, other: apply_inplace(self, pow, "pow_", other)
