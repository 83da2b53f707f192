"""Complex numbers: real/imag views, conj, abs/angle/sgn, polar, complex, view_as_real/complex.

torch's autograd convention for complex numbers: the gradient handed to a rule is the conjugate
Wirtinger derivative, and a rule returns ``g * conj(f'(z))`` for a holomorphic f (in general
``g * conj(df/dz) + conj(g) * df/dz̄``). A real input of a complex result gets the real part.

torch's conjugate is lazy (a bit on the tensor); here it is an eager copy that remembers it
was a conjugate (``is_conj``), so that ``resolve_conj`` and friends behave as in torch.
"""

from __future__ import annotations

import math

from .. import _dtype
from .._tensor import Tensor
from ..backend import np
from ._core import OPS, Op, binary, broadcast_error, register, unary
from ._samples import T
from .shape import select, t, transpose


def _is_complex(x: Tensor) -> bool:
    return x._data.dtype.kind == "c"


# ---- view_as_real, view_as_complex, real, imag ---------------------------------------------------
def _as_real(x):
    """The (..., 2) real view of a complex array's memory."""
    re = x.real
    return np.lib.stride_tricks.as_strided(re, x.shape + (2,), re.strides + (re.itemsize,),
                                           writeable=x.flags.writeable)


def _as_complex(x):
    """The complex view of a (..., 2) real array's memory."""
    if not x.size:
        return np.empty(x.shape[:-1], _dtype.complex_of(x.dtype))
    return x.view(_dtype.complex_of(x.dtype))[..., 0]


class ViewAsRealBackward0(Op):
    """view_as_real: the gradient pairs are read back as complex numbers"""

    saves_operands = False
    is_view = True
    forward = staticmethod(_as_real)

    def backward(self, g):
        return (view_as_complex(g.contiguous()),)


class ViewAsComplexBackward0(Op):
    """view_as_complex: the gradient's real and imaginary parts, side by side"""

    saves_operands = False
    is_view = True
    forward = staticmethod(_as_complex)

    def backward(self, g):
        return (view_as_real(g),)


def view_as_real(input: Tensor) -> Tensor:
    """The complex tensor as a real one with a last dim of 2 (real, imaginary), sharing memory.

    >>> import torchless as torch
    >>> torch.view_as_real(torch.tensor([1 + 2j]))
    tensor([[1., 2.]])
    """
    if not _is_complex(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return unary(ViewAsRealBackward0, input)


@register(method=False, samples=[(T(3, 2),), (T(2, 4, 2),)], gradcheck=False)
def view_as_complex(input: Tensor) -> Tensor:
    """A real tensor with a last dim of 2 as a complex tensor, sharing memory.

    >>> import torchless as torch
    >>> torch.view_as_complex(torch.tensor([[1., 2.]]))
    tensor([1.+2.j])
    """
    d = input._data
    if d.dtype.kind != "f" or d.dtype.itemsize == 2:
        raise RuntimeError(f"view_as_complex is only supported for floating point tensors, but got a tensor of "
                           f"scalar type: {input.dtype.name.capitalize()}")
    if not d.ndim or d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if d.size and d.strides[-1] != d.itemsize:  # (NumPy's strides of an empty array are arbitrary)
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if d.size and any(s % (2 * d.itemsize) for s, n in zip(d.strides[:-1], d.shape[:-1]) if n != 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return unary(ViewAsComplexBackward0, input)


def _part(input: Tensor, index: int) -> Tensor:
    out = select(view_as_real(input), -1, index)
    if index and input.is_conj():  # (torch: the imaginary part of a conjugate is a negative view)
        out._extras()["neg"] = True
    return out


@register(method=False, samples=[(T(3, 4),)])
def real(input: Tensor) -> Tensor:
    """The real part (a view); a real tensor is its own real part."""
    return _part(input, 0) if _is_complex(input) else input


def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor (a view)."""
    if not _is_complex(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _part(input, 1)


def _set_part(getter):
    def setter(self, value):
        getter(self).copy_(value)

    return setter


Tensor.real = property(real, _set_part(real))
Tensor.imag = property(imag, _set_part(imag))


# ---- conj and its flags ------------------------------------------------------------------------
def _flag(x: Tensor, name: str) -> bool:
    extra = x._extra
    return bool(extra and extra.get(name))


class ConjBackward0(Op):
    """conj: the gradient is conjugated back"""

    saves_operands = False
    forward = staticmethod(np.conjugate)

    def backward(self, g):
        return (g.conj(),)


class ConjPhysicalBackward0(ConjBackward0):
    __slots__ = ()

    def backward(self, g):
        return (g.conj_physical(),)


@register(samples=[(T(3, 4),)])
def conj(input: Tensor) -> Tensor:
    """The complex conjugate; a real tensor is returned as it is.

    >>> import torchless as torch
    >>> torch.tensor([1 + 2j]).conj()
    tensor([1.-2.j])
    """
    if not _is_complex(input):
        return input
    out = unary(ConjBackward0, input)
    if not input.is_conj():
        out._extras()["conj"] = True
    return out


@register(samples=[(T(3, 4),)])
def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate, computed right away (a real tensor is returned as it is)."""
    if not _is_complex(input):
        return input
    return unary(ConjPhysicalBackward0, input)


class ConjPhysicalBackward1(ConjPhysicalBackward0):
    """conj_physical_, in place: the gradient is conjugated (passed on as it is for a real tensor)"""

    __slots__ = ()
    forward = staticmethod(np.conjugate)


def conj_physical_(self: Tensor) -> Tensor:
    """The complex conjugate, in place (recorded as torch records it, also for a real tensor)."""
    from .inplace import apply_inplace

    return apply_inplace(self, lambda t: unary(ConjPhysicalBackward1, t), "conj_physical_")


Tensor.conj_physical_ = conj_physical_
OPS["conj_physical"].inplace = "conj_physical_"


def is_conj(input: Tensor) -> bool:
    """Whether ``input`` is a conjugate that torch would still have to resolve."""
    return _flag(input, "conj")


def is_neg(input: Tensor) -> bool:
    """Whether ``input`` is a negative view that torch would still have to resolve."""
    return _flag(input, "neg")


def _resolver(flag: str, doc: str):
    def resolve(input: Tensor) -> Tensor:
        if not _flag(input, flag):
            return input
        out = input.clone()
        return out

    resolve.__doc__ = doc
    return resolve


resolve_conj = register("resolve_conj", samples=[(T(3, 4),)])(
    _resolver("conj", "A tensor that is not a pending conjugate: a copy of a conjugate, else ``input``."))
resolve_neg = register("resolve_neg", samples=[(T(3, 4),)])(
    _resolver("neg", "A tensor that is not a pending negation: a copy of a negative view, else ``input``."))
Tensor.is_conj = is_conj
Tensor.is_neg = is_neg


def _H(self):
    if self._data.ndim == 2:
        return conj(t(self))
    if self._data.ndim == 0:
        return conj(self)
    raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor.")


def _mH(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return conj(transpose(self, -2, -1))


Tensor.H = property(_H)
Tensor.mH = property(_mH)


@register(samples=[(T(3, 4),)])
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a view)."""
    return _mH(input)


# ---- abs (see elementwise.py), angle, sgn --------------------------------------------------------
def _angle(x):
    if x.dtype.kind == "c":
        return np.angle(x)
    return np.where(np.isnan(x), x, np.where(x < 0, math.pi, 0.0)).astype(x.dtype)


class AngleBackward0(Op):
    """angle: d/dz of arg(z) gives g * i z / |z|² (0 at z = 0); a real input gets 0"""

    float_result = True
    forward = staticmethod(_angle)

    def backward(self, g):
        (x,) = self.saved
        if not _is_complex(x):
            return (g * 0,)
        r2 = x.real * x.real + x.imag * x.imag
        return (where_zero(r2, g * x * 1j / r2),)


def where_zero(r, value):
    """``value``, with 0 where ``r`` is 0."""
    from .elementwise import where

    return where(r == 0, 0.0, value)


@register(samples=[(T(3, 4),)])
def angle(input: Tensor) -> Tensor:
    """The argument of each element (pi for a negative real number, 0 otherwise)."""
    return unary(AngleBackward0, input)


def _sgn(x):
    if x.dtype.kind != "c":
        if x.dtype.kind == "b":
            return x.copy()
        return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype) if x.dtype.kind == "f" else np.sign(x)
    r = np.abs(x)
    return np.where(r == 0, 0, x / np.where(r == 0, 1, r)).astype(x.dtype)


class SgnBackward0(Op):
    """sgn = z / |z|: g -> (g - sgn² conj(g)) / (2|z|) (0 at z = 0); a real input gets 0"""

    save_output = True
    forward = staticmethod(_sgn)

    def backward(self, g):
        (x,) = self.saved
        if not _is_complex(x):
            return (g * 0,)
        s = self.out
        r = x.abs()
        return (where_zero(r, (g - s * s * g.conj()) / (2 * r)),)


@register(inplace="sgn_", samples=[(T(3, 4),)])
def sgn(input: Tensor) -> Tensor:
    """``z / |z|`` (0 at 0); the sign for a real tensor."""
    return unary(SgnBackward0, input)


# ---- polar, complex ----------------------------------------------------------------------------
def _check_pair(a: Tensor, b: Tensor, name: str) -> None:
    da, db = a._data.dtype, b._data.dtype
    if da.kind != "f" or db.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_KIND_NAME.get(da.name, da.name)} and {_KIND_NAME.get(db.name, db.name)}")
    if da is not db:
        raise RuntimeError(f"Expected object of scalar type {_KIND_NAME[da.name]} but got scalar type "
                           f"{_KIND_NAME[db.name]} for second argument")


_KIND_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
              "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
              "complex128": "ComplexDouble"}


def _polar(r, theta):
    return (r * np.cos(theta) + 1j * (r * np.sin(theta))).astype(_dtype.complex_of(np.result_type(r, theta)))


class PolarBackward0(Op):
    """polar(r, θ) = r e^{iθ}: g -> (re(conj(g) sgn(out)), re(conj(g) i out))"""

    save_output = True
    saves_operands = False
    forward = staticmethod(_polar)

    def backward(self, g):
        out = self.out
        sr, st = self.shapes
        from ._core import sum_to

        gc = g.conj()
        gr = sum_to((gc * out.sgn()).real, sr) if self.needs(0) else None
        gt = sum_to((gc * out * 1j).real, st) if self.needs(1) else None
        return gr, gt


@register(method=False, samples=[(T(3, 4, lo=0.5), T(3, 4)), (T(3, lo=0.5), T(2, 1))], gradcheck=False)
def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``.

    >>> import torchless as torch
    >>> torch.polar(torch.tensor([2.]), torch.tensor([0.]))
    tensor([2.+0.j])
    """
    _check_pair(abs, angle, "polar")
    try:
        return binary(PolarBackward0, abs, angle)
    except ValueError:
        raise broadcast_error(abs, angle) from None


def _complex(re, im):
    return (re + 1j * im).astype(_dtype.complex_of(np.result_type(re, im)))


class ComplexBackward0(Op):
    """complex(re, im) = re + i im: g -> (re(g), im(g))"""

    saves_operands = False
    forward = staticmethod(_complex)

    def backward(self, g):
        from ._core import sum_to

        sr, si = self.shapes
        return (sum_to(g.real, sr) if self.needs(0) else None, sum_to(g.imag, si) if self.needs(1) else None)


@register(method=False, samples=[(T(3, 4), T(3, 4)), (T(3), T(2, 1))], gradcheck=False)
def complex(real: Tensor, imag: Tensor) -> Tensor:
    """The complex tensor ``real + i imag``.

    >>> import torchless as torch
    >>> torch.complex(torch.tensor([1.]), torch.tensor([2.]))
    tensor([1.+2.j])
    """
    _check_pair(real, imag, "complex")
    return binary(ComplexBackward0, real, imag)


# ---- casts -------------------------------------------------------------------------------------
def _caster(d):
    def cast(self, memory_format=None) -> Tensor:
        return self.to(d)

    return cast


Tensor.cfloat = _caster(_dtype.complex64)
Tensor.cdouble = _caster(_dtype.complex128)


__all__ = ["view_as_real", "view_as_complex", "real", "imag", "conj", "conj_physical", "resolve_conj",
           "resolve_neg", "is_conj", "is_neg", "adjoint", "angle", "sgn", "polar", "complex"]
