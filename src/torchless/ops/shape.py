"""Shape and layout: views (sharing memory and the version counter) and copies that move data."""

from __future__ import annotations

import builtins

from .._tensor import Tensor, _wrap_dim
from ..backend import np
from ._core import Op, nary, register, sum_to, unary
from ._samples import T


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel):
    """Resolve a single -1 in ``shape`` and check the element count."""
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


# ---- view, reshape ----------------------------------------------------------------------------
class NotAView(Exception):
    """The new shape cannot be seen in the old memory layout without a copy."""


class ViewBackward0(Op):
    """view/reshape: the gradient is reshaped back"""

    saves_operands = False
    is_view = True
    reshapes = True

    @staticmethod
    def forward(x, shape):
        # a view never copies: this raises NotAView when the layout would need a copy
        if x.flags.c_contiguous:  # (the common case: any shape is a view)
            return x.reshape(shape)
        try:
            return np.reshape(x, shape, copy=False)  # NumPy >= 2.1
        except TypeError:  # older NumPy: setting the shape of a view raises instead
            v = x.view()
            try:
                v.shape = shape
            except NotAView:
                raise NotAView from None
            return v
        except ValueError:
            raise NotAView from None

    def backward(self, g):
        return (g.reshape(self.shapes[0]),)


class UnsafeViewBackward0(ViewBackward0):
    """reshape of a tensor whose layout needs a copy"""

    __slots__ = ()
    is_view = False
    forward = staticmethod(np.reshape)


@register(samples=[(T(3, 4), (4, 3)), (T(3, 4), (-1,)), (T(2, 6), (2, 3, 2)), (T(), (1,)),
                   (T(3, 4), (2, -1, 2)), (T(1), ())])
def reshape(input, *shape) -> Tensor:
    """The same elements in a new shape (a view when the layout allows).

    >>> import torchless as torch
    >>> torch.arange(6).reshape(2, 3).shape
    torch.Size([2, 3])
    """
    shape = _infer(_shape_arg(shape), input._data.size)
    try:
        return unary(ViewBackward0, input, shape)
    except NotAView:  # the layout needs a copy
        return unary(UnsafeViewBackward0, input, shape)


def view(input, *shape) -> Tensor:
    """The same memory seen in a new shape; raises when that needs a copy."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from .._dtype import dtype as _dt

        if isinstance(shape[0], _dt):
            raise RuntimeError("view(dtype) is not supported by torchless")
    shape = _infer(_shape_arg(shape), input._data.size)
    try:
        return unary(ViewBackward0, input, shape)
    except NotAView:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


register("view", function=False, samples=[(T(3, 4), (12,))])(view)


def view_as(input, other) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input, other) -> Tensor:
    return reshape(input, other._data.shape)


register("view_as", function=False, samples=[(T(3, 4), T(2, 6, requires_grad=False))])(view_as)
register("reshape_as", function=False, samples=[(T(3, 4), T(12, requires_grad=False))])(reshape_as)


@register(samples=[(T(2, 3, 4),), (T(2, 3, 4), 1), (T(2, 3, 4), 0, 1)])
def flatten(input, start_dim=0, end_dim=-1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s : e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1 :])


@register(samples=[(T(2, 6), 1, (2, 3)), (T(6), 0, (-1, 2))])
def unflatten(input, dim, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes``."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = _infer(tuple(sizes), shape[d])
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()
    forward = staticmethod(np.reshape)
    is_view = True


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim)"""

    __slots__ = ()


class SqueezeBackward2(SqueezeBackward0):
    """squeeze of a tuple of dims"""

    __slots__ = ()


class UnsqueezeBackward0(SqueezeBackward0):
    __slots__ = ()


@register(samples=[(T(3, 1, 4),), (T(3, 1, 4), 1), (T(1, 3, 1), (0, 2)), (T(3, 1, 4), 0), (T(1, 3, 1), -1),
                   (T(),)])
def squeeze(input, dim=None) -> Tensor:
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
        cls = SqueezeBackward0
    else:
        cls = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_wrap_dim(d, len(shape)) for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return unary(cls, input, new)


@register(samples=[(T(3, 4), 0), (T(3, 4), -1), (T(3), 1), (T(), 0), (T(3, 4), -3)])
def unsqueeze(input, dim) -> Tensor:
    """Insert a dim of size 1 at ``dim``."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape) + 1)
    return unary(UnsqueezeBackward0, input, shape[:d] + (1,) + shape[d:])


# ---- expand -----------------------------------------------------------------------------------
class ExpandBackward0(Op):
    """expand: the gradient is summed over the broadcast dims"""

    saves_operands = False
    is_view = True

    @staticmethod
    def forward(x, shape):
        if x.size == np.prod(shape, dtype=np.int64) and x.size:
            # nothing repeats (only sizes of 1 added): a plain, writable view, as torch allows
            # writing into it (a broadcast view is read-only in NumPy)
            return x.reshape(shape)
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return (sum_to(g, self.shapes[0]),)


@register(function=False, samples=[(T(3, 1), (3, 4)), (T(4), (2, 3, 4)), (T(3, 1), (-1, 5)),
                                   (T(3, 1), 2, 3, 4)])
def expand(input, *sizes) -> Tensor:
    """A broadcast view of ``input`` with the given sizes (-1 keeps a size)."""
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})"
        )
    new = []
    for i, s in enumerate(sizes):
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = shape[i - lead]
        elif i >= lead and shape[i - lead] not in (1, s):
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({shape[i - lead]}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        new.append(s)
    new = tuple(new)
    return unary(ExpandBackward0, input, new)


def expand_as(input, other) -> Tensor:
    return expand(input, other._data.shape)


register("expand_as", function=False, samples=[(T(3, 1), T(2, 3, 4, requires_grad=False))])(expand_as)


@register(samples=[(T(3, 1), (3, 4))])
def broadcast_to(input, size) -> Tensor:
    """``input`` broadcast to ``size``."""
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    # a tensor already of the shape comes back itself, as in torch: no ExpandBackward0 in its graph
    # (mse_loss broadcasts its operands; the tutorials print the loss's grad_fn.next_functions)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    from .._tensor import Size

    return Size(np.broadcast_shapes(*shapes))


# ---- permute, transpose -----------------------------------------------------------------------
class PermuteBackward0(Op):
    """permute: the gradient is permuted back"""

    saves_operands = False
    is_view = True
    forward = staticmethod(np.transpose)

    def backward(self, g):
        (perm,) = self._params
        return (g.permute(tuple(np.argsort(perm).tolist())),)


@register(samples=[(T(2, 3, 4), (2, 0, 1)), (T(2, 3), (1, 0))])
def permute(input, *dims) -> Tensor:
    """Reorder the dims."""
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}"
        )
    perm = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(perm)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return unary(PermuteBackward0, input, perm)


class TransposeBackward0(Op):
    """transpose: the gradient is transposed back"""

    saves_operands = False
    is_view = True

    @staticmethod
    def forward(x, d0, d1):
        return np.swapaxes(x, d0, d1) if x.ndim else x.view()  # (a 0-d tensor accepts dims 0 and -1)

    def backward(self, g):
        d0, d1 = self._params
        return (g.transpose(d0, d1),)


class TBackward0(TransposeBackward0):
    __slots__ = ()


@register(samples=[(T(2, 3, 4), 0, 2), (T(2, 3), -1, 0)])
def transpose(input, dim0, dim1) -> Tensor:
    """Swap two dims."""
    n = input._data.ndim
    return unary(TransposeBackward0, input, _wrap_dim(dim0, n), _wrap_dim(dim1, n))


swapaxes = register("swapaxes", samples=[(T(2, 3, 4), 0, 2)])(transpose)
swapdims = register("swapdims", samples=[(T(2, 3, 4), 0, 2)])(transpose)


@register(samples=[(T(2, 3),), (T(3),), (T(),)])
def t(input) -> Tensor:
    """Transpose of a tensor of at most 2 dims."""
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    if n < 2:
        return unary(TBackward0, input, 0, 0)
    return unary(TBackward0, input, 0, 1)


def _T(self):
    n = self._data.ndim
    return self if n < 2 else permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
# conjugate transposes: the same as the transposes for the real dtypes torchless has
Tensor.H = property(lambda self: t(self) if self._data.ndim == 2 else _H_error(self))
Tensor.mH = property(_mT)


def _H_error(self):
    raise RuntimeError(
        f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D tensor."
    )


@register(samples=[(T(2, 3, 4), 0, 2), (T(2, 3, 4), (0, 1), (2, 0))])
def movedim(input, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination``."""
    n = input._data.ndim
    if n == 0:
        return permute(input, ())
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = [_wrap_dim(d, n) for d in src]
    dst = [_wrap_dim(d, n) for d in dst]
    order = [d for d in range(n) if d not in src]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(order)
    perm = tuple(p if p is not None else next(rest) for p in perm)
    return permute(input, perm)


moveaxis = register("moveaxis", samples=[(T(2, 3, 4), 0, 2)])(movedim)


# ---- repeat, flip, roll -----------------------------------------------------------------------
class RepeatBackward0(Op):
    """repeat: the gradient is the sum over the tiles"""

    saves_operands = False
    forward = staticmethod(np.tile)

    def backward(self, g):
        (reps,) = self._params
        shape = self.shapes[0]
        lead = len(reps) - len(shape)
        full = (1,) * lead + tuple(shape)
        split = []
        for r, s in zip(reps, full):
            split += [r, s]
        g = g.reshape(tuple(split)).sum(tuple(range(0, 2 * len(reps), 2)))
        return (g.reshape(shape),)


@register(function=False, samples=[(T(2, 3), (2, 1)), (T(3), (2, 2)), (T(2, 3), 1, 2, 2), (T(), (2, 3))])
def repeat(input, *sizes) -> Tensor:
    """Tile ``input`` ``sizes`` times along each dim."""
    sizes = _shape_arg(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return unary(RepeatBackward0, input, sizes)


class FlipBackward0(Op):
    """flip: the gradient is flipped back"""

    saves_operands = False

    @staticmethod
    def forward(x, dims):
        return np.flip(x, dims).copy()

    def backward(self, g):
        return (g.flip(self._params[0]),)


@register(samples=[(T(3, 4), (0,)), (T(3, 4), (0, 1)), (T(2, 3, 4), (-1,)), (T(2, 3, 4), (0, 2)),
                   (T(), (0,))])
def flip(input, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along ``dims`` (given as ints, a sequence, or ``dims=``)."""
    if kwargs:
        if dims or set(kwargs) != {"dims"}:
            raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(set(kwargs) - {'dims'}), 'dims')}'")
        dims = (kwargs["dims"],)
    dims = tuple(_wrap_dim(d, input._data.ndim) for d in _shape_arg(dims))
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return unary(FlipBackward0, input, dims if input._data.ndim else ())


class RollBackward0(Op):
    """roll: the gradient is rolled back"""

    saves_operands = False

    @staticmethod
    def forward(x, shifts, dims):
        if dims is None:
            return np.roll(x.reshape(-1), shifts).reshape(x.shape)
        return np.roll(x, shifts, dims)

    def backward(self, g):
        shifts, dims = self._params
        neg = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
        return (g.roll(neg, dims),)


@register(samples=[(T(3, 4), 1, 0), (T(3, 4), (1, -1), (0, 1)), (T(5), 2), (T(3, 4), -5), (T(3, 4), 2, -1)])
def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    n_shifts = 1 if isinstance(shifts, int) else len(shifts)
    if dims is not None:
        dims = tuple(_wrap_dim(d, input._data.ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    if n_shifts != (1 if dims is None else len(dims)):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {n_shifts}, dims:{0 if dims is None else len(dims)}")
    return unary(RollBackward0, input, shifts, dims)


# ---- cat, stack, split, chunk, unbind, narrow --------------------------------------------------
class CatBackward0(Op):
    """cat: each input gets its slice of the gradient"""

    saves_operands = False

    @staticmethod
    def forward(*args):
        *arrays, dim = args
        return np.concatenate(arrays, axis=dim)

    def backward(self, g):
        (dim,) = self._params
        grads, start = [], 0
        for shape, e in zip(self.shapes, self._next):
            n = shape[dim] if len(shape) else 0
            grads.append(g.narrow(dim, start, n) if e is not None else None)
            start += n
        return tuple(grads)


@register(method=False, samples=[([T(2, 3), T(4, 3)],), ([T(2, 3), T(2, 1), T(2, 2)], 1), ((T(2), T(3)), -1)])
def cat(tensors, dim=0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips 1-d empty tensors when joining
    kept = tuple(t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)) or tensors[:1]
    d = _wrap_dim(dim, kept[0]._data.ndim)
    try:
        return nary(CatBackward0, _promote_all(kept), d)
    except ValueError:  # (np.concatenate: the shapes do not fit together)
        raise _cat_error(tensors, d) from None


def _cat_error(tensors, d):
    first = None
    for i, t in enumerate(tensors):
        shape = t._data.shape
        if not shape:
            return RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if shape == (0,):  # (skipped)
            continue
        if first is None:
            first = shape
        elif len(shape) != len(first):
            return RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        else:
            for k, (a, b) in enumerate(zip(first, shape)):
                if k != d and a != b:
                    return RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                        f"got size {b} for tensor number {i} in the list.")
    return RuntimeError("torch.cat(): the tensors cannot be joined")


concat = register("concat", method=False, samples=[([T(2, 3), T(2, 1)], 1)])(cat)
concatenate = register("concatenate", method=False, samples=[([T(2, 3), T(2, 1)], 1)])(cat)


def _promote_all(tensors):
    from .._dtype import FROM_NP, result_np_dtype

    rd = result_np_dtype(tensors)
    return tuple(t if t._data.dtype is rd else t.to(FROM_NP[rd]) for t in tensors)


class StackBackward0(Op):
    """stack: each input gets its slice of the gradient"""

    saves_operands = False

    @staticmethod
    def forward(*args):
        *arrays, dim = args
        return np.stack(arrays, axis=dim)

    def backward(self, g):
        (dim,) = self._params
        return tuple(g.select(dim, i) if e is not None else None for i, e in enumerate(self._next))


@register(method=False, samples=[([T(2, 3), T(2, 3)],), ([T(2, 3), T(2, 3), T(2, 3)], -1)])
def stack(tensors, dim=0) -> Tensor:
    """Join tensors along a new dim."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(shape) + 1)
    return nary(StackBackward0, _promote_all(tensors), d)


class SliceBackward0(Op):
    """a slice along one dim: the gradient is placed back in a zero tensor"""

    saves_operands = False
    is_view = True

    @staticmethod
    def forward(x, index):
        return x[index]

    def backward(self, g):
        (index,) = self._params
        return (embed(g, self.shapes[0], index),)


class SplitBackward0(SliceBackward0):
    __slots__ = ()


class SplitWithSizesBackward0(SliceBackward0):
    """split into the given sizes"""

    __slots__ = ()


class SelectBackward0(SliceBackward0):
    __slots__ = ()


class UnbindBackward0(SliceBackward0):
    __slots__ = ()


def _slice_index(dim, start, stop):
    return (slice(None),) * dim + (slice(start, stop),)


@register(samples=[(T(4, 5), 1, 1, 3), (T(4), 0, 2, 2), (T(4, 5), -1, -3, 2), (T(4, 5), 0, 1, 0)])
def narrow(input, dim, start, length) -> Tensor:
    """The slice ``start:start+length`` of dim ``dim`` (a view)."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if start < 0:
        start += size
    if not (0 <= start and start + length <= size and length >= 0):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return unary(SliceBackward0, input, _slice_index(d, start, start + length))


@register(samples=[(T(4, 5), 1, 2), (T(4, 5), 0, -1), (T(4, 5), -1, -2), (T(4), 0, 1)])
def select(input, dim, index) -> Tensor:
    """Index ``index`` of dim ``dim``, which goes away (a view)."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at dimension {d}")
    return unary(SelectBackward0, input, (slice(None),) * d + (index, Ellipsis))


@register(samples=[(T(5, 3), 2), (T(5, 3), (1, 4), 0), (T(3, 4), [1, 1, 2], 1)])
def split(input, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    cls = SplitBackward0
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [builtins.min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        cls = SplitWithSizesBackward0
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for n in sizes:
        out.append(unary(cls, input, _slice_index(d, start, start + n)))
        start += n
    return tuple(out)


@register(samples=[(T(5, 3), 2), (T(4, 3), 3, 1)])
def chunk(input, chunks, dim=0):
    """``chunks`` pieces of (nearly) equal size along ``dim``."""
    size = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    step = -(-size // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    return split(input, builtins.max(step, 1) if size else 1, dim)


@register(samples=[(T(3, 4),), (T(3, 4), 1)])
def unbind(input, dim=0):
    """The slices along ``dim``, each without that dim."""
    d = _wrap_dim(dim, input._data.ndim)
    idx = (slice(None),) * d
    return tuple(unary(UnbindBackward0, input, idx + (i, Ellipsis)) for i in range(input._data.shape[d]))


# ---- placing a gradient back: the derivative of indexing ---------------------------------------
class EmbedBackward0(Op):
    """zeros of ``shape`` with g added at ``index``: the adjoint of indexing (d/dg = g'[index])"""

    saves_operands = False

    @staticmethod
    def forward(g, shape, index, advanced):
        out = np.zeros(shape, dtype=g.dtype)
        if advanced:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    def backward(self, gg):
        _, index, advanced = self._params
        return (index_get(gg, index, advanced),)


def embed(g, shape, index, advanced=False):
    return unary(EmbedBackward0, g, tuple(shape), index, advanced)


class IndexBackward0(Op):
    """advanced indexing: the gradient is added back at the indexed places"""

    saves_operands = False

    @staticmethod
    def forward(x, index, advanced):
        return x[index]

    def backward(self, g):
        index, advanced = self._params
        return (embed(g, self.shapes[0], index, advanced),)


class IndexViewBackward(SliceBackward0):
    """basic indexing (ints, slices, None, Ellipsis): a view"""

    __slots__ = ()


def index_get(x, index, advanced):
    """``x[index]``: a view for basic indices, a copy for advanced (integer or mask) ones."""
    if advanced:
        return unary(IndexBackward0, x, index, True)
    return unary(IndexViewBackward, x, index)


# ---- tril, triu, diagonal ---------------------------------------------------------------------
class TrilBackward0(Op):
    """tril: the gradient keeps the same triangle"""

    saves_operands = False

    @staticmethod
    def forward(x, k):
        return np.tril(x, k)

    def backward(self, g):
        return (g.tril(self._params[0]),)


class TriuBackward0(TrilBackward0):
    __slots__ = ()

    @staticmethod
    def forward(x, k):
        return np.triu(x, k)

    def backward(self, g):
        return (g.triu(self._params[0]),)


@register(inplace="tril_", samples=[(T(4, 4),), (T(3, 4), 1), (T(2, 3, 3), -1), (T(3, 4), -5), (T(3, 4), 9)])
def tril(input, diagonal=0) -> Tensor:
    """The lower triangle (on and below ``diagonal``), zeros elsewhere."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return unary(TrilBackward0, input, diagonal)


@register(inplace="triu_", samples=[(T(4, 4),), (T(3, 4), 1), (T(2, 3, 3), -1)])
def triu(input, diagonal=0) -> Tensor:
    """The upper triangle (on and above ``diagonal``), zeros elsewhere."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return unary(TriuBackward0, input, diagonal)


def _diagonal_index(rows, cols, offset):
    """Row and column indices of diagonal ``offset`` of a rows x cols matrix."""
    if offset >= 0:
        k = builtins.max(0, builtins.min(rows, cols - offset))
        r = np.arange(k)
        return r, r + offset
    k = builtins.max(0, builtins.min(rows + offset, cols))
    c = np.arange(k)
    return c - offset, c


class DiagonalBackward0(Op):
    """diagonal (a view): the gradient is placed on the diagonal of a zero tensor"""

    saves_operands = False
    is_view = True

    @staticmethod
    def forward(x, offset, d1, d2):
        v = np.diagonal(x, offset, d1, d2)
        if x.flags.writeable:
            v.flags.writeable = True  # NumPy hands out the view read-only; torch's diagonal is writable
        return v

    def backward(self, g):
        offset, d1, d2 = self._params
        shape = self.shapes[0]
        rest = tuple(s for i, s in enumerate(shape) if i not in (d1, d2))
        r, c = _diagonal_index(shape[d1], shape[d2], offset)
        planes = embed(g, rest + (shape[d1], shape[d2]), (Ellipsis, r, c), True)
        return (movedim(planes, (-2, -1), (d1, d2)),)


class DiagonalBackward0_copy(DiagonalBackward0):  # torch's name: torch.diag copies
    __slots__ = ()
    is_view = False

    @staticmethod
    def forward(x, offset, d1, d2):
        return np.diagonal(x, offset, d1, d2).copy()


@register(samples=[(T(4, 4),), (T(3, 4), 1), (T(2, 3, 4), 0, 0, 2), (T(3, 4, 2), -1, 2, 0)])
def diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, as the last dim (a view)."""
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return unary(DiagonalBackward0, input, offset, d1, d2)


class DiagEmbedBackward0(EmbedBackward0):
    """diag of a vector: the vector placed on a diagonal of a zero matrix"""

    __slots__ = ()


@register(samples=[(T(3),), (T(3, 3),), (T(3), 1), (T(3, 4), -1)])
def diag(input, diagonal=0) -> Tensor:
    """A 1-d tensor's diagonal matrix, or a 2-d tensor's diagonal (a copy)."""
    if input._data.ndim == 2:
        return unary(DiagonalBackward0_copy, input, diagonal, 0, 1)
    if input._data.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")
    n = input._data.shape[0] + builtins.abs(diagonal)
    r, c = _diagonal_index(n, n, diagonal)
    return unary(DiagEmbedBackward0, input, (n, n), (r, c), True)
