"""The rest of torch's pointwise math: inverse hyperbolics, addcmul/addcdiv, copysign, fmod,
hypot, logaddexp, logit, nan_to_num, ... Each op's forward (on arrays) beside its rule (in tensor
ops). The functions that need SciPy (gamma, erf, Bessel families) are in special.py.
"""

from __future__ import annotations

import math

from .. import return_types
from .._dtype import FROM_NP, result_np_dtype
from .._tensor import Tensor, _wrap
from ..backend import np
from . import _core
from ._core import Op, binary, broadcast_error, nary, register, sum_to, unary
from ._samples import T
from .elementwise import _TORCH_NAME, _check_divisor, _unary, _zero, mask_grad, pow, where


# ---- shared checks -------------------------------------------------------------------------------
def dtype_name(np_dtype) -> str:
    """torch's kernel-table name of a dtype ('Long', 'Bool', 'Float', ...)."""
    return _TORCH_NAME.get(np_dtype.name) or {"float16": "Half", "float32": "Float", "float64": "Double",
                                              "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(
        np_dtype.name, np_dtype.name)


def not_implemented_for(kernel: str, np_dtype) -> NotImplementedError:
    """torch's error for a dtype its kernel has no code for: '"hypot_cpu" not implemented for 'Long''."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(np_dtype)}\'')


def require_tensor(fn: str, arg: str, position: int, v) -> None:
    """torch's TypeError for a number where its signature takes only a Tensor."""
    if not isinstance(v, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not {type(v).__name__}")


def floats_only(kernel: str, *operands) -> None:
    """Refuse operands whose promoted dtype is not floating (the kernel exists for floats only)."""
    rd = result_np_dtype(operands)
    if rd.kind not in "fc":
        raise not_implemented_for(kernel, rd)


def not_implemented_node(op: str, forward):
    """A node class for an op torch cannot differentiate: recorded, but its backward raises
    (torch names it NotImplemented)."""

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{op} is not implemented")

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    cls = type("NotImplemented", (Op,), {"__slots__": (), "saves_operands": False, "backward": backward,
                                         "forward": staticmethod(forward), "name": name,
                                         "__doc__": f"{op}: no derivative"})
    cls.__qualname__ = "NotImplemented"
    return cls


def _bools(data) -> Tensor:
    """A boolean result: no graph, as torch's comparisons."""
    return _wrap(np.asarray(data), None)


UNARY_SAMPLES = [(T(3, 4),), (T(),)]


# ---- inverse hyperbolic functions ------------------------------------------------------------------
acosh = _unary("AcoshBackward0", np.arccosh, lambda s, g, x: g * (x * x - 1).rsqrt(), name="acosh",
               domain=(1.1, 3.0), inplace=False)
asinh = _unary("AsinhBackward0", np.arcsinh, lambda s, g, x: g * (x * x + 1).rsqrt(), name="asinh", inplace=False)
atanh = _unary("AtanhBackward0", np.arctanh, lambda s, g, x: g / (1 - x * x), name="atanh", domain=(-0.9, 0.9),
               inplace=False)
arccosh, arcsinh, arctanh = acosh, asinh, atanh


def _inplace_without_derivative(name: str, forward):
    """``Tensor.<name>_``: torch computes it but has no derivative for it (its node's backward
    raises), unlike the out-of-place op."""

    def backward(self, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not implemented.")

    node = type(f"{name.capitalize()}Backward1", (Op,), {
        "__slots__": (), "forward": staticmethod(forward), "backward": backward, "saves_operands": False,
        "float_result": True, "__doc__": f"{name}_: no derivative"})

    def method(self: Tensor) -> Tensor:
        from .inplace import apply_inplace

        return apply_inplace(self, lambda x: unary(node, x), name + "_")

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place {name} (not differentiable, as in torch)."
    return method


for _name, _fn, _forward, (_lo, _hi) in (("acosh", acosh, np.arccosh, (1.1, 3.0)),
                                         ("asinh", asinh, np.arcsinh, (-2.0, 2.0)),
                                         ("atanh", atanh, np.arctanh, (-0.9, 0.9))):
    setattr(Tensor, _name + "_", _inplace_without_derivative(_name, _forward))
    _alias = "arc" + _name[1:]  # (acosh: arccosh)
    setattr(Tensor, _alias + "_", getattr(Tensor, _name + "_"))
    register(_alias, samples=[(T(3, lo=_lo, hi=_hi),)])(_fn)

# ---- angles --------------------------------------------------------------------------------------
DEG = math.pi / 180.0
deg2rad = _unary("Deg2RadBackward0", lambda x: x * DEG, lambda s, g, x: g * DEG, name="deg2rad",
                 reads_x=False)
rad2deg = _unary("Rad2DegBackward0", lambda x: x * (1 / DEG), lambda s, g, x: g * (1 / DEG), name="rad2deg",
                 reads_x=False)


# ---- sinc, frac, sgn, positive -----------------------------------------------------------------------
def _sinc_rule(s, g, x):
    """sinc: d/dx = (cos(pi x) pi x - sin(pi x)) / (pi x²), 0 at x = 0"""
    px = x * math.pi
    d = (px * px.cos() - px.sin()) / (px * x)
    return g * where(x == 0, 0.0, d)


def _sinc(x):
    return np.sinc(x).astype(x.dtype, copy=False)


sinc = _unary("SincBackward0", _sinc, _sinc_rule, name="sinc")


def _frac(x):
    if x.dtype.kind not in "fc":
        raise not_implemented_for("frac_cpu", x.dtype)
    return x - np.trunc(x)


frac = _unary("FracBackward0", _frac, lambda s, g, x: g, name="frac", float_result=False, reads_x=False)


def _sgn(x):
    return np.sign(x) if x.dtype.kind != "b" else x.copy()


# torch's rule for sgn is zero for real inputs (the complex case is the complex module's)
sgn = _unary("SgnBackward0", _sgn, _zero, name="sgn", float_result=False, reads_x=False)


@register(samples=UNARY_SAMPLES)
def positive(input: Tensor) -> Tensor:
    """``+input``: the tensor itself (torch returns the same object).

    >>> import torchless as torch
    >>> x = torch.tensor([1., -2.])
    >>> torch.positive(x) is x
    True
    """
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ---- tests of the value's kind: boolean results, no graph --------------------------------------------
@register(samples=UNARY_SAMPLES, differentiable=False)
def signbit(input: Tensor) -> Tensor:
    """Whether each element's sign bit is set (True for -0.0)."""
    d = input._data
    return _bools(np.signbit(d) if d.dtype.kind != "b" else np.zeros(d.shape, bool))


@register(samples=UNARY_SAMPLES, differentiable=False)
def isposinf(input: Tensor) -> Tensor:
    """Whether each element is +inf."""
    d = input._data
    return _bools(np.isposinf(d) if d.dtype.kind in "fc" else np.zeros(d.shape, bool))


@register(samples=UNARY_SAMPLES, differentiable=False)
def isneginf(input: Tensor) -> Tensor:
    """Whether each element is -inf."""
    d = input._data
    return _bools(np.isneginf(d) if d.dtype.kind in "fc" else np.zeros(d.shape, bool))


@register(samples=UNARY_SAMPLES, differentiable=False)
def isreal(input: Tensor) -> Tensor:
    """Whether each element is real (its imaginary part zero; always, for a real tensor)."""
    d = input._data
    return _bools(d.imag == 0 if d.dtype.kind == "c" else np.ones(d.shape, bool))


# ---- nan_to_num ------------------------------------------------------------------------------------
class NanToNumBackward0(Op):
    """nan_to_num: d/dx = 1 where x is finite, 0 where it was replaced"""

    @staticmethod
    def forward(x, nan, posinf, neginf):
        if x.dtype.kind not in "fc":
            return x.copy()
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        (x,) = self.saved
        return (mask_grad(g, x.isfinite()),)


@register(inplace="nan_to_num_", samples=[(T(3, 4),), (T(3), {"nan": 1.0, "posinf": 2.0, "neginf": -2.0})])
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace nan by ``nan``, +inf and -inf by ``posinf`` / ``neginf`` (the dtype's largest and
    smallest values by default)."""
    return unary(NanToNumBackward0, input, 0.0 if nan is None else nan, posinf, neginf)


# ---- logit -----------------------------------------------------------------------------------------
class LogitBackward0(Op):
    """logit: d/dx = 1 / (x (1 - x)); outside [eps, 1 - eps] 0 (or nan outside [0, 1] when eps is None)"""

    float_result = True

    @staticmethod
    def forward(x, eps):
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        return np.log(x / (1 - x))

    def backward(self, g):
        (x,) = self.saved
        (eps,) = self._params
        d = g / (x * (1 - x))
        if eps is None:
            return (where((x < 0) | (x > 1), math.nan, d),)
        return (where((x < eps) | (x > 1 - eps), 0.0, d),)


@register(inplace="logit_", samples=[(T(3, 4, lo=0.05, hi=0.95),), (T(3, lo=0.05, hi=0.95), 0.2)])
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``, with x first clamped to ``[eps, 1 - eps]`` when eps is given."""
    return unary(LogitBackward0, input, eps)


# ---- frexp -----------------------------------------------------------------------------------------
class FrexpBackward0(Op):
    """frexp: mantissa = x / 2**exponent, so d mantissa/dx = 2**-exponent"""

    saves_operands = False

    @staticmethod
    def forward(x, exponent):
        return np.frexp(x)[0]

    def backward(self, g):
        (exponent,) = self._params
        return (g * _wrap(np.ldexp(np.ones((), g._data.dtype), -exponent), None),)


@register(samples=UNARY_SAMPLES)
def frexp(input: Tensor):
    """Mantissa in [0.5, 1) (signed) and integer exponent: ``input = mantissa * 2**exponent``."""
    d = input._data
    if d.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = np.frexp(d)[1].astype(np.int32)
    mantissa = unary(FrexpBackward0, input, exponent)
    return return_types.make("frexp", "mantissa exponent")(mantissa, _wrap(exponent, None))


# ---- binary ops of numbers and tensors -------------------------------------------------------------
class CopysignBackward0(Op):
    """copysign(x, y) = |x| sign(y): d/dx = out / x (0 at x = 0), d/dy = 0"""

    float_result = True
    save_output = True
    forward = staticmethod(np.copysign)

    def backward(self, g):
        x, y = self.saved
        gx = gy = None
        if self.needs(0):
            gx = sum_to(g * where(x == 0, 0.0, self.out / x), x.shape)
        if self.needs(1):
            gy = y.new_zeros(y.shape) if isinstance(y, Tensor) else None
        return gx, gy


class CopysignBackward1(CopysignBackward0):
    """copysign with a number for the sign"""

    __slots__ = ()


@register(inplace="copysign_", samples=[(T(3, 4), T(4)), (T(3), -1.5), (T(3, 4), T(3, 1))])
def copysign(input: Tensor, other) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other``."""
    return binary(CopysignBackward0 if isinstance(other, Tensor) else CopysignBackward1, input, other)


class FmodBackward0(Op):
    """fmod by a number: d/dx = 1"""

    saves_operands = False

    @staticmethod
    def forward(x, y):
        if np.result_type(x, y).kind == "b":
            raise not_implemented_for("fmod_cpu", np.dtype(bool))
        _check_divisor(x, y)
        return np.fmod(x, y)

    def backward(self, g):
        return (g, None)


class FmodBackward1(Op):
    """fmod(x, y) = x - trunc(x / y) y: d/dx = 1, d/dy = -trunc(x / y)"""

    forward = FmodBackward0.forward
    save_when = ((1,), (1,))

    def backward(self, g):
        sx, sy = self.shapes
        gy = None
        if self.needs(1):
            x, y = self.saved
            gy = sum_to(-g * (x / y).trunc(), sy)
        return (sum_to(g, sx) if self.needs(0) else None, gy)


@register(inplace="fmod_", samples=[(T(3, 4), 0.7), (T(3, 4), T(4, lo=0.5)), (T(3), -1.5)])
def fmod(input: Tensor, other) -> Tensor:
    """C's fmod: the remainder of ``input / other`` with the sign of ``input``."""
    return binary(FmodBackward1 if isinstance(other, Tensor) else FmodBackward0, input, other)


class HypotBackward0(Op):
    """hypot = sqrt(x² + y²): d/dx = x / out, d/dy = y / out"""

    save_output = True
    forward = staticmethod(np.hypot)

    def backward(self, g):
        x, y = self.saved
        out = self.out
        gx = sum_to(g * x / out, x.shape) if self.needs(0) else None
        gy = sum_to(g * y / out, y.shape) if self.needs(1) else None
        return gx, gy


@register(inplace="hypot_", samples=[(T(3, 4), T(4)), (T(2, 1, 3), T(4, 1))])
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input² + other²)``, without overflow."""
    require_tensor("hypot", "other", 2, other)
    floats_only("hypot_cpu", input, other)
    return binary(HypotBackward0, input, other)


class LogaddexpBackward0(Op):
    """logaddexp = log(e^x + e^y): d/dx = 1 / (1 + e^(y - x)), d/dy = 1 / (1 + e^(x - y))"""

    forward = staticmethod(np.logaddexp)

    def backward(self, g):
        x, y = self.saved
        gx = sum_to(g / (1 + (y - x).exp()), x.shape) if self.needs(0) else None
        gy = sum_to(g / (1 + (x - y).exp()), y.shape) if self.needs(1) else None
        return gx, gy


class Logaddexp2Backward0(Op):
    """logaddexp2 = log2(2^x + 2^y): d/dx = 1 / (1 + 2^(y - x)), d/dy = 1 / (1 + 2^(x - y))"""

    forward = staticmethod(np.logaddexp2)

    def backward(self, g):
        x, y = self.saved
        gx = sum_to(g / (1 + pow(2.0, y - x)), x.shape) if self.needs(0) else None
        gy = sum_to(g / (1 + pow(2.0, x - y)), y.shape) if self.needs(1) else None
        return gx, gy


@register(samples=[(T(3, 4), T(4)), (T(2, 1, 3), T(4, 1))])
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))``, without overflow."""
    require_tensor("logaddexp", "other", 2, other)
    floats_only("logaddexp_cpu", input, other)
    return binary(LogaddexpBackward0, input, other)


@register(samples=[(T(3, 4), T(4)), (T(2, 1, 3), T(4, 1))])
def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**input + 2**other)``, without overflow."""
    require_tensor("logaddexp2", "other", 2, other)
    floats_only("logaddexp2_cpu", input, other)
    return binary(Logaddexp2Backward0, input, other)


class NextafterBackward0(Op):
    """nextafter: the next float after x towards y; torch passes the gradient to x (where x != y),
    none to y"""

    save_when = ((0,), (0,))
    forward = staticmethod(np.nextafter)

    def backward(self, g):
        sx, sy = self.shapes
        gx = None
        if self.needs(0):
            x, y = self.saved
            gx = sum_to(mask_grad(g, x != y), sx)
        gy = g.new_zeros(sy) if self.needs(1) else None
        return gx, gy


@register(inplace="nextafter_", samples=[(T(3, 4), T(4)), (T(3), T(3))])
def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after ``input`` in the direction of ``other``."""
    require_tensor("nextafter", "other", 2, other)
    floats_only("nextafter_cpu", input, other)
    return binary(NextafterBackward0, input, other)


class FmaxBackward0(Op):
    """fmax: the larger input, ignoring nan; the gradient goes to x where x >= y or y is nan"""

    forward = staticmethod(np.fmax)
    pick_x = staticmethod(lambda x, y: (x >= y) | y.isnan())

    def backward(self, g):
        x, y = self.saved
        px = self.pick_x(x, y)
        gx = sum_to(mask_grad(g, px), x.shape) if self.needs(0) else None
        gy = sum_to(mask_grad(g, px.logical_not()), y.shape) if self.needs(1) else None
        return gx, gy


class FminBackward0(FmaxBackward0):
    """fmin: the smaller input, ignoring nan; the gradient goes to x where x <= y or y is nan"""

    __slots__ = ()
    forward = staticmethod(np.fmin)
    pick_x = staticmethod(lambda x, y: (x <= y) | y.isnan())


@register(samples=[(T(3, 4), T(4)), (T(2, 1, 3), T(4, 1))])
def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum that prefers a number to nan."""
    require_tensor("fmax", "other", 2, other)
    return binary(FmaxBackward0, input, other)


@register(samples=[(T(3, 4), T(4)), (T(2, 1, 3), T(4, 1))])
def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum that prefers a number to nan."""
    require_tensor("fmin", "other", 2, other)
    return binary(FminBackward0, input, other)


def _heaviside(x, values):
    return np.where(x == 0, values, x > 0).astype(np.result_type(x, values), copy=False)


HeavisideNode = not_implemented_node("heaviside", _heaviside)


@register(inplace="heaviside_", samples=[(T(3, 4), T(4)), (T(3), T(3))], gradcheck=False)
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The Heaviside step: 0 for negative input, 1 for positive, ``values`` where the input is 0."""
    require_tensor("heaviside", "values", 2, values)
    if input._data.dtype is not values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return binary(HeavisideNode, input, values)


class LdexpBackward0(Op):
    """ldexp(x, e) = x 2**e: d/dx = 2**e, d/de = x 2**e log 2"""

    float_result = True
    save_output = True

    @staticmethod
    def forward(x, e):
        return x * np.exp2(e).astype(x.dtype, copy=False)

    def backward(self, g):
        x, e = self.saved
        gx = sum_to(g * pow(2.0, e), x.shape) if self.needs(0) else None
        ge = sum_to(g * self.out * math.log(2.0), e.shape) if self.needs(1) else None
        return gx, ge


@register(inplace="ldexp_", samples=[(T(3, 4), T(4)), (T(3), T(3))])
def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2**other``."""
    require_tensor("ldexp", "other", 2, other)
    return binary(LdexpBackward0, input, other)


# ---- xlogy -----------------------------------------------------------------------------------------
def _xlogy(x, y):
    out = np.where(x == 0, 0.0, x * np.log(y))
    out = np.where(np.isnan(y), np.nan, out)
    return out.astype(np.result_type(x, y), copy=False)


class XlogyBackward0(Op):
    """xlogy = x log y (0 where x = 0): d/dx = log y (0 where x = 0 and y <= 0), d/dy = x / y"""

    float_result = True
    forward = staticmethod(_xlogy)

    def backward(self, g):
        x, y = self.saved
        gx = gy = None
        if self.needs(0):
            gx = sum_to(masked_where_zero(xlogy(g, y), x, y, 0.0), x.shape)
        if self.needs(1):
            gy = sum_to(g * x / y, y.shape)
        return gx, gy


def masked_where_zero(d: Tensor, x: Tensor, y, bound: float) -> Tensor:
    """``d`` with 0 where x = 0 and y <= bound (torch's rule for xlogy and xlog1py in x: where the
    function is 0 for every x near 0, whatever log says)."""
    if isinstance(y, Tensor):
        return where((x == 0) & (y <= bound), 0.0, d)
    return where(x == 0, 0.0, d) if y <= bound else d


class XlogyBackward1(XlogyBackward0):
    """xlogy of a number and a tensor"""

    __slots__ = ()


class XlogyBackward2(XlogyBackward0):
    """xlogy of a tensor and a number"""

    __slots__ = ()


@register(inplace="xlogy_", samples=[(T(3, 4), T(4, lo=0.5)), (T(3), 2.5), (1.5, T(3, lo=0.5))])
def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where input is 0 (unless other is nan)."""
    if not isinstance(input, Tensor):
        cls = XlogyBackward1
    else:
        cls = XlogyBackward0 if isinstance(other, Tensor) else XlogyBackward2
    return binary(cls, input, other)


# ---- float_power: pow in double precision ----------------------------------------------------------
def _to_double(v):
    if isinstance(v, Tensor):
        if v._data.dtype.kind == "c":
            return v if v._data.dtype == np.complex128 else v.to(FROM_NP[np.dtype(np.complex128)])
        return v if v._data.dtype == np.float64 else v.to(FROM_NP[np.dtype(np.float64)])
    return complex(v) if isinstance(v, complex) else float(v)


@register(samples=[(T(3, 4, lo=0.5), 2), (T(3, lo=0.5), 2.5), (T(3, 4, lo=0.5), T(4)), (2.0, T(3))])
def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed (and returned) in double precision."""
    return pow(_to_double(input), _to_double(exponent))


def float_power_(self: Tensor, exponent) -> Tensor:
    """In-place float_power: ``self`` must already be float64 (or complex128)."""
    want = np.dtype(np.complex128) if self._data.dtype.kind == "c" or isinstance(exponent, complex) or (
        isinstance(exponent, Tensor) and exponent._data.dtype.kind == "c") else np.dtype(np.float64)
    if self._data.dtype != want:
        raise RuntimeError(f"the base given to float_power_ has dtype {dtype_name(self._data.dtype)} but the "
                           f"operation's result requires dtype {dtype_name(want)}")
    from .inplace import apply_inplace

    return apply_inplace(self, float_power, "float_power_", exponent)


Tensor.float_power_ = float_power_
_core.OPS["float_power"].inplace = "float_power_"


# ---- addcmul, addcdiv --------------------------------------------------------------------------------
def _promote3(fn, input, t1, t2):
    for i, (arg, v) in enumerate((("input", input), ("tensor1", t1), ("tensor2", t2))):
        require_tensor(fn, arg, i + 1, v)
    rd = result_np_dtype((input, t1, t2))
    return tuple(t if t._data.dtype is rd else t.to(FROM_NP[rd]) for t in (input, t1, t2))


def _value_in(value, dtype):
    """The ``value`` multiplier as torch reads it for the result dtype (an integer dtype truncates;
    a one-element tensor is read as its number)."""
    if isinstance(value, Tensor):
        value = value.item()
    if dtype.kind in "iu" and not isinstance(value, bool):
        return int(value)
    return value


class AddcmulBackward0(Op):
    """addcmul = x + v t1 t2: d/dx = 1, d/dt1 = v t2, d/dt2 = v t1"""

    save_when = ((), (2,), (1,))

    @staticmethod
    def forward(x, t1, t2, value):
        prod = t1 * t2
        return x + (prod * value if value != 1 else prod)

    def backward(self, g):
        _, t1, t2 = self.saved
        sx, s1, s2 = self.shapes
        (value,) = self._params
        gx = sum_to(g, sx) if self.needs(0) else None
        g1 = sum_to(g * t2 * value, s1) if self.needs(1) else None
        g2 = sum_to(g * t1 * value, s2) if self.needs(2) else None
        return gx, g1, g2


class AddcdivBackward0(Op):
    """addcdiv = x + v t1 / t2: d/dx = 1, d/dt1 = v / t2, d/dt2 = -v t1 / t2²"""

    save_when = ((), (2,), True)

    @staticmethod
    def forward(x, t1, t2, value):
        q = t1 / t2
        return x + (q * value if value != 1 else q)

    def backward(self, g):
        _, t1, t2 = self.saved
        sx, s1, s2 = self.shapes
        (value,) = self._params
        gx = sum_to(g, sx) if self.needs(0) else None
        g1 = sum_to(g * value / t2, s1) if self.needs(1) else None
        g2 = sum_to(-g * value * t1 / (t2 * t2), s2) if self.needs(2) else None
        return gx, g1, g2


@register(inplace="addcmul_", samples=[(T(3, 4), T(3, 4), T(4)), (T(3), T(3), T(3), {"value": 0.5})])
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    input, tensor1, tensor2 = _promote3("addcmul", input, tensor1, tensor2)
    try:
        return nary(AddcmulBackward0, (input, tensor1, tensor2), _value_in(value, input._data.dtype))
    except ValueError:
        raise broadcast_error(input, tensor1, tensor2) from None


ADDCDIV_INTEGER_MESSAGE = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
    "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
    "tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * "
    "tensor1 / tensor2), for all dtypes."
)


@register(inplace="addcdiv_", samples=[(T(3, 4), T(3, 4), T(4, lo=0.5)),
                                       (T(3), T(3), T(3, lo=0.5), {"value": 0.5})])
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``."""
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "iub" for t in (tensor1, tensor2)):
        raise RuntimeError(ADDCDIV_INTEGER_MESSAGE)
    input, tensor1, tensor2 = _promote3("addcdiv", input, tensor1, tensor2)
    try:
        return nary(AddcdivBackward0, (input, tensor1, tensor2), _value_in(value, input._data.dtype))
    except ValueError:
        raise broadcast_error(input, tensor1, tensor2) from None


# ---- in-place forms torch has for ops registered elsewhere ------------------------------------------
for _name in ("clamp_min", "clamp_max", "fix", "absolute", "negative"):
    if _name in _core.OPS and not _core.OPS[_name].inplace:
        _core.OPS[_name].inplace = _name + "_"
