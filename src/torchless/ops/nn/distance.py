"""nn.functional distance ops (registered as "nn.functional.<name>"; see ops/_core.py): plain
functions of torchless ops, so their derivatives come from the ops they are made of."""

from __future__ import annotations

from ..._tensor import Tensor, _wrap, _wrap_dim
from ...backend import np
from .._core import register, unary
from ..linalg.norms import norm
from ..reduction import LinalgVectorNormBackward0, dims_of
from ..shape import broadcast_tensors


# the vector norm under the grad_fn names torch gives these distances
class NormBackward1(LinalgVectorNormBackward0):
    __slots__ = ()


class PdistBackward0(LinalgVectorNormBackward0):
    __slots__ = ()


class CdistBackward0(LinalgVectorNormBackward0):
    __slots__ = ()


def _norm(cls, x: Tensor, p, dim: int, keepdim: bool = False) -> Tensor:
    if x._data.size == 0:  # (norm's own checks for empty inputs)
        return norm(x, p, dim, keepdim)
    return unary(cls, x, float(p), dims_of(dim, x._data.ndim), keepdim)


@register("nn.functional.pairwise_distance")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` over the last dim."""
    nd = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    if nd == 0:
        return diff.abs() if p != 0 else (diff != 0).to(diff.dtype)
    return _norm(NormBackward1, diff, p, nd - 1, keepdim)


register("pairwise_distance", method=False)(pairwise_distance)


@register("nn.functional.cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps))`` along ``dim``."""
    x1, x2 = broadcast_tensors(x1, x2)
    nd = x1.ndim
    d = _wrap_dim(dim, nd) if nd else 0
    if nd == 0:
        x1, x2 = x1.reshape(1), x2.reshape(1)
    n1 = norm(x1, 2, d, True)
    n2 = norm(x2, 2, d, True)
    # the norms are clamped at eps without the clamp being recorded (the gradient passes as is)
    n1 = n1 + _wrap(np.maximum(n1._data, eps) - n1._data, None)
    n2 = n2 + _wrap(np.maximum(n2._data, eps) - n2._data, None)
    return ((x1 / n1) * (x2 / n2)).sum(d)


register("cosine_similarity", method=False)(cosine_similarity)


@register("nn.functional.pdist")
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between the rows of ``input``, for each pair i < j, row-major."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    if i.size == 0:
        return (input.sum(1)[:0] * 0)
    rows_i = input.index_select(0, _wrap(i.astype(np.int64), None))
    rows_j = input.index_select(0, _wrap(j.astype(np.int64), None))
    return _norm(PdistBackward0, rows_i - rows_j, p, 1)


register("pdist", method=False)(pdist)


@register("cdist", method=False)
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (batched over leading dims)."""
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if diff.shape[-1] == 0:
        return diff.sum(-1) * 0
    return _norm(CdistBackward0, diff, p, -1)
