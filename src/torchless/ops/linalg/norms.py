"""Norms and what is measured with them: vector_norm, matrix_norm, linalg.norm, torch.norm,
cond, matrix_rank."""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...backend import np
from .._core import register, unary
from .._samples import T
from ..reduction import LinalgVectorNormBackward0
from ._common import _kind, check_float, check_matrix, const
from .decompositions import eigvalsh, svdvals
from .solvers import _tolerances, inv_ex


def _dims(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = ndim if ndim else 1
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n if ndim else 0)
    return tuple(out)


def _cast(x: Tensor, dtype, name: str) -> Tensor:
    if dtype is None or dtype.np == x._data.dtype:
        return x
    if dtype.np.kind not in "fc" or np.result_type(x._data.dtype, dtype.np) != dtype.np:
        raise RuntimeError(f"{name}: the dtype of the input ({_kind(x)}) should be convertible without narrowing "
                           f"to the specified dtype ({_kind(const(np.zeros(0, dtype.np)))})")
    return x.to(dtype)


@register("linalg.vector_norm", samples=[(T(3, 4),), (T(3, 4), 1, -1), (T(3, 4), math.inf, (0, 1), True),
                                         (T(2, 3, 2), 0.5, 1), (T(3, 4), 0), (T(3), -math.inf)])
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm of x's elements over ``dim`` (all of them by default).

    >>> import torchless as torch
    >>> torch.linalg.vector_norm(torch.tensor([3.0, 4.0]))
    tensor(5.)
    """
    name = "linalg.vector_norm"
    check_float(name, x)
    if isinstance(ord, str):
        raise RuntimeError(f"{name}: ord must be a number, got {ord!r}")  # noqa: TRY004  (as torch raises)
    x = _cast(x, dtype, name)
    p = float(ord)
    dims = _dims(dim, x._data.ndim)
    if p < 0 or p == math.inf:
        shape = x._data.shape
        if x._data.size == 0 and (dim is None or any(shape[d] == 0 for d in dims if shape)):
            where = next((d for d in dims if shape and shape[d] == 0), None)
            if dim is None or where is None:
                raise RuntimeError(f"{name} cannot compute the {ord} norm on an empty tensor because the operation "
                                   "does not have an identity")
            raise RuntimeError(f"{name} cannot compute the {ord} norm on the dimension {where}because this dimension "
                               "is empty and the operation does not have an identity")
    if x._data.ndim == 0:  # (as a 1-element vector)
        out = unary(LinalgVectorNormBackward0, x.reshape(1), p, (0,), keepdim)
        return out.reshape(()) if keepdim else out
    if dim is None and not keepdim and x._data.ndim > 1:
        x = x.reshape(-1)
        dims = (0,)
    return unary(LinalgVectorNormBackward0, x, p, dims, keepdim)


def _matrix_dims(dim, ndim, name):
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dims)}")
    d0, d1 = _dims(dims, ndim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dims[0]}, {dims[1]})")
    return d0, d1


@register("linalg.matrix_norm", samples=[(T(3, 4),), (T(3, 4), "nuc"), (T(2, 3, 3), 2), (T(3, 4), -2),
                                         (T(3, 4), 1), (T(3, 4), -1), (T(3, 4), math.inf), (T(3, 4), -math.inf),
                                         (T(3, 4, 2), "fro", (0, 2), True)])
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims ``dim``: 'fro', 'nuc', 2 / -2 (largest / smallest singular
    value), 1 / -1 (column sums of |A|), inf / -inf (row sums)."""
    name = "linalg.matrix_norm"
    check_float(name, A)
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    A = _cast(A, dtype, name)
    d0, d1 = _matrix_dims(dim, A._data.ndim, name)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{name}: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"{name}: Order {ord:g} not supported.")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            out = out.unsqueeze(-1).unsqueeze(-1).movedim((-2, -1), (d0, d1))
        return out
    # 1 / -1: max / min over columns of the column sums; inf: over rows of the row sums
    if ord in (math.inf, -math.inf):
        d0, d1 = d1, d0
    sums = vector_norm(A, 1, d0, keepdim)
    if not keepdim and d1 > d0:
        d1 -= 1
    return sums.amax(d1, keepdim=keepdim) if ord > 0 else sums.amin(d1, keepdim=keepdim)


@register("linalg.norm", samples=[(T(3, 4),), (T(3, 4), "nuc"), (T(3, 4), 2, 1), (T(2, 3, 4), None, (1, 2)),
                                  (T(4),), (T(4), 3), (T(3, 4), -math.inf)])
def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (1-d input or one dim) or a matrix norm (2-d input or two dims)."""
    name = "linalg.norm"
    check_float(name, A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"{name}: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    elif ord is not None:
        if A._data.ndim not in (1, 2):
            raise RuntimeError(f"{name}: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A._data.ndim}D.")
        dims = tuple(range(A._data.ndim))
    else:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"{name}: Order {ord} not supported.")  # noqa: TRY004  (as torch raises)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


@register("norm", samples=[(T(3, 4),), (T(3, 4), "fro"), (T(3, 4), "nuc"), (T(3, 4), 1, 1), (T(3, 4), 3, 0, True),
                           (T(3, 4), float("inf")), (T(3, 4), 2, (0, 1)), (T(3, 4), 1.5, -1), (T(),),
                           (T(2, 3, 4), "nuc", (0, 2)), (T(3, 4), "fro", 1)])
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm (deprecated): the vector p-norm over ``dim`` (all elements by default; 'fro' is the
    2-norm), or the nuclear norm with p='nuc'."""
    if isinstance(p, str):
        if p == "nuc":
            dims = (0, 1) if dim is None else dim
            return matrix_norm(input, "nuc", dims, keepdim, dtype=dtype)
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None:
            dims = (dim,) if isinstance(dim, int) else tuple(dim)
            if len(dims) > 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
        p = 2
    if p is None:
        p = 2
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


@register("linalg.cond", samples=[(T(3, 3),), (T(3, 4),), (T(3, 3), -2)])
def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of A in the ``p`` norm (2 by default: largest / smallest singular value)."""
    check_matrix("linalg.cond", A)
    if p is None or p in (2, -2):
        s = svdvals(A)
        if A._data.size == 0:
            return s.sum(-1)
        big, small = s[..., :1], s[..., -1:]
        return (big / small if p != -2 else small / big).squeeze(-1)
    if p not in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    check_matrix(f"linalg.cond(ord={p})", A, square=True)
    inverse, info = inv_ex(A)
    out = matrix_norm(A, p) * matrix_norm(inverse, p)
    if np.any(info._data):
        from ..elementwise import where

        out = where(info > 0, const(np.inf, out), out)
    return out


@register("linalg.matrix_rank", differentiable=False, samples=[(T(3, 4),), (T(2, 3, 3),)])
def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The number of singular values (eigenvalue magnitudes with ``hermitian``) above
    max(atol, rtol * the largest)."""
    check_matrix("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0
    if hermitian:
        s = np.abs(eigvalsh(A)._data)
    else:
        s = svdvals(A)._data
    m, n = A._data.shape[-2:]
    smax = s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype)
    cut = _tolerances(atol, rtol, smax, A._data.dtype, m, n)
    return const(np.sum(s > np.expand_dims(cut, -1), -1).astype(np.int64))
