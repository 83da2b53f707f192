"""Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique,
unique_consecutive, searchsorted, bucketize.

Every selection is worked out in NumPy as indices along a dim; the values are then taken by one
op, ``SortBackward0`` and its renamed kin, whose gradient goes back to the indices it took.
NaN sorts as the largest value, as in torch; ties keep their order (stable sorts).
"""

from __future__ import annotations

from .. import return_types
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, register, unary
from ._samples import I, T
from .reduction import _reduce_empty_check

_sort_type = return_types.make("sort", "values indices")
_topk_type = return_types.make("topk", "values indices")
_kthvalue_type = return_types.make("kthvalue", "values indices")
_median_type = return_types.make("median", "values indices")
_nanmedian_type = return_types.make("nanmedian", "values indices")
_mode_type = return_types.make("mode", "values indices")


# torch's names of the dtypes in its error messages
_SCALAR_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def scalar_name(t: Tensor) -> str:
    return _SCALAR_NAMES.get(t._data.dtype.name, t._data.dtype.name)


# ---- the selection op ------------------------------------------------------------------------
class SortBackward0(Op):
    """values taken at ``idx`` along ``dim``: the gradient is added back where they were taken"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, idx, keepdim):
        if x.ndim == 0:  # a 0-d tensor is its own (only) element
            return x.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
        out = np.take_along_axis(x, idx, dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, g):
        dim, idx, keepdim = self._params
        shape = self.shapes[0]
        if not shape:
            return (g.sum() if g.ndim else g,)
        if not keepdim:
            g = g.unsqueeze(dim)
        zeros = _wrap(np.zeros(shape, g._data.dtype), None)
        return (zeros.scatter_add(dim, _wrap(idx, None), g),)


class SortBackward1(SortBackward0):  # (torch's name for a sort asked to be stable)
    __slots__ = ()


class TopkBackward0(SortBackward0):
    __slots__ = ()


class KthvalueBackward0(SortBackward0):
    __slots__ = ()


class MedianBackward1(SortBackward0):
    __slots__ = ()


class NanmedianBackward1(SortBackward0):
    __slots__ = ()


class ModeBackward0(SortBackward0):
    __slots__ = ()


class CummaxBackward0(SortBackward0):
    __slots__ = ()


class CumminBackward0(SortBackward0):
    __slots__ = ()


def take(cls, input: Tensor, dim: int, idx, keepdim: bool, named):
    """``named(values, indices)``: the values of ``input`` at ``idx`` (int64, keeping ``dim``)
    along ``dim``, through op ``cls``; ``dim`` dropped from both unless ``keepdim``."""
    values = unary(cls, input, dim, idx, keepdim)
    indices = idx if keepdim or input._data.ndim == 0 else idx.squeeze(dim)
    if input._data.ndim == 0:
        indices = indices.reshape(values._data.shape)
    return named(values, _wrap(indices.astype(np.int64), None))


def argsort_array(x, dim: int, descending: bool = False):
    """Stable sorting indices of array ``x`` along ``dim`` (NaN largest; equal values keep their
    order, descending too)."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    # the ascending order of the reversed array, reversed: descending with ties in their order
    n = x.shape[dim]
    return (n - 1) - np.flip(np.argsort(np.flip(x, dim), axis=dim, kind="stable"), dim)


def _as_rows(x, dim):
    """``x`` with ``dim`` moved last (a 0-d array as one row of one)."""
    return np.moveaxis(x, dim, -1) if x.ndim else x.reshape(1)


def _from_rows(a, dim, ndim):
    return np.moveaxis(a, -1, dim) if ndim else a.reshape(())


# ---- sort, argsort, msort, topk ----------------------------------------------------------------
@register(samples=[(T(4, 5),), (T(4, 5), 0), (T(4, 5), 1, True), (T(3, 4, 2), {"dim": -2, "stable": True}),
                   (T(),), (T(6), 0, True)])
def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) of ``input`` sorted along ``dim`` (stable; NaN sorts last ascending).

    >>> import torchless as torch
    >>> torch.sort(torch.tensor([3., 1., 2.])).indices
    tensor([1, 2, 0])
    """
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    cls = SortBackward1 if stable else SortBackward0
    return take(cls, input, d, argsort_array(x, d, descending), True, _sort_type)


@register(differentiable=False, samples=[(T(4, 5),), (T(4, 5), 0, True), (T(6), {"dim": -1, "stable": True})])
def argsort(input, dim=-1, descending=False, *, stable=False) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    return _wrap(argsort_array(x, d, descending).astype(np.int64), None)


@register(samples=[(T(4, 3),), (T(5),)])
def msort(input) -> Tensor:
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


# (wide ranges: no ties once the samples are cast to integers; torch breaks ties its own way)
@register(samples=[(T(4, 5, lo=-1e3, hi=1e3), 2), (T(4, 5, lo=-1e3, hi=1e3), 3, 0),
                   (T(4, 5, lo=-1e3, hi=1e3), 2, 1, False), (T(6, lo=-1e3, hi=1e3), 6), (T(), 1)])
def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) along ``dim``, in order."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    idx = argsort_array(x, d, largest)
    if x.ndim:
        idx = np.take(idx, np.arange(k), axis=d)
    return take(TopkBackward0, input, d, idx, True, _topk_type)


# ---- kthvalue, median, nanmedian, mode -----------------------------------------------------------
def _at_rank(input, dim, rank, keepdim, cls, named):
    """The values of rank ``rank`` (an array broadcasting over the rows, NaN largest) along ``dim``."""
    x = input._data
    order = argsort_array(x, dim)
    if x.ndim == 0:
        return take(cls, input, dim, order, keepdim, named)
    rows = tuple(s for i, s in enumerate(x.shape) if i != dim)
    rank = np.expand_dims(np.broadcast_to(rank, rows), dim)
    return take(cls, input, dim, np.take_along_axis(order, rank, dim), keepdim, named)


@register(samples=[(T(4, 5, lo=-1e3, hi=1e3), 2), (T(4, 5, lo=-1e3, hi=1e3), 1, 0),
                   (T(4, 5, lo=-1e3, hi=1e3), 5, -1, True), (T(), 1)])
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the ``k``-th smallest element along ``dim`` (k counts from 1)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _reduce_empty_check(input, "kthvalue", (d,))
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _at_rank(input, d, k - 1, keepdim, KthvalueBackward0, _kthvalue_type)


class MedianBackward0(Op):
    """median of all elements: the gradient is shared by the elements equal to it (NaN: by the
    NaNs)"""

    save_output = True

    @staticmethod
    def forward(x, ignore_nan):
        flat = np.sort(x.reshape(-1))
        nans = int(np.isnan(flat).sum()) if flat.dtype.kind == "f" else 0
        if flat.size == 0 or (nans and not ignore_nan) or nans == flat.size:
            return np.array(np.nan, x.dtype)
        return flat[(flat.size - nans - 1) // 2].copy()

    def backward(self, g):
        (x,) = self.saved
        out = self.out
        hit = x.isnan() if bool(out.isnan()) else x == out
        return (hit * (g / hit.sum()),)


class NanmedianBackward0(MedianBackward0):
    __slots__ = ()


def _median(input, dim, keepdim, ignore_nan):
    name = "nanmedian" if ignore_nan else "median"
    if dim is None and keepdim:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    if dim is None:
        return unary(NanmedianBackward0 if ignore_nan else MedianBackward0, input, ignore_nan)
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _reduce_empty_check(input, name, (d,))
    rows = _as_rows(x, d)
    n = rows.shape[-1]
    nans = np.isnan(rows).sum(-1) if x.dtype.kind == "f" else np.zeros(rows.shape[:-1], np.int64)
    if ignore_nan:  # the lower middle of the numbers (all NaN: the first NaN)
        rank = np.maximum(n - nans - 1, 0) // 2
    else:  # the lower middle, or the first NaN where there is one (NaN sorts last)
        rank = np.where(nans > 0, n - nans, (n - 1) // 2)
    cls, named = (NanmedianBackward1, _nanmedian_type) if ignore_nan else (MedianBackward1, _median_type)
    return _at_rank(input, d, rank, keepdim, cls, named)


@register(samples=[(T(4, 5),), (T(4, 5), 1), (T(4, 5), 0, True), (T(),), (T(), 0), (T(6),)])
def median(input, dim=None, keepdim=False):
    """The median (the lower of the two middle values for an even count); with ``dim``,
    (values, indices) along it. NaN if there is a NaN."""
    return _median(input, dim, keepdim, False)


@register(samples=[(T(4, 5),), (T(4, 5), 1), (T(4, 5), 0, True), (T(),)])
def nanmedian(input, dim=None, keepdim=False):
    """``median`` of the elements that are not NaN."""
    return _median(input, dim, keepdim, True)


@register(samples=[(T(4, 5),), (T(4, 5), 0), (T(4, 5), 1, True), (T(),)])
def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along ``dim``: the smallest such value, at
    the last place it occurs."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    _reduce_empty_check(input, "mode", (d,))
    if x.ndim == 0:
        return take(ModeBackward0, input, d, np.zeros((), np.int64), keepdim, _mode_type)
    rows = _as_rows(x, d)
    order = np.argsort(rows, axis=-1, kind="stable")
    s = np.take_along_axis(rows, order, -1)
    n = s.shape[-1]
    pos = np.arange(n)
    starts = np.ones(s.shape, bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]  # (each NaN its own run, as torch counts them)
    ends = np.ones(s.shape, bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    length = np.where(ends, pos - first + 1, 0)
    best = np.argmax(length, axis=-1)[..., None]  # the first longest run: the smallest value
    # a stable sort puts the last occurrence of a value at the end of its run
    idx = _from_rows(np.take_along_axis(order, best, -1), d, x.ndim)
    return take(ModeBackward0, input, d, idx, keepdim, _mode_type)


# ---- unique, unique_consecutive --------------------------------------------------------------------
class NoDerivative(Op):
    """An output computed without a derivative rule that still requires grad, as torch's does:
    a backward through it raises."""

    saves_operands = False
    op_name = ""
    error = NotImplementedError

    @staticmethod
    def forward(x, out):
        return out

    def backward(self, g):
        if self.error is RuntimeError:
            raise RuntimeError(f"derivative for {self.op_name} is not implemented")
        raise NotImplementedError(f"the derivative for '{self.op_name}' is not implemented.")


class Unique2Backward0(NoDerivative):
    op_name = "_unique2"


class UniqueDimBackward0(NoDerivative):
    op_name = "unique_dim"


class UniqueConsecutiveBackward0(NoDerivative):
    op_name = "unique_consecutive"


def no_derivative(cls, input: Tensor, out) -> Tensor:
    """``out`` (an array) as the output of ``cls`` applied to ``input``."""
    return unary(cls, input, out)


def _unique(input, sort_first, return_inverse, return_counts, dim):
    x = input._data
    if dim is None:
        rows = x.reshape(-1, 1)
        d = None
    else:
        d = _wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
        if x.size == 0 and x.shape[d]:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        rows = np.moveaxis(x, d, 0).reshape(x.shape[d], -1 if x.shape[d] else 1)
    n = rows.shape[0]
    if sort_first and n:
        # lexicographic over the row's entries (the first most significant), stable
        order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(n)
    else:
        order = np.arange(n)
    s = rows[order]
    starts = np.ones(n, bool)
    if n:
        starts[1:] = (s[1:] != s[:-1]).any(axis=1)  # (NaN differs from NaN: each its own)
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    if dim is None:
        out = s[first, 0]
    else:
        picked = s[first].reshape((len(first),) + np.moveaxis(x, d, 0).shape[1:])
        out = np.moveaxis(picked, 0, d)
    cls = UniqueConsecutiveBackward0 if not sort_first else Unique2Backward0 if dim is None else UniqueDimBackward0
    result = [no_derivative(cls, input, out.copy())]
    if return_inverse:
        inverse = np.empty(n, np.int64)
        inverse[order] = group
        result.append(_wrap(inverse.reshape(x.shape) if dim is None else inverse, None))
    if return_counts:
        result.append(_wrap(np.diff(np.append(first, n)).astype(np.int64), None))
    return result[0] if len(result) == 1 else tuple(result)


@register(differentiable=False, samples=[(I([3, 1, 2, 1, 3]),), (I([[1, 2], [1, 2], [0, 5]]), True, True, True, 0),
                                         (T(5), False, True), (I([[1, 2], [1, 2], [0, 5]]), True, False, True, 1)])
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (``dim``: the distinct slices along it), sorted; with the index of
    each element's value among them (``return_inverse``) and how often each occurs
    (``return_counts``). NaNs are all distinct."""
    return _unique(input, True, return_inverse, return_counts, dim)


@register(differentiable=False, samples=[(I([3, 3, 1, 1, 3]),), (I([[1, 2], [1, 2], [0, 5]]), True, True, 0),
                                         (T(5), {"return_counts": True})])
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``unique`` of runs: each run of equal consecutive elements (slices) becomes one."""
    return _unique(input, False, return_inverse, return_counts, dim)


# ---- searchsorted, bucketize -----------------------------------------------------------------------
def _search(seq, values, right: bool):
    """For each value, how many entries of its row of sorted ``seq`` are below it (``right``: at
    most it). ``seq`` is 1-d, or has ``values``' leading dims. A NaN value goes after them all,
    as in torch (no entry compares as at least NaN)."""
    if values.dtype.kind == "f" and np.isnan(values).any():
        return np.where(np.isnan(values), seq.shape[-1], _search(seq, np.nan_to_num(values, nan=0.0), right))
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side="right" if right else "left")
    m = seq.shape[-1]
    k = values.shape[-1]
    # sort each row of seq and values together: for "left" the values go first among equals,
    # so that the entries before a value are those below it; for "right" they go last
    both = np.concatenate([values, seq] if not right else [seq, values], axis=-1)
    order = np.argsort(both, axis=-1, kind="stable")
    is_seq = (order >= k) if not right else (order < m)
    below = np.cumsum(is_seq, axis=-1) - is_seq  # entries of seq before each place
    lead = values.shape[:-1]
    at = order[~is_seq].reshape(lead + (k,)) - (m if right else 0)  # (k values in every row)
    out = np.empty(values.shape, np.int64)
    np.put_along_axis(out, at, below[~is_seq].reshape(lead + (k,)), -1)
    return out


@register(method=False, differentiable=False, samples=[(I([1, 3, 5, 7, 9]), I([3, 6, 9])),
                                         (I([1, 3, 5, 7, 9]), I([3, 6, 9]), {"right": True}),
                                         (I([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]), I([[3, 6, 9], [3, 6, 9]]))])
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None) -> Tensor:
    """For each value of ``input``, where it would go in ``sorted_sequence`` to keep it sorted
    (the innermost dim; the leading dims match, or ``sorted_sequence`` is 1-d): the first such
    place, the last with ``right=True`` or ``side="right"``."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input, dtype=seq.dtype) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim != 1 and (scalar or seq.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
            f"tensor and input value tensor must match, but we got boundaries tensor {list(seq.shape)} and input value "
            f"tensor {list(values.shape)}")
    if sorter is not None:
        order = sorter._data
        if order.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(order.shape)}")
        if order.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got "
                               f"{scalar_name(sorter)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, order, -1)
    if values.dtype != seq.dtype:
        common = np.result_type(values.dtype, seq.dtype)
        seq, values = seq.astype(common), values.astype(common)
    out = _search(seq, values, right)
    return _wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64), None)


@register(method=False, differentiable=False, samples=[(T(3, 4), T(5)), (T(6), T(3), {"right": True})])
def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """The bucket of each element: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``
    (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    seq = boundaries._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input, dtype=seq.dtype)
    if values.dtype != seq.dtype:
        common = np.result_type(values.dtype, seq.dtype)
        seq, values = seq.astype(common), values.astype(common)
    out = _search(seq, values, right)
    return _wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64), None)
