"""Scans along a dim: cumprod, cummax, cummin, logcumsumexp; and diff. (cumsum lives with the
reductions.)"""

from __future__ import annotations

from .. import return_types
from .._dtype import float64
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, register, unary
from ._samples import T
from .elementwise import where
from .reduction import _acc_dtype
from .sorting import CummaxBackward0, CumminBackward0, scalar_name, take

_cummax_type = return_types.make("cummax", "values indices")
_cummin_type = return_types.make("cummin", "values indices")


def _reverse_cumsum(g: Tensor, dim: int) -> Tensor:
    """``sum_{j >= i} g_j`` along ``dim``."""
    return g.flip(dim).cumsum(dim).flip(dim)


# ---- cumprod ---------------------------------------------------------------------------------------
class CumprodBackward0(Op):
    """cumprod: d out_j / d x_i = prod_{l <= j, l != i} x_l for j >= i"""

    save_output = True

    @staticmethod
    def forward(x, dim, dtype):
        if x.ndim == 0:
            return x.astype(dtype or x.dtype, copy=True)
        return np.cumprod(x, axis=dim, dtype=dtype)

    def backward(self, g):
        (x,) = self.saved
        dim, _ = self._params
        if x.ndim == 0 or x.shape[dim] <= 1:  # out is x itself
            return (g,)
        if x.dtype != g.dtype:
            x = x.to(g.dtype)
        zero = x == 0
        if not zero._data.any():
            return (_reverse_cumsum(g * self.out, dim) / x,)
        if _grad_enabled.get():  # a graph to record: the rule that stays right when differentiated
            return (_cumprod_grad_exact(g, x, dim),)
        # Before the first zero of a slice: the rule without zeros. At the first zero k:
        # prod_{l < k} x_l times sum_{j >= k} g_j prod_{k < l <= j} x_l, which is the reverse cumsum
        # of g times the cumprod with x_k set to 1. After it every product holds x_k: 0.
        zeros_before = zero._data.cumsum(dim)
        before = _wrap(zeros_before == 0, None)
        first = _wrap((zeros_before == 1) & zero._data, None)
        ones_at_first = where(first, 1.0, x)
        safe = where(before, x, 1.0)
        at_first = _reverse_cumsum(g * ones_at_first.cumprod(dim), dim)
        return (where(before, _reverse_cumsum(g * self.out, dim) / safe, where(first, at_first, 0.0)),)


def _cumprod_grad_exact(g: Tensor, x: Tensor, dim: int) -> Tensor:
    """The cumprod gradient as a sum over (i, j) pairs: for each i, the cumprod of x with x_i set
    to 1, from i on. Quadratic in the length of the dim, but differentiable again everywhere."""
    n = x.shape[dim]
    xm = x.movedim(dim, -1)
    gm = g.movedim(dim, -1)
    eye = _wrap(np.eye(n, dtype=bool), None)
    upper = _wrap(np.triu(np.ones((n, n), dtype=bool)), None)  # [i, j]: j >= i
    rows = where(eye, 1.0, xm.unsqueeze(-2))  # [..., i, j]: x_j, with 1 at j == i
    terms = where(upper, rows.cumprod(-1) * gm.unsqueeze(-2), 0.0)
    return terms.sum(-1).movedim(-1, dim)


@register(inplace="cumprod_", samples=[(T(3, 4), 1), (T(5), 0), (T(3, 4), -2), (T(), 0),
                                       (T(3, 4), 0, {"dtype": float64})])
def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim``.

    >>> import torchless as torch
    >>> torch.cumprod(torch.tensor([1., 2., 3.]), 0)
    tensor([1., 2., 6.])
    """
    d = _wrap_dim(dim, input._data.ndim)
    return unary(CumprodBackward0, input, d, _acc_dtype(input, dtype))


# ---- cummax, cummin ---------------------------------------------------------------------------------
def _cum_extreme(input, dim, which):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        idx = np.zeros((), np.int64)
    else:
        acc = (np.maximum if which == "max" else np.minimum).accumulate(x, axis=d)
        # the index of the last element equal to the running extreme (NaN: the last NaN), as
        # torch moves it on ties
        hit = (x == acc) | (np.isnan(x) & np.isnan(acc)) if x.dtype.kind == "f" else x == acc
        shape = [1] * x.ndim
        shape[d] = -1
        pos = np.arange(x.shape[d]).reshape(shape)
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d) if x.size else np.zeros(x.shape, np.int64)
    cls, named = (CummaxBackward0, _cummax_type) if which == "max" else (CumminBackward0, _cummin_type)
    return take(cls, input, d, idx, True, named)


@register(samples=[(T(3, 4), 1), (T(5), 0), (T(3, 4), -2), (T(), 0)])
def cummax(input, dim):
    """(values, indices) of the running maximum along ``dim``."""
    return _cum_extreme(input, dim, "max")


@register(samples=[(T(3, 4), 1), (T(5), 0), (T(3, 4), -2), (T(), 0)])
def cummin(input, dim):
    """(values, indices) of the running minimum along ``dim``."""
    return _cum_extreme(input, dim, "min")


# ---- logcumsumexp -----------------------------------------------------------------------------------
class LogcumsumexpBackward0(Op):
    """logcumsumexp: d/dx_i = sum_{j >= i} g_j exp(x_i - out_j), summed in log space for g's
    positive and negative parts separately (no overflow)"""

    save_output = True

    @staticmethod
    def forward(x, dim):
        if x.ndim == 0:
            return x.copy()
        return np.logaddexp.accumulate(x, axis=dim)

    def backward(self, g):
        (x,) = self.saved
        (dim,) = self._params
        if x.ndim == 0:
            return (g,)
        out = self.out
        lowest = float(np.finfo(g._data.dtype).min)
        log_g = g.abs().log()

        def part(mask):
            log_part = where(mask, log_g, lowest) - out
            return (log_part.flip(dim).logcumsumexp(dim).flip(dim) + x).exp()

        return (part(g > 0) - part(g < 0),)


@register(samples=[(T(3, 4), 1), (T(5), 0), (T(3, 4), -2), (T(), 0)])
def logcumsumexp(input, dim) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, without overflow."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{scalar_name(input)}'")
    return unary(LogcumsumexpBackward0, input, _wrap_dim(dim, input._data.ndim))


# ---- diff ------------------------------------------------------------------------------------------
@register(samples=[(T(5),), (T(3, 4), 2, 0), (T(3, 4), 1, -1, T(3, 1), T(3, 2)), (T(4, 3), 3, 0, None, T(2, 3))])
def diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined on first);
    for bool tensors, logical xor."""
    from .shape import cat

    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input._data.ndim)
    if n == 0:
        return input.clone()  # (prepend and append are not joined then)
    x = input
    if prepend is not None or append is not None:
        parts = [_as_tensor(p, input, d) for p in (prepend, input, append) if p is not None]
        x = cat(parts, d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi, lo = x.narrow(d, 1, size - 1), x.narrow(d, 0, size - 1)
        x = hi.logical_xor(lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def _as_tensor(v, like: Tensor, dim: int) -> Tensor:
    """A prepend/append argument: a tensor, or a number made a slice of ``like`` along ``dim``."""
    if isinstance(v, Tensor):
        if v._data.ndim != like._data.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as input, but got "
                               f"{v._data.ndim} and {like._data.ndim}")
        return v
    shape = list(like._data.shape)
    shape[dim] = 1
    return _wrap(np.full(shape, v, like._data.dtype), None)
