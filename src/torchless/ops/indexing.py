"""Indexing: ``x[...]``, ``x[...] = v``, gather, scatter_add, index_select, masked_fill."""

from __future__ import annotations

from .._creation import check_fits
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, broadcast_error, nary, register, sum_to, unary
from ._samples import B, I, T
from .elementwise import mask_grad
from .shape import SelectBackward0, SliceBackward0, UnsqueezeBackward0, embed, index_get


def _normalize(index):
    """A NumPy index for ``index`` and whether it is advanced (copies) or basic (views)."""
    if not isinstance(index, tuple):
        index = (index,)
    out, advanced = [], False
    for i in index:
        if isinstance(i, Tensor):
            d = i._data
            if d.dtype.kind == "b":
                advanced = True
                out.append(d)
            elif d.dtype.kind in "iu":
                if d.ndim == 0:
                    out.append(int(d))
                else:
                    advanced = True
                    out.append(d)
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(i, (list, np.ndarray)):
            advanced = True
            a = np.asarray(i)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
        elif isinstance(i, bool):
            advanced = True
            out.append(np.asarray(i))
        elif isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis:
            if isinstance(i, slice) and i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(i)
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {type(i).__name__})"
            )
    if not advanced and Ellipsis not in out:
        out.append(Ellipsis)  # so that a full integer index gives a 0-d view, not a NumPy scalar copy
    return tuple(out), advanced


def _check_bounds(x, index):
    shape = x._data.shape
    d = 0
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            d = len(shape) - sum(1 for j in index if j is not None and j is not Ellipsis) + d
            continue
        if isinstance(i, (int, np.integer)):
            if d >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[d] <= i < shape[d]:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {shape[d]}")
        d += 1


def getitem(self, index) -> Tensor:
    idx, advanced = _normalize(index)
    if not advanced:
        _check_bounds(self, idx)
        kind = {int: SelectBackward0, type(None): UnsqueezeBackward0}.get(type(index), SliceBackward0)
        if kind is UnsqueezeBackward0:
            return unary(UnsqueezeBackward0, self, (1,) + self._data.shape)
        return unary(kind, self, idx)
    try:
        return index_get(self, idx, True)
    except IndexError as e:
        raise _index_error(self._data.shape, idx, e) from None


def _index_error(shape, index, e):
    """torch's wording for NumPy's IndexError from an advanced ``index`` into ``shape``."""
    msg = str(e)
    arrays = [i for i in index if isinstance(i, np.ndarray)]
    if msg.startswith("shape mismatch"):
        return IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                          + ", ".join(str(list(a.shape)) for a in arrays))
    # walk the index as torch does: integers select first, so a mask or an integer array meets
    # the ``seen`` dims that are left, and an integer array is named by its place among the arrays
    used = sum(i.ndim if i.dtype.kind == "b" else 1 for i in arrays)
    used += sum(1 for i in index if isinstance(i, (int, np.integer, slice)))
    seen, d, k = [], 0, 0
    for i in index:
        if i is None:
            seen.append(1)
        elif i is Ellipsis:
            n = len(shape) - used
            seen += shape[d : d + n]
            d += n
        elif isinstance(i, np.ndarray) and i.dtype.kind == "b":
            for j, (m, s) in enumerate(zip(i.shape, shape[d:])):
                if m != s:
                    return IndexError(f"The shape of the mask {list(i.shape)} at index {j} does not match the shape "
                                      f"of the indexed tensor {list(seen) + list(shape[d:])} at index {len(seen) + j}")
            seen += shape[d : d + i.ndim]
            d += i.ndim
        elif isinstance(i, np.ndarray):
            bad = i[(i < -shape[d]) | (i >= shape[d])]
            if bad.size:
                return IndexError(f"index {bad.flat[0]} is out of bounds for dimension {k} with size {shape[d]}")
            seen.append(shape[d])
            d, k = d + 1, k + 1
        else:
            if not isinstance(i, (int, np.integer)):
                seen.append(shape[d])
            d += 1
    return IndexError(msg.replace(" for axis ", " for dimension "))



Tensor.__getitem__ = getitem


class IndexPutBackward0(Op):
    """x with v put at an advanced index: x's gradient is g with those places zeroed, v's is g[index]"""

    saves_operands = False

    @staticmethod
    def forward(x, v, index):
        out = x.copy()
        out[index] = v
        return out

    def backward(self, g):
        (index,) = self._params
        gx = gv = None
        if self.needs(0):
            mask = np.ones(g._data.shape, dtype=bool)
            mask[index] = False
            gx = mask_grad(g, _wrap(mask, None))
        if self.needs(1):
            gv = sum_to(index_get(g, index, True), self.shapes[1])
        return gx, gv


def index_put(input, index, value) -> Tensor:
    """A copy of ``input`` with ``value`` put at the (advanced) ``index``."""
    if not isinstance(value, Tensor):
        check_fits(value, input._data.dtype)
    try:
        return nary(IndexPutBackward0, (input, value), index)
    except IndexError as e:
        raise _index_error(input._data.shape, index, e) from None
    except ValueError:  # (the value does not broadcast to the indexed places)
        places = input._data[index].shape
        shape = value._data.shape if isinstance(value, Tensor) else ()
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(shape)} cannot be broadcast to indexing "
                           f"result of shape {list(places)}") from None


def setitem(self, index, value) -> None:
    """``self[index] = value``: a copy into the view ``self[index]`` for basic indices (so the
    change reaches self's history as torch's CopySlices), an index_put for advanced ones."""
    from .inplace import apply_inplace, copy_

    if isinstance(value, Tensor) and not value._data.ndim and np.may_share_memory(self._data, value._data):
        # torch reads a 0-d value as a number (x[:] = x[0] is fine): one from self's own memory
        # is copied first, so that writing self does not count as an overlapping operand
        value = value.clone()
    idx, advanced = _normalize(index)
    if advanced:
        if isinstance(value, Tensor) and value._data.dtype is not self._data.dtype:
            value = value.to(self.dtype)
        apply_inplace(self, index_put, "index_put_", idx, value)
    else:
        copy_(getitem(self, index), value)


Tensor.__setitem__ = setitem


# ---- gather, scatter_add, index_select, masked_fill ------------------------------------------
class GatherBackward0(Op):
    """gather: the gradient is scatter-added back to the gathered places"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index):
        # the index may be smaller than x along the other dims: those entries are not read
        x = x[tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index.shape))]
        return np.take_along_axis(x, index, dim)

    def backward(self, g):
        dim, index = self._params
        zeros = _wrap(np.zeros(self.shapes[0], dtype=g._data.dtype), None)
        return (zeros.scatter_add(dim, _wrap(index, None), g),)


@register(samples=[(T(3, 4), 1, I([[0, 1], [2, 3], [1, 1]])), (T(3, 4), 0, I([[0, 1, 2, 0], [2, 2, 1, 0]])),
                   (T(3, 4), -1, I([[3], [0], [3]])), (T(3, 4), 1, I([[0], [2]]))])
def gather(input, dim, index) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` along ``dim``."""
    d = _wrap_dim(dim, input._data.ndim)
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    if idx.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    shape = input._data.shape
    for k, (a, b) in enumerate(zip(idx.shape, shape)):
        if k != d and a > b:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(shape)} apart from dimension {d}")
    _check_index_range(idx, d, shape)
    return unary(GatherBackward0, input, d, idx)


def _check_index_range(idx, d, shape):
    """gather and scatter take no negative index (unlike indexing, which counts from the end)."""
    if idx.size and (idx.min() < 0 or idx.max() >= shape[d]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"index {int(bad)} is out of bounds for dimension {d} with size {shape[d]}")


class ScatterAddBackward0(Op):
    """scatter_add: self's gradient is g, src's is g gathered at the index"""

    saves_operands = False

    @staticmethod
    def forward(x, src, dim, index):
        out = x.copy()
        src = src[tuple(slice(0, s) for s in index.shape)]
        grids = list(np.indices(index.shape, sparse=True))
        grids[dim] = index
        np.add.at(out, tuple(grids), src)
        return out

    def backward(self, g):
        dim, index = self._params
        gsrc = None
        if self.needs(1):
            gsrc = g.gather(dim, _wrap(index, None))
            if gsrc._data.shape != self.shapes[1]:
                gsrc = embed(gsrc, self.shapes[1], tuple(slice(0, s) for s in index.shape))
        return (g if self.needs(0) else None), gsrc


@register(samples=[(T(3, 4), 1, I([[0, 1], [2, 3], [1, 1]]), T(3, 2)),
                   (T(3, 4), 0, I([[0, 1, 2, 0], [2, 2, 1, 0]]), T(2, 4)),
                   (T(3, 4), 1, I([[0, 0], [1, 1]]), T(2, 2))])
def scatter_add(input, dim, index, src) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``."""
    d = _wrap_dim(dim, input._data.ndim)
    idx, shape, sshape = index._data, input._data.shape, src._data.shape
    if idx.dtype not in (np.int32, np.int64):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src._data.dtype is not input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.ndim != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if idx.ndim == len(sshape) and any(n > s or (k != d and n > t) for k, (n, s, t) in enumerate(zip(idx.shape, sshape, shape))):
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                           f"dimension {d} and to be no larger size than src {list(sshape)}")
    _check_index_range(idx, d, shape)
    return nary(ScatterAddBackward0, (input, src), d, idx, base=input)


class IndexSelectBackward0(Op):
    """index_select: the gradient is added back at the selected rows"""

    saves_operands = False

    @staticmethod
    def forward(x, dim, index):
        return np.take(x, index, axis=dim)

    def backward(self, g):
        dim, index = self._params
        return (embed(g, self.shapes[0], (slice(None),) * dim + (index,), True),)


@register(samples=[(T(4, 3), 0, I([0, 2, 2])), (T(4, 3), 1, I([1])), (T(4, 3), -1, I([2, 0])),
                   (T(4), 0, I([3, 3, 1]))])
def index_select(input, dim, index) -> Tensor:
    """The entries at ``index`` (a 1-d integer tensor) along ``dim``."""
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1)
    if idx.dtype.kind not in "iu":
        raise IndexError("index_select(): Expected dtype int32/int64 for index")
    n = input._data.shape[d] if input._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    return unary(IndexSelectBackward0, input, d, idx)


class MaskedFillBackward0(Op):
    """masked_fill: the filled places get no gradient (a tensor value gets their sum)"""

    save_when = ((), True, True)  # the mask and the value, not x

    @staticmethod
    def forward(x, mask, value):
        if isinstance(value, int) and x.dtype.kind in "iu":  # wraps around as torch does (newer NumPy refuses)
            value = np.array(value).astype(x.dtype)[()]
        return np.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, g):
        _, mask, value = self.saved
        gx = mask_grad(g, ~mask) if self.needs(0) else None
        gv = None
        if isinstance(value, Tensor) and self.needs(2):
            gv = mask_grad(g, mask).sum()
        return gx, None, gv


class MaskedFillBackward1(MaskedFillBackward0):
    """masked_fill with a 0-d tensor value"""

    __slots__ = ()


@register(inplace="masked_fill_", samples=[(T(3, 4), B([True, False, True, False]), 0.5),
                                           (T(3, 4), B([[True], [False], [True]]), T())])
def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True."""
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}")
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
