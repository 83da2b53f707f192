"""Elementwise operations: each op's forward (on arrays) beside its derivative rule (on tensors)."""

from __future__ import annotations

import cmath
import math

from .._dtype import FROM_NP, result_np_dtype
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from ..backend import np
from ._core import (
    Op,
    binary,
    broadcast_error,
    check_int,
    conj_saved,
    nary,
    register,
    sum_to,
    sum_to_product,
    unary,
)

# Sample shapes for the generated tests: T(...) is a random float64 tensor (tests/opinfo.py).
from ._samples import POS, UNIT, B, T

BROADCAST = [(T(3, 4), T(3, 4)), (T(3, 4), T(4)), (T(2, 1, 3), T(4, 1)), (T(3), 2.5), (1.5, T(3))]


# ---- arithmetic ------------------------------------------------------------------------------
class AddBackward0(Op):
    """add: d/dx = 1, d/dy = 1"""

    saves_operands = False
    forward = staticmethod(np.add)

    def backward(self, g):
        sx, sy = self.shapes
        return (sum_to(g, sx) if self.needs(0) else None, sum_to(g, sy) if self.needs(1) else None)


class SubBackward0(Op):
    """sub: d/dx = 1, d/dy = -1"""

    saves_operands = False
    rejects_bool = True
    forward = staticmethod(np.subtract)

    def backward(self, g):
        sx, sy = self.shapes
        return (sum_to(g, sx) if self.needs(0) else None, sum_to(-g, sy) if self.needs(1) else None)


class RsubBackward1(SubBackward0):
    """number - tensor (torch names this node apart)"""

    __slots__ = ()
    lists_number_operands = False


class MulBackward0(Op):
    """mul: d/dx = y, d/dy = x"""

    scalar_in_float32 = True

    forward = staticmethod(np.multiply)
    save_when = ((1,), (0,))

    def backward(self, g):
        x, y = self.saved
        sx, sy = self.shapes
        if g._data.dtype.kind == "c":  # complex: g * conj(d/dx), as torch (see ops/complex.py)
            x, y = conj_saved(x), conj_saved(y)
        return (
            sum_to_product(g, y, sx) if self.needs(0) else None,
            sum_to_product(g, x, sy) if self.needs(1) else None,
        )


class DivBackward0(Op):
    """div: d/dx = 1/y, d/dy = -x/y**2"""

    scalar_in_float32 = True

    float_result = True
    forward = staticmethod(np.true_divide)
    save_when = ((1,), True)

    def backward(self, g):
        x, y = self.saved
        sx, sy = self.shapes
        if g._data.dtype.kind == "c":
            x, y = conj_saved(x), conj_saved(y)
        return (
            sum_to(g / y, sx) if self.needs(0) else None,
            sum_to(-g * x / (y * y), sy) if self.needs(1) else None,
        )


@register(inplace="add_", samples=BROADCAST + [(T(3), T(3), {"alpha": 2.0})])
def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``

    >>> import torchless as torch
    >>> torch.add(torch.tensor([1., 2.]), 1)
    tensor([2., 3.])
    """
    if alpha != 1:
        check_int(alpha)
        other = other * alpha
    if not isinstance(input, Tensor):
        return binary(AddBackward0, other, input)
    return binary(AddBackward0, input, other)


@register(inplace="sub_", samples=BROADCAST + [(T(3), T(3), {"alpha": 2.0})])
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other`` (torch.sub(number, tensor) is a SubBackward0 too: only the
    ``number - tensor`` operator makes an RsubBackward1)"""
    if alpha != 1:
        check_int(alpha)
        other = other * alpha
    return binary(SubBackward0, input, other)


subtract = register("subtract", samples=BROADCAST[:2])(sub)


@register(inplace="mul_", samples=BROADCAST)
def mul(input, other) -> Tensor:
    """``input * other``"""
    return binary(MulBackward0, input, other)


multiply = register("multiply", samples=BROADCAST[:2])(mul)


@register(inplace="div_", samples=[(T(3, 4), T(3, 4, lo=0.5)), (T(3, 4), T(4, lo=0.5)), (T(3), 2.5),
                                   (1.5, T(3, lo=0.5)), (T(3, 4), T(4, lo=0.5), {"rounding_mode": "trunc"}),
                                   (T(3, 4), T(4, lo=0.5), {"rounding_mode": "floor"})])
def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other`` (true division; ``rounding_mode`` "floor" or "trunc" rounds, with derivative zero)."""
    if rounding_mode is None:
        return binary(DivBackward0, input, other)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    return binary(DivBackward2, input, other, rounding_mode)


divide = register("divide", samples=[(T(3, 4), T(4, lo=0.5))])(div)
true_divide = register("true_divide", inplace="true_divide_", samples=[(T(3, 4), T(4, lo=0.5))])(div)


def _check_divisor(x, y):
    """Integer division by zero raises, as in torch (a float one gives inf or nan)."""
    a = y if y.__class__ is np.ndarray else x  # (the operands share a dtype; one is an array)
    if a.dtype.kind in "iu" and np.any(np.equal(y, 0)):
        raise RuntimeError("ZeroDivisionError")


def _floor_divide(x, y):
    _check_divisor(x, y)
    return np.floor_divide(x, y)


def _remainder(x, y):
    _check_divisor(x, y)
    return np.remainder(x, y)


class DivBackward2(Op):
    """div with rounding_mode "floor" or "trunc": the derivative is zero (almost everywhere)"""

    saves_operands = False

    @staticmethod
    def forward(x, y, mode):
        _check_divisor(x, y)
        if mode == "floor":
            return np.floor_divide(x, y)
        if np.result_type(x, y).kind == "f":
            return np.trunc(np.true_divide(x, y))
        q = np.floor_divide(x, y)  # integers: move the floor towards zero where the quotient is negative, inexact
        return q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0)))

    def backward(self, g):
        sx, sy = self.shapes
        return (g.new_zeros(sx) if self.needs(0) else None, g.new_zeros(sy) if self.needs(1) else None)


class FloorDivideNode(Op):
    """floor_divide has no derivative; differentiating through it raises."""

    scalar_in_float32 = True

    saves_operands = False
    forward = staticmethod(_floor_divide)

    def backward(self, g):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented.")


# torch's name for a node whose derivative does not exist (kept off the Python name, which is a builtin)
FloorDivideNode.__name__ = FloorDivideNode.__qualname__ = "NotImplemented"


@register(inplace="floor_divide_", samples=[(T(3, 4), T(4, lo=0.5)), (T(3), 0.7)], gradcheck=False)
def floor_divide(input, other) -> Tensor:
    """``input // other``, rounded towards minus infinity."""
    return binary(FloorDivideNode, input, other)


class RemainderBackward0(Op):
    """remainder: d/dx = 1, d/dy = -floor(x / y)"""

    forward = staticmethod(_remainder)
    save_when = ((1,), (1,))

    def backward(self, g):
        sx, sy = self.shapes
        gy = None
        if self.needs(1):  # (only then the operands: x % number backwards twice, as in torch)
            x, y = self.saved
            gy = sum_to(-g * (x / y).floor(), sy)
        return (sum_to(g, sx) if self.needs(0) else None, gy)


@register(inplace="remainder_", samples=[(T(3, 4), 0.7)])
def remainder(input, other) -> Tensor:
    """``input % other``, with the sign of ``other`` as in Python."""
    return binary(RemainderBackward0, input, other)


def _pow_forward(x, e):
    # NumPy has no fast path for small integer powers (u**3 is ~100x slower than u*u*u)
    if e.__class__ is not np.ndarray:
        if e == 2:
            return x * x
        if e == 3:
            out = x * x
            return np.multiply(out, x, out=out) if out.ndim else out * x  # (into the fresh square)
        if e == 1:
            return x.copy()
        if e == 0.5:
            return np.sqrt(x)
        if e == -1:
            return np.reciprocal(x) if x.dtype.kind == "f" else np.power(x, e)
    return np.power(x, e)


class PowBackward0(Op):
    """x ** c: d/dx = c * x**(c-1)"""

    scalar_in_float32 = True

    lists_number_operands = False

    forward = staticmethod(_pow_forward)

    def backward(self, g):
        x, e = self.saved
        if e == 0:
            return g * 0, None
        if g._data.dtype.kind == "c":  # complex: g * conj(d/dx), as torch (see ops/complex.py)
            return g * (e * x ** (e - 1)).conj(), None
        if not _grad_enabled.get():  # shortcuts only when the backward is not itself recorded:
            if e == 2:  # under create_graph, torch's g * (e * x**(e-1)) keeps the result
                return g * (x + x), None  # connected to x (x**1, x**0), so that a 2nd/3rd
            if e == 1:  # derivative has a grad_fn / requires_grad like torch's
                return g, None  # (x + x: NumPy is slower with a Python number operand)
        return g * (e * x ** (e - 1)), None


def _power(x, e):
    """``x ** e`` for a tensor exponent: NumPy refuses negative integer powers of integers, which
    torch computes (1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n = 0)."""
    if e.dtype.kind in "iu" and np.result_type(x, e).kind in "iu" and (e < 0).any():
        negative = e < 0
        out = np.power(x, np.where(negative, 0, e))
        inverse = np.where(x == 1, 1, np.where(x == -1, np.where(e % 2 == 0, 1, -1), 0))
        return np.where(negative, inverse, out).astype(out.dtype)
    return np.power(x, e)


class PowBackward1(Op):
    """x ** y: d/dx = y * x**(y-1) (0 where y = 0), d/dy = x**y * log(x) (0 where x = 0 and y >= 0)"""

    save_output = True
    forward = staticmethod(_power)

    def backward(self, g):
        x, y = self.saved
        gx = gy = None
        if self.needs(0):
            gx = g * (y * x ** (y - 1)).conj()
            if (y._data == 0).any():  # (0 * inf at x = 0)
                gx = where(y == 0, 0.0, gx)
            gx = sum_to(gx, x.shape)
        if self.needs(1):
            safe = where((x == 0) & (y.real >= 0), 0.0, self.out * x.log())
            gy = sum_to(g * safe.conj(), y.shape)
        return gx, gy


class PowBackward2(Op):
    """c ** y: d/dy = c**y * log(c) (0 where c = 0 and y >= 0; nan for c < 0)"""

    scalar_in_float32 = True

    lists_number_operands = False

    save_output = True
    forward = staticmethod(_power)
    save_when = (True, ())  # (c is a number; the rule reads the output, not the exponent)

    def backward(self, g):
        c, _ = self.saved
        if c == 0:  # log(0) = -inf counts only where y < 0, which is where 0**y = inf
            return None, g * where(self.out == math.inf, self.out * -math.inf, 0.0)
        if isinstance(c, complex) or g._data.dtype.kind == "c":
            return None, g * (self.out * cmath.log(c)).conj()
        return None, g * (self.out * (math.log(c) if c > 0 else math.nan))


@register(inplace="pow_", samples=[(T(3, 4, lo=0.5), 2), (T(3, lo=0.5), 3), (T(3, lo=0.5), 2.5),
                                   (T(3, lo=0.5), -1.5), (T(3, 4, lo=0.5), T(4)), (2.0, T(3))])
def pow(input, exponent) -> Tensor:
    """``input ** exponent`` for tensor or number on either side."""
    if not isinstance(input, Tensor):
        return binary(PowBackward2, input, exponent)
    if isinstance(exponent, Tensor):
        return binary(PowBackward1, input, exponent)
    if input._data.dtype.kind in "iub" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return binary(PowBackward0, input, exponent)


# ---- unary math: (torch node name, forward, rule d/dx in tensor ops, sample domain) ----------
def _unary(node_name, forward, rule, *, name, save_output=False, domain=None, float_result=True,
           inplace=True, doc=None, reads_x=None):
    """Define an elementwise op of one input from its forward and its derivative rule.

    ``reads_x=False``: the rule never reads x (it gets None), so x is not saved: as in torch, a
    second backward through the node needs no retain_graph, and x is not kept alive. A rule
    that reads the output (``save_output``) reads only the output, as torch's does: then x is
    not saved, and an in-place change of x after the op does not stop backward.
    """
    if reads_x is None:
        reads_x = not save_output
    if reads_x:
        def backward(self, g):
            (x,) = self.saved
            if g._data.dtype.kind == "c":  # holomorphic: g * conj(f'(x)) = conj(conj(g) * f'(x))
                return (rule(self, g.conj(), x).conj(),)
            return (rule(self, g, x),)
    else:
        def backward(self, g):
            if g._data.dtype.kind == "c":
                return (rule(self, g.conj(), None).conj(),)
            return (rule(self, g, None),)

    cls = type(node_name, (Op,), {"__slots__": (), "forward": staticmethod(forward), "backward": backward,
                                  "save_output": save_output, "float_result": float_result,
                                  "saves_operands": reads_x, "__doc__": doc or f"{name}: d/dx as in its rule"})

    def fn(input) -> Tensor:
        return unary(cls, input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"Elementwise {name}."
    lo, hi = domain or (-2.0, 2.0)
    samples = [(T(3, 4, lo=lo, hi=hi),), (T(lo=lo, hi=hi),)]  # (and a 0-d tensor)
    register(name, samples=samples, inplace=name + "_" if inplace else None)(fn)
    return fn


LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _zero(self, g, x):
    """zeros_like(grad), as torch: 0 even where g is inf or nan, and not connected to g"""
    return _wrap(np.zeros_like(g._data), None)


exp = _unary("ExpBackward0", np.exp, lambda s, g, x: g * s.out, name="exp", save_output=True, doc="e ** x")
exp2 = _unary("Exp2Backward0", np.exp2, lambda s, g, x: g * (s.out * LN2), name="exp2", save_output=True)
expm1 = _unary("Expm1Backward0", np.expm1, lambda s, g, x: g * (s.out + 1), name="expm1", save_output=True)
log = _unary("LogBackward0", np.log, lambda s, g, x: g / x, name="log", domain=POS)
log2 = _unary("Log2Backward0", np.log2, lambda s, g, x: g / (x * LN2), name="log2", domain=POS)
log10 = _unary("Log10Backward0", np.log10, lambda s, g, x: g / (x * LN10), name="log10", domain=POS)
log1p = _unary("Log1PBackward0", np.log1p, lambda s, g, x: g / (x + 1), name="log1p", domain=POS)
sqrt = _unary("SqrtBackward0", np.sqrt, lambda s, g, x: g / (2 * s.out), name="sqrt", save_output=True, domain=POS)


def _rsqrt(x):
    return 1 / np.sqrt(x)


rsqrt = _unary("RsqrtBackward0", _rsqrt, lambda s, g, x: g * (-0.5 * s.out ** 3), name="rsqrt",
               save_output=True, domain=POS)
sin = _unary("SinBackward0", np.sin, lambda s, g, x: g * x.cos(), name="sin")
cos = _unary("CosBackward0", np.cos, lambda s, g, x: g * -x.sin(), name="cos")
tan = _unary("TanBackward0", np.tan, lambda s, g, x: g * (1 + s.out * s.out), name="tan", save_output=True)
asin = _unary("AsinBackward0", np.arcsin, lambda s, g, x: g * (1 - x * x).rsqrt(), name="asin", domain=UNIT)
acos = _unary("AcosBackward0", np.arccos, lambda s, g, x: g * -(1 - x * x).rsqrt(), name="acos", domain=UNIT)
atan = _unary("AtanBackward0", np.arctan, lambda s, g, x: g / (1 + x * x), name="atan")
sinh = _unary("SinhBackward0", np.sinh, lambda s, g, x: g * x.cosh(), name="sinh")
cosh = _unary("CoshBackward0", np.cosh, lambda s, g, x: g * x.sinh(), name="cosh")
tanh = _unary("TanhBackward0", np.tanh, lambda s, g, x: g * (1 - s.out * s.out), name="tanh", save_output=True)
arcsin, arccos, arctan = asin, acos, atan
for _alias, _fn, (_lo, _hi) in (("arcsin", asin, UNIT), ("arccos", acos, UNIT), ("arctan", atan, (-2.0, 2.0))):
    register(_alias, samples=[(T(3, lo=_lo, hi=_hi),)])(_fn)


def _sigmoid(x):
    if x.dtype.kind == "c":
        return 1 / (1 + np.exp(-x))
    # exp of a non-positive number only, so large |x| neither overflows nor warns
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary("SigmoidBackward0", _sigmoid, lambda s, g, x: g * (s.out * (1 - s.out)), name="sigmoid",
                 save_output=True)


def _relu(x):
    if x.dtype.kind == "b":
        return x.copy()
    # max with an array of zeros, not with the number 0: NumPy runs a broadcast scalar through a
    # loop without SIMD (2-4x slower); same values, NaN and signed zeros included
    out = np.empty_like(x)
    out.fill(0)
    return np.maximum(x, out, out=out)


relu = _unary("ReluBackward0", _relu, lambda s, g, x: mask_grad(g, s.out > 0), name="relu", save_output=True,
              float_result=False)


def _erf(x):
    from math import erf as _scalar_erf

    return np.vectorize(_scalar_erf, otypes=[x.dtype])(x) if x.size else x.copy()


erf = _unary("ErfBackward0", _erf, lambda s, g, x: g * (TWO_OVER_SQRT_PI * (-(x * x)).exp()), name="erf")
# rounding: the derivative is zero almost everywhere
sign = _unary("SignBackward0", lambda x: np.sign(x) if x.dtype.kind != "b" else x.copy(), _zero, name="sign",
              float_result=False, reads_x=False)
floor = _unary("FloorBackward0", np.floor, _zero, name="floor", float_result=False, reads_x=False)
ceil = _unary("CeilBackward0", np.ceil, _zero, name="ceil", float_result=False, reads_x=False)
trunc = _unary("TruncBackward0", np.trunc, _zero, name="trunc", float_result=False, reads_x=False)
fix = register("fix", samples=[(T(3, 4),)])(trunc)


class RoundBackward0(Op):
    """round (half to even, as torch): derivative zero"""

    saves_operands = False

    @staticmethod
    def forward(x, decimals):
        return np.round(x, decimals) if x.dtype.kind == "f" else x.copy()

    def backward(self, g):
        return (_zero(self, g, None),)


class RoundBackward1(RoundBackward0):
    """round with ``decimals`` given"""

    __slots__ = ()


@register(inplace="round_", samples=[(T(3, 4),), (T(3, 4), {"decimals": 1})])
def round(input, *, decimals=None) -> Tensor:
    """Round to the nearest integer (or ``decimals``), halves to even."""
    if decimals is None:
        return unary(RoundBackward0, input, 0)
    return unary(RoundBackward1, input, decimals)


neg = _unary("NegBackward0", np.negative, lambda s, g, x: -g, name="neg", float_result=False, reads_x=False)
negative = register("negative", samples=[(T(3),)])(neg)
abs = _unary("AbsBackward0", np.abs, lambda s, g, x: g * (x.sgn() if x._data.dtype.kind == "c" else x.sign()),
             name="abs", float_result=False)
absolute = register("absolute", samples=[(T(3),)])(abs)
reciprocal = _unary("ReciprocalBackward0", np.reciprocal, lambda s, g, x: g * -(s.out * s.out),
                    name="reciprocal", save_output=True)


def square(input) -> Tensor:
    """``input ** 2``"""
    return pow(input, 2)


register("square", inplace="square_", samples=[(T(3),)])(square)


# ---- clamp, maximum, minimum, where, lerp, atan2 -----------------------------------------------
class ClampBackward1(Op):
    """clamp to numbers: d/dx = 1 inside [min, max], 0 outside"""

    @staticmethod
    def forward(x, lo, hi):
        if lo is not None and hi is not None and lo > hi:
            return np.full_like(x, hi)
        return np.clip(x, lo, hi)

    def backward(self, g):
        (x,) = self.saved
        lo, hi = self._params
        inside = None
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = x <= hi if inside is None else inside & (x <= hi)
        return (mask_grad(g, inside),)


class ClampBackward0(Op):
    """clamp to tensors: the gradient goes to x inside [min, max], else to the bound that won
    (max wins where min > max, as in torch: the output is max there)"""

    @staticmethod
    def forward(x, lo, hi):
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, lo, hi = self.saved
        inside = None
        glo = ghi = None
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = x <= hi if inside is None else inside & (x <= hi)
        if hi is not None and self.needs(2):
            high = x > hi if lo is None else (x > hi) | (hi < lo)
            ghi = sum_to(mask_grad(g, high), hi.shape)
        if lo is not None and self.needs(1):
            low = x < lo if hi is None else (x < lo) & (lo < hi)
            glo = sum_to(mask_grad(g, low), lo.shape)
        gx = sum_to(mask_grad(g, inside), x.shape) if self.needs(0) else None
        return gx, glo, ghi


@register(inplace="clamp_", samples=[(T(3, 4), -0.5, 0.5), (T(3, 4), None, 0.2),
                                     (T(3, 4), T(4), T(3, 4, lo=2))])
def clamp(input, min=None, max=None) -> Tensor:
    """Limit each element to ``[min, max]``; bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    input = _clamp_operand(input, min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = min if min is None or isinstance(min, Tensor) else full_like_scalar(min, input)
        hi = max if max is None or isinstance(max, Tensor) else full_like_scalar(max, input)
        return nary(ClampBackward0, (input, lo, hi))
    return unary(ClampBackward1, input, min, max)


def _clamp_operand(input, lo, hi):
    """``input`` in the dtype torch clamps in: the result type of it and its bounds."""
    if input._data.dtype.kind == "f" and not isinstance(lo, Tensor) and not isinstance(hi, Tensor):
        return input  # a float tensor keeps its dtype against Python numbers
    rd = result_np_dtype(tuple(v for v in (input, lo, hi) if v is not None))
    return input if input._data.dtype is rd else input.to(FROM_NP[rd])


def full_like_scalar(v, like):
    return _wrap(np.asarray(v, dtype=like._data.dtype), None)


clip = register("clip", inplace="clip_", samples=[(T(3, 4), -0.5, 0.5)])(clamp)


class ClampMinBackward0(ClampBackward1):
    __slots__ = ()


class ClampMaxBackward0(ClampBackward1):
    __slots__ = ()


class ClampMinBackward1(ClampBackward0):
    __slots__ = ()


class ClampMaxBackward1(ClampBackward0):
    __slots__ = ()


@register(samples=[(T(3, 4), 0.2), (T(3, 4), T(4))])
def clamp_min(input, min) -> Tensor:
    """``max(input, min)``"""
    input = _clamp_operand(input, min, None)
    if isinstance(min, Tensor):
        return nary(ClampMinBackward1, (input, min, None))
    return unary(ClampMinBackward0, input, min, None)


@register(samples=[(T(3, 4), 0.2), (T(3, 4), T(4))])
def clamp_max(input, max) -> Tensor:
    """``min(input, max)``"""
    input = _clamp_operand(input, None, max)
    if isinstance(max, Tensor):
        return nary(ClampMaxBackward1, (input, None, max))
    return unary(ClampMaxBackward0, input, None, max)


class MaximumBackward0(Op):
    """maximum: the gradient goes to the larger input, split evenly on ties"""

    forward = staticmethod(np.maximum)

    def backward(self, g):
        x, y = self.saved
        return _split_by(self, g, x, y, x > y)


class MinimumBackward0(Op):
    """minimum: the gradient goes to the smaller input, split evenly on ties"""

    forward = staticmethod(np.minimum)

    def backward(self, g):
        x, y = self.saved
        return _split_by(self, g, x, y, x < y)


def _split_by(node, g, x, y, x_wins):
    wx = x_wins + (x == y) * 0.5
    gx = sum_to(mask_grad(g, wx), x.shape) if node.needs(0) else None
    gy = sum_to(mask_grad(g, 1 - wx), y.shape) if node.needs(1) else None
    return gx, gy


@register(samples=[(T(3, 4), T(4))])
def maximum(input, other) -> Tensor:
    """Elementwise larger of two tensors."""
    return binary(MaximumBackward0, input, other)


@register(samples=[(T(3, 4), T(4))])
def minimum(input, other) -> Tensor:
    """Elementwise smaller of two tensors."""
    return binary(MinimumBackward0, input, other)


class WhereBackward0(Op):
    """where(c, x, y): the gradient goes to x where c holds, to y elsewhere"""

    save_when = (True, (), ())  # the condition only

    @staticmethod
    def forward(cond, x, y):
        return np.where(cond, x, y)

    def backward(self, g):
        cond, _, _ = self.saved
        _, sx, sy = self.shapes
        # a selection, not g * mask: zeros even where g is inf or nan, as in torch
        gx = sum_to(where(cond, g, 0.0), sx) if self.needs(1) else None
        gy = sum_to(where(cond, 0.0, g), sy) if self.needs(2) else None
        return None, gx, gy


# the method form takes self as ``input``: x.where(condition, other) (see below)
@register(method=False, samples=[(B([True, False, False, True]), T(3, 4), T(4)),
                                 (B([[True], [False]]), T(2, 3), 0.5), (B([False, True, True]), -1.0, T(3))])
def where(condition, input=None, other=None) -> Tensor:
    """Pick ``input`` where ``condition`` holds and ``other`` elsewhere (numbers allowed)."""
    if input is None and other is None:
        return tuple(_wrap(i, None) for i in np.nonzero(condition._data))
    like = input if isinstance(input, Tensor) else other
    if not isinstance(input, Tensor) or not isinstance(other, Tensor) or input._data.dtype is not other._data.dtype:
        rd = result_np_dtype((input, other))
        input = _as_dtype(input, rd, like)
        other = _as_dtype(other, rd, like)
    try:
        return nary(WhereBackward0, (condition, input, other))
    except ValueError:  # (np.where: the shapes do not broadcast)
        raise broadcast_error(condition, input, other) from None


def mask_grad(g: Tensor, w: Tensor) -> Tensor:
    """``g * w`` for a mask (or weights) ``w``, but with torch's zeros where w is 0: +0.0, even
    where g is negative, inf or nan (torch selects there, it does not multiply)."""
    gd, wd = g._data, w._data
    if wd.dtype.kind == "b" and gd.dtype.kind == "f" and not _grad_enabled.get():
        # a selection by bits, as fast as the product: g's bits where the mask is set, all
        # zero bits (+0.0) elsewhere
        ints = _SAME_SIZE_INT[gd.dtype.itemsize]
        shape = gd.shape if gd.shape == wd.shape else np.broadcast_shapes(gd.shape, wd.shape)
        out = np.empty(shape, gd.dtype)
        np.bitwise_and(gd.view(ints), np.negative(wd, dtype=ints), out=out.view(ints))
        return _wrap(out, None)
    return where(w != 0, g * w, 0.0)


_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}


Tensor.where = lambda self, condition, other: where(condition, self, other)


def _as_dtype(v, rd, like):
    if isinstance(v, Tensor):
        return v if v._data.dtype is rd else v.to(FROM_NP[rd])
    return _wrap(np.array(v).astype(rd), None)  # (astype: an int outside the dtype wraps, as in torch)


def _lerp(x, y, w):
    return x + w * (y - x)


class LerpBackward0(Op):
    """lerp with a number weight (a parameter, not an operand): out = x + w (y - x);
    d/dx = 1 - w, d/dy = w. Nothing saved, so it backwards twice, as in torch."""

    saves_operands = False
    forward = staticmethod(_lerp)

    def backward(self, g):
        (w,) = self._params
        sx, sy = self.shapes
        return (sum_to(g * (1 - w), sx) if self.needs(0) else None, sum_to(g * w, sy) if self.needs(1) else None)


class LerpBackward1(Op):
    """lerp with a tensor weight: d/dx = 1 - w, d/dy = w, d/dw = y - x"""

    save_when = ((2,), (2,), True)  # x and y only for the weight's gradient
    forward = staticmethod(_lerp)

    def backward(self, g):
        x, y, w = self.saved
        sx, sy, sw = self.shapes
        gx = sum_to(g * (1 - w), sx) if self.needs(0) else None
        gy = sum_to(g * w, sy) if self.needs(1) else None
        gw = sum_to(g * (y - x), sw) if self.needs(2) else None
        return gx, gy, gw


@register(inplace="lerp_", samples=[(T(3, 4), T(4), 0.3), (T(3), T(3), T(3))])
def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``; floating tensors of one dtype (a 0-d weight may differ)"""
    dt = input._data.dtype
    if end._data.dtype is not dt:
        raise RuntimeError(f"expected dtype {_C_NAME[dt.name]} for `end` but got dtype {_C_NAME[end._data.dtype.name]}")
    if isinstance(weight, Tensor) and weight._data.dtype is not dt:
        if weight._data.ndim:
            raise RuntimeError(f"expected dtype {_C_NAME[dt.name]} for `weight` but got dtype "
                               f"{_C_NAME[weight._data.dtype.name]}")
        weight = weight.to(FROM_NP[dt])
    if dt.kind != "f":
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TORCH_NAME[dt.name]}'")
    try:
        if isinstance(weight, Tensor):
            return nary(LerpBackward1, (input, end, weight))
        return nary(LerpBackward0, (input, end), weight)
    except ValueError:
        raise broadcast_error(input, end, weight) from None


# the C++ names and the names torch's kernels give the dtypes, for messages that quote them
_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
           "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char", "bool": "bool"}
_TORCH_NAME = {"int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


class Atan2Backward0(Op):
    """atan2(y, x): d/dy = x / (x² + y²), d/dx = -y / (x² + y²)"""

    float_result = True
    forward = staticmethod(np.arctan2)

    def backward(self, g):
        y, x = self.saved
        r = x * x + y * y
        gy = sum_to(g * x / r, y.shape) if self.needs(0) else None
        gx = sum_to(g * -y / r, x.shape) if self.needs(1) else None
        return gy, gx


@register(inplace="atan2_", samples=[(T(3, 4), T(4, lo=0.5))])
def atan2(input, other) -> Tensor:
    """The angle of the point (other, input): ``atan(input / other)`` in the right quadrant."""
    return binary(Atan2Backward0, input, other)


arctan2 = register("arctan2", samples=[(T(3, 4), T(4, lo=0.5))])(atan2)
