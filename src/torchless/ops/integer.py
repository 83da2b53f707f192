"""Integer arithmetic and index bookkeeping: gcd, lcm, bincount, tril/triu_indices, unravel_index.

None of these has a derivative: their operands are integers (bincount's weights aside, whose
node torch records but cannot differentiate).
"""

from __future__ import annotations

import itertools
import operator

from .. import _creation
from .._dtype import int64, result_np_dtype
from .._tensor import Tensor, _wrap
from ..backend import np
from ._core import Op, binary, nary, register
from ._samples import I
from .pointwise import not_implemented_for, not_implemented_node, require_tensor


# ---- gcd, lcm ------------------------------------------------------------------------------------
def _widened(x, y):
    """The operands as torch's C++ computes with them: types narrower than 32 bits promote to int."""
    dt = np.result_type(x, y)
    if dt.itemsize < 4:
        return np.asarray(x, np.int32), np.asarray(y, np.int32), dt
    return np.asarray(x, dt), np.asarray(y, dt), dt


def _euclid(a, b):
    """gcd(|a|, |b|) by Euclid's algorithm, elementwise (|INT_MIN| stays negative, as in C)."""
    a, b = np.broadcast_arrays(np.abs(a), np.abs(b))
    a, b = a.copy(), b.copy()
    live = a != 0
    while live.any():
        r = np.zeros_like(b)
        np.fmod(b, a, out=r, where=live)  # (C's remainder: the sign of the dividend)
        b = np.where(live, a, b)
        a = np.where(live, r, a)
        live = a != 0
    return b


def _gcd(x, y):
    x, y, dt = _widened(x, y)
    return _euclid(x, y).astype(dt)


def _lcm(x, y):
    """``|x / gcd * y|``, wrapping around on overflow as torch's integers do (0 when gcd is 0)."""
    x, y, dt = _widened(x, y)
    g = _euclid(x, y)
    safe = np.where(g == 0, 1, g).astype(g.dtype)
    with np.errstate(over="ignore"):
        out = np.abs((x // safe) * y)
    return np.where(g == 0, 0, out).astype(dt)


class _IntegerNode(Op):
    """An op of integer tensors: nothing requires grad, so nothing is ever recorded."""

    saves_operands = False

    def backward(self, g):  # pragma: no cover - integer tensors cannot require grad
        raise RuntimeError(f"the derivative for '{self.op_name}' is not implemented.")


GcdBackward0 = type("GcdBackward0", (_IntegerNode,), {"__slots__": (), "forward": staticmethod(_gcd),
                                                      "op_name": "gcd"})
LcmBackward0 = type("LcmBackward0", (_IntegerNode,), {"__slots__": (), "forward": staticmethod(_lcm),
                                                      "op_name": "lcm"})


def _integer_binary(node, name: str, input, other) -> Tensor:
    require_tensor(name, "input", 1, input)
    require_tensor(name, "other", 2, other)
    rd = result_np_dtype((input, other))
    if rd.kind not in "iu":
        raise not_implemented_for(f"{name}_cpu", rd)
    return binary(node, input, other)


@register(inplace="gcd_", differentiable=False, samples=[(I([4, -6, 0, 9]), I([6, 4, 5, -6])), (I([[2], [3]]), I([4, 9]))])
def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor, elementwise (non-negative; gcd(0, 0) = 0).

    >>> import torchless as torch
    >>> torch.gcd(torch.tensor([4, -6, 0]), torch.tensor([6, 4, 5]))
    tensor([2, 2, 5])
    """
    return _integer_binary(GcdBackward0, "gcd", input, other)


@register(inplace="lcm_", differentiable=False, samples=[(I([4, -6, 0, 9]), I([6, 4, 5, -6])), (I([[2], [3]]), I([4, 9]))])
def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple, elementwise (non-negative; 0 when either is 0).

    >>> import torchless as torch
    >>> torch.lcm(torch.tensor([4, -6, 0]), torch.tensor([6, 4, 5]))
    tensor([12, 12,  0])
    """
    return _integer_binary(LcmBackward0, "lcm", input, other)


# ---- bincount ------------------------------------------------------------------------------------
def _bincount(x, w, minlength):
    x = x.astype(np.intp, copy=False)
    size = max(int(x.max()) + 1 if x.size else 0, minlength)
    if w is None:
        return np.bincount(x, minlength=size).astype(np.int64)
    if w.dtype == np.float32:  # torch adds float32 weights in float32, one after another
        out = np.zeros(size, np.float32)
        np.add.at(out, x, w)
        return out
    if w.dtype.kind == "c":
        w = w.real
    return np.bincount(x, weights=w.astype(np.float64), minlength=size)


BincountNode = not_implemented_node("_bincount", _bincount)


@register(differentiable=False, samples=[(I([0, 1, 1, 3]),), (I([0, 1, 1, 3]), None, 6)])
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ..., max(input) occurs in a 1-d tensor of non-negative integers
    (at least ``minlength`` bins); with ``weights``, the sum of the weights of each value (float32
    weights give float32 sums, any others float64).

    >>> import torchless as torch
    >>> torch.bincount(torch.tensor([0, 1, 1, 3]))
    tensor([1, 2, 0, 1])
    """
    x = input._data
    if x.dtype.kind not in "iu":
        raise not_implemented_for("bincount_cpu", x.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if weights is None:
        return _wrap(_bincount(x, None, minlength), None)
    return nary(BincountNode, (input, weights), minlength)


# ---- tril_indices, triu_indices -------------------------------------------------------------------
def _triangle_indices(name: str, row, col, offset, dtype, lower: bool) -> Tensor:
    for arg, v, pos in (("row", row, 1), ("col", col, 2), ("offset", offset, 3)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not {type(v).__name__}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    d = np.dtype((dtype or int64).np)
    if d.name not in ("int32", "int64"):
        raise not_implemented_for(name, d)
    r, c = np.indices((row, col)).reshape(2, -1)
    keep = (c - r <= offset) if lower else (c - r >= offset)
    return _wrap(np.stack([r[keep], c[keep]]).astype(d), None)


@register(method=False, differentiable=False, samples=[(3, 3), (3, 4, 1), (4, 3, -1)])
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row`` x ``col`` matrix, on and below
    diagonal ``offset``, as a 2 x N tensor ordered by row, then column.

    >>> import torchless as torch
    >>> torch.tril_indices(3, 3)
    tensor([[0, 1, 1, 2, 2, 2],
            [0, 0, 1, 0, 1, 2]])
    """
    _no_grad_for_integers(requires_grad)
    return _triangle_indices("tril_indices", row, col, offset, dtype, True)


@register(method=False, differentiable=False, samples=[(3, 3), (3, 4, 1), (4, 3, -1)])
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, column) indices of the upper triangle of a ``row`` x ``col`` matrix, on and above
    diagonal ``offset``, as a 2 x N tensor ordered by row, then column.

    >>> import torchless as torch
    >>> torch.triu_indices(3, 3)
    tensor([[0, 0, 0, 1, 1, 2],
            [0, 1, 2, 1, 2, 2]])
    """
    _no_grad_for_integers(requires_grad)
    return _triangle_indices("triu_indices", row, col, offset, dtype, False)


def _no_grad_for_integers(requires_grad: bool) -> None:
    if requires_grad:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


# ---- unravel_index -------------------------------------------------------------------------------
@register(method=False, differentiable=False, samples=[(I([4, 1, 5]), (2, 3)), (I([[7, 0]]), (2, 2, 2))])
def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates, one tensor per dimension of ``shape``, of flat indices into a tensor of
    that shape (indices out of range wrap around, as torch's floor division and remainder do).

    >>> import torchless as torch
    >>> torch.unravel_index(torch.tensor([4, 1]), (2, 3))
    (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, Tensor):
        # (torch's own error: it asks the number for a tensor's attribute)
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")  # noqa: TRY004
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    elif isinstance(shape, (tuple, list)):
        for dim in shape:
            if not isinstance(dim, int):
                raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(dim)}")
        shape = tuple(shape)
    else:
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    if any(dim < 0 for dim in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    # the stride of each dimension: the product of the sizes after it
    strides = list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))[::-1]
    coefs = _creation.tensor(strides, dtype=int64)
    sizes = _creation.tensor(list(shape), dtype=int64)
    coords = indices.unsqueeze(-1).floor_divide(coefs) % sizes
    return coords.unbind(-1)


__all__ = ["gcd", "lcm", "bincount", "tril_indices", "triu_indices", "unravel_index"]
