"""Batching rules: how each operation runs once on the physical tensors of a vmap level.

A rule is ``rule(fn, level, args, kwargs)``: ``fn`` applies the operation to unbatched values (a
public function, or a method called by name); the rule moves each batched argument's batch
dimension to the front (``front``), rewrites the arguments that name dimensions or shapes, calls
``fn`` once, and marks the result batched at dimension 0 (``wrap``). Families of operations share
one rule: elementwise ops broadcast (after padding), reductions and scans shift their ``dim``,
matrix functions treat leading dimensions as batch dimensions already, convolutions and pools fold
the vmap batch into their own batch dimension. An operation not listed here runs once per batch
element (``_batched.fallback``), so every operation works under vmap; the rules make it fast.
"""

from __future__ import annotations

from ._batched import BatchedTensor, batch_size, is_tensor_like, level_of, randomness_at, unwrap, wrap


# ---- helpers -------------------------------------------------------------------------------------------
def front(x, level):
    """``x``'s physical value with its batch dimension first, or None if ``x`` is not batched here."""
    v, d = unwrap(x, level)
    if d is None:
        return None
    return v if d == 0 else v.movedim(d, 0)


def ldim(x, level) -> int:
    """The logical number of dimensions of ``x`` at ``level`` (0 for numbers)."""
    if not is_tensor_like(x):
        return 0
    v, d = unwrap(x, level)
    return v.dim() - (d is not None)


def padded(x, level, rank: int):
    """``x`` batched at the front and padded with size-1 dimensions after the batch dimension to
    ``rank`` logical dimensions, so that it broadcasts against the others as its logical self would;
    unbatched values as they are."""
    v = front(x, level)
    if v is None:
        return x
    missing = rank - (v.dim() - 1)
    return v[(slice(None),) + (None,) * missing] if missing > 0 else v


def norm_dim(d: int, n: int) -> int:
    """A dimension in [-n, n) as a non-negative one (n: the logical number of dimensions; a 0-d
    tensor takes dims 0 and -1)."""
    m = max(n, 1)
    if not -m <= d < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {d})")
    return d % m


def _args(args, kwargs, level, convert):
    new_args = tuple(type(a)(convert(x) for x in a) if isinstance(a, (list, tuple)) and not hasattr(a, "_fields")
                     else convert(a) for a in args)
    return new_args, {k: convert(v) for k, v in kwargs.items()}


def _get(args, kwargs, pos, name, default):
    if name in kwargs:
        return kwargs[name]
    if len(args) > pos:
        return args[pos]
    return default


def _put(args, kwargs, pos, name, value):
    """Arguments with the one at ``pos`` (or keyword ``name``) replaced."""
    if name in kwargs or len(args) <= pos:
        return args, {**kwargs, name: value}
    return args[:pos] + (value,) + args[pos + 1:], kwargs


# ---- elementwise ---------------------------------------------------------------------------------------
def elementwise(fn, level, args, kwargs):
    """Broadcasting ops: every batched operand first, padded to the largest logical rank."""
    rank = max(ldim(a, level) for a in _flat(args, kwargs) if is_tensor_like(a))
    new_args, new_kwargs = _args(args, kwargs, level, lambda a: padded(a, level, rank))
    return wrap(fn(*new_args, **new_kwargs), 0, level)


def inplace_elementwise(fn, level, args, kwargs):
    """``x.op_(y)``: ``x`` must be batched (each of its elements receives its own result)."""
    self = args[0]
    if unwrap(self, level)[1] is None:
        raise RuntimeError("vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
                           "Tensor `other` in extra_args that has more elements than `self`. This happened due to "
                           "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
                           "out-of-place operators instead of inplace arithmetic.")
    rank = max(ldim(a, level) for a in _flat(args, kwargs) if is_tensor_like(a))
    if ldim(self, level) < rank:
        raise RuntimeError("vmap: in-place operation would need to broadcast `self` to a larger shape")
    new_args, new_kwargs = _args(args[1:], kwargs, level, lambda a: padded(a, level, rank))
    fn(front(self, level), *new_args, **new_kwargs)
    return self


def _flat(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
            yield from a
        else:
            yield a


# ---- reductions, scans and other ops with a ``dim`` ------------------------------------------------------
def along(pos: int, default, name: str = "dim"):
    """An op of ``args[0]`` with a dimension argument at ``pos`` (or keyword ``name``): a dim or a
    tuple of them moves one up. ``default`` says what a missing or None dim means: "all" (every
    logical dimension, as a tuple), "flatten" (the op over the flattened tensor), a dim or tuple of
    dims, or "required". A 0-d logical tensor gets a size-1 dimension to work along, removed after."""

    def rule(fn, level, args, kwargs):
        x = args[0]
        v = front(x, level)
        if v is None or any(unwrap(a, level)[1] is not None for a in _flat(args[1:], kwargs)):
            from ._batched import fallback

            return fallback(getattr(fn, "__name__", "op"), fn, level, args, kwargs)
        n = v.dim() - 1
        scalar = n == 0
        if scalar:
            v, n = v.unsqueeze(1), 1
        dim = _get(args, kwargs, pos, name, None)
        if isinstance(dim, (tuple, list)) and not dim:  # (sum(x, dim=()): every dim, as None)
            dim = None
        if isinstance(dim, bool):  # (std(x, True): the old unbiased flag, not a dim)
            args, kwargs = args[:pos] + args[pos + 1:], {**kwargs, "unbiased": dim}
            dim = None
        if dim is None:
            if default == "flatten":
                v = v.reshape(v.shape[0], -1)
                dim = 1
            elif default == "all":
                dim = tuple(range(1, n + 1))
            elif default == "required":
                return _unscalar(wrap(fn(v, *args[1:], **kwargs), 0, level), scalar)
            else:
                dim = _shift(default, n)
        else:
            dim = _shift(dim, n)
        given = _get(args, kwargs, pos, name, None) is not None
        args, kwargs = _put(args, kwargs, pos, name, dim)
        out = fn(v, *args[1:], **kwargs)
        if not given and getattr(fn, "__name__", "") in ("median", "nanmedian"):
            out = out[0]  # (median(x) without a dim is the value alone)
        return _unscalar(wrap(out, 0, level), scalar)

    return rule


def _shift(dim, n: int):
    """Logical dim(s) to physical: normalized, then one up."""
    if isinstance(dim, (tuple, list)):
        return type(dim)(norm_dim(d, n) + 1 for d in dim)
    return norm_dim(dim, n) + 1


def _unscalar(out, scalar: bool):
    """Drop the size-1 dimension a 0-d logical input was given (from outputs that kept it)."""
    if not scalar:
        return out
    if isinstance(out, BatchedTensor):
        return out.squeeze(0) if out.dim() == 1 else out
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return type(out)(*(_unscalar(o, True) for o in out))
    if isinstance(out, (tuple, list)):
        return type(out)(_unscalar(o, True) for o in out)
    return out


def max_min(fn, level, args, kwargs):
    """max/min: of all elements (no dim), along a dim (values and indices), or of two tensors."""
    if len(args) > 1 and is_tensor_like(args[1]) or is_tensor_like(kwargs.get("other")):
        return elementwise(fn, level, args, kwargs)
    if len(args) > 1 or "dim" in kwargs:
        return along(1, "required")(fn, level, args, kwargs)
    v = front(args[0], level)
    return wrap(fn(v.reshape(v.shape[0], -1), 1).values, 0, level)


# ---- shapes ------------------------------------------------------------------------------------------
def _sizes(args, start=1):
    """The sizes of ``view(2, 3)`` / ``view((2, 3))``."""
    rest = args[start:]
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)) or len(rest) == 1 and hasattr(rest[0], "__len__"):
        return tuple(rest[0])
    return tuple(rest)


def reshape_like(fn, level, args, kwargs):
    """view/reshape: the batch size first, then the new logical shape."""
    v = front(args[0], level)
    shape = _sizes(args) if "shape" not in kwargs and "size" not in kwargs else tuple(kwargs.get("shape",
                                                                                               kwargs.get("size")))
    return wrap(fn(v, (v.shape[0], *shape)), 0, level)


def permute(fn, level, args, kwargs):
    v = front(args[0], level)
    n = v.dim() - 1
    dims = tuple(kwargs["dims"]) if "dims" in kwargs else _sizes(args)
    return wrap(fn(v, (0, *(norm_dim(d, n) + 1 for d in dims))), 0, level)


def two_dims(fn, level, args, kwargs):
    """transpose/swapaxes/swapdims/movedim(x, a, b): both dims move one up (ints or sequences)."""
    v = front(args[0], level)
    n = v.dim() - 1

    def shift(d):
        return type(d)(norm_dim(i, n) + 1 for i in d) if isinstance(d, (tuple, list)) else norm_dim(d, n) + 1

    a, b = (args[1], args[2]) if len(args) >= 3 else tuple(kwargs.values())[:2]
    return wrap(fn(v, shift(a), shift(b)), 0, level)


def t(fn, level, args, kwargs):
    v = front(args[0], level)
    return wrap(v.transpose(1, 2) if v.dim() == 3 else v, 0, level)


def unsqueeze(fn, level, args, kwargs):
    v = front(args[0], level)
    d = _get(args, kwargs, 1, "dim", None)
    return wrap(fn(v, norm_dim(d, v.dim()) + 1), 0, level)


def squeeze(fn, level, args, kwargs):
    v = front(args[0], level)
    n = v.dim() - 1
    if n == 0:  # (squeezing a 0-d tensor leaves it as it is)
        return args[0]
    dim = _get(args, kwargs, 1, "dim", None)
    if dim is None:
        dims = tuple(i + 1 for i in range(n) if v.shape[i + 1] == 1)
    elif isinstance(dim, (tuple, list)):
        dims = tuple(norm_dim(d, n) + 1 for d in dim)
    else:
        dims = (norm_dim(dim, n) + 1,)
    return wrap(v.squeeze(dims) if dims else v, 0, level)


def flatten(fn, level, args, kwargs):
    v = front(args[0], level)
    n = v.dim() - 1
    if n == 0:
        return wrap(v.reshape(v.shape[0], 1), 0, level)
    start = norm_dim(_get(args, kwargs, 1, "start_dim", 0), n) + 1
    end = norm_dim(_get(args, kwargs, 2, "end_dim", -1), n) + 1
    return wrap(v.flatten(start, end), 0, level)


def expand(fn, level, args, kwargs):
    """expand(*sizes): new leading logical dims go after the batch dim; -1 keeps a size."""
    v = front(args[0], level)
    sizes = tuple(kwargs["size"]) if "size" in kwargs else _sizes(args)
    missing = len(sizes) - (v.dim() - 1)
    if missing > 0:
        v = v[(slice(None),) + (None,) * missing]
    return wrap(v.expand(v.shape[0], *sizes), 0, level)


def expand_as(fn, level, args, kwargs):
    return expand(lambda *a: None, level, (args[0], *args[1].shape), {})


def repeat(fn, level, args, kwargs):
    v = front(args[0], level)
    sizes = _sizes(args)
    missing = len(sizes) - (v.dim() - 1)
    if missing > 0:
        v = v[(slice(None),) + (None,) * missing]
    return wrap(v.repeat(1, *sizes), 0, level)


def diagonal(fn, level, args, kwargs):
    v = front(args[0], level)
    n = v.dim() - 1
    offset = _get(args, kwargs, 1, "offset", 0)
    d1 = norm_dim(_get(args, kwargs, 2, "dim1", 0), n) + 1
    d2 = norm_dim(_get(args, kwargs, 3, "dim2", 1), n) + 1
    return wrap(v.diagonal(offset, d1, d2), 0, level)


def joined(new_dim: bool):
    """cat/stack of a list: unbatched members repeated along a new batch dimension."""

    def rule(fn, level, args, kwargs):
        tensors = list(args[0] if args else kwargs["tensors"])
        size = batch_size((tensors,), {}, level)
        rank = max(ldim(x, level) for x in tensors)
        moved = []
        for x in tensors:
            v = front(x, level)
            if v is None:
                v = x.unsqueeze(0).expand(size, *x.shape)
            moved.append(v)
        dim = _get(args, kwargs, 1, "dim", 0)
        dim = norm_dim(dim, rank + new_dim) + 1
        return wrap(fn(moved, dim), 0, level)

    return rule


def split_like(pos: int, default=0):
    """split/chunk/tensor_split/unbind: a tuple of batched pieces."""
    return along(pos, default)


def leading(fn, level, args, kwargs):
    """Ops that treat leading dimensions as batch dimensions already (matrix functions, tril, ...):
    every batched operand first, padded to the same logical rank."""
    return elementwise(fn, level, args, kwargs)


def first_only(rule):
    """``rule`` when only the first argument is batched; the per-element loop otherwise."""

    def guarded(fn, level, args, kwargs):
        if any(unwrap(a, level)[1] is not None for a in _flat(args[1:], kwargs)):
            from ._batched import fallback

            return fallback(getattr(fn, "__name__", "op"), fn, level, args, kwargs)
        return rule(fn, level, args, kwargs)

    return guarded


def cross(default):
    """cross(x, y, dim): both operands batched (an unbatched one repeated), the dim one up."""

    def rule(fn, level, args, kwargs):
        size = batch_size(args, kwargs, level)
        x, y = (_batched_at(a, level, size) for a in args[:2])
        return _cross(fn, level, x, y, _get(args, kwargs, 2, "dim", default))

    return rule


def diff(fn, level, args, kwargs):
    """diff(x, n, dim, prepend, append): prepend and append joined to x first (batched like it)."""
    size = batch_size(args, kwargs, level)
    n, dim = _get(args, kwargs, 1, "n", 1), _get(args, kwargs, 2, "dim", -1)
    if n == 0:  # (torch returns the input as it is, without prepend and append)
        return args[0]
    ends = (_get(args, kwargs, 3, "prepend", None), _get(args, kwargs, 4, "append", None))
    pieces = [BatchedTensor(_batched_at(p, level, size), 0, level)
              for p in (ends[0], args[0], ends[1]) if p is not None]
    x = pieces[0] if len(pieces) == 1 else joined_cat(pieces, dim)
    return along(2, -1)(fn, level, (x, n, dim), {})


def joined_cat(pieces, dim):
    from .. import cat

    return cat(pieces, dim)


def _batched_at(x, level, size):
    if unwrap(x, level)[1] is not None:
        return front(x, level)
    return x.unsqueeze(0).expand(size, *x.shape)


def _cross(fn, level, xv, yv, dim):
    n = xv.dim() - 1
    if dim is None:  # (torch.cross without dim: the first dim of size 3)
        dim = next(i for i, s in enumerate(xv.shape[1:]) if s == 3)
    return wrap(fn(xv, yv, dim=norm_dim(dim, n) + 1), 0, level)


def passthrough(fn, level, args, kwargs):
    """Ops indifferent to shape (clone, detach, to, zeros_like, ...): on the physical value, the
    batch dimension where it was."""
    v, d = unwrap(args[0], level)
    if any(unwrap(a, level)[1] is not None for a in _flat(args[1:], kwargs)):
        return elementwise(fn, level, args, kwargs)
    out = fn(v, *args[1:], **kwargs)
    if out is v:
        return args[0]
    return wrap(out, d, level)


def unbatched_result(fn, level, args, kwargs):
    """new_zeros/new_ones/...: a fresh unbatched tensor like the logical one's dtype."""
    v, _ = unwrap(args[0], level)
    return fn(v, *args[1:], **kwargs)


# ---- products ------------------------------------------------------------------------------------------
def matmul(fn, level, args, kwargs):
    """matmul with torch's rules for 1-d operands (made matrices and squeezed back), the batch
    dimension joining the broadcast leading dimensions."""
    from .. import matmul as mm

    x, y = args[0], args[1]
    rx, ry = ldim(x, level), ldim(y, level)
    if rx == 1 and ry == 1:
        return (x * y).sum(-1)
    if rx == 1:
        return mm(x.unsqueeze(0), y).squeeze(-2)
    if ry == 1:
        return mm(x, y.unsqueeze(-1)).squeeze(-1)
    rank = max(rx, ry)
    return wrap(mm(padded(x, level, rank), padded(y, level, rank)), 0, level)


def matmul_method(fn, level, args, kwargs):
    return matmul(lambda a, b: a @ b, level, args, kwargs)


def rmatmul(fn, level, args, kwargs):
    return matmul(lambda a, b: a @ b, level, (args[1], args[0]), kwargs)


def linear(fn, level, args, kwargs):
    """F.linear(x, W, b) = x @ W^T + b."""
    x, w = args[0], _get(args, kwargs, 1, "weight", None)
    b = _get(args, kwargs, 2, "bias", None)
    out = x @ w.transpose(-1, -2)
    return out if b is None else out + b


def einsum(fn, level, args, kwargs):
    """A batch letter in front of every batched operand's subscripts and of the output's."""
    equation = args[0].replace(" ", "")
    operands = list(args[1:]) if len(args) > 2 or not isinstance(args[1], (list, tuple)) else list(args[1])
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if not arrow:
        letters = sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1)
        rhs = ("..." if "..." in lhs else "") + "".join(letters)
    used = set(equation)
    batch = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used)
    new_terms, physical = [], []
    for term, x in zip(terms, operands):
        v = front(x, level)
        new_terms.append(batch + term if v is not None else term)
        physical.append(v if v is not None else x)
    return wrap(fn(f"{','.join(new_terms)}->{batch}{rhs}", *physical), 0, level)


# ---- convolutions and pools: the vmap batch folded into the op's own batch dimension ---------------------
def folded(spatial: int):
    """An op on (N, C, *spatial) or unbatched (C, *spatial) inputs (args[0] batched only)."""

    def rule(fn, level, args, kwargs):
        if any(unwrap(a, level)[1] is not None for a in _flat(args[1:], kwargs)):
            from ._batched import fallback

            return fallback(getattr(fn, "__name__", "op"), fn, level, args, kwargs)
        v = front(args[0], level)
        size = v.shape[0]
        if v.dim() - 1 == spatial + 1:  # unbatched logical input: the vmap batch is its batch
            return wrap(fn(v, *args[1:], **kwargs), 0, level)
        n = v.shape[1]
        out = fn(v.reshape(size * n, *v.shape[2:]), *args[1:], **kwargs)
        if isinstance(out, tuple):
            return wrap(type(out)(o.reshape(size, n, *o.shape[1:]) for o in out), 0, level)
        return wrap(out.reshape(size, n, *out.shape[1:]), 0, level)

    return rule


def conv(spatial: int):
    """conv{1,2,3}d: a batched input alone folds into N; batched weights (per-sample weights, as
    ``grad`` under ``vmap`` makes them) run as one convolution whose groups are the batch's."""
    plain = folded(spatial)

    def rule(fn, level, args, kwargs):
        weight, bias = _get(args, kwargs, 1, "weight", None), _get(args, kwargs, 2, "bias", None)
        if all(unwrap(t, level)[1] is None for t in (weight, bias)):
            return plain(fn, level, args, kwargs)
        size = batch_size(args, kwargs, level)
        unbatched_input = ldim(args[0], level) == spatial + 1
        x = _batched_at(args[0], level, size)  # (B, N, C, *s), or (B, C, *s) for an unbatched input
        if unbatched_input:
            x = x.unsqueeze(1)
        n = x.shape[1]
        x = x.movedim(0, 1).reshape(n, size * x.shape[2], *x.shape[3:])  # (N, B*C, *s)
        w = _batched_at(weight, level, size)
        w = w.reshape(size * w.shape[1], *w.shape[2:])  # (B*O, C/groups, *k)
        if bias is not None:
            bias = _batched_at(bias, level, size).reshape(-1)
        stride, padding, dilation, groups = (_get(args, kwargs, pos, name, default) for pos, name, default in
                                             ((3, "stride", 1), (4, "padding", 0), (5, "dilation", 1),
                                              (6, "groups", 1)))
        out = fn(x, w, bias, stride, padding, dilation, groups * size)  # (N, B*O, *s')
        out = out.reshape(n, size, -1, *out.shape[2:])
        return wrap(out.squeeze(0), 0, level) if unbatched_input else wrap(out, 1, level)

    return rule


# ---- losses ----------------------------------------------------------------------------------------------
def pointwise_loss(fn, level, args, kwargs):
    """Elementwise losses: per element without reduction, then each batch element reduced."""
    reduction = kwargs.pop("reduction", "mean")
    kwargs = {**kwargs, "reduction": "none"}
    size = batch_size(args, kwargs, level)  # (these losses want operands of one shape: no broadcasting)
    args = tuple(BatchedTensor(_batched_at(a, level, size), 0, level) if is_tensor_like(a) else a for a in args)
    out = elementwise(fn, level, args, kwargs)
    if reduction == "none":
        return out
    return out.mean() if reduction == "mean" else out.sum()


def class_loss(fn, level, args, kwargs):
    """cross_entropy / nll_loss (no class weights): per sample, reduced over the sample's targets."""
    if kwargs.get("weight") is not None or len(args) > 2 or kwargs.get("label_smoothing", 0.0):
        from ._batched import fallback

        return fallback(getattr(fn, "__name__", "loss"), fn, level, args, kwargs)
    reduction = kwargs.get("reduction", "mean")
    ignore = kwargs.get("ignore_index", -100)
    x, target = args[0], args[1]
    size = batch_size(args, kwargs, level)
    xv = front(x, level)
    if xv is None:
        xv = x.unsqueeze(0).expand(size, *x.shape)
    tv = front(target, level)
    if tv is None:
        tv = target.unsqueeze(0).expand(size, *target.shape)
    kw = {**kwargs, "reduction": "none"}
    if xv.dim() == 2:  # one sample of C scores per batch element
        out = fn(xv, tv, **kw)
        return wrap(out, 0, level)
    n = xv.shape[1]
    loss = fn(xv.reshape(size * n, *xv.shape[2:]), tv.reshape(size * n, *tv.shape[2:]), **kw)
    loss = BatchedTensor(loss.reshape(size, n, *loss.shape[1:]), 0, level)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    kept = BatchedTensor((tv != ignore).to(loss.dtype), 0, level) if tv.dtype.is_floating_point is False else None
    return loss.sum() / kept.sum() if kept is not None else loss.mean()


# ---- indexing ----------------------------------------------------------------------------------------------
def _index_tuple(index):
    return index if isinstance(index, tuple) else (index,)


def _batched_parts(index, level) -> bool:
    return any(unwrap(i, level)[1] is not None for i in _index_tuple(index))


def getitem(fn, level, args, kwargs):
    """x[index] with an unbatched index: the batch dimension kept in front (or, when advanced
    indices are split by a slice, after the advanced indices' dimensions, where NumPy puts them)."""
    x, index = args
    if _batched_parts(index, level) or unwrap(x, level)[1] is None:
        from ._batched import fallback

        return fallback("__getitem__", fn, level, args, kwargs)
    v = front(x, level)
    parts = _index_tuple(index)
    out = v[(slice(None), *parts)]
    return wrap(out, _advanced_front(parts, v), level)


def _advanced_front(parts, v) -> int:
    """Where the batch dimension lands: 0, unless the advanced indices are not adjacent."""
    from .._tensor import Tensor

    positions = [i for i, p in enumerate(parts) if isinstance(p, (Tensor, list)) or (
        hasattr(p, "__len__") and not isinstance(p, (str, bytes)))]
    if len(positions) < 2 or positions[-1] - positions[0] == len(positions) - 1:
        return 0
    import numpy as np

    shapes = [np.shape(p.numpy() if isinstance(p, Tensor) else p) for p in parts if not isinstance(p, (int, slice))
              and p is not None and p is not Ellipsis]
    return len(np.broadcast_shapes(*shapes))


def setitem(fn, level, args, kwargs):
    x, index, value = args
    if unwrap(x, level)[1] is None:
        raise RuntimeError("vmap: index_put_(self, *extra_args) is not possible because there exists a Tensor "
                           "`other` in extra_args that has more elements than `self`. This happened due to `other` "
                           "being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
                           "out-of-place operators instead of index_put_.")
    if _batched_parts(index, level):
        from ._batched import fallback

        return fallback("__setitem__", fn, level, args, kwargs)
    v = front(x, level)
    region = v[(slice(None), *_index_tuple(index))]
    value = padded(value, level, region.dim() - 1) if unwrap(value, level)[1] is not None else value
    v[(slice(None), *_index_tuple(index))] = value
    return None


# ---- random numbers -------------------------------------------------------------------------------------
def random_like(fn, level, args, kwargs):
    """rand_like & co.: different values per batch element, or the same, or an error."""
    mode = randomness_at(level)
    _check_random(mode)
    v, d = unwrap(args[0], level)
    if mode == "different":
        return wrap(fn(v, *args[1:], **kwargs), d, level)
    return fn(v.select(d, 0) if d is not None else v, *args[1:], **kwargs)  # one draw, shared


def random_new(fn, level, args, kwargs):
    """rand(*size) & co. inside vmap: one draw per batch element ("different") or one for all."""
    from ._batched import levels

    mode = None
    for lvl, randomness, size in levels():
        if lvl == level:
            mode = randomness
    _check_random(mode)
    if mode == "different":
        size = next(s for lvl, r, s in levels() if lvl == level)
        shape = _sizes(args, 0) if "size" not in kwargs else tuple(kwargs.pop("size"))
        return BatchedTensor(fn(size, *shape, **kwargs), 0, level)
    return fn(*args, **kwargs)


def random_op(fn, level, args, kwargs):
    """dropout, bernoulli, ...: of a batched tensor, per element ("different") or shared ("same")."""
    mode = randomness_at(level)
    _check_random(mode)
    if mode == "different":
        return passthrough(fn, level, args, kwargs)
    x = args[0]
    v, d = unwrap(x, level)
    if d is None:
        return fn(*args, **kwargs)
    ones = v.select(d, 0).new_ones(()).expand(*x.shape)
    mask = fn(ones, *args[1:], **kwargs)  # the same draw for every batch element
    return x * mask


def _check_random(mode) -> None:
    if mode == "error" or mode is None:
        raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                           "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                           "of vmap")


# ---- more rules, written with logical operations (each of which has its own rule) -----------------------
def via(expression):
    """A rule that computes the op from other operations on the logical tensors."""

    def rule(fn, level, args, kwargs):
        return expression(*args, **kwargs)

    return rule


def _addmm(input, m1, m2, *, beta=1, alpha=1):
    product = m1 @ m2
    return product * alpha + input * beta if beta != 0 else product * alpha


def _outer(x, y):
    return x.unsqueeze(-1) * y


def _trace(x):
    return x.diagonal(0, 0, 1).sum(-1)


def _dist(x, y, p=2):
    return (x - y).norm(p)


def _msort(x):
    return x.sort(0).values


def _tile(x, dims):
    dims = tuple(dims)
    return x.repeat(*((1,) * (x.dim() - len(dims)) + dims))


def _view_as(x, other):
    return x.reshape(*other.shape)


def paired_along(pos: int, default):
    """Ops of several tensors with one dim (cosine_similarity, vecdot): operands padded to one
    logical rank as elementwise ops are, the dim one up."""

    def rule(fn, level, args, kwargs):
        tensors = [a for a in _flat(args, kwargs) if is_tensor_like(a)]
        rank = max(ldim(a, level) for a in tensors)
        size = batch_size(args, kwargs, level)
        new_args, new_kwargs = _args(args, kwargs, level, lambda a: padded(a, level, rank))
        new_args = tuple(a.unsqueeze(0).expand(size, *a.shape) if is_tensor_like(a) and unwrap(a, level)[1] is None
                         and ldim(a, level) == rank else a for a in new_args)
        dim = _get(args, kwargs, pos, "dim", default)
        new_args, new_kwargs = _put(new_args, new_kwargs, pos, "dim", norm_dim(dim, rank) + 1)
        return wrap(fn(*new_args, **new_kwargs), 0, level)

    return rule


def roll(fn, level, args, kwargs):
    v = front(args[0], level)
    shifts = _get(args, kwargs, 1, "shifts", None)
    dims = _get(args, kwargs, 2, "dims", None)
    if dims is None or dims == ():  # (the flattened tensor rolled, then its shape again)
        return wrap(v.reshape(v.shape[0], -1).roll(shifts, 1).reshape(v.shape), 0, level)
    n = v.dim() - 1
    return wrap(v.roll(shifts, _shift(dims, n)), 0, level)


def folded_always(fn, level, args, kwargs):
    """Ops on (N, C, ...) inputs only (group_norm, interpolate): the vmap batch joins N."""
    if any(unwrap(a, level)[1] is not None for a in _flat(args[1:], kwargs)):
        from ._batched import fallback

        return fallback(getattr(fn, "__name__", "op"), fn, level, args, kwargs)
    v = front(args[0], level)
    size, n = v.shape[0], v.shape[1]
    out = fn(v.reshape(size * n, *v.shape[2:]), *args[1:], **kwargs)
    return wrap(out.reshape(size, n, *out.shape[1:]), 0, level)


def pad(fn, level, args, kwargs):
    """F.pad: constant padding of trailing dims needs nothing; the other modes take (N, C, ...) or
    (C, ...) inputs, so the batch joins N."""
    mode = _get(args, kwargs, 2, "mode", "constant")
    if mode == "constant":
        return first_only(leading)(fn, level, args, kwargs)
    padding = _get(args, kwargs, 1, "pad", ())
    if ldim(args[0], level) == len(padding) // 2 + 1:  # (an unbatched (C, ...) input: the batch is N)
        return first_only(leading)(fn, level, args, kwargs)
    return folded_always(fn, level, args, kwargs)


# ---- the table ------------------------------------------------------------------------------------------
ELEMENTWISE = (
    "abs", "absolute", "acos", "arccos", "acosh", "arccosh", "add", "angle", "asin", "arcsin", "asinh", "arcsinh",
    "atan", "arctan", "atan2", "arctan2", "atanh", "arctanh", "bitwise_and", "bitwise_left_shift", "bitwise_not",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "ceil", "clamp", "clip", "clamp_max", "clamp_min", "complex",
    "conj", "conj_physical", "copysign", "cos", "cosh", "deg2rad", "digamma", "div", "divide", "eq", "erf", "erfc",
    "erfinv", "exp", "exp2", "expm1", "fill", "fix", "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod",
    "frac", "frexp", "gcd", "ge", "greater", "greater_equal", "gt", "heaviside", "hypot", "i0", "igamma",
    "igammac", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "lcm", "ldexp", "le",
    "less", "less_equal", "lerp", "lgamma", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2",
    "logical_and", "logical_not", "logical_or", "logical_xor", "logit", "lt", "maximum", "minimum", "mul",
    "multiply", "mvlgamma", "nan_to_num", "ne", "not_equal", "neg", "negative", "nextafter", "polar", "polygamma",
    "positive", "pow", "rad2deg", "real", "imag", "reciprocal", "relu", "remainder", "round", "rsqrt", "rsub",
    "sgn", "sigmoid", "sign", "signbit", "sin", "sinc", "sinh", "sqrt", "square", "sub", "subtract", "tan", "tanh",
    "true_divide", "trunc", "xlogy", "where", "addcmul", "addcdiv", "hardshrink", "selu", "celu",
    "nn.functional.celu", "nn.functional.elu", "nn.functional.hardshrink", "nn.functional.hardsigmoid",
    "nn.functional.hardtanh", "nn.functional.logsigmoid", "nn.functional.mish", "nn.functional.relu",
    "nn.functional.relu6", "nn.functional.selu", "nn.functional.silu", "nn.functional.softplus",
    "nn.functional.softshrink", "nn.functional.softsign", "nn.functional.tanhshrink", "nn.functional.threshold",
    "nn.functional.gelu", "nn.functional.leaky_relu", "nn.functional.hardswish", "nn.functional.sigmoid",
    "nn.functional.tanh",
    "special.entr", "special.erfcx", "special.expit", "special.i0e", "special.i1", "special.i1e", "special.log_ndtr",
    "special.ndtr", "special.ndtri", "special.xlog1py", "special.xlogy", "special.zeta", "special.logit",
    "special.erf", "special.erfc", "special.erfinv", "special.exp2", "special.expm1", "special.digamma",
    "special.psi", "special.gammaln", "special.sinc", "special.round", "special.log1p", "special.bessel_j0",
    "special.bessel_j1",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__neg__", "__pos__", "__abs__",
    "__invert__", "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__lshift__", "__rshift__",
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
)

INPLACE = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__", "add_", "sub_", "mul_", "div_", "pow_",
           "clamp_", "clamp_min_", "clamp_max_", "copy_", "lerp_", "addcmul_", "addcdiv_", "exp_", "log_", "neg_",
           "abs_", "sqrt_", "relu_", "sigmoid_", "tanh_", "fill_", "zero_")

RANDOM = ("rand_like", "randn_like", "randint_like", "rand", "randn", "randint", "normal", "bernoulli", "dropout",
          "nn.functional.dropout", "multinomial", "poisson", "randperm")

RULES: dict = {}
RULES.update(dict.fromkeys(ELEMENTWISE, elementwise))
RULES.update(dict.fromkeys(INPLACE, inplace_elementwise))
RULES.update({
    # reductions: (position of dim, what no dim means)
    **dict.fromkeys(("sum", "nansum", "mean", "nanmean", "amax", "amin", "std", "var", "std_mean", "var_mean",
                     "count_nonzero"), along(1, "all")),
    **dict.fromkeys(("prod", "argmax", "argmin", "all", "any", "median", "nanmedian"), along(1, "flatten")),
    "norm": lambda fn, level, args, kwargs: along(2, (-2, -1) if _get(args, kwargs, 1, "p", "fro") == "nuc"
                                                  else "flatten")(fn, level, args, kwargs),
    "linalg.vector_norm": along(2, "all"), "linalg.matrix_norm": along(2, (-2, -1)),
    "logsumexp": along(1, "required"), "aminmax": along(1, "flatten"),
    "max": max_min, "min": max_min,
    **dict.fromkeys(("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax",
                     "nn.functional.softmax", "nn.functional.log_softmax", "nn.functional.softmin", "special.softmax",
                     "special.log_softmax", "unflatten", "narrow", "select", "index_select"), along(1, "required")),
    "flip": along(1, "required", "dims"),
    **dict.fromkeys(("sort", "argsort", "mode"), along(1, -1)),
    **dict.fromkeys(("topk", "kthvalue"), along(2, -1)), "diff": diff,
    "nn.functional.normalize": along(2, 1),
    "unbind": along(1, 0), "split": along(2, 0), "chunk": along(2, 0), "tensor_split": along(2, 0),
    "cross": cross(None), "linalg.cross": cross(-1),
    # shapes
    "view": reshape_like, "reshape": reshape_like, "permute": permute, "transpose": two_dims, "swapaxes": two_dims,
    "swapdims": two_dims, "movedim": two_dims, "moveaxis": two_dims, "t": t, "unsqueeze": unsqueeze,
    "squeeze": squeeze, "flatten": flatten, "ravel": flatten, "expand": expand, "expand_as": expand_as,
    "repeat": repeat, "diagonal": diagonal, "cat": joined(False), "concat": joined(False),
    "concatenate": joined(False), "stack": joined(True),
    # leading dims are batch dims already
    **dict.fromkeys(("tril", "triu", "det", "logdet", "slogdet", "inverse", "cholesky", "matrix_exp",
                     "linalg.det", "linalg.slogdet", "linalg.inv", "linalg.cholesky", "linalg.qr", "linalg.svd",
                     "linalg.svdvals", "linalg.eigh", "linalg.eigvalsh", "linalg.matrix_exp", "linalg.pinv",
                     "linalg.lu_factor", "linalg.inv_ex", "linalg.cholesky_ex",
                     ), leading),
    **dict.fromkeys(("nn.functional.layer_norm", "nn.functional.embedding", "nn.functional.pixel_shuffle",
                     "nn.functional.pixel_unshuffle"), first_only(leading)),
    # shape-indifferent, and fresh unbatched tensors
    **dict.fromkeys(("clone", "detach", "contiguous", "to", "float", "double", "half", "long", "int", "bool",
                     "type_as", "requires_grad_", "cpu", "zeros_like", "ones_like", "empty_like", "full_like",
                     "detach_", "retain_grad", "type"), passthrough),
    **dict.fromkeys(("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"), unbatched_result),
    # products
    "matmul": matmul, "mm": matmul, "bmm": matmul, "mv": matmul, "dot": matmul,
    "__matmul__": matmul_method, "__rmatmul__": rmatmul, "nn.functional.linear": linear, "einsum": einsum,
    # folded into the op's batch dimension
    "nn.functional.conv1d": conv(1), "nn.functional.conv2d": conv(2), "nn.functional.conv3d": conv(3),
    "conv1d": conv(1), "conv2d": conv(2), "conv3d": conv(3),
    # (torch.max_pool2d & co.: the same functions under their torch-namespace names)
    "max_pool1d": folded(1), "max_pool2d": folded(2), "max_pool3d": folded(3), "avg_pool1d": folded(1),
    "adaptive_avg_pool1d": folded(1), "adaptive_max_pool1d": folded(1),
    "nn.functional.max_pool1d": folded(1), "nn.functional.max_pool2d": folded(2), "nn.functional.max_pool3d":
        folded(3), "nn.functional.avg_pool1d": folded(1), "nn.functional.avg_pool2d": folded(2),
    "nn.functional.avg_pool3d": folded(3), "nn.functional.adaptive_avg_pool2d": folded(2),
    "nn.functional.adaptive_max_pool2d": folded(2), "nn.functional.conv_transpose2d": folded(2),
    # losses
    **dict.fromkeys(("nn.functional.mse_loss", "nn.functional.l1_loss", "nn.functional.smooth_l1_loss",
                     "nn.functional.huber_loss", "nn.functional.binary_cross_entropy",
                     "nn.functional.binary_cross_entropy_with_logits", "nn.functional.soft_margin_loss"),
                    pointwise_loss),
    "nn.functional.cross_entropy": class_loss, "nn.functional.nll_loss": class_loss,
    # indexing
    "__getitem__": getitem, "__setitem__": setitem,
    # composites of ruled ops
    "addmm": via(_addmm), "outer": via(_outer), "ger": via(_outer), "trace": via(_trace), "dist": via(_dist),
    "msort": via(_msort), "tile": via(_tile), "view_as": via(_view_as), "reshape_as": via(_view_as),
    "broadcast_to": expand, "roll": roll,
    "nn.functional.cosine_similarity": paired_along(2, 1), "linalg.vecdot": paired_along(2, -1),
    "masked_fill": elementwise, "nn.functional.pairwise_distance": elementwise,
    **dict.fromkeys(("split_with_sizes", "unsafe_split", "unsafe_chunk"), along(2, 0)),
    "narrow_copy": along(1, "required"), "nn.functional.glu": along(1, -1),
    **dict.fromkeys(("fft.fft", "fft.ifft", "fft.rfft", "fft.irfft", "fft.hfft", "fft.ihfft"), along(2, -1)),
    **dict.fromkeys(("fft.fft2", "fft.ifft2", "fft.rfft2", "fft.irfft2", "fft.hfft2", "fft.ihfft2"),
                    along(2, (-2, -1))),
    **dict.fromkeys(("fft.fftshift", "fft.ifftshift"), along(1, "all")),
    **dict.fromkeys(("resolve_conj", "resolve_neg", "byte", "char", "short", "cdouble", "cfloat"), passthrough),
    **dict.fromkeys(("linalg.matrix_power", "linalg.solve_triangular", "cholesky_solve",
                     "cholesky_inverse", "linalg.eig", "linalg.eigvals",
                     "linalg.cond", "linalg.matrix_rank", "linalg.ldl_factor", "qr", "svd",
                     "geqrf", "pinverse", "linalg.lu", "linalg.lu_factor_ex", "linalg.eigvalsh"), leading),
    **dict.fromkeys(("conv_transpose1d", "nn.functional.conv_transpose1d"), folded(1)),
    **dict.fromkeys(("conv_transpose2d",), folded(2)),
    **dict.fromkeys(("conv_transpose3d", "nn.functional.conv_transpose3d"), folded(3)),
    "nn.functional.adaptive_avg_pool1d": folded(1), "nn.functional.adaptive_max_pool1d": folded(1),
    "nn.functional.adaptive_avg_pool3d": folded(3), "nn.functional.adaptive_max_pool3d": folded(3),
    **dict.fromkeys(("nn.functional.group_norm", "nn.functional.instance_norm", "nn.functional.local_response_norm",
                     "nn.functional.interpolate", "nn.functional.upsample", "nn.functional.upsample_nearest",
                     "nn.functional.upsample_bilinear"), folded_always),
    "nn.functional.rms_norm": first_only(leading), "nn.functional.pad": pad,
    # random numbers
    "rand_like": random_like, "randn_like": random_like, "randint_like": random_like,
    "rand": random_new, "randn": random_new,
    **dict.fromkeys(("bernoulli", "dropout", "nn.functional.dropout", "poisson"), random_op),
})

__all__ = ["RULES", "RANDOM", "BatchedTensor", "level_of"]
