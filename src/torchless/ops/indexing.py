"""Indexing: ``x[...]``, ``x[...] = v``, gather, scatter_add, index_select, masked_fill.

An index is read as torch reads it: integers select, slices and None make views, and the
tensors (or sequences) among them index the view that is left (``_parse``). So ``x[0, :, [1, 2]]``
is ``x[0][:, [1, 2]]`` (NumPy would put the integer among the advanced indices)."""

from __future__ import annotations

from .._creation import check_fits
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, _as_number, broadcast_error, nary, register, sum_to, unary
from ._samples import B, I, T
from .elementwise import mask_grad
from .inplace import apply_inplace, copy_
from .shape import SelectBackward0, SliceBackward0, UnsqueezeBackward0, embed, index_get

_INDEX_TYPES = "tensors used as indices must be long, int, byte or bool tensors"
_SEQUENCES = (list, tuple, range)


def _as_tuple(index) -> tuple:
    """The index as a tuple of entries. A short list holding a sequence, slice, tensor, None or
    Ellipsis stands for a tuple (x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]]); another list is one
    index, as NumPy's old rule has it."""
    if isinstance(index, tuple):
        return index
    if (
        isinstance(index, list)
        and len(index) < 32
        and any(
            isinstance(i, (*_SEQUENCES, slice, Tensor, np.ndarray)) or i is None or i is Ellipsis
            for i in index
        )
    ):
        return tuple(index)
    return (index,)


def _entry(i):
    """One entry of an index: an int, slice, None, Ellipsis, a bool (True/False: a new dim of
    one or none), or an index array (int64 or bool)."""
    if isinstance(i, Tensor):
        d = i._data
        if d.dtype.kind == "b" or d.dtype == np.uint8:
            return bool(d) if d.ndim == 0 else d.astype(bool, copy=False)
        if d.dtype not in (np.int64, np.int32):
            raise IndexError(_INDEX_TYPES)
        return int(d) if d.ndim == 0 else d
    if i is None or i is Ellipsis or isinstance(i, slice):
        if isinstance(i, slice) and i.step is not None and i.step <= 0:
            raise ValueError("step must be greater than zero")
        return i
    if isinstance(i, (bool, np.bool_)):
        return bool(i)
    if isinstance(i, (int, np.integer)):
        return int(i)
    if isinstance(i, (*_SEQUENCES, np.ndarray)):
        if isinstance(i, str):
            raise TypeError("new(): invalid data type 'str'")
        a = np.asarray(i) if len(i) else np.zeros(0, dtype=np.int64)
        if a.dtype.kind == "b":
            return a if a.ndim else bool(a)
        if a.dtype.kind not in "iuf":
            raise IndexError(_INDEX_TYPES)
        return a.astype(np.int64, copy=False)  # (torch truncates the floats of a Python sequence)
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
        f"indices (got {type(i).__name__})"
    )


def _parse(shape: tuple, index):
    """torch's reading of ``index`` into a tensor of ``shape``: the basic index (ints, slices,
    None) that makes a view, and the advanced index of that view (slice(None) for its dims
    that no tensor indexes), or None when there is no tensor among the entries."""
    entries = [_entry(i) for i in _as_tuple(index)]
    ndim = len(shape)
    specified = sum(
        e.ndim if isinstance(e, np.ndarray) and e.dtype.kind == "b" else 1
        for e in entries
        if e is not None and e is not Ellipsis and not isinstance(e, bool)
    )
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv, advanced = [], [], False
    d = 0  # the dim of the input
    for e in entries:
        if e is None:
            basic.append(None)
            adv.append(slice(None))
        elif e is Ellipsis:
            n = ndim - specified
            basic += [slice(None)] * n
            adv += [slice(None)] * n
            d += n
        elif isinstance(e, bool):
            basic.append(None)
            adv.append(np.zeros(1 if e else 0, dtype=np.int64))
            advanced = True
        elif isinstance(e, int):
            if not -shape[d] <= e < shape[d]:
                raise IndexError(f"index {e} is out of bounds for dimension {d} with size {shape[d]}")
            basic.append(e)
            d += 1
        elif isinstance(e, slice):
            basic.append(e)
            adv.append(slice(None))
            d += 1
        elif e.dtype.kind == "b":
            if e.shape != shape[d : d + e.ndim]:
                raise _mask_error(e, shape, basic, d)
            basic += [slice(None)] * e.ndim
            adv.append(e)
            d += e.ndim
            advanced = True
        else:  # (NumPy checks the range: see _index_error)
            basic.append(slice(None))
            adv.append(e)
            d += 1
            advanced = True
    return tuple(basic), (tuple(adv) if advanced else None)


def _mask_error(mask, shape, basic, d) -> IndexError:
    """torch's error for a mask whose shape differs from the dims it covers (from ``d`` on, in the
    view that the ``basic`` entries before it have made)."""
    seen = np.broadcast_to(np.empty((), dtype=bool), shape)[tuple(basic) + (Ellipsis,)].shape
    at = len(seen) - (len(shape) - d)
    j = next(j for j, (m, s) in enumerate(zip(mask.shape, shape[d:] + (None,) * mask.ndim)) if m != s)
    return IndexError(
        f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape of the "
        f"indexed tensor {list(seen)} at index {at + j}"
    )


class AliasBackward0(SliceBackward0):
    """an index that takes everything (x[...], x[:, :]): a view of it all"""

    __slots__ = ()

    def backward(self, g):
        return (g,)


def _views(x: Tensor, index: tuple, alias: bool = True) -> Tensor:
    """The view ``x[index]`` (ints, slices, None, Ellipsis; already checked) taken as torch takes
    it, one view per entry that changes something: a select per int, a slice per slice that
    leaves something out, an unsqueeze per None; an alias when none does (unless not ``alias``)."""
    ndim = x._data.ndim
    n = 0
    for i in index:
        if i is not None and i is not Ellipsis:
            n += 1
    y, d = x, 0
    for i in index:
        if i.__class__ is int:
            y = unary(SelectBackward0, y, (slice(None),) * d + (i, Ellipsis))
        elif i.__class__ is slice:
            size = y._data.shape[d]
            if i.indices(size) != (0, size, 1):
                y = unary(SliceBackward0, y, (slice(None),) * d + (i, Ellipsis))
            d += 1
        elif i is None:
            shape = y._data.shape
            y = unary(UnsqueezeBackward0, y, shape[:d] + (1,) + shape[d:])
            d += 1
        else:
            d += ndim - n
    if y is x and alias:
        y = unary(AliasBackward0, x, (Ellipsis,))
    return y


_BASIC = frozenset({int, slice, type(None), type(Ellipsis)})


def _basic(shape: tuple, index: tuple) -> tuple:
    """The common case, checked quickly: an index of ints, slices, None and one Ellipsis (a
    NumPy index that gives the view)."""
    ndim = len(shape)
    n = 0
    for i in index:
        if i is not None and i is not Ellipsis:
            n += 1
    if n > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    d, ellipsis = 0, False
    for i in index:
        if i.__class__ is int:
            size = shape[d]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
            d += 1
        elif i.__class__ is slice:
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            d += 1
        elif i is Ellipsis:
            d += ndim - n
            ellipsis = True
    # (an Ellipsis at the end, so that a full integer index gives a 0-d view, not a NumPy scalar)
    return index if ellipsis else index + (Ellipsis,)


def getitem(self, index) -> Tensor:
    """``self[index]``: a view for integers, slices, None and Ellipsis; a copy when a tensor or
    a sequence is among them (see ``_parse``)."""
    cls = index.__class__
    if (
        cls is int
        or cls is slice
        or cls is tuple
        and index.count(Ellipsis) < 2
        and all(i.__class__ in _BASIC for i in index)
    ):
        if cls is not tuple:
            return unary(
                SelectBackward0 if cls is int else SliceBackward0, self, _basic(self._data.shape, (index,))
            )
        _basic(self._data.shape, index)
        return _views(self, index)
    if cls is Tensor and index._data.ndim and index._data.dtype == np.int64:  # (a lookup: rows by number)
        adv = (index._data,)
        try:
            return index_get(self, adv, True)
        except IndexError as e:
            raise _index_error(adv, e, self._data.shape) from None
    basic, adv = _parse(self._data.shape, index)
    if adv is None:
        return _views(self, basic)
    base = _views(self, basic, alias=False)
    try:
        return index_get(base, adv, True)
    except IndexError as e:
        raise _index_error(adv, e, base._data.shape) from None


def _index_error(index, e, shape) -> IndexError:
    """torch's wording for NumPy's IndexError from an advanced ``index`` into ``shape``: an
    index out of range names its place among the index tensors (and the size of its dim)."""
    msg = str(e)
    if msg.startswith("shape mismatch"):
        arrays = [i for i in index if isinstance(i, np.ndarray)]
        return IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(a.shape)) for a in arrays)
        )
    d = k = 0
    for i in index:
        if isinstance(i, np.ndarray) and i.dtype.kind != "b":
            n = shape[d]
            bad = i[(i < -n) | (i >= n)]
            if bad.size:
                return IndexError(f"index {bad.flat[0]} is out of bounds for dimension {k} with size {n}")
        d += i.ndim if isinstance(i, np.ndarray) and i.dtype.kind == "b" else 1
        k += isinstance(i, np.ndarray)
    return IndexError(msg.replace(" for axis ", " for dimension "))


Tensor.__getitem__ = getitem


class IndexPutBackward0(Op):
    """index_put: the overwritten places of self get no gradient (all of g with accumulate);
    values get g at the index, summed to their shape"""

    saves_operands = False

    @staticmethod
    def forward(x, v, index, accumulate):
        out = x.copy()
        if accumulate:
            np.add.at(out, index, np.broadcast_to(v, out[index].shape))
        else:
            out[index] = v
        return out

    def backward(self, g):
        index, accumulate = self._params
        gx = gv = None
        if self.needs(0):
            if accumulate:
                gx = g
            else:
                keep = np.ones(g._data.shape, dtype=bool)
                keep[index] = False
                gx = mask_grad(g, _wrap(keep, None))
        if self.needs(1):
            gv = sum_to(index_get(g, index, True), self.shapes[1])
        return gx, gv


def put_at(input: Tensor, index: tuple, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put at the NumPy ``index`` (the arrays of an advanced
    index, already in torch's meaning), added to what is there when ``accumulate``."""
    if not isinstance(values, Tensor):  # (a number: NumPy writes it in the input's dtype)
        if values.__class__ not in (int, float, bool):
            values = _as_number(values)
        check_fits(values, input._data.dtype)
    elif values._data.dtype is not input._data.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {_cname(input)} for "
            f"the destination and {_cname(values)} for the source."
        )
    try:
        return nary(IndexPutBackward0, (input, values), index, bool(accumulate), base=input)
    except IndexError as e:
        raise _index_error(index, e, input._data.shape) from None
    except ValueError:  # (the values do not broadcast to the indexed places)
        places_shape = input._data[index].shape
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values._data.shape)} cannot be broadcast "
            f"to indexing result of shape {list(places_shape)}"
        ) from None


def _cname(t: Tensor) -> str:
    return t.dtype.name.capitalize() if t.dtype.name != "bool" else "Bool"


def setitem(self, index, value) -> None:
    """``self[index] = value``: a copy into the view ``self[index]`` for basic indices (so the
    change reaches self's history as torch's CopySlices), an index_put for advanced ones."""
    if isinstance(value, Tensor) and not value._data.ndim and np.may_share_memory(self._data, value._data):
        # torch reads a 0-d value as a number (x[:] = x[0] is fine): one from self's own memory
        # is copied first, so that writing self does not count as an overlapping operand
        value = value.clone()
    cls = index.__class__
    if cls is int or cls is slice or cls is tuple and all(i.__class__ in _BASIC for i in index):
        view = getitem(self, index)
        copy_(view, _drop_leading_ones(value, view._data.ndim))
        return
    if cls is Tensor and index._data.ndim and index._data.dtype == np.int64:  # (rows by number)
        basic, adv = (), (index._data,)
    else:
        basic, adv = _parse(self._data.shape, index)
    if adv is None:
        view = getitem(self, index)
        copy_(view, _drop_leading_ones(value, view._data.ndim))
        return
    value = _drop_leading_ones(value, 0)
    target = _views(self, basic, alias=False)
    apply_inplace(target, put_at, "index_put_", adv, value)


def _drop_leading_ones(value, ndim: int):
    """The value of ``x[index] = value`` without its leading dims of size 1 beyond ``ndim``
    (torch drops them: x[0] = ones(1, 1, 4) is fine)."""
    if not isinstance(value, Tensor) or value._data.ndim <= ndim or value._data.shape[0] != 1:
        return value
    shape = value._data.shape
    lead = 0
    while lead < len(shape) - ndim and shape[lead] == 1:
        lead += 1
    return value.reshape(shape[lead:])


Tensor.__setitem__ = setitem


# ---- gather, scatter_add, index_select, masked_fill ------------------------------------------
def as_1d(a):
    """A 0-d array as 1-d of one element (a view): torch treats a 0-d tensor as one of size 1
    along dim 0 in the gather/scatter/index family."""
    return a.reshape(1) if a.ndim == 0 else a


def places(index, dim: int) -> tuple:
    """The NumPy index of the places an index array of gather/scatter points at: ``index``
    along ``dim``, each element's own position along the other dims."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def scatter_region(src, index_shape):
    """The part of ``src`` that the index covers (src may be larger along any dim)."""
    if src.shape == tuple(index_shape):
        return src
    return src[tuple(slice(0, s) for s in index_shape)]


def pad_to(g: Tensor, shape: tuple) -> Tensor:
    """``g`` placed at the start of zeros of ``shape`` (the gradient of scatter_region)."""
    if g._data.shape == tuple(shape):
        return g
    return embed(g, shape, tuple(slice(0, s) for s in g._data.shape))


def _sizes(shape) -> tuple:
    return tuple(shape) if shape else (1,)


def check_scatter(name: str, input: Tensor, dim, index, src=None, *, gather=False) -> int:
    """torch's checks of gather/scatter operands; returns ``dim`` made non-negative."""
    d = _wrap_dim(dim, input._data.ndim)
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx, shape = index._data, input._data.shape
    if src is not None and src._data.dtype is not input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.size == 0:  # (torch checks nothing else of an empty index)
        return d
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{'gather' if gather else 'scatter'}(): Expected dtype int32/int64 for index")
    ishape, xshape = _sizes(idx.shape), _sizes(shape)
    if len(ishape) != len(xshape):
        which = "input" if gather else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {which} tensor")
    if src is not None:
        sshape = _sizes(src._data.shape)
        if len(sshape) != len(ishape):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        if any(n > s or (k != d and n > t) for k, (n, s, t) in enumerate(zip(ishape, sshape, xshape))):
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart "
                f"from dimension {d} and to be no larger size than src {list(src._data.shape)}"
            )
    else:
        big = [k for k, (n, t) in enumerate(zip(ishape, xshape)) if k != d and n > t]
        if big:
            raise RuntimeError(
                f"Size does not match at dimension {big[0]} expected index {list(idx.shape)} to be no "
                f"larger than self {list(shape)} apart from dimension {d}"
            )
    n = xshape[d]
    lo, hi = idx.min(), idx.max()
    if lo < 0 or hi >= n:
        raise RuntimeError(
            f"index {int(lo if lo < 0 else hi)} is out of bounds for dimension {d} with size {n}"
        )
    return d


class GatherBackward0(Op):
    """gather: the gradient is scatter-added back to the gathered places"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index):
        if not index.size:
            return np.zeros(index.shape, dtype=x.dtype)
        x1, idx = as_1d(x), as_1d(index)
        # the index may be smaller than x along the other dims: those entries are not read
        x1 = x1[tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(idx.shape))]
        return np.take_along_axis(x1, idx.astype(np.intp, copy=False), dim).reshape(index.shape)

    def backward(self, g):
        dim, index = self._params
        zeros = _wrap(np.zeros(self.shapes[0], dtype=g._data.dtype), None)
        return (zeros.scatter_add(dim, _wrap(index, None), g),)


@register(
    samples=[
        (T(3, 4), 1, I([[0, 1], [2, 3], [1, 1]])),
        (T(3, 4), 0, I([[0, 1, 2, 0], [2, 2, 1, 0]])),
        (T(3, 4), -1, I([[3], [0], [3]])),
        (T(3, 4), 1, I([[0], [2]])),
    ]
)
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` along ``dim`` (for dim=1 of a 2-d input).

    >>> import torchless as torch
    >>> torch.tensor([[1, 2], [3, 4]]).gather(1, torch.tensor([[1], [0]])).tolist()
    [[2], [3]]
    """
    d = check_scatter("gather", input, dim, index, gather=True)
    return unary(GatherBackward0, input, d, index._data)


class ScatterAddBackward0(Op):
    """scatter_add: self's gradient is g, src's is g gathered at the index"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index):
        out = x.copy()
        if index.size:
            idx = as_1d(index)
            np.add.at(as_1d(out), places(idx, dim), scatter_region(as_1d(src), idx.shape))
        return out

    def backward(self, g):
        dim, index = self._params
        gsrc = None
        if self.needs(1):
            gsrc = pad_to(g.gather(dim, _wrap(index, None)), self.shapes[1])
        return (g if self.needs(0) else None), gsrc


@register(
    inplace="scatter_add_",
    samples=[
        (T(3, 4), 1, I([[0, 1], [2, 3], [1, 1]]), T(3, 2)),
        (T(3, 4), 0, I([[0, 1, 2, 0], [2, 2, 1, 0]]), T(2, 4)),
        (T(3, 4), 1, I([[0, 0], [1, 1]]), T(2, 2)),
    ],
)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeated places add up).

    >>> import torchless as torch
    >>> torch.zeros(3).scatter_add(0, torch.tensor([0, 2, 0]), torch.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    if not isinstance(src, Tensor):
        raise TypeError(
            f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}"
        )
    d = check_scatter("scatter_add", input, dim, index, src)
    return nary(ScatterAddBackward0, (input, src), d, index._data, base=input)


class IndexSelectBackward0(Op):
    """index_select: the gradient is added back at the selected rows"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index):
        if not x.ndim:  # (a 0-d input: its one element, selected once)
            return x.copy()
        return np.take(x, index, axis=dim)

    def backward(self, g):
        dim, index = self._params
        shape = self.shapes[0]
        if not shape:
            return (g,)
        return (embed(g, shape, (slice(None),) * dim + (index,), True),)


@register(
    samples=[
        (T(4, 3), 0, I([0, 2, 2])),
        (T(4, 3), 1, I([1])),
        (T(4, 3), -1, I([2, 0])),
        (T(4), 0, I([3, 3, 1])),
    ]
)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries at ``index`` (a 1-d integer tensor) along ``dim``.

    >>> import torchless as torch
    >>> torch.tensor([[1, 2], [3, 4]]).index_select(1, torch.tensor([1])).tolist()
    [[2], [4]]
    """
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1)
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if not input._data.ndim:
        if idx.size != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
            )
        if idx[0] != 0:
            raise IndexError("index out of range in self")
        return unary(IndexSelectBackward0, input, 0, idx)
    n = input._data.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    return unary(IndexSelectBackward0, input, d, idx)


class MaskedFillBackward0(Op):
    """masked_fill: the filled places get no gradient (a tensor value gets their sum)"""

    save_when = ((), True, True)  # the mask and the value, not x

    @staticmethod
    def forward(x, mask, value):
        if (
            isinstance(value, int) and x.dtype.kind in "iu"
        ):  # wraps around as torch does (newer NumPy refuses)
            value = np.array(value).astype(x.dtype)[()]
        return np.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, g):
        _, mask, value = self.saved
        gx = sum_to(mask_grad(g, ~mask), self.shapes[0]) if self.needs(0) else None
        gv = None
        if isinstance(value, Tensor) and self.needs(2):
            gv = mask_grad(g, mask).sum()
        return gx, None, gv


class MaskedFillBackward1(MaskedFillBackward0):
    """masked_fill with a 0-d tensor value"""

    __slots__ = ()


@register(
    inplace="masked_fill_",
    samples=[(T(3, 4), B([True, False, True, False]), 0.5), (T(3, 4), B([[True], [False], [True]]), T())],
)
def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True."""
    if mask._data.dtype.kind != "b":
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}"
        )
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    dt = input._data.dtype
    if not isinstance(value, Tensor):
        check_fits(value, dt)
    elif value._data.dtype is not dt:
        check_fits(value._data.item(), dt)
    cls = MaskedFillBackward1 if isinstance(value, Tensor) else MaskedFillBackward0
    try:
        return nary(cls, (input, mask, value))
    except ValueError:  # (np.where: the mask does not broadcast with input)
        raise broadcast_error(mask, input) from None
