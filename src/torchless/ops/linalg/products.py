"""The rest of the matmul family, as compositions of the products in matmul.py: addmv, addr,
addbmm, baddbmm, inner, kron, tensordot, vdot, trace, multi_dot, chain_matmul, vecdot, cross,
linalg.diagonal, vander, block_diag, cartesian_prod, combinations."""

from __future__ import annotations

import itertools
import math

from ..._tensor import Tensor
from ...backend import np
from .._core import register
from .._samples import T
from ._common import const, named
from .matmul import bmm, dot, matmul, mm, mv, outer


def _scaled_sum(input: Tensor, prod: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * prod, with input ignored (nan included) where beta is 0, as torch does
    (for integer tensors the scalars are truncated to integers first)."""
    if prod._data.dtype.kind in "iu":
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        if np.all(np.isfinite(input._data)):
            return prod + input * 0
        return prod + const(np.zeros(input._data.shape, prod._data.dtype))
    return prod + (input * beta if beta != 1 else input)


def _check_broadcast(input: Tensor, shape: tuple, name: str):
    try:
        if np.broadcast_shapes(input._data.shape, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1] if shape else 0}) must match the existing "
                           f"size ({input._data.shape[-1] if input._data.ndim else 0}) at non-singleton dimension "
                           f"{len(shape) - 1}.  Target sizes: {list(shape)}.  Tensor sizes: "
                           f"{list(input._data.shape)}") from None


@register(inplace="addmv_", samples=[(T(3), T(3, 4), T(4)), (T(1), T(3, 4), T(4), {"beta": 0.5, "alpha": 2})])
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``"""
    prod = mv(mat, vec)
    _check_broadcast(input, prod._data.shape, "addmv")
    return named(_scaled_sum(input, prod, beta, alpha), "AddmvBackward0")


@register(inplace="addr_", samples=[(T(3, 4), T(3), T(4)), (T(4), T(3), T(4), {"beta": 2, "alpha": 0.5})])
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``"""
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec{1 if vec1._data.ndim != 1 else 2}, but got "
                           f"{(vec1 if vec1._data.ndim != 1 else vec2)._data.ndim}-D")
    prod = outer(vec1, vec2)
    _check_broadcast(input, prod._data.shape, "addr")
    return named(_scaled_sum(input, prod, beta, alpha), "AddrBackward0")


@register(inplace="addbmm_", samples=[(T(3, 4), T(2, 3, 5), T(2, 5, 4)), (T(4), T(2, 3, 5), T(2, 5, 4))])
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``"""
    prod = bmm(batch1, batch2).sum(0)
    _check_broadcast(input, prod._data.shape, "addbmm")
    return named(_scaled_sum(input, prod, beta, alpha), "AddbmmBackward0")


@register(inplace="baddbmm_", samples=[(T(2, 3, 4), T(2, 3, 5), T(2, 5, 4)), (T(4), T(2, 3, 5), T(2, 5, 4))])
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    prod = bmm(batch1, batch2)
    _check_broadcast(input, prod._data.shape, "baddbmm")
    return named(_scaled_sum(input, prod, beta, alpha), "BaddbmmBackward0")


@register(samples=[(T(2, 3), T(4, 3)), (T(3), T(3)), (T(), T(2, 3)), (T(2, 3, 4), T(4))])
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sums of products over the last dims: shape input.shape[:-1] + other.shape[:-1]."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    a, b = input._data.shape, other._data.shape
    if a[-1] != b[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes {list(a)} "
                           f"and {list(b)}")
    return tensordot(input, other, ([-1], [-1]))


@register(samples=[(T(2, 3), T(3, 2)), (T(2), T(3, 2)), (T(2, 1, 2), T(2, 2))])
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block (i, j, ...) is input[i, j, ...] * other."""
    n = max(input._data.ndim, other._data.ndim)
    a = input.reshape((1,) * (n - input._data.ndim) + input._data.shape)
    b = other.reshape((1,) * (n - other._data.ndim) + other._data.shape)
    sa, sb = a._data.shape, b._data.shape
    a = a.reshape(tuple(itertools.chain.from_iterable((s, 1) for s in sa)))
    b = b.reshape(tuple(itertools.chain.from_iterable((1, s) for s in sb)))
    return named((a * b).reshape(tuple(x * y for x, y in zip(sa, sb))), "UnsafeViewBackward0")


@register(method=False, samples=[(T(2, 3, 4), T(3, 4, 5)), (T(2, 3), T(3, 2), 1), (T(3, 4), T(4, 3), ([0, 1], [1, 0])),
                                 (T(2, 3), T(4), 0)])
def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``dims`` (the last n of a with the first n of b, or the listed pairs of dims)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    da = [d % na if na else d for d in da]
    db = [d % nb if nb else d for d in db]
    for x, y in zip(da, db):
        sx, sy = a._data.shape[x], b._data.shape[y]
        if sx != sy and 1 in (sx, sy):  # a size-1 dim against a longer one: the longer one summed first
            if sx == 1:
                b = b.sum(y, keepdim=True)
            else:
                a = a.sum(x, keepdim=True)
        elif sx != sy:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sx} in dim {x - na if x >= 0 else x} "
                               f"and second has size {sy} in dim {y}")
    ra = [d for d in range(na) if d not in da]
    rb = [d for d in range(nb) if d not in db]
    k = math.prod(a._data.shape[d] for d in da)
    A = a.permute(*ra, *da).reshape(math.prod(a._data.shape[d] for d in ra), k)
    B = b.permute(*db, *rb).reshape(k, math.prod(b._data.shape[d] for d in rb))
    return mm(A, B).reshape(tuple(a._data.shape[d] for d in ra) + tuple(b._data.shape[d] for d in rb))


@register(samples=[(T(3), T(3))])
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-d tensors, the first conjugated."""
    if input._data.dtype.kind == "c":
        input = input.conj()
    return named(dot(input, other), "VdotBackward0")


@register(samples=[(T(3, 3),), (T(2, 4),), (T(4, 2),)])
def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return named(input.diagonal().sum(), "TraceBackward0")


@register("linalg.multi_dot", samples=[([T(2, 3), T(3, 4), T(4, 2)],), ([T(3), T(3, 4), T(4)],), ([T(3), T(3)],)])
def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (the first and last may be vectors), in the cheapest order."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    for i, t in enumerate(tensors):
        want = (1, 2) if i in (0, n - 1) else (2,)
        if t._data.ndim not in want:
            where = "first" if i == 0 else "last" if i == n - 1 else None
            if where:
                raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got {t._data.ndim}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    mats = list(tensors)
    if first == 1:
        mats[0] = mats[0].unsqueeze(0)
    if last == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(n - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            a, b = mats[i]._data.shape, mats[i + 1]._data.shape
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied" if a or b else "")
    out = _chain(mats, _order([m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]), 0, n - 1)
    if first == 1 and last == 1:
        return out.reshape(())
    if first == 1:
        return out.squeeze(0)
    if last == 1:
        return out.squeeze(-1)
    return named(out, "ViewBackward0")


def _order(p):
    """The split points of the cheapest parenthesization of a chain with dims p (dynamic programming)."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return mm(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


@register(method=False, samples=[(T(2, 3), T(3, 4), T(4, 2))])
def chain_matmul(*matrices) -> Tensor:
    """torch.chain_matmul (deprecated): the product of 2-d matrices, see linalg.multi_dot."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


@register("linalg.vecdot", samples=[(T(3, 4), T(3, 4)), (T(2, 3), T(3), {"dim": -1}), (T(3, 2), T(3, 2), {"dim": 0})])
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot products of the vectors along ``dim`` (x conjugated), batches broadcast."""
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype} and y of type {y.dtype} instead")
    if x._data.dtype.kind == "c":
        x = x.conj()
    return (x * y).sum(dim)


def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    from ..shape import stack

    a, b = input, other
    if a._data.shape != b._data.shape:
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
        a, b = a.expand(shape), b.expand(shape)
    a0, a1, a2 = a.unbind(dim)
    b0, b1, b2 = b.unbind(dim)
    return named(stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim), "LinalgCrossBackward0")


@register("linalg.cross", samples=[(T(3), T(3)), (T(2, 3), T(2, 3)), (T(3, 2), T(3, 1), {"dim": 0})])
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross products of the 3-vectors along ``dim``, batches broadcast."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got "
                           f"{input._data.ndim} and {other._data.ndim}")
    nd = input._data.ndim
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    sa, sb = input._data.shape[dim], other._data.shape[dim]
    if sa != 3 or sb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {sa} and {sb}")
    return _cross(input, other, dim)


@register(samples=[(T(3), T(3)), (T(2, 3), T(2, 3)), (T(3, 3), T(3, 3), 0)])
def cross(input: Tensor, other: Tensor, dim=None) -> Tensor:
    """torch.cross: along ``dim``, or (deprecated) the first dim of size 3."""
    if dim is None:
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


@register("linalg.diagonal", samples=[(T(3, 4),), (T(2, 3, 3), {"offset": 1}), (T(3, 2, 4), {"dim1": 0, "dim2": 2})])
def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices A (a view); see Tensor.diagonal."""
    return A.diagonal(offset, dim1, dim2)


@register("linalg.vander", samples=[(T(4),), (T(2, 3), {"N": 4})])
def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix: column j holds x ** j, j < N (x's length by default)."""
    if x._data.ndim == 0:
        x = x.reshape(1)
    n = x._data.shape[-1] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        return const(np.zeros(x._data.shape + (0,), x._data.dtype if x._data.dtype.kind in "fc" else np.int64))
    if x._data.dtype.kind in "biu":
        x = x.long()
    from ..shape import cat

    # x^j as a running product (as a cumulative product computes it)
    cols = [const(np.ones(x._data.shape, x._data.dtype))]
    for _ in range(n - 1):
        cols.append(x if len(cols) == 1 else cols[-1] * x)
    return cat([c.unsqueeze(-1) for c in cols], -1)


@register(method=False, samples=[(T(2, 2), T(3)), (T(), T(2, 3)), (T(1, 2),)])
def block_diag(*tensors) -> Tensor:
    """The tensors (0-d, 1-d as a row, or 2-d) placed along the diagonal of a zero matrix."""
    from ..._dtype import result_np_dtype
    from ..shape import cat

    mats = []
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t._data.ndim < 2 else t)
    if not mats:
        return const(np.zeros((1, 0), np.float32))
    dtype = result_np_dtype(tuple(tensors)) if len(tensors) > 1 else mats[0]._data.dtype
    rows = sum(m._data.shape[0] for m in mats)
    cols = sum(m._data.shape[1] for m in mats)
    out, left = [], 0
    for m in mats:
        r, c = m._data.shape
        if m._data.dtype != dtype:
            m = m.to(_dtype_of(dtype))
        if r == 0:
            left += c
            continue
        parts = [const(np.zeros((r, left), dtype)), m, const(np.zeros((r, cols - left - c), dtype))]
        out.append(cat(parts, 1))
        left += c
    if not out:
        return const(np.zeros((rows, cols), dtype))
    return named(cat(out, 0), "BlockDiagBackward0")


def _dtype_of(np_dtype):
    from ..._dtype import from_np

    return from_np(np.dtype(np_dtype))


@register(method=False, samples=[(T(3), T(2)), (T(3),), (T(2), T(2), T(3))])
def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (itertools.product order)."""
    from ..shape import stack

    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    sizes = tuple(t._data.shape[0] for t in tensors)
    n = len(tensors)
    cols = []
    for i, t in enumerate(tensors):
        view = (1,) * i + (sizes[i],) + (1,) * (n - i - 1)
        cols.append(t.reshape(view).expand(sizes).reshape(-1))
    return stack(cols, 1)


@register(method=False, samples=[(T(4),), (T(4), 3), (T(3), 2, True), (T(3), 0)])
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-d tensor's elements (with repeats: ``with_replacement``), as rows."""
    from ..shape import stack

    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return const(np.zeros((0,), input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input._data.shape[0]), r)), np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return input[const(np.zeros((0,), np.int64))].reshape(0, r) if input._data.size else \
            const(np.zeros((0, r), input._data.dtype))
    return stack([input[const(idx[:, j])] for j in range(r)], 1)


__all__ = ["addmv", "addr", "addbmm", "baddbmm", "inner", "kron", "tensordot", "vdot", "trace", "multi_dot",
           "chain_matmul", "vecdot", "cross", "linalg_cross", "linalg_diagonal", "vander", "block_diag",
           "cartesian_prod", "combinations", "matmul"]
