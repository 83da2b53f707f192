"""Matrix products: mm, bmm, mv, dot, outer, addmm, matmul (@), einsum."""

from __future__ import annotations

from ..._tensor import Tensor
from ...backend import np
from .._core import Op, binary, conj_saved, nary, register, sum_to
from .._samples import T


def _blas_ready(a):
    # NumPy's matmul falls back to a slow loop for arrays BLAS cannot take (e.g. broadcast views);
    # a batch dimension that only repeats one matrix (stride 0: an expand) is kept once, and
    # matmul's own broadcasting repeats it without a copy
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return a
    if a.ndim > 2 and 0 in a.strides[:-2]:
        a = a[tuple(slice(0, 1) if s == 0 else slice(None) for s in a.strides[:-2])]
    return np.ascontiguousarray(a)


def _matmul(a, b):
    if a.ndim > 2 and b.ndim > 2 and a.shape[-1] == 1:  # batches of outer products: faster broadcast
        return a * b
    out = np.matmul(_blas_ready(a), _blas_ready(b))
    if out.ndim > 2 and (a.ndim > 2 or b.ndim > 2):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        if out.shape[:-2] != batch:  # (both operands repeated the same matrices)
            out = np.ascontiguousarray(np.broadcast_to(out, batch + out.shape[-2:]))
    return out


class MmBackward0(Op):
    """mm: d/dA = g B^T, d/dB = A^T g"""

    forward = staticmethod(_matmul)
    save_when = ((1,), (0,))

    def backward(self, g):
        a, b = self.saved
        if g._data.dtype.kind == "c":  # complex: the conjugate transposes
            a, b = conj_saved(a), conj_saved(b)
        return (g.mm(b.t()) if self.needs(0) else None, a.t().mm(g) if self.needs(1) else None)


class BmmBackward0(Op):
    """bmm: d/dA = g B^T, d/dB = A^T g (per batch)"""

    forward = staticmethod(_matmul)
    save_when = ((1,), (0,))

    def backward(self, g):
        a, b = self.saved
        if g._data.dtype.kind == "c":
            a, b = conj_saved(a), conj_saved(b)
        return (g.bmm(b.mT) if self.needs(0) else None, a.mT.bmm(g) if self.needs(1) else None)


class MvBackward0(Op):
    """mv: d/dA = g v^T, d/dv = A^T g"""

    forward = staticmethod(_matmul)
    save_when = ((1,), (0,))

    def backward(self, g):
        a, v = self.saved
        if g._data.dtype.kind == "c":
            a, v = conj_saved(a), conj_saved(v)
        return (g.outer(v) if self.needs(0) else None, a.t().mv(g) if self.needs(1) else None)


class DotBackward0(Op):
    """dot: d/dx = g y, d/dy = g x"""

    forward = staticmethod(np.dot)
    save_when = ((1,), (0,))

    def backward(self, g):
        x, y = self.saved
        if g._data.dtype.kind == "c":
            x, y = conj_saved(x), conj_saved(y)
        return (g * y if self.needs(0) else None, g * x if self.needs(1) else None)


class MatmulBackward0(Op):
    """batched matmul with broadcasting: d/dA = g B^T, d/dB = A^T g, summed over broadcast batches"""

    forward = staticmethod(_matmul)
    save_when = ((1,), (0,))

    def backward(self, g):
        a, b = self.saved
        sa, sb = self.shapes
        if g._data.dtype.kind == "c":
            a, b = conj_saved(a), conj_saved(b)
        ga = sum_to(g.matmul(b.mT), sa) if self.needs(0) else None
        gb = sum_to(a.mT.matmul(g), sb) if self.needs(1) else None
        return ga, gb


def _check_float(x, y):
    if x._data.dtype is not y._data.dtype and x._data.dtype != y._data.dtype:
        a, b = x.dtype.name.capitalize(), y.dtype.name.capitalize()
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a} != {b}")


def _dims(name, t, n):
    if t._data.ndim != n:
        raise RuntimeError(f"{name}: Expected {n}-D tensor{'s' if n > 1 else ''}, got {t._data.ndim}-D tensor")


@register(samples=[(T(3, 4), T(4, 2))])
def mm(input, mat2) -> Tensor:
    """Matrix product of two 2-d tensors.

    >>> import torchless as torch
    >>> torch.ones(2, 3).mm(torch.ones(3, 1))
    tensor([[3.],
            [3.]])
    """
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"{'self' if input._data.ndim != 2 else 'mat2'} must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input._data.shape[0]}x{input._data.shape[1]} and "
            f"{mat2._data.shape[0]}x{mat2._data.shape[1]})"
        )
    _check_float(input, mat2)
    return binary(MmBackward0, input, mat2)


@register(samples=[(T(2, 3, 4), T(2, 4, 2))])
def bmm(input, mat2) -> Tensor:
    """Batched matrix product of two 3-d tensors."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input._data.ndim != 3 else "batch2 must be a 3D tensor")
    a, b = input._data.shape, mat2._data.shape
    if a[0] != b[0] or a[2] != b[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but got: [{b[0]}, {b[1]}].")
    _check_float(input, mat2)
    return binary(BmmBackward0, input, mat2)


@register(samples=[(T(3, 4), T(4))])
def mv(input, vec) -> Tensor:
    """Matrix-vector product."""
    if input._data.ndim != 2 or vec._data.ndim != 1 or input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input._data.shape[0] if input._data.ndim else 0}), mat "
            f"({'x'.join(map(str, input._data.shape))}), vec ({vec._data.shape[0] if vec._data.ndim else 0})"
        )
    _check_float(input, vec)
    return binary(MvBackward0, input, vec)


@register(samples=[(T(4), T(4))])
def dot(input, other) -> Tensor:
    """Inner product of two 1-d tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors"
        )
    if input._data.shape != other._data.shape:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src [{other._data.shape[0]}] "
            f"to have the same number of elements, but got {input._data.shape[0]} and {other._data.shape[0]} "
            "elements respectively"
        )
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {input.dtype.name.capitalize()} and "
            f"{other.dtype.name.capitalize()}"
        )
    return binary(DotBackward0, input, other)


@register(samples=[(T(3), T(4))])
def outer(input, vec2) -> Tensor:
    """Outer product of two 1-d tensors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = register("ger", samples=[(T(3), T(4))])(outer)


@register(samples=[(T(3, 4), T(4, 2)), (T(4), T(4)), (T(3, 4), T(4)), (T(4), T(4, 2)), (T(2, 3, 4), T(4, 2)),
                  (T(4), T(2, 4, 3)), (T(2, 1, 3, 4), T(3, 4, 2)), (T(2, 3, 4), T(4))])
def matmul(input, other) -> Tensor:
    """Matrix product with NumPy/torch broadcasting rules for 1-d and batched operands."""
    na, nb = input._data.ndim, other._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other)
    if na == 2 and nb == 1:
        return mv(input, other)
    if na == 1 and nb == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    if na == 2 and nb == 2:
        return mm(input, other)
    if na == 1:
        return matmul(input.unsqueeze(0), other).squeeze(-2)
    if nb == 1:
        return matmul(input, other.unsqueeze(-1)).squeeze(-1)
    if input._data.shape[-1] != other._data.shape[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{other._data.shape[0]}, "
            f"{input._data.shape[-1]}] but got: [{other._data.shape[0]}, {other._data.shape[-2]}]."
        )
    _check_float(input, other)
    return binary(MatmulBackward0, input, other)


class AddmmBackward0(Op):
    """addmm: beta*M + alpha*(A @ B); d/dM = beta g, d/dA = alpha g B^T, d/dB = alpha A^T g"""

    save_when = ((), (2,), (1,))

    @staticmethod
    def forward(m, a, b, beta, alpha, b_transposed):
        prod = _matmul(a, b)
        if alpha != 1:
            prod = prod * alpha
        return prod + m * beta if beta != 1 else prod + m

    def backward(self, g):
        _, a, b = self.saved
        beta, alpha, b_transposed = self._params
        gm = sum_to(g * beta if beta != 1 else g, self.shapes[0]) if self.needs(0) else None
        ga = g.mm(b.t()) * alpha if self.needs(1) else None
        gb = None
        if self.needs(2):
            # (for linear's weight.t(), the same numbers laid out as the weight is: the gradient
            # that reaches the weight is then contiguous, with no transposing copy)
            gb = (g.t().mm(a).t() if b_transposed else a.t().mm(g)) * alpha
        return gm, ga, gb


@register(inplace="addmm_", samples=[(T(4), T(3, 2), T(2, 4)), (T(3, 4), T(3, 2), T(2, 4))])
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``"""
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError("mat1 must be a matrix" if mat1._data.ndim != 2 else "mat2 must be a matrix")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({mat1._data.shape[0]}x{mat1._data.shape[1]} and "
            f"{mat2._data.shape[0]}x{mat2._data.shape[1]})"
        )
    flags = mat2._data.flags
    return nary(AddmmBackward0, (input, mat1, mat2), beta, alpha, flags.f_contiguous and not flags.c_contiguous)


def _matmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


Tensor.__matmul__ = _matmul_op
Tensor.__rmatmul__ = _rmatmul_op


# ---- einsum -----------------------------------------------------------------------------------
class EinsumBackward0(Op):
    """einsum: each operand's gradient is an einsum of g with the other operands"""

    saves_operands = True

    @staticmethod
    def forward(*args):
        *arrays, spec = args
        return np.einsum(spec, *arrays, optimize=len(arrays) > 2)

    def backward(self, g):
        ops = self.saved
        (spec,) = self._params
        ins, out = spec.split("->")
        subs = ins.split(",")
        grads = []
        for i, s in enumerate(subs):
            if not self.needs(i):
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_subs = [t for j, t in enumerate(subs) if j != i]
            present = set(out).union(*other_subs) if other_subs else set(out)
            kept = "".join(dict.fromkeys(c for c in s if c in present))
            gi = einsum(f"{','.join([out] + other_subs)}->{kept}", g, *others)
            if kept != s:  # letters summed out of this operand alone: broadcast back over them
                shape = ops[i]._data.shape
                view = tuple(n if c in kept else 1 for c, n in zip(s, shape))
                gi = gi.reshape(view).expand(shape)
            grads.append(gi)
        return tuple(grads)


@register(method=False, samples=[("ij,jk->ik", T(3, 4), T(4, 2)), ("i,i->", T(3), T(3)), ("ij->ji", T(2, 3)),
                                 ("bij,bjk->bik", T(2, 3, 4), T(2, 4, 2)), ("ij,kj", T(2, 3), T(4, 3)),
                                 ("ij,j,k->ik", T(2, 3), T(3), T(2)), ("ij->", T(2, 3)),
                                 ("ij,ij->i", [T(2, 3), T(2, 3)])])
def einsum(equation, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)`` (with ``...``, diagonals such as
    ``"ii->i"`` and size-1 dims broadcast)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise _einsum_error(eq if arrow else eq + "->", operands)
    subs, rhs, operands = _expand_ellipsis(subs, rhs if arrow else None, list(operands))
    for i, (s, t) in enumerate(zip(subs, operands)):
        if len(s) != t._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({t._data.ndim}) for operand {i} and no ellipsis was given")
    for c in rhs:
        if rhs.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    # a letter repeated within an operand: its diagonal
    for i, s in enumerate(subs):
        while len(set(s)) != len(s):
            c = next(c for c in s if s.count(c) > 1)
            p, q = s.index(c), s.index(c, s.index(c) + 1)
            t = operands[i]
            if t._data.shape[p] != t._data.shape[q]:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, "
                                   f"{t._data.shape[p]} != {t._data.shape[q]}")
            operands[i] = t.diagonal(0, p, q)
            s = s[:p] + s[p + 1:q] + s[q + 1:] + c
        subs[i] = s
    # size-1 dims broadcast against the others of their letter
    sizes = {}
    for i, (s, t) in enumerate(zip(subs, operands)):
        for c, n in zip(s, t._data.shape):
            seen = sizes.setdefault(c, n)
            if n != seen:
                if 1 not in (n, seen):
                    raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                                       f"subscript {c} has size {n} for operand {i} which does not broadcast with "
                                       f"previously seen size {seen}")
                sizes[c] = max(n, seen)
    for i, (s, t) in enumerate(zip(subs, operands)):
        want = tuple(sizes[c] for c in s)
        if t._data.shape != want:
            operands[i] = t.expand(want)
    for c in rhs:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
    eq = ",".join(subs) + "->" + rhs
    if len(operands) == 1 and operands[0]._data.dtype.kind in "biu" and len(rhs) < len(subs[0]):
        operands = [operands[0].long()]  # a sum: integers and bools are summed in int64, as by torch.sum
    return nary(EinsumBackward0, tuple(operands), eq)


def _expand_ellipsis(subs, rhs, operands):
    """The subscripts with each ``...`` spelled out in letters of its own (right-aligned, shared by
    all operands), and the output's (implicit: the ellipsis dims, then the letters seen once, sorted)."""
    import string

    used = set("".join(subs) + (rhs or ""))
    spare = [c for c in string.ascii_letters if c not in used]
    n_ell = 0
    for s, t in zip(subs, operands):
        if "..." in s:
            n_ell = max(n_ell, t._data.ndim - (len(s) - 3))
    ell = "".join(spare[:n_ell])
    out = []
    for s, t in zip(subs, operands):
        if "..." in s:
            k = t._data.ndim - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k > 0 else "")
        out.append(s)
    if rhs is None:
        letters = "".join(s.replace("...", "") for s in subs)
        rhs = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return out, rhs, operands


def _einsum_error(eq, operands):
    ins, out = eq.split("->")
    subs = ins.split(",")
    if len(operands) != len(subs):
        return RuntimeError(f"einsum(): {'more' if len(operands) > len(subs) else 'fewer'} operands were provided "
                            "than specified in the equation")
    sizes = {}
    for i, (s, t) in enumerate(zip(subs, operands)):
        shape = t._data.shape
        if len(s) != len(shape):
            return RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                                f"number of dimensions ({len(shape)}) for operand {i} and no ellipsis was given")
        for c, n in zip(s, shape):
            seen = sizes.setdefault(c, n)
            if n != seen and 1 not in (n, seen):
                return RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                    f"with previously seen size {seen}")
    for c in out:
        if c not in sizes:
            return RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
    return RuntimeError(f"einsum(): the operands do not fit the equation {eq!r}")
