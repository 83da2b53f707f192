"""Joining and splitting tensors, composed of cat, stack, narrow and views: hstack, vstack,
dstack, column_stack, atleast_*d, tensor_split and the h/v/dsplit family, tile, rot90, meshgrid.

Each is a plain function of ops that have derivative rules, so none needs a rule of its own.
"""

from __future__ import annotations

import itertools

from .._tensor import Tensor, _wrap_dim
from ._core import register
from .shape import cat, chunk, flip, narrow, split

# (no samples of their own: PyTorch's OpInfo database exercises these, see tests/test_opinfo.py)


def _tensors_of(tensors) -> tuple:
    if isinstance(tensors, Tensor):
        return (tensors,)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tuple(tensors)


def _atleast(n: int):
    def fn(*tensors):
        ts = _tensors_of(tensors)
        out = []
        for t in ts:
            if n >= 1 and t._data.ndim == 0:
                t = t.reshape(1)
            if n >= 2 and t._data.ndim == 1:
                t = t.unsqueeze(0)
            if n >= 3 and t._data.ndim == 2:
                t = t.unsqueeze(-1)
            out.append(t)
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        return out[0] if single else tuple(out)

    fn.__name__ = fn.__qualname__ = f"atleast_{n}d"
    fn.__doc__ = (f"Each tensor viewed with at least {n} dimension{'s' if n > 1 else ''} (one tensor in, one out; "
                  "several, or a sequence, in: a tuple out).")
    return register(fn.__name__, method=False)(fn)


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def _check_sequence(name: str, tensors) -> tuple:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    if len(tensors) == 0:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tuple(tensors)


@register(method=False)
def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate horizontally: along dim 0 for 1-d tensors, along dim 1 otherwise."""
    ts = atleast_1d(_check_sequence("hstack", tensors))
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


@register(method=False)
def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate vertically (along dim 0), 1-d tensors taken as rows."""
    return cat(atleast_2d(_check_sequence("vstack", tensors)), 0)


row_stack = register("row_stack", method=False)(vstack)


@register(method=False)
def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate depth-wise (along dim 2), lower-dimensional tensors viewed as at least 3-d."""
    return cat(atleast_3d(_check_sequence("dstack", tensors)), 2)


@register(method=False)
def column_stack(tensors, *, out=None) -> Tensor:
    """Stack as columns: 0-d and 1-d tensors become columns, the rest are concatenated along dim 1."""
    ts = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in _check_sequence("column_stack", tensors)]
    return cat(ts, 1)


# ---- splitting -------------------------------------------------------------------------------------
@register()
def tensor_split(input, indices_or_sections, dim=0) -> tuple:
    """Split into ``n`` nearly equal parts (an int: the first ``size % n`` parts one longer), or at
    the given indices (a sequence, or a 1-d tensor). Each part is a view."""
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):
        t = indices_or_sections
        if t._data.dtype.kind not in "iu":
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have an integer dtype, but "
                               f"got {t.dtype}")
        if t._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {t._data.ndim} dims")
        indices_or_sections = t.item() if t._data.ndim == 0 else t.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        small, extra = divmod(size, n)
        bounds, start = [], 0
        for i in range(n):
            stop = start + small + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        cuts = [0, *[int(i) for i in indices_or_sections], size]
        bounds = [(min(max(a if a >= 0 else a + size, 0), size), min(max(b if b >= 0 else b + size, 0), size))
                  for a, b in itertools.pairwise(cuts)]
    return tuple(narrow(input, d, a, max(b - a, 0)) for a, b in bounds)


def _split_along(name: str, dim_for, min_dims: int):
    def fn(input, indices_or_sections) -> tuple:
        nd = input._data.ndim
        if nd < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                               f"tensor with {nd} dimensions!")
        d = dim_for(nd)
        if isinstance(indices_or_sections, int):
            size = input._data.shape[d]
            if indices_or_sections == 0 or size % indices_or_sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"tensor_split along dim {'0 of a 1-d tensor, 1 otherwise' if name == 'hsplit' else dim_for(3)}."
    return register(name)(fn)


hsplit = _split_along("hsplit", lambda nd: 0 if nd == 1 else 1, 1)
vsplit = _split_along("vsplit", lambda nd: 0, 2)
dsplit = _split_along("dsplit", lambda nd: 2, 3)


@register()
def split_with_sizes(input, split_sizes, dim=0) -> tuple:
    """Split into parts of the given sizes along ``dim`` (the sizes must add up to its length)."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != size or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size "
                           f"at dimension {d}), but got split_sizes={sizes}")
    return split(input, sizes, d)


# torch's "unsafe" forms differ only in the autograd view bookkeeping that torchless does not need
unsafe_split = register("unsafe_split")(split)
unsafe_chunk = register("unsafe_chunk")(chunk)


# ---- repeating and rotating ------------------------------------------------------------------------
@register()
def tile(input, dims) -> Tensor:
    """Repeat ``input`` ``dims[i]`` times along each dim (fewer dims than the tensor: 1s in front)."""
    if isinstance(dims, int):
        dims = (dims,)
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return input.repeat(*dims)


@register()
def rot90(input, k=1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards the second."""
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input.clone()


@register()
def fliplr(input) -> Tensor:
    """Flip left to right (dim 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@register()
def flipud(input) -> Tensor:
    """Flip up to down (dim 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


@register()
def ravel(input) -> Tensor:
    """The elements as a 1-d tensor (a view when the memory allows)."""
    return input.reshape(-1)


@register(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: ``indexing="ij"`` (torch's default: matrix order) or "xy"."""
    ts = _tensors_of(tensors)
    if indexing is None:
        import warnings

        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t._data.shape[0] for t in ts)
    n = len(ts)
    grids = [t.reshape(*[-1 if i == j else 1 for j in range(n)]).expand(*shape) for i, t in enumerate(ts)]
    if swap:  # ("xy": the first two inputs swapped for the grids, and their grids swapped back)
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@register("_chunk_cat", method=False)
def _chunk_cat(tensors, dim: int, num_chunks: int) -> Tensor:
    """Each tensor cut into ``num_chunks`` equal chunks along ``dim`` (zero-padded at the end),
    each chunk flattened from ``dim`` on, and the tensors' chunks laid side by side:
    shape ``(*leading, num_chunks, total)``."""
    ts = _check_sequence("_chunk_cat", tensors)
    d = _wrap_dim(dim, ts[0]._data.ndim)
    if num_chunks < 1:
        raise RuntimeError(f"_chunk_cat expects a positive num_chunks, got {num_chunks}")
    lead = ts[0]._data.shape[:d]
    parts = []
    for t in ts:
        if t._data.shape[:d] != lead:
            raise RuntimeError("_chunk_cat expects the tensors to share their sizes before dim")
        size = t._data.shape[d]
        padded = -(-size // num_chunks) * num_chunks
        if padded != size:
            pad = t.new_zeros(lead + (padded - size,) + t._data.shape[d + 1:])
            t = cat((t, pad), d)
        parts.append(t.reshape(*lead, num_chunks, -1))
    return cat(parts, d + 1)
