"""Integrals and derivatives of sampled functions: trapezoid (trapz), cumulative_trapezoid, gradient.

All are composites of torchless ops (their derivatives come free); the few products and
quotients by a Python number torch makes with its ``mul.Scalar`` / ``div.Scalar`` kernels get
those kernels' nodes (MulBackward1, DivBackward1), so that grad_fn reads as in torch.
"""

from __future__ import annotations

from .._dtype import DEFAULT, FROM_NP, result_np_dtype
from .._tensor import Tensor, _wrap_dim
from ._core import Op, register, unary
from ._samples import T
from .shape import cat


# ---- products and quotients by a number, as torch's composite ops make them ---------------------
class MulBackward1(Op):
    """x * c for a number c (torch's mul.Scalar): d/dx = c"""

    saves_operands = False

    @staticmethod
    def forward(x, c):
        return x * c

    def backward(self, g):
        return (g * self._params[0],)


class DivBackward1(Op):
    """x / c for a number c (torch's div.Scalar): d/dx = 1 / c"""

    saves_operands = False

    @staticmethod
    def forward(x, c):
        return x / c

    def backward(self, g):
        return (g / self._params[0],)


def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def _floating(t: Tensor) -> Tensor:
    """``t`` in the default float dtype when it is integral (the integrals are real numbers)."""
    return t if t._data.dtype.kind in "fc" else t.to(DEFAULT.float)


# ---- trapezoid ---------------------------------------------------------------------------------
def _arguments(name: str, y: Tensor, x, dx, dim: int):
    if x is not None and (dx is not None or not isinstance(x, Tensor)):
        got = ", ".join(["Tensor", type(x).__name__] + ([f"dx={type(dx).__name__}"] if dx is not None else []))
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one "
                        "of:\n * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)")
    if y._data.dtype.kind == "b":
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if x is not None and x._data.dtype.kind == "b":
        raise RuntimeError(f"{name}: received a bool input for `x`, but bool is not supported")
    if not y._data.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _floating(y), _wrap_dim(dim, y._data.ndim)


def _spacings(name: str, y: Tensor, x: Tensor, d: int) -> Tensor:
    """The widths ``x[i+1] - x[i]`` along ``d``, shaped to broadcast against slices of ``y``."""
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y._data.ndim
        shape[d] = -1
        return x.diff().reshape(shape)
    return x.diff(dim=d)


def _ends(y: Tensor, d: int):
    """``y`` without its last and without its first sample along ``d``."""
    n = y._data.shape[d]
    return y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1)


@register(method=False, samples=[(T(2, 3), T(2, 3)), (T(2, 3), T(3), {"dim": 1}), (T(6),), (T(5), {"dx": 2.0}),
                                 (T(3, 3), T(3, 3), {"dim": -2}), (T(2, 3), T(1, 3))])
def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at sample points ``x`` (or
    spaced ``dx`` apart, 1 by default).

    >>> import torchless as torch
    >>> torch.trapezoid(torch.tensor([1., 2., 3.]))
    tensor(4.)
    """
    y, d = _arguments("trapezoid", y, x, dx, dim)
    n = y._data.shape[d]
    if x is not None:
        spacing = _spacings("trapezoid", y, x, d)
        if n == 0:  # (an empty sum: zeros)
            return y.sum(d).to(FROM_NP[result_np_dtype((y, spacing))])
        left, right = _ends(y, d)
        return unary(DivBackward1, (spacing * (left + right)).sum(d), 2.0)
    dx = 1 if dx is None else _number(dx)
    if n == 0:
        return y.sum(d)
    ends = y.select(d, 0) + y.select(d, -1)
    return unary(MulBackward1, y.sum(d) - ends * 0.5, dx)


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule: an older name of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


register("trapz", method=False, samples=[(T(2, 3), T(2, 3)), (T(5), {"dx": 2.0})])(trapz)


@register(method=False, samples=[(T(2, 3), T(2, 3)), (T(2, 3), T(3), {"dim": 1}), (T(6),), (T(5), {"dx": 2.0}),
                                 (T(3, 3), T(3, 3), {"dim": -2}), (T(2, 3), T(1, 3))])
def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one value fewer than
    samples), at sample points ``x`` or spaced ``dx`` apart."""
    y, d = _arguments("cumulative_trapezoid", y, x, dx, dim)
    if x is not None:
        spacing = _spacings("cumulative_trapezoid", y, x, d)
        if y._data.shape[d] == 0:
            return y * 0
        left, right = _ends(y, d)
        return unary(DivBackward1, (spacing * (left + right)).cumsum(d), 2.0)
    dx = 1 if dx is None else _number(dx)
    if y._data.shape[d] == 0:
        return y * 0
    left, right = _ends(y, d)
    return ((left + right) * (dx / 2.0)).cumsum(d)


# ---- gradient --------------------------------------------------------------------------------------
def _dims_of(input: Tensor, dim) -> list:
    ndim = input._data.ndim
    if dim is None:
        return list(range(ndim))
    dims = [_wrap_dim(d, ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


def _spacing_per_dim(spacing, dims: list, dim_given: bool) -> list:
    """One spacing per dim: a number (uniform) or a 1-d tensor of coordinates."""
    if spacing is None:
        return [1.0] * len(dims)
    if isinstance(spacing, Tensor) and spacing._data.ndim == 0 or isinstance(spacing, (int, float)):
        return [_number(spacing)] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        if dim_given:
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               "arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal "
                           f"to 'self.dim() = {len(dims)}', since dim argument was not given, but got a list of "
                           f"length {len(spacing)}")
    for s in spacing:
        if isinstance(s, Tensor) and s._data.ndim != 1:
            raise RuntimeError("torch.gradient expected each element of spacing to have one dimension, but got an "
                               f"element with {s._data.ndim} dimensions!")
    return spacing


def _uniform(f: Tensor, d: int, h: float, edge_order: int) -> Tensor:
    n = f._data.shape[d]

    def at(i, length=1):
        return f.narrow(d, i % n, length)

    inner = (at(2, n - 2) - at(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first, last = (at(1) - at(0)) / h, (at(-1) - at(-2)) / h
    else:
        first = (at(0) * -1.5 + at(1) * 2 - at(2) * 0.5) / h
        last = (at(-3) * 0.5 - at(-2) * 2 + at(-1) * 1.5) / h
    return cat([first, inner, last], d)


def _coordinates(f: Tensor, d: int, x: Tensor, edge_order: int) -> Tensor:
    """Second-order differences on nonuniform points ``x`` (NumPy's and torch's formulas)."""
    n = f._data.shape[d]
    shape = [1] * f._data.ndim
    shape[d] = -1
    h = _floating(x).diff()

    def step(i, length=1):
        return h.narrow(0, i % (n - 1), length).reshape(shape)

    def at(i, length=1):
        return f.narrow(d, i % n, length)

    hl, hr = step(0, n - 2), step(1, n - 2)
    inner = (at(0, n - 2) * (-hr / (hl * (hl + hr))) + at(1, n - 2) * ((hr - hl) / (hl * hr))
             + at(2, n - 2) * (hl / (hr * (hl + hr))))
    if edge_order == 1:
        first, last = (at(1) - at(0)) / step(0), (at(-1) - at(-2)) / step(-1)
    else:
        a, b = step(0), step(1)
        first = (at(0) * (-(2 * a + b) / (a * (a + b))) + at(1) * ((a + b) / (a * b))
                 + at(2) * (-a / (b * (a + b))))
        a, b = step(-2), step(-1)
        last = at(-3) * (b / (a * (a + b))) + at(-2) * (-(a + b) / (a * b)) + at(-1) * ((2 * b + a) / (b * (a + b)))
    return cat([first, inner, last], d)


@register(method=False, samples=[(T(5),), (T(5), {"spacing": 2.0}), (T(5, 5), {"edge_order": 2}),
                                 (T(5, 5), {"spacing": [2.0, 2.1]}), (T(4, 4, 4), {"dim": (0, 1), "spacing": [2.0, 1.0],
                                                                                  "edge_order": 2})])
def gradient(input: Tensor, *, spacing=None, dim=None, edge_order: int = 1) -> tuple:
    """The derivative of ``input`` along each of ``dim`` (all by default) by central differences
    (one-sided of order ``edge_order`` at the ends), with samples ``spacing`` apart: a number, one
    per dim, or 1-d tensors of coordinates.

    >>> import torchless as torch
    >>> torch.gradient(torch.tensor([1., 4., 9., 16.]))
    (tensor([3., 4., 6., 7.]),)
    """
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims_of(input, dim)
    spacings = _spacing_per_dim(spacing, dims, dim is not None)
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input
    if f._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    f = _floating(f)
    out = []
    for d, s in zip(dims, spacings):
        if isinstance(s, Tensor):
            if s._data.dtype.kind in "fc" and s._data.dtype != f._data.dtype:
                f_d = f.to(FROM_NP[result_np_dtype((f, s))])
            else:
                f_d = f
            out.append(_coordinates(f_d, d, s.to(f_d.dtype) if s.dtype != f_d.dtype else s, edge_order))
        else:
            out.append(_uniform(f, d, float(s), edge_order))
    return tuple(out)
