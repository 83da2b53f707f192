"""Statistics: aminmax, std_mean, var_mean, nansum, nanmean, count_nonzero, quantile, nanquantile,
cov, corrcoef, dist, renorm, and the histograms (histc, histogram, histogramdd)."""

from __future__ import annotations

import builtins
import math
import warnings

from .. import return_types
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.recording import current as _recording
from ..autograd.recording import on_record
from ..backend import np
from ._core import Op, add_reduce, binary, register, sum_to, unary
from ._samples import I, T
from .elementwise import where
from .reduction import (
    _acc_dtype,
    _axis,
    _check_dof,
    _correction,
    _count,
    _mean,
    _var,
    _var_rule,
    dims_of,
    expand_back,
)
from .sorting import NoDerivative, no_derivative, scalar_name

_aminmax_type = return_types.make("aminmax", "min max")
_histogram_type = return_types.make("histogram", "hist bin_edges")
_histogramdd_type = return_types.make("histogramdd", "hist bin_edges")


# ---- ops of two outputs -------------------------------------------------------------------------
class PairOp(Op):
    """An op of one tensor operand and two outputs: ``forward`` returns both arrays,
    ``backward(g0, g1)`` takes a gradient for each (None for one that got none).
    The outputs are kept in ``self._params[-1]``."""

    n_outputs = 2

    def _apply(self, grads):
        return self.backward(*grads)


def apply_pair(cls, x: Tensor, *params):
    """The two outputs of op ``cls`` applied to ``x``, recorded as outputs 0 and 1 of one node."""
    from ._core import _view_requires_grad

    first, second = cls.forward(x._data, *params)
    if not ((x._rg or x._base is not None and _view_requires_grad(x)) and _grad_enabled.get()):
        return _wrap(first, None), _wrap(second, None)
    node = cls()
    vc = x._vc
    node.shapes = (x._data.shape,)
    node._next, node._saved, node._versions = (x._edge(),), (x,), (vc[0] if vc else 0,)
    node._params, node._out, node._hooks = params + ((first, second),), None, None
    out0, out1 = _wrap(first, node), _wrap(second, node)
    out1._output_nr = 1
    if _recording() is not None:  # saved-tensor hooks or anomaly mode are on
        on_record(node)
    return out0, out1


def _outputs(node):
    """The node's two outputs as tensors of the graph (outputs 0 and 1 of ``node``), so that a
    rule reading them can be differentiated again."""
    first, second = node._params[-1]
    out0, out1 = _wrap(first, node), _wrap(second, node)
    out1._output_nr = 1
    return out0, out1


# ---- aminmax ------------------------------------------------------------------------------------
class AminmaxBackward0(PairOp):
    """(amin, amax): each gradient is shared evenly by the elements equal to its extreme"""

    @staticmethod
    def forward(x, dims, keepdim):
        ax = _axis(dims, x.ndim) if dims else None
        return np.amin(x, axis=ax, keepdims=keepdim), np.amax(x, axis=ax, keepdims=keepdim)

    def backward(self, g_min, g_max):
        (x,) = self.saved
        dims, keepdim, _ = self._params
        lo, hi = _outputs(self)
        shape = x.shape
        out = None
        for g, value in ((g_min, lo), (g_max, hi)):
            if g is None:
                continue
            hit = x == expand_back(value, shape, dims, keepdim)
            count = expand_back(hit.sum(dims, keepdim=keepdim), shape, dims, keepdim)
            part = expand_back(g, shape, dims, keepdim) * hit / count
            out = part if out is None else out + part
        return (out,)


@register(samples=[(T(3, 4),), (T(3, 4), {"dim": 1}), (T(3, 4), {"dim": 0, "keepdim": True}), (T(),)])
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of the elements over ``dim`` (all by default), in one pass.

    >>> import torchless as torch
    >>> torch.aminmax(torch.tensor([3., 1., 2.]))
    torch.return_types.aminmax(
    min=tensor(1.),
    max=tensor(3.))
    """
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        dims = tuple(range(x.ndim))
    else:
        dims = dims_of(dim, x.ndim)
        if x.ndim and x.shape[dims[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
    return _aminmax_type(*apply_pair(AminmaxBackward0, input, dims, keepdim))


# ---- var_mean, std_mean -----------------------------------------------------------------------------
class VarMeanBackward0(PairOp):
    """(var, mean): var's rule for the first gradient, 1/n spread for the second"""

    take_root = False

    @classmethod
    def forward(cls, x, dims, correction, keepdim, whole):
        ax, n = _axis(dims, x.ndim), _count(x.shape, dims)
        var = _var(x, ax, keepdim, n, correction)
        return (np.sqrt(var) if cls.take_root else var), _mean(x, ax, keepdim, n)

    def backward(self, g_spread, g_mean):
        (x,) = self.saved
        dims, correction, keepdim, whole, _ = self._params
        shape = x.shape
        out = None
        if g_spread is not None:
            if self.take_root:
                std = _outputs(self)[0]
                g_spread = where(std == 0, 0.0, g_spread / (2 * std))
            out = _var_rule(g_spread, x, dims, correction, keepdim, whole)
        if g_mean is not None:
            part = expand_back(g_mean / _count(shape, dims), shape, dims, keepdim)
            out = part if out is None else out + part
        return (out,)


class StdMeanBackward0(VarMeanBackward0):
    __slots__ = ()
    take_root = True


def _spread_mean(name, cls, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var_mean(x, True): the old unbiased flag in dim's place
        dim, unbiased = None, dim
    dims, correction = dims_of(dim, input._data.ndim), _correction(unbiased, correction)
    _check_dof(name, input._data, dims, correction)
    return apply_pair(cls, input, dims, correction, keepdim, dim is None or input._data.ndim == 0)


@register(method=False, samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True, True), (T(3, 4), {"correction": 0}),
                                 (T(3, 4), False)])
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(variance, mean) over ``dim`` (Bessel's ``correction``, 1 by default)."""
    return _spread_mean("var_mean", VarMeanBackward0, input, dim, unbiased, keepdim, correction)


@register(method=False, samples=[(T(3, 4),), (T(3, 4), 1), (T(3, 4), 0, True, True), (T(3, 4), {"correction": 0}),
                                 (T(3, 4), False)])
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(standard deviation, mean) over ``dim`` (Bessel's ``correction``, 1 by default)."""
    return _spread_mean("std_mean", StdMeanBackward0, input, dim, unbiased, keepdim, correction)


# ---- nansum, nanmean, count_nonzero -----------------------------------------------------------------
class NansumBackward0(Op):
    """nansum: d/dx = 1, except 0 at a NaN"""

    @staticmethod
    def forward(x, dims, keepdim, dtype):
        if x.dtype.kind == "f":
            x = np.where(np.isnan(x), 0, x)
        return add_reduce(x, _axis(dims, x.ndim) if dims else None, dtype, keepdim)  # (float16 summed in float32)

    def backward(self, g):
        (x,) = self.saved
        dims, keepdim, _ = self._params
        return (where(x.isnan(), 0.0, expand_back(g, x.shape, dims, keepdim)),)


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (0, 2), True), (T(),)])
def nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``sum`` counting NaNs as zero."""
    return unary(NansumBackward0, input, dims_of(dim, input._data.ndim), keepdim, _acc_dtype(input, dtype))


@register(samples=[(T(3, 4),), (T(3, 4), 1), (T(2, 3, 4), (0, 2), True), (T(),)])
def nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``mean`` of the elements that are not NaN."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{scalar_name(input)}")
    counted = input.isnan().logical_not().sum(dim, keepdim=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


@register(differentiable=False, samples=[(T(3, 4),), (I([[0, 1, 2], [0, 0, 3]]), 1), (T(3, 4), (0, 1))])
def count_nonzero(input, dim=None) -> Tensor:
    """How many elements (over ``dim``) are not zero."""
    x = input._data
    dims = dims_of(dim, x.ndim)
    return _wrap(np.asarray(np.count_nonzero(x, axis=_axis(dims, x.ndim) if dims else None), dtype=np.int64),
                 None)


# ---- quantile, nanquantile ----------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    x = input._data
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if isinstance(q, Tensor):
        qa = q._data
        if qa.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qa.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if qa.size and (qa.min() < 0 or qa.max() > 1):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qa = np.asarray(q, dtype=np.float64)
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        values, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, x.ndim)
        values = input.reshape(1) if x.ndim == 0 else input
    rows = values.sort(d).values.movedim(d, -1)  # NaN sorts last
    n = rows.shape[-1]
    nans = np.isnan(rows._data).sum(-1)
    count = n - nans if ignore_nan else np.full(nans.shape, n)
    q_shape = qa.shape + (1,) * nans.ndim
    rank = qa.reshape(q_shape) * (count - 1)
    # no numbers (nanquantile): the first NaN; a NaN in the row (quantile): the last one
    fixed, fixed_rank = (count == 0, 0) if ignore_nan else (nans > 0, n - 1)
    rank = np.where(fixed, fixed_rank, rank)
    if interpolation == "nearest":
        rank = np.round(rank)  # (half to even, as torch rounds)
    below = np.floor(rank).astype(np.int64)
    above = np.ceil(rank).astype(np.int64)
    expanded = rows.expand(qa.shape + tuple(rows.shape))
    low = expanded.gather(-1, _wrap(below[..., None], None)).squeeze(-1)
    if interpolation in ("lower", "nearest"):
        out = low
    else:
        high = expanded.gather(-1, _wrap(above[..., None], None)).squeeze(-1)
        if interpolation == "higher":
            out = high
        else:
            if interpolation == "midpoint":
                weight = _wrap(np.asarray(0.5, dtype=x.dtype), None)
            elif isinstance(q, Tensor) and q.requires_grad:  # the weight is differentiable in q
                ranked = q.to(input.dtype).reshape(q_shape) * _wrap((count - 1).astype(x.dtype), None)
                ranked = where(_wrap(fixed, None), float(fixed_rank), ranked)
                weight = ranked - _wrap(below.astype(x.dtype), None)
            else:
                weight = _wrap(np.asarray(rank - below, dtype=x.dtype), None)
            out = low.lerp(high, weight)
    if keepdim:
        if dim is None:
            out = out.reshape(qa.shape + (1,) * x.ndim)
        elif x.ndim:
            out = out.unsqueeze(qa.ndim + d)
    return out


@register(samples=[(T(3, 5), 0.3), (T(3, 5), 0.5, 1, True), (T(3, 5), T(2, lo=0.0, hi=1.0, requires_grad=False), 0),
                   (T(4), 0.4, {"interpolation": "midpoint"}), (T(4, 3), 0.7, 0, {"interpolation": "lower"}),
                   (T(4, 3), 0.7, 0, {"interpolation": "higher"}), (T(4, 3), 0.7, 0, {"interpolation": "nearest"})])
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    """The ``q``-th quantiles over ``dim`` (all elements by default), interpolating between the
    two nearest values; NaN where there is a NaN. A 1-d ``q`` adds a leading dim."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@register(samples=[(T(3, 5), 0.3), (T(3, 5), 0.5, 1, True), (T(4), 0.4, {"interpolation": "midpoint"})])
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
    """``quantile`` of the elements that are not NaN."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# ---- cov, corrcoef -------------------------------------------------------------------------------------
def _check_weights(name, w, num_obs, integral):
    wd = w._data
    kind = "integral" if integral else "floating point"
    if (wd.dtype.kind in "iu") != integral or (not integral and wd.dtype.kind != "f"):
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype")
    if wd.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions")
    if wd.size != num_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input")
    if wd.size and wd.min() < 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")


@register(samples=[(T(3, 5),), (T(5),), (T(2, 4), {"correction": 0}),
                   (T(2, 4), {"fweights": I([1, 2, 0, 3]), "aweights": T(4, lo=0.1, hi=1.0, requires_grad=False)})])
def cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with frequency and/or reliability weights."""
    x = input
    if x._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{x._data.ndim} dimensions")
    if x._data.ndim < 2:
        x = x.reshape(1, -1)
    num_obs = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, num_obs, True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, num_obs, False)
        w = aweights if w is None else w * aweights
    if w is None:  # (an integer count: integer input gives a default-float result, as in torch)
        w_sum = _wrap(np.asarray(num_obs, np.int64), None)
        avg = x.sum(1) / w_sum
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool((norm <= 0)._data):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    centered = x - avg.unsqueeze(1)
    weighted = centered if w is None else centered * w
    return (centered @ weighted.t() / norm).squeeze()


@register(samples=[(T(3, 5),), (T(5),), (T(2, 4),)])
def corrcoef(input) -> Tensor:
    """The Pearson correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clip(-1, 1) if hasattr(c, "clip") else c.clamp(-1, 1)


# ---- dist, renorm ---------------------------------------------------------------------------------------
def _pnorm_grad(g: Tensor, v: Tensor, p: float, out: Tensor) -> Tensor:
    """The gradient of the p-norm ``out`` of all of ``v`` (g is 0-d)."""
    if p == 0:  # (the count of nonzeros: flat, and no function of v)
        return g.expand(v.shape) * 0.0
    if p == 1:
        return g * v.sign()
    if p in (math.inf, -math.inf):
        hit = v.abs() == out
        return g * v.sign() * hit / hit.sum()
    if p == 2:
        return where(out == 0, 0.0, g / out) * v
    if p < 1:  # |v|^(p-1) is infinite at 0
        return g * where(v == 0, 0.0, v.sign() * v.abs() ** (p - 1)) * out ** (1 - p)
    return where(out == 0, 0.0, g / out ** (p - 1)) * v.sign() * v.abs() ** (p - 1)


def _pnorm(a, p, axis=None, keepdims=False):
    a = np.abs(a)
    if p == math.inf:
        return np.amax(a, axis=axis, keepdims=keepdims) if a.size else np.zeros((), a.dtype)
    if p == -math.inf:
        return np.amin(a, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    if p == 1:
        return np.sum(a, axis=axis, keepdims=keepdims)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    return np.power(np.sum(np.power(a, p), axis=axis, keepdims=keepdims), 1.0 / p).astype(a.dtype)


class DistBackward0(Op):
    """dist: the p-norm of x - y; d/dx is the norm's gradient at x - y, d/dy its negative"""

    save_output = True
    float_result = True

    @staticmethod
    def forward(x, y, p):
        return np.asarray(_pnorm(np.subtract(x, y), p))

    def backward(self, g):
        x, y = self.saved
        (p,) = self._params
        grad = _pnorm_grad(g, x - y, p, self.out)
        sx, sy = self.shapes
        return (sum_to(grad, sx) if self.needs(0) else None, sum_to(-grad, sy) if self.needs(1) else None)


@register(samples=[(T(3, 4), T(3, 4)), (T(3, 4), T(4), 3), (T(3), T(3), 1), (T(3, 4), T(3, 1), float("inf")),
                   (T(), T(3), 2.5)])
def dist(input, other, p=2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast)."""
    if all(not isinstance(t, Tensor) or t._data.dtype.kind not in "fc" for t in (input, other)):
        kind = next(t for t in (input, other) if isinstance(t, Tensor))
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{scalar_name(kind)} instead.")
    return binary(DistBackward0, input, other, float(p))


class RenormBackward0(Op):
    """renorm: each slice along dim scaled by f = maxnorm / (norm + 1e-7) where its norm exceeds
    maxnorm; d/dx = g f + x's norm gradient times sum(g x) df/dnorm"""

    @staticmethod
    def forward(x, p, dim, maxnorm):
        norm = _slice_norms(x, p, dim)
        factor = np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(x.dtype)
        return x * factor

    def backward(self, g):
        (x,) = self.saved
        p, dim, maxnorm = self._params
        others = tuple(i for i in range(x.ndim) if i != dim)
        norm = x.norm(p, others, keepdim=True) if others else x.abs() if p != 0 else (x != 0).to(x.dtype)
        over = norm > maxnorm
        factor = where(over, maxnorm / (norm + 1e-7), 1.0)
        dfactor = where(over, -maxnorm / (norm + 1e-7) ** 2, 0.0)
        gx = (g * x).sum(others, keepdim=True) if others else g * x
        # the norm's gradient of each slice, with the sum of g x of the slice as its incoming gradient
        if p == 1:
            dnorm = x.sign()
        elif p == 2:
            dnorm = where(norm == 0, 0.0, x / norm)
        elif p == math.inf:
            hit = x.abs() == norm
            dnorm = x.sign() * hit / (hit.sum(others, keepdim=True) if others else hit)
        else:
            dnorm = where(norm == 0, 0.0, x.sign() * x.abs() ** (p - 1) / norm ** (p - 1))
        return (g * factor + dfactor * gx * dnorm,)


def _slice_norms(x, p, dim):
    others = tuple(i for i in range(x.ndim) if i != dim)
    return _pnorm(x, p, axis=others, keepdims=True) if others else np.abs(x)


@register(inplace="renorm_", samples=[(T(3, 4), 2, 0, 1.0), (T(3, 4), 1, 1, 0.5), (T(2, 3, 2), 3, -1, 0.8),
                                      (T(3, 4), float("inf"), 0, 0.7)])
def renorm(input, p, dim, maxnorm) -> Tensor:
    """Each slice of ``input`` along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to it."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input._data.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input._data.ndim} dimensions")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"\"renorm\" not implemented for '{scalar_name(input)}'")
    return unary(RenormBackward0, input, float(p), _wrap_dim(dim, input._data.ndim), maxnorm)


# ---- histograms ---------------------------------------------------------------------------------------------
class HistogramNode(NoDerivative):
    op_name = "aten::histogram"
    error = RuntimeError


HistogramNode.__name__ = HistogramNode.__qualname__ = "NotImplemented"  # (torch's name for its node)


def _linspace(lo, hi, steps, dtype):
    """torch's linspace: from both ends toward the middle (the last edge is exactly ``hi``)."""
    i = np.arange(steps)
    step = (hi - lo) / builtins.max(steps - 1, 1)
    half = steps // 2
    return np.where(i < half, lo + step * i, hi - step * (steps - 1 - i)).astype(dtype)


def _bin_counts(points, edges, weight, uniform):
    """The (weighted) counts of ``points`` (N, D) in the bins between ``edges`` (one array per
    dim). A point on the last edge of a dim counts in the last bin; one outside, in none."""
    n, ndims = points.shape
    flat = np.zeros(n, np.int64)
    keep = np.ones(n, bool)
    sizes = []
    for k in range(ndims):  # (a loop over the D dims, not the elements)
        e, v = edges[k], points[:, k]
        bins = e.size - 1
        sizes.append(bins)
        lo, hi = e[0], e[-1]
        keep &= (v >= lo) & (v <= hi)
        if uniform and hi > lo:
            # the bin from the position between the ends, then checked against its neighbours' edges
            pos = np.clip(((v - lo) * bins / (hi - lo)).astype(np.int64), 0, bins - 1)
            pos = np.where((pos < bins - 1) & (v >= e[np.minimum(pos + 1, bins)]), pos + 1, pos)
            pos = np.where((pos > 0) & (v < e[pos]), pos - 1, pos)
        else:
            pos = np.searchsorted(e, v, side="right") - 1
        pos = np.clip(pos, 0, builtins.max(bins - 1, 0))
        flat = flat * bins + pos
    total = int(np.prod(sizes)) if sizes else 1
    w = None if weight is None else weight[keep]
    counts = np.bincount(flat[keep], weights=w, minlength=total)[:total]
    return counts.reshape(sizes)


_C_NAMES = {"float64": "double", "float32": "float", "float16": "c10::Half"}  # (as torch's messages name them)


def _histogramdd(name, input, bins, range, weight, density):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{scalar_name(input)}'")
    if x.ndim < 1 and name == "histogramdd":
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    ndims = x.shape[-1] if name == "histogramdd" else 1
    points = x.reshape(-1, ndims)
    w = None
    if weight is not None:  # (torch's messages name histogramdd, which histogram calls)
        w = weight._data
        if w.dtype != x.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                               f"have the same dtype, but got input({_C_NAMES.get(x.dtype.name)}), and "
                               f"weight({_C_NAMES.get(w.dtype.name, w.dtype.name)})")
        if w.shape != points.shape[:-1] and w.shape != x.shape[:-1] if name == "histogramdd" else w.shape != x.shape:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               "input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(points.shape)} and weight with shape {list(w.shape)}")
        w = w.reshape(-1).astype(np.float64)
    per_dim = bins if isinstance(bins, (list, tuple)) else [bins] * ndims
    if len(per_dim) != ndims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    edges, uniform = [], True
    for k, b in enumerate(per_dim):
        if isinstance(b, Tensor):
            uniform = False
            e = b._data
            if e.ndim != 1:
                raise RuntimeError(f"torch.{name}: bins tensor should have one dimension, but got {e.ndim} "
                                   f"dimensions in the bins tensor for dimension {k}")
            if e.size == 0:
                raise RuntimeError(f"torch.{name}: bins tensor should have at least 1 element, but got 0 elements in "
                                   f"the bins tensor for dimension {k}")
            if e.dtype != x.dtype:
                raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                                   f"got input with dtype {_C_NAMES.get(x.dtype.name)} and bins for dimension {k} "
                                   f"with dtype {_C_NAMES.get(e.dtype.name, e.dtype.name)}")
            edges.append(e)
            continue
        if b <= 0:
            raise RuntimeError(f"torch.{name}(): bins must be > 0, but got {b} for dimension {k}")
        if range is not None:
            if len(range) != 2 * ndims:
                raise RuntimeError(f"torch.{name}: for a {ndims}-dimensional histogram range should have "
                                   f"{2 * ndims} elements, but got {len(range)}")
            lo, hi = float(range[2 * k]), float(range[2 * k + 1])
            if not lo <= hi:
                raise RuntimeError(f"torch.{name}: min should not exceed max, but got min {lo} max {hi} in "
                                   f"dimension {k}")
        elif points.shape[0]:
            lo, hi = float(points[:, k].min()), float(points[:, k].max())
        else:  # no points: the unit range
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.{name}: range of [{lo}, {hi}] is not finite")
        if lo == hi:  # an empty range made one wide, as NumPy does
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(_linspace(lo, hi, b + 1, x.dtype))
    hist = _bin_counts(points, edges, w, uniform).astype(x.dtype)
    if density:
        total = hist.sum()
        for k, e in enumerate(edges):
            shape = [1] * ndims
            shape[k] = -1
            hist = hist / np.diff(e).reshape(shape)
        hist = hist / total
    hist = no_derivative(HistogramNode, input, np.ascontiguousarray(hist, dtype=x.dtype))
    if name == "histogramdd" and not uniform:  # (torch hands given edges back outside the graph)
        return hist, [_wrap(e.copy(), None) for e in edges]
    return hist, [no_derivative(HistogramNode, input, e.copy()) for e in edges]


@register(differentiable=False, samples=[(T(10), 4), (T(3, 4), T(5, requires_grad=False)),
                                         (T(10), 3, {"range": (-1.0, 1.0), "density": True}),
                                         (T(8), 3, {"weight": T(8, requires_grad=False)})])
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the (weighted, or ``density``-normalised) counts of the elements in
    ``bins`` equal bins over ``range`` (the data's by default), or between the edges of a 1-d
    ``bins`` tensor."""
    hist, edges = _histogramdd("histogram", input, bins, range, weight, density)
    return _histogram_type(hist.reshape(-1), edges[0])


@register(method=False, differentiable=False, samples=[(T(10, 2), 3), (T(10, 2), [2, 3]),
                                         (T(6, 2), [T(3, requires_grad=False), T(4, requires_grad=False)])])
def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the D-dimensional histogram of the points in the rows of ``input``
    (its innermost dim is D)."""
    if isinstance(bins, Tensor):
        raise TypeError("histogramdd(): bins must be an int, a sequence of ints or a sequence of tensors")
    hist, edges = _histogramdd("histogramdd", input, bins, range, weight, density)
    return _histogramdd_type(hist, tuple(edges))


@register(differentiable=False, samples=[(T(10), 4), (T(10), 3, -1.0, 1.0), (T(3, 4),)])
def histc(input, bins=100, min=0, max=0) -> Tensor:
    """The counts of the elements in ``bins`` equal bins between ``min`` and ``max`` (the data's
    when both are 0); elements outside are not counted."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{scalar_name(input)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if max < min:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    v = x.reshape(-1)
    keep = (v >= lo) & (v <= hi)
    pos = np.clip(((v[keep] - lo) * bins / (hi - lo)).astype(np.int64), 0, bins - 1)
    return _wrap(np.bincount(pos, minlength=bins).astype(x.dtype), None)
