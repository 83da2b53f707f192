"""The scatter and index family: scatter, scatter_reduce, index_add/copy/fill/put/reduce,
masked_scatter/select, take, put, nonzero, repeat_interleave, isin, segment_reduce.

Each op's forward writes with NumPy's indexed ufuncs (``np.add.at`` and kin, so repeated
places combine); each derivative rule is written in torchless ops (gather, scatter, ...), so
it can be differentiated again. (gather, scatter_add and index_select live in indexing.py.)
"""

from __future__ import annotations

import warnings

from .._creation import check_fits
from .._dtype import FROM_NP
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, broadcast_error, nary, register, sum_to, unary
from ._samples import I, T
from .elementwise import mask_grad, where
from .indexing import (
    GatherBackward0,
    _cname,
    as_1d,
    check_scatter,
    gather,
    index_select,
    pad_to,
    places,
    put_at,
    scatter_region,
)
from .shape import embed, index_get


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


def _scattered(shape, dim, index) -> np.ndarray:
    """The places of an array of ``shape`` that a scatter along ``dim`` writes (a bool mask)."""
    hit = np.zeros(shape, dtype=bool)
    if index.size:
        idx = as_1d(index)
        as_1d(hit)[places(idx, dim)] = True
    return hit


# ---- scatter ---------------------------------------------------------------------------------
_UFUNC_AT = {
    "add": np.add,
    "multiply": np.multiply,
    "sum": np.add,
    "mean": np.add,
    "prod": np.multiply,
    "amax": np.maximum,
    "amin": np.minimum,
}


def _scatter(x, dim, index, src, reduce):
    """x with ``src`` (an array or a number) written at ``index`` along ``dim``; ``reduce``:
    None (replace), "add" or "multiply" (combine with what is there)."""
    out = x.copy()
    if index.size:
        idx = as_1d(index)
        if isinstance(src, np.ndarray):
            src = scatter_region(as_1d(src), idx.shape)
        at = places(idx, dim)
        if reduce is None:
            as_1d(out)[at] = src
        else:
            _UFUNC_AT[reduce].at(as_1d(out), at, src)
    return out


class ScatterBackward0(Op):
    """scatter of a src tensor: the overwritten places of self get no gradient; src's gradient
    is g gathered at the index"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index):
        return _scatter(x, dim, index, src, None)

    def backward(self, g):
        dim, index = self._params
        idx = _const(index)
        gx = g.scatter(dim, idx, 0.0) if self.needs(0) else None
        gs = pad_to(g.gather(dim, idx), self.shapes[1]) if self.needs(1) else None
        return gx, gs


class ScatterBackward1(Op):
    """scatter of a number: the overwritten places get no gradient"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index, value):
        return _scatter(x, dim, index, value, None)

    def backward(self, g):
        dim, index, _ = self._params
        return (g.scatter(dim, _const(index), 0.0),)


class ScatterReduceNotImplemented(Op):
    """scatter with reduce="add"/"multiply": torch has no derivative for it"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index, reduce):
        return _scatter(x, dim, index, src, reduce)

    def backward(self, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")

    def name(self) -> str:
        return "NotImplemented"


@register(inplace="scatter_")
def scatter(
    input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number ``value``) written at ``index``
    along ``dim``: ``out[index[i][j]][j] = src[i][j]`` for dim=0. ``reduce="add"|"multiply"``
    combines with what is there instead.

    >>> import torchless as torch
    >>> torch.zeros(2, 2).scatter(0, torch.tensor([[1, 0]]), torch.tensor([[5., 6.]])).tolist()
    [[0.0, 6.0], [5.0, 0.0]]
    """
    if src is None:
        if value is None:
            raise TypeError("scatter() missing 1 required positional argument: 'src' (or 'value')")
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        d = check_scatter("scatter", input, dim, index, src)
        if reduce is not None:
            warnings.warn(
                "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
                "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                UserWarning,
                stacklevel=2,
            )
            return nary(ScatterReduceNotImplemented, (input, src), d, index._data, reduce, base=input)
        return nary(ScatterBackward0, (input, src), d, index._data, base=input)
    d = check_scatter("scatter", input, dim, index)
    check_fits(src, input._data.dtype)
    if reduce is not None:
        return nary(
            ScatterReduceNotImplemented,
            (input, _const(np.asarray(src, input._data.dtype))),
            d,
            index._data,
            reduce,
            base=input,
        )
    return unary(ScatterBackward1, input, d, index._data, src)


# ---- scatter_reduce and index_reduce -----------------------------------------------------------
def _identity(reduce: str, dtype):
    """The value that leaves a reduction unchanged (where include_self=False drops self's)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _counts(shape, dim, index, include_self, dtype) -> np.ndarray:
    """How many values a mean averages at each place (at least 1: an untouched place keeps self)."""
    n = np.zeros(shape, dtype=np.int64)
    if index.size:
        np.add.at(as_1d(n), places(as_1d(index), dim), 1)
    return np.maximum(n + int(include_self), 1).astype(dtype)


def _scatter_reduce(x, src, dim, index, reduce, include_self):
    out = x.copy()
    if not index.size:
        return out
    idx = as_1d(index)
    at = places(idx, dim)
    o = as_1d(out)
    if not include_self:
        o[at] = _identity(reduce, x.dtype)
    _UFUNC_AT[reduce].at(o, at, scatter_region(as_1d(src), idx.shape))
    if reduce == "mean":
        n = _counts(x.shape, dim, index, include_self, x.dtype)
        if x.dtype.kind in "iub":
            np.floor_divide(out, n, out=out)
        else:
            np.divide(out, n, out=out)
    return out


def _reduce_grads(node, g, x, src, out, dim, index, reduce, include_self):
    """The gradients of ``out = x.scatter_reduce(dim, index, src, reduce, include_self)``
    for x and src (src's over the region the index covers), in torchless ops."""
    idx = _const(index)
    xshape = x._data.shape
    gx = gs = None
    if reduce == "sum":
        gx, gs = g, g.gather(dim, idx)
    elif reduce == "mean":
        gn = g / _const(_counts(xshape, dim, index, include_self, g._data.dtype))
        gx, gs = gn, gn.gather(dim, idx)
    elif reduce == "prod":
        # d out / d v = the product of the other values at v's place: out / v where v != 0;
        # at a lone zero, the product with that zero taken out (replaced by 1)
        if include_self:
            x_zero = x == 0
            x_nz = where(x_zero, 1.0, x) if x_zero._data.any() else x
            gx = g * x_nz.scatter_reduce(dim, idx, src, "prod", include_self=True) / x_nz
        else:
            gx = g
        s_zero = (src == 0)._data
        if s_zero.any():
            zeros_at = np.zeros(xshape, dtype=np.int64)
            np.add.at(as_1d(zeros_at), places(as_1d(index), dim), as_1d(s_zero.astype(np.int64)))
            lone = _const(s_zero & (GatherBackward0.forward(zeros_at, dim, index) == 1))
            s_nz = where(_const(s_zero), 1.0, src)
            others_lone = x.scatter_reduce(dim, idx, where(lone, 1.0, src), "prod", include_self=include_self)
            gs = where(lone, (g * others_lone).gather(dim, idx), (g * out).gather(dim, idx) / s_nz)
        else:
            gs = (g * out).gather(dim, idx) / src
    else:  # amax, amin: the gradient is shared evenly by the values equal to the result
        hit_src = _const((src._data == GatherBackward0.forward(out._data, dim, index)).astype(g._data.dtype))
        untouched = ~_scattered(xshape, dim, index)  # (where out is self's value, whatever include_self)
        hit_self = (x._data == out._data) | untouched if include_self else untouched
        hit_self = _const(hit_self.astype(g._data.dtype))
        count = hit_self.scatter_add(dim, idx, hit_src)
        share = g / count
        gx, gs = share * hit_self, share.gather(dim, idx) * hit_src
    if not include_self and gx is not None:
        gx = gx.scatter(dim, idx, 0.0)
    return (gx if node.needs(0) else None), (gs if node.needs(1) else None)


class ScatterReduceBackward0(Op):
    """scatter_reduce (see _reduce_grads)"""

    save_output = True

    @staticmethod
    def forward(x, src, dim, index, reduce, include_self):
        return _scatter_reduce(
            x, scatter_region(src, index.shape) if src.ndim else src, dim, index, reduce, include_self
        )

    def backward(self, g):
        x, src = self.saved
        dim, index, reduce, include_self = self._params
        sshape = src._data.shape
        if sshape != index.shape and src._data.ndim:  # (only the region the index covers is read)
            src = src[tuple(slice(0, s) for s in index.shape)]
        gx, gs = _reduce_grads(self, g, x, src, self.out, dim, index, reduce, include_self)
        return gx, (pad_to(gs, sshape) if gs is not None else None)


_SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@register(inplace="scatter_reduce_")
def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``input`` where each place ``index`` points at (along ``dim``) holds the
    ``reduce`` ("sum", "prod", "mean", "amax" or "amin") of the ``src`` values sent there,
    and of ``input``'s own value when ``include_self``.

    >>> import torchless as torch
    >>> torch.zeros(2).scatter_reduce(0, torch.tensor([0, 0, 1]), torch.tensor([1., 3., 5.]), "amax").tolist()
    [3.0, 5.0]
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (torch takes these two names too)
    if reduce not in _SCATTER_REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = check_scatter("scatter_reduce", input, dim, index, src)
    return nary(ScatterReduceBackward0, (input, src), d, index._data, reduce, bool(include_self), base=input)


def _check_index_op(name: str, input: Tensor, dim: int, index: Tensor, source=None) -> int:
    """torch's checks of index_add/index_copy/index_fill/index_reduce operands; returns ``dim``
    made non-negative."""
    d = _wrap_dim(dim, input._data.ndim)
    idx = index._data
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(
            f"{name}(): Expected dtype int32/int64 for index but got: {FROM_NP[idx.dtype].name}"
        )
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim}")
    n = input._data.shape[d] if input._data.ndim else 1
    if source is not None:
        if source._data.dtype is not input._data.dtype:
            raise RuntimeError(
                f"{name}(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type"
            )
        xs, ss = list(input._data.shape), list(source._data.shape)
        if (
            len(xs) != len(ss)
            and (len(xs) > 1 or len(ss) > 1)
            or [s for k, s in enumerate(xs) if k != d] != [s for k, s in enumerate(ss) if k != d]
        ):
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified "
                f"dimension. Got self.shape = {xs} source.shape = {ss}"
            )
        m = source._data.shape[d] if source._data.ndim else 1
        if idx.size != m:
            raise RuntimeError(
                f"{name}(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                f"({m}), for dim: {d}"
            )
    low = -n if name == "index_fill_" else 0  # (index_fill alone counts negative indices from the end)
    if idx.size and (idx.min() < low or idx.max() >= n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        msg = f"index {bad} is out of bounds for dimension {d} with size {n}"
        if name == "index_reduce_" or name == "index_add_" and input._data.ndim <= 1:
            raise IndexError("index out of range in self")
        if name == "index_add_":
            raise RuntimeError(msg)
        raise IndexError(("index_copy_(): " if name == "index_copy_" else "") + msg)
    return d


def _along(index, dim, shape):
    """A 1-d index of ``dim`` as a scatter index of ``shape`` (broadcast along the other dims)."""
    if not shape:
        return index.reshape(())
    view = [1] * len(shape)
    view[dim] = -1
    return np.broadcast_to(index.reshape(view), shape)


class IndexReduceBackward0(Op):
    """index_reduce: scatter_reduce with the index broadcast along the other dims"""

    save_output = True

    @staticmethod
    def forward(x, src, dim, index, reduce, include_self):
        return _scatter_reduce(x, src, dim, index, reduce, include_self)

    def backward(self, g):
        x, src = self.saved
        dim, index, reduce, include_self = self._params
        return _reduce_grads(self, g, x, src, self.out, dim, index, reduce, include_self)


@register(inplace="index_reduce_")
def index_reduce(
    input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``input`` whose slices ``index[i]`` along ``dim`` hold the ``reduce`` ("prod",
    "mean", "amax" or "amin") of the ``source`` slices ``i`` sent there (and of their own
    values when ``include_self``).

    >>> import torchless as torch
    >>> torch.ones(2).index_reduce(0, torch.tensor([1, 1]), torch.tensor([2., 3.]), "prod").tolist()
    [1.0, 6.0]
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}."
        )
    d = _check_index_op("index_reduce_", input, dim, index, source)
    idx = _along(index._data.reshape(-1).astype(np.int64), d, source._data.shape)
    return nary(IndexReduceBackward0, (input, source), d, idx, reduce, bool(include_self), base=input)


# ---- index_add, index_copy, index_fill ----------------------------------------------------------
def _dim_index(dim, index):
    return (slice(None),) * dim + (index,)


class IndexAddBackward0(Op):
    """index_add: self's gradient is g; source's is alpha * the selected slices of g"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index, alpha):
        out = x.copy()
        if alpha != 1:
            src = src * alpha
        np.add.at(as_1d(out), _dim_index(dim, index), as_1d(src))
        return out

    def backward(self, g):
        dim, index, alpha = self._params
        gs = None
        if self.needs(1):
            gs = g.index_select(dim, _const(index)) if g._data.ndim else g.reshape(1)
            gs = gs.reshape(self.shapes[1])
            if alpha != 1:
                gs = gs * alpha
        return (g if self.needs(0) else None), gs


@register(inplace="index_add_")
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added to the slices ``index`` along ``dim``.

    >>> import torchless as torch
    >>> torch.zeros(3).index_add(0, torch.tensor([2, 2]), torch.tensor([1., 2.])).tolist()
    [0.0, 0.0, 3.0]
    """
    d = _check_index_op("index_add_", input, dim, index, source)
    if not input._data.ndim and source._data.ndim:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = [] source.shape = {list(source._data.shape)}"
        )
    return nary(
        IndexAddBackward0, (input, source), d, index._data.reshape(-1).astype(np.intp), alpha, base=input
    )


class IndexCopyBackward0(Op):
    """index_copy: the overwritten slices of self get no gradient; source gets them from g"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index):
        out = x.copy()
        as_1d(out)[_dim_index(dim, index)] = as_1d(src)
        return out

    def backward(self, g):
        dim, index = self._params
        idx = _const(index)
        gx = gs = None
        if self.needs(0):
            gx = g.index_fill(dim, idx, 0.0)
        if self.needs(1):
            gs = (g.index_select(dim, idx) if g._data.ndim else g.reshape(1)).reshape(self.shapes[1])
        return gx, gs


@register(inplace="index_copy_")
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose slices ``index`` along ``dim`` are those of ``source``.

    >>> import torchless as torch
    >>> torch.zeros(3).index_copy(0, torch.tensor([2, 0]), torch.tensor([1., 2.])).tolist()
    [2.0, 0.0, 1.0]
    """
    idx = index._data
    if source._data.dtype is not input._data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_cname(input)} and (source) {_cname(source)}"
        )
    m = source._data.shape[_wrap_dim(dim, source._data.ndim)] if source._data.ndim else 1
    if idx.size != m:
        raise RuntimeError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({m})"
        )
    d = _check_index_op("index_copy_", input, dim, index, source)
    return nary(IndexCopyBackward0, (input, source), d, idx.reshape(-1).astype(np.intp), base=input)


class IndexFillBackward0(Op):
    """index_fill with a number: the filled slices get no gradient"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index, value):
        out = x.copy()
        as_1d(out)[_dim_index(dim, index)] = value
        return out

    def backward(self, g):
        dim, index = self._params[:2]
        return (g.index_fill(dim, _const(index), 0.0),)


class IndexFillBackward1(Op):
    """index_fill with a 0-d tensor value: it gets the sum of g over the filled places"""

    saves_operands = False

    @staticmethod
    def forward(x, value, dim, index):
        return IndexFillBackward0.forward(x, dim, index, value)

    def backward(self, g):
        dim, index = self._params
        gx = gv = None
        if self.needs(0):
            gx = g.index_fill(dim, _const(index), 0.0)
        if self.needs(1):
            filled = np.zeros(self.shapes[0], dtype=bool)
            as_1d(filled)[_dim_index(dim, index)] = True
            gv = mask_grad(g, _const(filled)).sum()
        return gx, gv


@register(inplace="index_fill_")
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value`` (a number or
    a 0-d tensor).

    >>> import torchless as torch
    >>> torch.zeros(3).index_fill(0, torch.tensor([2, 0]), 7.).tolist()
    [7.0, 0.0, 7.0]
    """
    d = _check_index_op("index_fill_", input, dim, index)
    n = input._data.shape[d] if input._data.ndim else 1
    idx = index._data.reshape(-1).astype(np.intp) % max(n, 1)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        if value._data.dtype is not input._data.dtype:
            value = value.to(input.dtype)
        return nary(IndexFillBackward1, (input, value), d, idx, base=input)
    check_fits(value, input._data.dtype)
    return unary(IndexFillBackward0, input, d, idx, value)


# ---- index_put (put_at, its forward, lives in indexing.py with x[index] = v) ------------------------
def _tensor_index(indices) -> tuple:
    """index_put's tuple of index tensors as a NumPy index (a mask stands for its nonzero places)."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}"
        )
    out = []
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(i).__name__}")
        d = i._data
        if d.dtype.kind == "b" or d.dtype == np.uint8:
            out.extend(np.nonzero(d.astype(bool)) if d.ndim else [d.astype(bool)])
        elif d.dtype.kind in "iu":
            out.append(d)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return tuple(out)


@register(inplace="index_put_")
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put at ``input[indices]`` (a tuple of index tensors),
    added to what is there when ``accumulate`` (repeated places add up).

    >>> import torchless as torch
    >>> torch.zeros(3).index_put((torch.tensor([0, 0]),), torch.tensor(1.), accumulate=True).tolist()
    [2.0, 0.0, 0.0]
    """
    if not isinstance(values, Tensor):
        raise TypeError(
            f"index_put(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}"
        )
    index = _tensor_index(indices)
    if len(indices) > max(input._data.ndim, 1):
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim} (got {len(indices)})")
    return put_at(input, index, values, accumulate)


@register("index_put_", method=False)
def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``index_put`` in place: ``input[indices] = values`` (``+=`` with accumulate); returns input."""
    return input.index_put_(indices, values, accumulate)


# ---- masked_scatter, masked_select ---------------------------------------------------------------
def _check_mask(name: str, mask: Tensor):
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        dt = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"{name}: expected BoolTensor for mask, got {dt}")


class MaskedScatterBackward0(Op):
    """masked_scatter: self keeps g where the mask is False; source's first elements (in order)
    get g where it is True"""

    saves_operands = False

    @staticmethod
    def forward(x, source, mask):
        out = np.array(np.broadcast_to(x, mask.shape), copy=True)
        out[mask] = source.reshape(-1)[: int(mask.sum())]
        return out

    def backward(self, g):
        (mask,) = self._params
        gx = gs = None
        if self.needs(0):
            gx = sum_to(mask_grad(g, _const(~mask)), self.shapes[0])
        if self.needs(1):
            n, shape = int(mask.sum()), self.shapes[1]
            picked = index_get(g, np.nonzero(mask), True)
            gs = embed(picked, (int(np.prod(shape)),), (slice(0, n),)).reshape(shape)
        return gx, gs


@register(inplace="masked_scatter_")
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the elements of ``source``, in order, written where ``mask``
    is True (mask and input broadcast together).

    >>> import torchless as torch
    >>> torch.zeros(3).masked_scatter(torch.tensor([True, False, True]), torch.tensor([1., 2.])).tolist()
    [1.0, 0.0, 2.0]
    """
    _check_mask("masked_scatter_", mask)
    if source._data.dtype is not input._data.dtype:
        raise RuntimeError(
            f"masked_scatter_: expected self and source to have same dtypes but got "
            f"{_cname(input)} and {_cname(source)}"
        )
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise broadcast_error(input, mask) from None
    m = np.broadcast_to(mask._data, shape)
    if int(m.sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return nary(MaskedScatterBackward0, (input, source), m, base=input)


class MaskedSelectBackward0(Op):
    """masked_select: g goes back to the selected places (summed over broadcast dims)"""

    saves_operands = False

    @staticmethod
    def forward(x, mask):
        return np.broadcast_to(x, mask.shape)[mask]

    def backward(self, g):
        (mask,) = self._params
        if not mask.ndim:  # (a 0-d mask: g has one element or none)
            return (sum_to(embed(g, (1,), np.nonzero(mask.reshape(1)), True).reshape(()), self.shapes[0]),)
        return (sum_to(embed(g, mask.shape, np.nonzero(mask), True), self.shapes[0]),)


@register()
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (the two broadcast).

    >>> import torchless as torch
    >>> torch.tensor([[1, 2], [3, 4]]).masked_select(torch.tensor([True, False])).tolist()
    [1, 3]
    """
    _check_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise broadcast_error(input, mask) from None
    return unary(MaskedSelectBackward0, input, np.broadcast_to(mask._data, shape))


# ---- take, take_along_dim, put -------------------------------------------------------------------
def _flat_index(name: str, index: Tensor, numel: int) -> np.ndarray:
    """take/put's index into the flattened tensor, negative ones counted from the end."""
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(
            f"{name}(): Expected a long tensor for index, but got {index.dtype.name.capitalize()}"
        )
    if idx.size:
        bad = idx[(idx < -numel) | (idx >= numel)]
        if bad.size:
            raise IndexError(
                f"out of range: tried to access index {int(bad.flat[0])} on a tensor of {numel} elements."
            )
    return np.where(idx < 0, idx + numel, idx).astype(np.intp)


class TakeBackward0(Op):
    """take: g is added back at the taken places of the flattened input"""

    saves_operands = False

    @staticmethod
    def forward(x, index):
        return x.reshape(-1)[index]

    def backward(self, g):
        (index,) = self._params
        shape = self.shapes[0]
        return (embed(g, (int(np.prod(shape)),), (index,), True).reshape(shape),)


@register()
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (in the shape of ``index``).

    >>> import torchless as torch
    >>> torch.tensor([[1, 2], [3, 4]]).take(torch.tensor([3, -4])).tolist()
    [4, 1]
    """
    return unary(TakeBackward0, input, _flat_index("take", index, input._data.size))


@register()
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """The values of ``input`` at ``indices`` along ``dim`` (the two broadcast along the other
    dims; both flattened when dim is None); negative indices count from the end.

    >>> import torchless as torch
    >>> torch.tensor([[1, 2], [3, 4]]).take_along_dim(torch.tensor([[1], [0]]), 1).tolist()
    [[2], [3]]
    """
    idx = indices._data
    if idx.dtype.kind not in "iu" or idx.dtype == np.uint8:
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be int but got "
            f"{indices.dtype.name.capitalize()} instead"
        )
    if dim is None:  # (negative indices are not counted from the end here)
        return input.reshape(-1).gather(0, _const(idx.reshape(-1)))
    d = _wrap_dim(dim, input._data.ndim)
    if idx.ndim != input._data.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input._data.ndim} dimensions for input, and {idx.ndim} dimensions for indices"
        )
    xs, ishape = list(input._data.shape), list(idx.shape)
    try:
        xb = np.broadcast_shapes(tuple(xs[:d] + [1] + xs[d + 1 :]), tuple(ishape[:d] + [1] + ishape[d + 1 :]))
    except ValueError:
        raise broadcast_error(input, indices) from None
    xshape = xb[:d] + (xs[d] if xs else 1,) + xb[d + 1 :]
    ibshape = xb[:d] + (ishape[d] if ishape else 1,) + xb[d + 1 :]
    n = xs[d] if xs else 1
    if tuple(xs) != xshape and xs:
        input = input.expand(*xshape)
    return input.gather(d, _const(np.ascontiguousarray(np.broadcast_to(_wrap_negative(idx, n), ibshape))))


def _wrap_negative(idx, n):
    if idx.size and idx.min() < 0:
        return np.where(idx < 0, idx + n, idx)
    return idx


class PutBackward0(Op):
    """put: the overwritten places of self get no gradient (all of g with accumulate); source
    gets g taken at the index"""

    saves_operands = False

    @staticmethod
    def forward(x, src, index, accumulate):
        out = x.copy()
        flat = out.reshape(-1)
        if accumulate:
            np.add.at(flat, index, src.reshape(-1))
        else:
            flat[index] = src.reshape(-1)
        return out

    def backward(self, g):
        index, accumulate = self._params
        gx = gs = None
        if self.needs(0):
            gx = g if accumulate else g.put(_const(index), _const(np.zeros(index.shape, g._data.dtype)))
        if self.needs(1):
            gs = g.take(_const(index)).reshape(self.shapes[1])
        return gx, gs


@register(inplace="put_")
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source``'s elements written at ``index`` of the flattened
    tensor (added to what is there when ``accumulate``).

    >>> import torchless as torch
    >>> torch.zeros(2, 2).put(torch.tensor([3, 0]), torch.tensor([1., 2.])).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    if source._data.dtype is not input._data.dtype:
        raise RuntimeError(
            f"put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_cname(input)} and source.dtype = {_cname(source)}"
        )
    if index._data.size != source._data.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {index._data.size}"
        )
    idx = _flat_index("put_", index, input._data.size).reshape(-1)
    return nary(PutBackward0, (input, source), idx, bool(accumulate), base=input)


# ---- nonzero, argwhere, isin ---------------------------------------------------------------------
@register(differentiable=False)
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or (as_tuple) one 1-d
    tensor per dim.

    >>> import torchless as torch
    >>> torch.tensor([0, 3, 0, 4]).nonzero().tolist()
    [[1], [3]]
    """
    d = input._data
    if as_tuple:
        return tuple(_const(i.astype(np.int64)) for i in np.nonzero(as_1d(d)))
    if not d.ndim:
        return _const(np.zeros((1 if d.item() else 0, 0), dtype=np.int64))
    return _const(np.argwhere(d).astype(np.int64))


@register(differentiable=False)
def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, as an (n, ndim) int64 tensor (see ``nonzero``)."""
    return nonzero(input)


@register(differentiable=False)
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero`` with exactly ``size`` rows: cut short, or padded with ``fill_value``.

    >>> import torchless as torch
    >>> torch.tensor([0, 3]).nonzero_static(size=2).tolist()
    [[1], [-1]]
    """
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got size = {size}")
    found = nonzero(input)._data[:size]
    out = np.full((size, input._data.ndim), fill_value, dtype=np.int64)
    out[: len(found)] = found
    return _const(out)


@register(method=False, differentiable=False)
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number).

    >>> import torchless as torch
    >>> torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2, 5])).tolist()
    [False, True, False]
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: expected at least one Tensor")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _const(np.isin(a, b, invert=bool(invert)))


# ---- repeat_interleave ---------------------------------------------------------------------------
@register()
def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None):
    """Each element (each slice along ``dim``; of the flattened input when dim is None)
    repeated ``repeats`` times, one after another; ``repeats`` a number or a tensor of one
    count per slice. ``torch.repeat_interleave(counts)`` repeats the indices 0, 1, ...

    >>> import torchless as torch
    >>> torch.tensor([1, 2]).repeat_interleave(2).tolist()
    [1, 1, 2, 2]
    """
    if repeats is None:  # repeat_interleave(counts): each index i, counts[i] times
        counts = input._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        out = np.repeat(np.arange(counts.size, dtype=counts.dtype), counts.reshape(-1))
        if output_size is not None and output_size != out.size:
            raise RuntimeError("allocated size does not match required size")
        return _const(out)
    if dim is None:
        input = input.reshape(-1)
        d = 0
    else:
        d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor) and repeats._data.ndim == 1 and repeats._data.size != 1:
        counts = repeats._data
        if counts.size != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size({d}) = {n}"
            )
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if output_size is not None and output_size != int(counts.sum()):
            raise RuntimeError("allocated size does not match required size")
        idx = np.repeat(np.arange(n, dtype=np.int64), counts)
        return input.index_select(d, _const(idx))
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        repeats = int(repeats._data.reshape(-1)[0])
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != n * repeats:
        raise RuntimeError("allocated size does not match required size")
    if not input._data.ndim:
        input = input.reshape(1)
    shape = input._data.shape
    wide = input.unsqueeze(d + 1).expand(*shape[: d + 1], repeats, *shape[d + 1 :]).clone()
    return wide.reshape(*shape[:d], shape[d] * repeats, *shape[d + 1 :])


# ---- the masked index ops of torch's decompositions -----------------------------------------------
def _clamped(indices, shape) -> tuple:
    """The index tensors with their values clamped into range (the places the mask leaves out
    may point anywhere; they are read but not used)."""
    out = []
    for k, i in enumerate(indices):
        if i is None:
            out.append(slice(None))
        else:
            out.append(np.clip(i._data, -shape[k], shape[k] - 1))
    return tuple(out)


class UnsafeMaskedIndexBackward0(Op):
    """x[indices] where mask, fill elsewhere: g goes back to x at the masked places"""

    saves_operands = False

    @staticmethod
    def forward(x, mask, index, fill):
        return np.where(mask, x[index], fill).astype(x.dtype, copy=False)

    def backward(self, g):
        mask, index, _ = self._params
        zeros = _const(np.zeros(self.shapes[0], dtype=g._data.dtype))
        return (put_at(zeros, index, mask_grad(g, _const(mask)), accumulate=True),)


@register("_unsafe_masked_index", method=False)
def _unsafe_masked_index(input: Tensor, mask: Tensor, indices, fill) -> Tensor:
    """``where(mask, input[indices], fill)``, with the indices where mask is False never checked."""
    index = _clamped(indices, input._data.shape)
    return unary(UnsafeMaskedIndexBackward0, input, mask._data, index, fill)


class UnsafeMaskedIndexPutAccumulateBackward0(Op):
    """input with values added at indices where mask: input gets g, values g[indices] (masked)"""

    saves_operands = False

    @staticmethod
    def forward(x, values, mask, index):
        out = x.copy()
        np.add.at(out, index, np.where(mask, values, 0).astype(x.dtype, copy=False))
        return out

    def backward(self, g):
        mask, index = self._params
        gx = g if self.needs(0) else None
        gv = None
        if self.needs(1):
            gv = sum_to(mask_grad(index_get(g, index, True), _const(mask)), self.shapes[1])
        return gx, gv


@register("_unsafe_masked_index_put_accumulate", method=False)
def _unsafe_masked_index_put_accumulate(input: Tensor, mask: Tensor, indices, values: Tensor) -> Tensor:
    """``input.index_put(indices, where(mask, values, 0), accumulate=True)``, with the indices
    where mask is False never checked."""
    index = _clamped(indices, input._data.shape)
    places_shape = np.broadcast_shapes(*[i.shape for i in index if isinstance(i, np.ndarray)])
    m = np.broadcast_to(mask._data, places_shape + input._data.shape[len(index) :])
    return nary(UnsafeMaskedIndexPutAccumulateBackward0, (input, values), m, index)


# ---- segment_reduce ------------------------------------------------------------------------------
class SegmentReduceBackward0(Op):
    """segment_reduce: a scatter_reduce of the data into one place per segment (see _reduce_grads)"""

    save_output = True

    @staticmethod
    def forward(data, start, axis, ids, reduce, initial, hole, keep):
        include = initial is not None
        if reduce == "mean":  # (an initial value is added in, but not counted)
            out = _scatter_reduce(start, data, axis, ids, "sum", include) / _segment_counts(
                start, axis, ids, keep
            )
        else:
            out = _scatter_reduce(start, data, axis, ids, reduce, include)
        if hole is not None:  # empty segments, without an initial value
            out[hole] = np.nan if reduce == "mean" else _identity(reduce, out.dtype)
        return out.astype(start.dtype, copy=False)

    def backward(self, g):
        (data, start) = self.saved
        axis, ids, reduce, initial, _, keep = self._params
        if reduce == "mean":
            n = _segment_counts(start._data, axis, ids, keep).astype(g._data.dtype)
            return ((g / _const(n)).gather(axis, _const(ids)), None)
        _, gs = _reduce_grads(_NeedsSrc, g, start, data, self.out, axis, ids, reduce, initial is not None)
        return gs, None


def _segment_counts(start, axis, ids, keep):
    """How many data elements each segment holds (at least 1)."""
    n = np.zeros(start.shape, dtype=np.int64)
    if ids.size:
        np.add.at(as_1d(n), places(as_1d(ids), axis), 1 if keep is None else as_1d(keep).astype(np.int64))
    return np.maximum(n, 1)


class _NeedsSrc:
    """(a stand-in node for _reduce_grads: only the data's gradient is wanted)"""

    @staticmethod
    def needs(i: int) -> bool:
        return i == 1


_SEGMENT = {"sum": "sum", "prod": "prod", "mean": "mean", "max": "amax", "min": "amin"}


@register(
    method=False,
    gradcheck=False,  # (torch has no second derivative: no gradcheck of either order)
    samples=[
        (T(5), "sum", {"lengths": I([2, 0, 3])}),
        (T(3, 4), "max", {"lengths": I([1, 2])}),
        (T(2, 5), "mean", {"offsets": I([[0, 2, 5], [0, 1, 5]]), "axis": 1}),
        (T(5), "prod", {"lengths": I([2, 0, 3]), "initial": 2.0}),
    ],
)
def segment_reduce(
    data: Tensor,
    reduce: str,
    *,
    lengths: Tensor | None = None,
    indices=None,
    offsets: Tensor | None = None,
    axis: int = 0,
    unsafe: bool = False,
    initial=None,
) -> Tensor:
    """The ``reduce`` ("sum", "prod", "mean", "max" or "min") of consecutive segments of
    ``data`` along ``axis``, given by their ``lengths`` or ``offsets`` (an empty segment gives
    ``initial``, else the reduction's identity; nan for mean).

    >>> import torchless as torch
    >>> torch.segment_reduce(torch.tensor([1., 2., 3.]), "sum", lengths=torch.tensor([2, 1])).tolist()
    [3.0, 3.0]
    """
    if reduce not in _SEGMENT:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    ax = _wrap_dim(axis, data._data.ndim)
    if offsets is not None:
        off = offsets._data.astype(np.int64)
        ends = off[..., 1:]
        starts = off[..., :-1]
        lens = ends - starts
    elif lengths is not None:
        lens = lengths._data.astype(np.int64)
        ends = np.cumsum(lens, axis=-1)
        starts = ends - lens
    else:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if lens.ndim - 1 != ax:
        raise RuntimeError(
            f"segment_reduce(): Expected axis to be the last dimension of lengths but got {ax}."
        )
    size = data._data.shape[ax]
    if not unsafe and ((lens < 0).any() or (ends[..., -1:] != size).any() if lens.size else False):
        raise RuntimeError(
            "segment_reduce(): Expected all rows of lengths along axis to sum to "
            "data.size(lengths.dim()-1) when !unsafe."
        )
    # the segment of each position along the axis (positions past the last end: left out)
    pos = np.arange(size)
    seg = (pos[..., None, :] >= ends[..., :, None]).sum(-2)
    inside = seg < lens.shape[-1]
    lead = data._data.shape[:ax]
    trail = data._data.shape[ax + 1 :]
    expand = (slice(None),) * (ax + 1) + (None,) * len(trail)
    ids = np.broadcast_to(np.minimum(seg, max(lens.shape[-1] - 1, 0))[expand], data._data.shape)
    keep = np.broadcast_to(inside[expand], data._data.shape)
    out_shape = lead + (lens.shape[-1],) + trail
    dt = data._data.dtype
    hole = None
    if initial is not None:
        start = np.full(out_shape, initial, dtype=dt)
    else:
        start = np.full(out_shape, _identity(_SEGMENT[reduce], dt) if reduce != "mean" else 0, dtype=dt)
        if (lens == 0).any():
            hole = np.broadcast_to((lens == 0)[expand[: ax + 1] + (None,) * len(trail)], out_shape)
    if keep.all():
        keep = None
    else:  # (unsafe: data past the last segment is read by no segment)
        data = data.masked_fill(_const(~keep), _identity(_SEGMENT[reduce], dt))
    return nary(
        SegmentReduceBackward0,
        (data, _const(start)),
        ax,
        np.ascontiguousarray(ids),
        _SEGMENT[reduce],
        initial,
        hole,
        keep,
    )


__all__ = [
    "scatter",
    "scatter_reduce",
    "index_reduce",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "put_at",
    "masked_scatter",
    "masked_select",
    "take",
    "take_along_dim",
    "put",
    "nonzero",
    "argwhere",
    "nonzero_static",
    "isin",
    "repeat_interleave",
    "segment_reduce",
    "gather",
    "index_select",
]
