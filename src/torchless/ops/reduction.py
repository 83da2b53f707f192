"""Reductions over ``dim`` (an int, a tuple, or None for all) with ``keepdim``."""

from __future__ import annotations

import builtins
import math
import warnings

from .. import return_types
from .._dtype import DEFAULT, float64
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, add_reduce, register, unary
from ._samples import B, T
from .elementwise import mask_grad, where


def dims_of(dim, ndim: int):
    """``dim`` as a sorted tuple of non-negative ints; None (or ()) means every dim.

    A 0-d tensor accepts dim 0 and -1, which name no dim of its array: ().
    """
    if ndim == 0:
        if dim is not None:
            for d in (dim,) if isinstance(dim, (int, np.integer)) else dim:
                _wrap_dim(d, 0)  # (raises for anything but 0 and -1)
        return ()
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        return (_wrap_dim(int(dim), ndim),)
    dims = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return dims if dims else tuple(range(ndim))


def expand_back(g: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the ``dims`` that were reduced."""
    shape = tuple(shape)
    if not keepdim and dims:  # (dims None: a reduction of every dim, g is 0-d and broadcasts as it is)
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        kept = tuple(kept)
    else:
        kept = None
    if not _grad_enabled.get():  # nothing to record: stay on the arrays
        # a filled array, not a broadcast view: faster to make, and safe for a hook to modify
        out = np.empty(shape, dtype=g._data.dtype)
        out[...] = g._data if kept is None else g._data.reshape(kept)
        return _wrap(out, None)
    if kept is not None:
        g = g.reshape(kept)
    return g.expand(shape)


def _axis(dims, ndim):
    return None if len(dims) == ndim else dims


def _count(shape, dims):
    """How many elements a reduction over ``dims`` takes in."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


# ---- sum, mean --------------------------------------------------------------------------------
class SumBackward0(Op):
    """sum of all elements: d/dx = 1"""

    saves_operands = False

    @staticmethod
    def forward(x, dims, keepdim, dtype):
        # the ufunc's reduce directly (ndarray.sum adds a Python-level wrapper per call);
        # dims None: all of them
        return add_reduce(x, None if dims is None else _axis(dims, x.ndim), dtype, keepdim)

    def backward(self, g):
        dims, keepdim, _ = self._params
        return (expand_back(g, self.shapes[0], dims, keepdim),)


class SumBackward1(SumBackward0):
    """sum over dims"""

    __slots__ = ()


def _acc_dtype(x, dtype):
    if dtype is not None:
        return dtype.np
    return np.int64 if x._data.dtype.kind in "biu" else None


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (0, 2), True), (T(3, 4), -1, True), (T(),),
                   (T(2, 3, 4), (-1, 0)), (T(3, 4), 0, False, {"dtype": float64})])
def sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Sum of the elements over ``dim`` (all by default).

    >>> import torchless as torch
    >>> torch.tensor([[1., 2.], [3., 4.]]).sum(0)
    tensor([4., 6.])
    """
    acc = _acc_dtype(input, dtype)
    if dim is None:  # the common case, kept short: the gradient is g broadcast back as it is
        return unary(SumBackward0, input, None, keepdim, acc)
    return unary(SumBackward1, input, dims_of(dim, input._data.ndim), keepdim, acc)


def _mean(x, axis, keepdim, n):
    """np.mean's arithmetic (float16 summed in float32), but called from here: an empty slice
    gives nan silently, as in torch (torchless silences NumPy's floating-point warnings raised
    from its own modules, not np.mean's own warning)."""
    if x.dtype == np.float16:
        return (np.add.reduce(x, axis, np.float32, None, keepdim) / n).astype(np.float16)
    return np.add.reduce(x, axis, None, None, keepdim) / n


def _var(x, axis, keepdim, n, correction):
    """np.var's arithmetic without its warnings (see _mean); float16 computed in float32, as torch
    accumulates it."""
    if x.dtype == np.float16:
        return _var(x.astype(np.float32), axis, keepdim, n, correction).astype(np.float16)
    d = x - np.add.reduce(x, axis, None, None, True) / n
    d = np.multiply(d, d, out=d) if d.ndim else d * d
    return np.add.reduce(d, axis, None, None, keepdim) / builtins.max(n - correction, 0)


def _check_dof(name, x, dims, correction):
    """torch's error for a tensor not floating, and its warning when the correction leaves no
    degrees of freedom (with no elements, the reduction factor counts as 0)."""
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if (_count(x.shape, dims) if x.size else 0) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=3)


class MeanBackward0(Op):
    """mean: d/dx = 1/n"""

    saves_operands = False

    @staticmethod
    def forward(x, dims, keepdim):
        return _mean(x, _axis(dims, x.ndim), keepdim, _count(x.shape, dims))

    def backward(self, g):
        dims, keepdim = self._params
        shape = self.shapes[0]
        return (expand_back(g / _count(shape, dims), shape, dims, keepdim),)


class MeanBackward1(MeanBackward0):
    __slots__ = ()


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (0, 2), True), (T(3, 4), -1, True), (T(),)])
def mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Mean of the elements over ``dim`` (all by default); floating tensors only."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input.dtype.name.capitalize()}"
        )
    dims = dims_of(dim, input._data.ndim)
    return unary(MeanBackward0 if dim is None else MeanBackward1, input, dims, keepdim)


# ---- prod -------------------------------------------------------------------------------------
class ProdBackward0(Op):
    """prod: d/dx_i = the product of the other elements: out / x_i, except at a zero (the product
    of the nonzero others if it is the only zero, else 0)"""

    save_output = True

    @staticmethod
    def forward(x, dims, keepdim):
        return np.prod(x, axis=_axis(dims, x.ndim), keepdims=keepdim)

    def backward(self, g):
        (x,) = self.saved
        dims, keepdim = self._params
        shape = x.shape
        if not shape:  # a 0-d tensor is its own product (torch's rule hands g back as it is)
            return (g,)
        g = expand_back(g, shape, dims, keepdim)
        out = expand_back(self.out, shape, dims, keepdim)
        is_zero = x == 0
        if not is_zero._data.any():
            return (g * out / x,)
        # The rule is written so that double backward is right too. At a nonzero x_i: out / x_i,
        # which is 0 where another element is zero, with the right derivative in that zero. At a
        # zero: the product of the nonzero others times 1 if it is the only zero, times the other
        # zero if there are two (0, with derivative 1 in it), else 0.
        nonzero = where(is_zero, 1.0, x)
        lone = expand_back(nonzero.prod(dims, keepdim=keepdim) if dims else nonzero, shape, dims, keepdim)
        zeros = expand_back(is_zero.sum(dims, keepdim=keepdim), shape, dims, keepdim)
        other_zero = expand_back(where(is_zero, x, 0.0).sum(dims, keepdim=keepdim), shape, dims, keepdim) - x
        at_zero = lone * where(zeros == 1, 1.0, where(zeros == 2, other_zero, 0.0))
        return (g * where(is_zero, at_zero, out / nonzero),)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3), 0, True), (T(2, 3), -1), (T(),)])
def prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """Product of the elements over ``dim`` (all by default)."""
    if dtype is not None:
        input = input.to(dtype)
    dims = dims_of(dim, input._data.ndim)
    return unary(ProdBackward0 if dim is None else ProdBackward1, input, dims, keepdim)


# ---- max, min, amax, amin, argmax, argmin -----------------------------------------------------
return_types_max = return_types.make("max", "values indices")
return_types_min = return_types.make("min", "values indices")


class AmaxBackward0(Op):
    """amax: the gradient is shared evenly by the elements equal to the maximum"""

    save_output = True
    pick = staticmethod(np.amax)

    @classmethod
    def forward(cls, x, dims, keepdim):
        return cls.pick(x, axis=_axis(dims, x.ndim), keepdims=keepdim)

    def backward(self, g):
        (x,) = self.saved
        dims, keepdim = self._params
        shape = x.shape
        hit = x == expand_back(self.out, shape, dims, keepdim)
        count = expand_back(hit.sum(dims, keepdim=keepdim), shape, dims, keepdim)
        return (expand_back(g, shape, dims, keepdim) * hit / count,)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    pick = staticmethod(np.amin)


class MaxBackward1(AmaxBackward0):
    """max of all elements (ties share the gradient evenly)"""

    __slots__ = ()


class MinBackward1(AminBackward0):
    __slots__ = ()


class MaxBackward0(Op):
    """max over a dim: the gradient goes to the index that was picked"""

    pick = staticmethod(np.argmax)

    @classmethod
    def forward(cls, x, dim, keepdim, idx):
        if x.ndim == 0:  # a 0-d tensor is its own maximum
            return x.copy()
        picked = np.take_along_axis(x, idx, dim)
        return picked if keepdim else picked.squeeze(dim)

    def backward(self, g):
        (x,) = self.saved
        dim, keepdim, idx = self._params
        if x._data.ndim == 0:
            return (g,)
        mask = np.arange(x._data.shape[dim]).reshape((-1,) + (1,) * (x._data.ndim - dim - 1)) == idx
        if not keepdim:
            g = g.unsqueeze(dim)
        return (mask_grad(g, _wrap(mask, None)),)


class MinBackward0(MaxBackward0):
    __slots__ = ()


def _reduce_empty_check(input, name, dims=None, error=RuntimeError):
    """torch's error for a reduction without identity (max, argmax, ...) of no elements: over
    all dims (``dims`` None) of an empty tensor, or over a dim of size 0."""
    shape = input._data.shape
    if dims is None:
        if input._data.size == 0:
            more = " Specify the reduction dim with the 'dim' argument." if error is RuntimeError else ""
            raise error(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{more}")
        return
    for d in dims:
        if shape and shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _max_min(input, dim, keepdim, which, other=None):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        from .elementwise import maximum, minimum

        return (maximum if which == "max" else minimum)(input, dim)
    if dim is None:
        _reduce_empty_check(input, which)
        dims = tuple(range(input._data.ndim))
        return unary(MaxBackward1 if which == "max" else MinBackward1, input, dims, False)
    d = _wrap_dim(dim, input._data.ndim)
    _reduce_empty_check(input, which, (d,))
    arg = np.argmax if which == "max" else np.argmin
    x = input._data if input._data.ndim else input._data.reshape(1)
    idx = np.expand_dims(arg(x, axis=d), d)
    if input._data.ndim == 0:
        idx = idx.reshape(())
    values = unary(MaxBackward0 if which == "max" else MinBackward0, input, d, keepdim, idx)
    indices = idx if keepdim or idx.ndim == 0 else idx.squeeze(d)
    return (return_types_max if which == "max" else return_types_min)(values, _wrap(indices.astype(np.int64), None))


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True), (T(3, 4), -1), (T(),), (T(), 0),
                   (T(3, 4), T(4))])
def max(input, dim=None, keepdim=False):
    """The largest element, or (values, indices) along ``dim``."""
    return _max_min(input, dim, keepdim, "max")


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True), (T(3, 4), -1), (T(),)])
def min(input, dim=None, keepdim=False):
    """The smallest element, or (values, indices) along ``dim``."""
    return _max_min(input, dim, keepdim, "min")


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (0, 2), True), (T(),)])
def amax(input, dim=(), keepdim=False) -> Tensor:
    """The largest elements over ``dim`` (all by default); ties share the gradient."""
    dims = dims_of(dim, input._data.ndim)
    _reduce_empty_check(input, "amax", dims if dim not in (None, ()) else None)
    return unary(AmaxBackward0, input, dims, keepdim)


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (-1, 0), True)])
def amin(input, dim=(), keepdim=False) -> Tensor:
    """The smallest elements over ``dim`` (all by default); ties share the gradient."""
    dims = dims_of(dim, input._data.ndim)
    _reduce_empty_check(input, "amin", dims if dim not in (None, ()) else None)
    return unary(AminBackward0, input, dims, keepdim)


def _arg(fn, input, dim, keepdim):
    x = input._data
    _reduce_empty_check(input, fn.__name__, None if dim is None else (_wrap_dim(dim, x.ndim),), IndexError)
    if dim is None:
        r = fn(x.reshape(-1))
        if keepdim:
            r = np.asarray(r).reshape((1,) * x.ndim)
    else:
        d = _wrap_dim(dim, x.ndim)
        r = fn(x.reshape(1) if x.ndim == 0 else x, axis=d, keepdims=keepdim)
        if x.ndim == 0:
            r = r.reshape(())
    return _wrap(np.asarray(r, dtype=np.int64), None)


@register(differentiable=False, samples=[(T(3, 4),), (T(3, 4), 1)])
def argmax(input, dim=None, keepdim=False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    return _arg(np.argmax, input, dim, keepdim)


@register(differentiable=False, samples=[(T(3, 4),), (T(3, 4), 1)])
def argmin(input, dim=None, keepdim=False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg(np.argmin, input, dim, keepdim)


# ---- var, std, norm, logsumexp ----------------------------------------------------------------
def _var_rule(g, x, dims, correction, keepdim, whole):
    """d var / dx = 2 (x - mean) / (n - correction). With no degrees of freedom left, torch gives
    nan where x is the mean and inf elsewhere for a var of all elements (``whole``), and divides
    by the count left (inf for 0) for one over given dims."""
    dof = _count(x._data.shape, dims) - correction
    centered = x - x.mean(dims, keepdim=True)
    g = expand_back(g, x.shape, dims, keepdim)
    if dof > 0:
        return g * centered * (2.0 / dof)
    if whole:
        return g * (centered.abs() * math.inf)  # (0 * inf: nan where x is the mean)
    return g * centered * (2.0 / dof if dof else math.inf)


class VarBackward0(Op):
    """var: d/dx = 2 (x - mean) / (n - correction)"""

    @staticmethod
    def forward(x, dims, correction, keepdim, whole):
        return _var(x, _axis(dims, x.ndim), keepdim, _count(x.shape, dims), correction)

    def backward(self, g):
        (x,) = self.saved
        return (_var_rule(g, x, *self._params),)


class StdBackward0(Op):
    """std: d/dx = var's rule applied to g / (2 std); 0 where the std is 0 (a constant slice)"""

    save_output = True

    @staticmethod
    def forward(x, dims, correction, keepdim, whole):
        return np.sqrt(_var(x, _axis(dims, x.ndim), keepdim, _count(x.shape, dims), correction))

    def backward(self, g):
        (x,) = self.saved
        dims, correction, keepdim, whole = self._params
        out = self.out
        return (_var_rule(where(out == 0, 0.0, g / (2 * out)), x, dims, correction, keepdim, whole),)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True), (T(3, 4), (0, 1)),
                   (T(3, 4), 1, {"correction": 0}), (T(3, 4), 1, False)])
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default)."""
    if isinstance(unbiased, bool) is False and unbiased is not None and dim is None:
        dim, unbiased = unbiased, None
    if isinstance(dim, bool):  # var(x, True): the unbiased flag in dim's place
        dim, unbiased = None, dim
    dims, correction = dims_of(dim, input._data.ndim), _correction(unbiased, correction)
    _check_dof("var", input._data, dims, correction)
    return unary(VarBackward0, input, dims, correction, keepdim, dim is None or input._data.ndim == 0)


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True), (T(3, 4), (0, 1)),
                   (T(3, 4), 1, {"correction": 0}), (T(3, 4), 1, False)])
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default)."""
    if isinstance(dim, bool):  # std(x, True): the unbiased flag in dim's place
        dim, unbiased = None, dim
    dims, correction = dims_of(dim, input._data.ndim), _correction(unbiased, correction)
    _check_dof("std", input._data, dims, correction)
    return unary(StdBackward0, input, dims, correction, keepdim, dim is None or input._data.ndim == 0)


class LinalgVectorNormBackward0(Op):
    """p-norm: d/dx = sign(x) |x|^(p-1) / norm^(p-1) (0 where the norm is 0, and for p < 1 where
    x is 0); p=inf: to the largest |x| (-inf: the smallest)"""

    save_output = True

    @staticmethod
    def forward(x, p, dims, keepdim):
        ax = _axis(dims, x.ndim)
        a = np.abs(x)
        if p == 2:
            return np.sqrt(np.sum(a * a, axis=ax, keepdims=keepdim))
        if p == math.inf:
            return np.amax(a, axis=ax, keepdims=keepdim)
        if p == -math.inf:
            return np.amin(a, axis=ax, keepdims=keepdim)
        if p == 1:
            return np.sum(a, axis=ax, keepdims=keepdim)
        if p == 0:
            return np.sum(a != 0, axis=ax, keepdims=keepdim).astype(x.dtype)
        return np.power(np.sum(np.power(a, p), axis=ax, keepdims=keepdim), 1.0 / p).astype(x.dtype)

    def backward(self, g):
        (x,) = self.saved
        p, dims, keepdim = self._params
        shape = x.shape
        out = expand_back(self.out, shape, dims, keepdim)
        g = expand_back(g, shape, dims, keepdim)
        if p == 1:
            return (g * x.sign(),)
        if p == 0:
            return (g * 0,)
        if p in (math.inf, -math.inf):
            hit = x.abs() == out
            return (g * x.sign() * hit / hit.sum(dims, keepdim=True),)
        if p == 2:
            return (g * where(out == 0, 0.0, x / out),)
        if p < 1:  # |x|^(p-1) is infinite at 0
            return (g * where(x == 0, 0.0, x.sign() * x.abs() ** (p - 1)) * out ** (1 - p),)
        return (where(out == 0, 0.0, g / out ** (p - 1)) * x.sign() * x.abs() ** (p - 1),)


class LogsumexpBackward0(Op):
    """logsumexp: d/dx = exp(x - out) (conjugated for complex x)"""

    save_output = True

    @staticmethod
    def forward(x, dims, keepdim):
        # (shifted by the largest real part: complex numbers have no order)
        m = np.amax(x.real, axis=dims, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.real.dtype)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        return out if keepdim else np.squeeze(out, axis=dims)

    def backward(self, g):
        (x,) = self.saved
        dims, keepdim = self._params
        shape = x.shape
        d = (x - expand_back(self.out, shape, dims, keepdim)).exp()
        return (expand_back(g, shape, dims, keepdim) * (d.conj() if d.is_complex() else d),)


@register(samples=[(T(3, 4), 1), (T(3, 4), (0, 1), True), (T(3, 4), -1), (T(), 0)])
def logsumexp(input, dim, keepdim=False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    if input._data.dtype.kind not in "fc":
        input = input.to(DEFAULT.float)
    return unary(LogsumexpBackward0, input, dims_of(dim, input._data.ndim), keepdim)


class CumsumBackward0(Op):
    """cumsum: the gradient is the reversed cumulative sum of g"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, dtype):
        return np.cumsum(x, axis=dim, dtype=dtype) if x.ndim else x.astype(dtype or x.dtype, copy=True)

    def backward(self, g):
        dim, _ = self._params
        if g.ndim == 0:
            return (g,)
        return (g.flip(dim).cumsum(dim).flip(dim),)


@register(inplace="cumsum_", samples=[(T(3, 4), 1), (T(5), 0), (T(3, 4), -2), (T(), 0)])
def cumsum(input, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``."""
    d = _wrap_dim(dim, input._data.ndim)
    return unary(CumsumBackward0, input, d, _acc_dtype(input, dtype))


# ---- all, any ---------------------------------------------------------------------------------
_MASK = B([[True, False, True], [True, True, True]])
_LOGICAL_SAMPLES = [(_MASK,), (_MASK, 1), (_MASK, 0, True), (T(3, 4),)]


@register(differentiable=False, samples=_LOGICAL_SAMPLES)
def all(input, dim=None, keepdim=False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero."""
    dims = dims_of(dim, input._data.ndim)
    return _wrap(np.asarray(np.all(input._data, axis=_axis(dims, input._data.ndim) if dims else None, keepdims=keepdim)), None)


@register(differentiable=False, samples=_LOGICAL_SAMPLES)
def any(input, dim=None, keepdim=False) -> Tensor:
    """Whether some element (over ``dim``) is nonzero."""
    dims = dims_of(dim, input._data.ndim)
    return _wrap(np.asarray(np.any(input._data, axis=_axis(dims, input._data.ndim) if dims else None, keepdims=keepdim)), None)

