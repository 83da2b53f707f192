"""Views by strides (as_strided, Tensor.unfold), the ``*_copy`` and ``*_scatter`` forms of views,
and the creation odds and ends that build on them (diag_embed, empty_strided, resize_, ...).

torch's ``x_copy(...)`` is ``x(...)`` returning new memory instead of a view; ``x_scatter(input,
src, ...)`` is a copy of input with ``src`` written into the view ``x(...)`` of it. Both are plain
compositions here. ``as_strided`` reads the tensor's storage (the root array its views share) as
torch does, and its rule scatters the gradient back onto that storage.
"""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, register, sum_to, unary
from .shape import diag, diagonal

# (no samples of their own: PyTorch's OpInfo database exercises these, see tests/test_opinfo.py)


# ---- storage --------------------------------------------------------------------------------------
def storage_of(data: np.ndarray):
    """``(storage, offset)``: the flat array whose memory ``data`` views, and where ``data`` starts
    in it, in elements. An array that owns its memory (or views memory of another layout or
    dtype) is its own storage."""
    root = data
    while True:
        b = root.base
        if not isinstance(b, np.ndarray):  # (as_strided's arrays hold their base through a wrapper)
            b = getattr(b, "base", None)
            if not isinstance(b, np.ndarray):
                break
        root = b
    if root is data or root.dtype != data.dtype or not root.flags.c_contiguous:
        if data.flags.c_contiguous:
            return data.reshape(-1), 0
        return np.ascontiguousarray(data).reshape(-1), 0
    start = data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return root.reshape(-1), start // data.itemsize


def _storage_offset(self) -> int:
    """Where this tensor starts in its storage, in elements."""
    return storage_of(self._data)[1]


Tensor.storage_offset = _storage_offset


def _strided_indices(n: int, size, stride, offset: int) -> np.ndarray:
    """The storage index of every element of the view (size, stride, offset) of a storage of n."""
    return np.lib.stride_tricks.as_strided(np.arange(n, dtype=np.int64)[offset:], size,
                                           [s * 8 for s in stride]) if n > offset else np.zeros(size, np.int64)


class AsStridedBackward0(Op):
    """as_strided: the gradient is scattered (added) onto the storage, then read back in the
    input's own geometry"""

    saves_operands = False
    is_view = True

    @staticmethod
    def forward(x, size, stride, offset):
        storage, _ = storage_of(x)
        needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
        if needed > storage.size:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                               f"and itemsize {x.itemsize} requiring a storage size of {needed * x.itemsize} are "
                               f"out of bounds for storage of size {storage.size * x.itemsize}")
        return np.lib.stride_tricks.as_strided(storage[offset:], size, [s * x.itemsize for s in stride])

    def backward(self, g):
        size, stride, offset = self._params
        (shape,) = self.shapes
        n, in_index = self._geometry
        where = _wrap(_strided_indices(n, size, stride, offset).reshape(-1), None)
        flat = g.new_zeros(n).index_add(0, where, g.reshape(-1))
        return (flat[_wrap(in_index, None)].reshape(shape),)


@register()
def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """A view of ``input``'s storage with the given sizes, strides and offset (in elements)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides, {len(size)} sizes")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    data = input._data
    storage, own = storage_of(data)
    offset = own if storage_offset is None else int(storage_offset)
    out = unary(AsStridedBackward0, input, size, stride, offset)
    node = out.grad_fn
    if node is not None:  # where input's own elements sit in the storage, for the rule
        in_index = _strided_indices(storage.size, data.shape, input.stride(), own)
        node._geometry = (storage.size, in_index)
    return out



def _unfold(self, dimension: int, size: int, step: int) -> Tensor:
    """Every slice of length ``size`` along ``dimension``, ``step`` apart, in a new last dim (a view)."""
    nd = self._data.ndim
    d = _wrap_dim(dimension, nd) if nd else 0
    length = self._data.shape[d] if nd else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    strides = self.stride() if nd else ()
    shape = list(self._data.shape)
    new_stride = list(strides)
    if nd:
        shape[d] = (length - size) // step + 1
        new_stride[d] = strides[d] * step
    shape.append(size)
    new_stride.append(strides[d] if nd else 1)
    return as_strided(self, shape, new_stride, self.storage_offset())


Tensor.unfold = _unfold
register("unfold", function=False)(_unfold)


def _sum_to_size(self, *size) -> Tensor:
    """Sum this tensor down to ``size`` (a shape it broadcasts from)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    try:
        if np.broadcast_shapes(shape, self._data.shape) != self._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                           f"{{{', '.join(map(str, self._data.shape))}}}.") from None
    return sum_to(self, shape)


register("sum_to_size", function=False)(_sum_to_size)


# ---- diagonals ------------------------------------------------------------------------------------
@register()
def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:
    """A tensor whose diagonals (``offset`` from the main one, in the plane of dims ``dim1``,
    ``dim2`` of the result) hold the last dim of ``input``; zeros elsewhere."""
    nd = input._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._data.shape[-1] if input._data.ndim else 1
    m = n + abs(offset)
    out = input.new_zeros(input._data.shape[:-1] + (m, m))
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    out[..., _wrap(rows, None), _wrap(cols, None)] = input
    return out.movedim((-2, -1), (d1, d2)) if (d1, d2) != (nd - 2, nd - 1) else out


@register()
def diagflat(input, offset=0) -> Tensor:
    """A 2-d tensor with the flattened ``input`` on its ``offset`` diagonal."""
    return diag(input.reshape(-1), offset)


# ---- the *_scatter family: a copy of input with src written into one of its views ----------------
def _scatter_into(input, src, view):
    out = input.clone()
    target = view(out)
    if target._data.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(target.shape)}")
    target.copy_(src)
    return out


@register()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    """``input`` with its diagonal (``offset``, ``dim1``, ``dim2``) replaced by ``src``."""
    return _scatter_into(input, src, lambda t: diagonal(t, offset, dim1, dim2))


@register()
def select_scatter(input, src, dim, index) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    return _scatter_into(input, src, lambda t: t.select(dim, index))


@register()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor:
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``."""
    d = _wrap_dim(dim, input._data.ndim)
    index = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, lambda t: t[index])


def _aten_slice(input, dim=0, start=None, end=None, step=1) -> Tensor:
    """torch.ops.aten.slice: the view ``start:end:step`` along ``dim``."""
    d = _wrap_dim(dim, input._data.ndim)
    return input[(slice(None),) * d + (slice(start, end, step),)]


register("ops.aten.slice")(_aten_slice)


@register()
def as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor:
    """``input`` with the strided view ``as_strided(size, stride, storage_offset)`` replaced by ``src``."""
    out = input.clone()
    storage, _ = storage_of(out._data)
    offset = 0 if storage_offset is None else int(storage_offset)
    index = _wrap(_strided_indices(storage.size, size, stride, offset).reshape(-1), None)
    flat = out.reshape(-1).index_put((index,), src.reshape(-1))
    return flat.reshape(input._data.shape)


# ---- the *_copy family: the view op, returning new memory -----------------------------------------
def _copy_of(name: str, view):
    def fn(input, *args, **kwargs):
        out = view(input, *args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(t.clone() for t in out)
        return out.clone()

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name[:-5]}``, in memory of its own."
    return register(name, method=False)(fn)


_VIEWS = {
    "alias_copy": lambda t: t, "as_strided_copy": as_strided, "diagonal_copy": diagonal,
    "expand_copy": lambda t, size, implicit=False: t.expand(*size), "permute_copy": lambda t, dims: t.permute(*dims),
    "squeeze_copy": lambda t, *dim: t.squeeze(*dim), "t_copy": lambda t: t.t(),
    "transpose_copy": lambda t, d0, d1: t.transpose(d0, d1), "unbind_copy": lambda t, dim=0: t.unbind(dim),
    "unfold_copy": lambda t, dim, size, step: _unfold(t, dim, size, step),
    "unsqueeze_copy": lambda t, dim: t.unsqueeze(dim), "view_copy": lambda t, *size: t.view(*size),
    "split_with_sizes_copy": lambda t, sizes, dim=0: t.split_with_sizes(sizes, dim),
    "narrow_copy": lambda t, dim, start, length: t.narrow(dim, start, length),
}
for _name, _view in _VIEWS.items():
    globals()[_name] = _copy_of(_name, _view)
Tensor.narrow_copy = globals()["narrow_copy"]


# ---- creation odds and ends -----------------------------------------------------------------------
@register(method=False)
def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding the number ``s``, in the default float dtype unless ``dtype`` is given."""
    dt = dtype or _dtype.DEFAULT.float
    out = _wrap(np.asarray(s, dtype=dt.np), None)
    return out.requires_grad_() if requires_grad else out


def _strided_empty(size, stride, np_dtype) -> np.ndarray:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides, {len(size)} sizes")
    n = sum((a - 1) * s for a, s in zip(size, stride)) + 1 if all(size) else 0
    buf = np.zeros(max(n, 1), dtype=np_dtype)
    return np.lib.stride_tricks.as_strided(buf, size, [s * buf.itemsize for s in stride])


@register(method=False)
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, pin_memory=None,
                  requires_grad=False) -> Tensor:
    """An uninitialised tensor (zeros here) with the given sizes and strides."""
    out = _wrap(_strided_empty(size, stride, (dtype or _dtype.DEFAULT.float).np), None)
    return out.requires_grad_() if requires_grad else out


def _new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    out = _wrap(_strided_empty(size, stride, (dtype.np if dtype is not None else self._data.dtype)), None)
    return out.requires_grad_() if requires_grad else out


Tensor.new_empty_strided = _new_empty_strided
register("new_empty_strided", function=False)(_new_empty_strided)


@register(method=False)
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, pin_memory=None,
                   requires_grad=False) -> Tensor:
    """An uninitialised tensor (zeros here) whose dims lie in memory in the order ``physical_layout``
    (outermost first)."""
    size, perm = tuple(size), tuple(physical_layout)
    if sorted(perm) != list(range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"or physical_layout is not a permutation of its dims: {list(perm)}")
    data = np.zeros([size[p] for p in perm], dtype=(dtype or _dtype.DEFAULT.float).np)
    out = _wrap(data.transpose(np.argsort(perm)), None)
    return out.requires_grad_() if requires_grad else out


@register(method=False)
def fill(input, value) -> Tensor:
    """A copy of ``input`` filled with ``value`` (a number or a 0-d tensor, whose gradient is the sum)."""
    out = input.clone()
    return out.fill_(value)


def _zero(input) -> Tensor:
    return input.zero_()


register("zero_", method=False)(_zero)


@register(method=False)
def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    return (other - input * alpha) if alpha != 1 else (other - input)


def _resize_(self, *size, memory_format=None) -> Tensor:
    """Give this tensor the shape ``size`` in place: its first elements (in memory order) are
    kept; new ones are uninitialised (zeros here)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._data.reshape(-1)
    if n <= flat.size:
        data = flat[:n].reshape(shape)
    else:
        data = np.concatenate([flat, np.zeros(n - flat.size, flat.dtype)]).reshape(shape)
    self._data = data
    self._bump()
    return self


def _resize_as_(self, other, *, memory_format=None) -> Tensor:
    return _resize_(self, other._data.shape)


Tensor.resize_ = _resize_
Tensor.resize_as_ = _resize_as_
register("resize_as_", method=False)(_resize_as_)


def _as_strided_(self, size, stride, storage_offset=None) -> Tensor:
    """Make this tensor the view (size, stride, storage_offset) of its own storage, in place."""
    view = as_strided(self.detach(), size, stride, storage_offset)
    storage, _ = storage_of(self._data)
    offset = storage_of(view._data)[1] if storage_offset is None else int(storage_offset)
    self._data = np.lib.stride_tricks.as_strided(storage[offset:], view._data.shape, view._data.strides)
    self._bump()
    return self


Tensor.as_strided_ = _as_strided_
