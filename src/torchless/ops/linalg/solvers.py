"""Linear systems and matrix functions: inv, solve, solve_triangular, cholesky_solve, lu_solve,
lstsq, pinv, tensorinv, tensorsolve, matrix_power, matrix_exp, ldl_factor/ldl_solve."""

from __future__ import annotations

import math

from ... import return_types
from ..._tensor import Tensor
from ...backend import np
from .._core import Op, nary, register, sum_to, unary
from .._samples import T
from ._common import (
    LinAlgError,
    MultiOp,
    check_float,
    check_matrix,
    check_same_dtype,
    const,
    mH,
    multi,
    named,
)
from .decompositions import _singular, lu_arrays, unpack_lu

_inv_ex = return_types.make("linalg_inv_ex", "inverse info")
_solve_ex = return_types.make("linalg_solve_ex", "result info")
_lstsq = return_types.make("linalg_lstsq", "solution residuals rank singular_values")
_triangular_solve = return_types.make("triangular_solve", "solution cloned_coefficient")
_ldl_factor = return_types.make("linalg_ldl_factor", "LD pivots")
_ldl_factor_ex = return_types.make("linalg_ldl_factor_ex", "LD pivots info")


# ---- inv ---------------------------------------------------------------------------------------
def _inv_arrays(a):
    info = np.zeros(a.shape[:-2], np.int32)
    if a.size == 0:
        return a.copy(), info
    try:  # (NumPy refuses exactly where LAPACK's getrf meets a zero pivot, as torch does)
        return np.linalg.inv(a), info
    except np.linalg.LinAlgError:
        _, _, info = lu_arrays(a)
    out = np.full(a.shape, np.nan, a.dtype)
    ok = info == 0
    if np.any(ok):
        out[ok] = np.linalg.inv(a[ok])
    return out, info


class LinalgInvExBackward0(MultiOp):
    """inv: d/dA = -A^{-H} g A^{-H}"""

    n_outputs = 1

    @staticmethod
    def forward(a):
        return _inv_arrays(a)

    def backward(self, g):
        (inv,) = self.outs
        invH = mH(inv)
        return (-invH.matmul(g).matmul(invH),)


def _inv_error(info, shape):
    _singular("linalg.inv", info, shape, "The diagonal element {} is zero, the inversion could not be completed "
              "because the input matrix is singular.")


@register("linalg.inv_ex", samples=[(T(3, 3),), (T(2, 3, 3),)])
def inv_ex(A: Tensor, *, check_errors: bool = False) -> tuple:
    """(inverse, info): the inverse of the square matrices A; info > 0 for a singular one."""
    check_matrix("linalg.inv", A, square=True)
    inv, info = multi(LinalgInvExBackward0, (A,))
    if check_errors:
        _inv_error(info._data, A._data.shape)
    return _inv_ex(inv, info)


@register("linalg.inv", samples=[(T(3, 3),), (T(2, 3, 3),)])
def inv(A: Tensor) -> Tensor:
    """The inverse of the square matrices A (LinAlgError where one is singular).

    >>> import torchless as torch
    >>> torch.linalg.inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    check_matrix("linalg.inv", A, square=True)
    inv, info = multi(LinalgInvExBackward0, (A,))
    _inv_error(info._data, A._data.shape)
    return inv


@register("inverse", samples=[(T(3, 3),)])
def inverse(input: Tensor) -> Tensor:
    """torch.inverse: see linalg.inv."""
    return inv(input)


# ---- solve -------------------------------------------------------------------------------------
def is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """torch's rule: B is a (batch of) vector(s) when 1-d, or when its shape is A's without the last dim."""
    nb = B._data.ndim
    return nb == 1 or (nb == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])


def _solve_arrays(a, b, left):
    """X with AX = B (XA = B unless left), batches broadcast; info as getrf's."""
    if not left:
        x, info = _solve_arrays(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), True)
        return np.swapaxes(x, -1, -2), info
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    if a.size == 0 or b.size == 0:
        return np.zeros(batch + b.shape[-2:], np.result_type(a, b)), np.zeros(batch, np.int32)
    try:
        return np.linalg.solve(a, b), np.zeros(batch, np.int32)
    except np.linalg.LinAlgError:
        _, _, info = lu_arrays(a)
    x = np.full(b.shape, np.nan, b.dtype)
    ok = info == 0
    if np.any(ok):
        x[ok] = np.linalg.solve(a[ok], b[ok])
    return x, info


class LinalgSolveExBackward0(MultiOp):
    """solve AX = B: d/dB = A^{-H} g, d/dA = -d/dB X^H (XA = B: d/dB = g A^{-H}, d/dA = -X^H d/dB)"""

    n_outputs = 1

    @staticmethod
    def forward(a, b, left, vector):
        if vector:
            x, info = _solve_arrays(a, b[..., None], True)
            return x[..., 0], info
        return _solve_arrays(a, b, left)

    def backward(self, g):
        A, B = self.saved
        left, vector = self._params
        (X,) = self.outs
        if vector:
            g, X = g.unsqueeze(-1), X.unsqueeze(-1)
        gB = solve(mH(A), g, left=left)
        gA = None
        if self.needs(0):
            gA = sum_to(-gB.matmul(mH(X)) if left else -mH(X).matmul(gB), A.shape)
        if self.needs(1):
            gB = sum_to(gB.squeeze(-1) if vector else gB, B.shape)
        else:
            gB = None
        return gA, gB


def _solve(A, B, left, name="linalg.solve"):
    check_matrix(name, A, square=True)
    check_float(name, B)
    check_same_dtype(name, A, B)
    vector = left and is_vector_rhs(A, B)
    bs = B._data.shape
    if not vector:
        if B._data.ndim < 2:
            raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
        n = A._data.shape[-1]
        if (bs[-2] if left else bs[-1]) != n:
            eq = "AX = B" if left else "XA = B"
            raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                               f"{bs[-2]}x{bs[-1]})")
    elif bs[-1] != A._data.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B ({A._data.shape[-2]}x"
                           f"{A._data.shape[-1]} and {bs[-1]}x1)")
    return multi(LinalgSolveExBackward0, (A, B), left, vector)


@register("linalg.solve_ex", samples=[(T(3, 3), T(3, 2)), (T(3, 3), T(3))])
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> tuple:
    """(result, info): the solution of AX = B (XA = B unless ``left``), and 0 or the index of a zero pivot."""
    X, info = _solve(A, B, left)
    if check_errors:
        _solve_error(info._data, A._data.shape)
    return _solve_ex(X, info)


def _solve_error(info, shape):
    _singular("torch.linalg.solve", info, shape, "The solver failed because the input matrix is singular.")


@register("linalg.solve", samples=[(T(3, 3), T(3, 2)), (T(3, 3), T(3)), (T(2, 3, 3), T(3, 1))])
def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution X of AX = B (XA = B unless ``left``), batches broadcast; B may be a vector.

    >>> import torchless as torch
    >>> torch.linalg.solve(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, 2.0]))
    tensor([1.0000, 0.5000])
    """
    X, info = _solve(A, B, left)
    _solve_error(info._data, A._data.shape)
    return X


# ---- solve_triangular ------------------------------------------------------------------------
def _triangular_arrays(a, b, upper, left, unit):
    if not left:
        return np.swapaxes(_triangular_arrays(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper, True,
                                              unit), -1, -2)
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        t = t.copy()
        t[..., np.arange(n), np.arange(n)] = 1
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, batch + t.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    if t.size == 0 or b.size == 0:
        return np.zeros(batch + b.shape[-2:], np.result_type(a, b))
    try:
        return np.linalg.solve(t, b)
    except np.linalg.LinAlgError:  # a zero on the diagonal: substitute, as LAPACK's trtrs, into inf/nan
        n = t.shape[-1]
        x = np.zeros(b.shape, np.result_type(t, b))
        rows = range(n - 1, -1, -1) if upper else range(n)
        for i in rows:
            acc = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = acc / t[..., i, i][..., None]
        return x


class LinalgSolveTriangularBackward0(Op):
    """solve_triangular AX = B: d/dB = A^{-H} g, d/dA = -d/dB X^H on A's triangle"""

    save_output = True

    @staticmethod
    def forward(a, b, upper, left, unit):
        return _triangular_arrays(a, b, upper, left, unit)

    def backward(self, g):
        A, B = self.saved
        upper, left, unit = self._params
        X = self.out
        gB = solve_triangular(mH(A), g, upper=not upper, left=left, unitriangular=unit)
        gA = None
        if self.needs(0):
            gA = -gB.matmul(mH(X)) if left else -mH(X).matmul(gB)
            gA = sum_to(gA.triu(int(unit)) if upper else gA.tril(-int(unit)), A.shape)
        return gA, sum_to(gB, B.shape) if self.needs(1) else None


@register("linalg.solve_triangular", samples=[])
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with AX = B (XA = B unless ``left``) for the triangular A (the ``upper`` or lower triangle
    of A is read; its diagonal taken as ones with ``unitriangular``)."""
    name = "linalg.solve_triangular"
    check_matrix(name, A, square=True)
    check_float(name, B)
    check_same_dtype(name, A, B)
    if B._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n = A._data.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})")
    return nary(LinalgSolveTriangularBackward0, (A, B), upper, left, unitriangular)


@register("triangular_solve", samples=[])
def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> tuple:
    """torch.triangular_solve (deprecated): (X, A.clone()) with op(A) X = b, op(A) = A^T with ``transpose``."""
    M = A.mT if transpose else A
    X = solve_triangular(M, b, upper=upper != transpose, unitriangular=unitriangular)
    return _triangular_solve(named(X, "TriangularSolveBackward0"), A.clone())


# ---- cholesky_solve, cholesky_inverse -----------------------------------------------------------
def _chol_full(L, upper):
    t = np.triu(L) if upper else np.tril(L)
    return np.swapaxes(t, -1, -2).conj() @ t if upper else t @ np.swapaxes(t, -1, -2).conj()


class CholeskySolveBackward0(Op):
    """cholesky_solve X = (L L^H)^{-1} B: d/dB = cholesky_solve(g), d/dL = -(gB X^H + X gB^H) L"""

    save_output = True

    @staticmethod
    def forward(b, L, upper):
        return _solve_arrays(_chol_full(L, upper), b, True)[0]

    def backward(self, g):
        B, L = self.saved
        (upper,) = self._params
        X = self.out
        gB = cholesky_solve(g, L, upper)
        gL = None
        if self.needs(1):
            common = gB.matmul(mH(X))
            common = common + mH(common)
            gL = sum_to(-L.matmul(common) if upper else -common.matmul(L), L.shape)
        return sum_to(gB, B.shape) if self.needs(0) else None, gL


@register("cholesky_solve", samples=[])
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """X with A X = input, A = L L^H given its Cholesky factor ``input2`` (U^H U with ``upper``)."""
    check_matrix("cholesky_solve", input2, "A", square=True)
    check_matrix("cholesky_solve", input, "B")
    check_same_dtype("cholesky_solve", input, input2, "b", "A")
    return nary(CholeskySolveBackward0, (input, input2), upper)


class CholeskyInverseBackward0(Op):
    """cholesky_inverse (L L^H)^{-1}: d/dL = -(inv (g + g^H) inv) L"""

    save_output = True

    @staticmethod
    def forward(L, upper):
        return np.linalg.inv(_chol_full(L, upper)) if L.size else L.copy()

    def backward(self, g):
        (L,) = self.saved
        (upper,) = self._params
        inv = self.out
        common = inv.matmul((g + mH(g)).matmul(inv))
        return (-L.matmul(common) if upper else -common.matmul(L),)


@register("cholesky_inverse", samples=[])
def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """The inverse of A = L L^H (U^H U with ``upper``) from its Cholesky factor."""
    check_matrix("cholesky_inverse", input, "input", square=True)
    return unary(CholeskyInverseBackward0, input, upper)


# ---- lu_solve ----------------------------------------------------------------------------------
@register("linalg.lu_solve", samples=[])
def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with AX = B (XA = B unless ``left``; A^H in place of A with ``adjoint``) from A's
    packed LU factorization (linalg.lu_factor)."""
    name = "linalg.lu_solve"
    check_matrix(name, LU, "LU", square=True)
    check_float(name, B)
    if B._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    P, _, _ = unpack_lu(LU, pivots._data, unpack_data=False)
    if left and not adjoint:  # X = U^{-1} L^{-1} P^T B
        Y = solve_triangular(LU, P.mT.matmul(B), upper=False, unitriangular=True)
        return named(solve_triangular(LU, Y, upper=True), "LinalgLuSolveBackward0")
    if left:  # A^H X = B: X = P L^{-H} U^{-H} B
        Y = solve_triangular(mH(LU), B, upper=False)
        return named(P.matmul(solve_triangular(mH(LU), Y, upper=True, unitriangular=True)), "LinalgLuSolveBackward0")
    if not adjoint:  # X P L U = B: X = B U^{-1} L^{-1} P^T
        Y = solve_triangular(LU, B, upper=True, left=False)
        X = solve_triangular(LU, Y, upper=False, left=False, unitriangular=True).matmul(P.mT)
        return named(X, "LinalgLuSolveBackward0")
    # X U^H L^H P^T = B: X = B P L^{-H} U^{-H}
    Y = solve_triangular(mH(LU), B.matmul(P), upper=True, left=False, unitriangular=True)
    return named(solve_triangular(mH(LU), Y, upper=False, left=False), "LinalgLuSolveBackward0")


@register("lu_solve", samples=[])
def lu_solve_old(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """torch.lu_solve (deprecated): see linalg.lu_solve."""
    return lu_solve(LU_data, LU_pivots, b)


# ---- pinv, lstsq -------------------------------------------------------------------------------
def _tolerances(atol, rtol, smax, dtype, m, n):
    """torch's cut-off: max(atol, rtol * the largest singular value)."""
    def arr(v):
        return v._data if isinstance(v, Tensor) else (None if v is None else np.asarray(v, dtype))

    atol, rtol = arr(atol), arr(rtol)
    if rtol is None:
        rtol = np.asarray(np.finfo(dtype).eps * max(m, n), dtype) if atol is None or not np.any(atol > 0) else 0
    if atol is None:
        atol = 0
    return np.maximum(atol, rtol * smax)


class LinalgPinvBackward0(Op):
    """pinv: the derivative of the Moore-Penrose inverse of a matrix of constant rank (Golub & Pereyra)"""

    save_output = True

    @staticmethod
    def forward(a, atol, rtol, hermitian):
        m, n = a.shape[-2:]
        if a.size == 0:
            return np.zeros(a.shape[:-2] + (n, m), a.dtype)
        if hermitian:
            w, v = np.linalg.eigh(a)
            absw = np.abs(w)
            tol = _tolerances(atol, rtol, absw.max(-1), a.dtype, m, n)
            keep = absw > np.expand_dims(tol, -1)
            inv_w = np.where(keep, 1 / np.where(keep, w, 1), 0)
            return (v * inv_w[..., None, :]) @ np.swapaxes(v, -1, -2).conj()
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        tol = _tolerances(atol, rtol, s[..., :1][..., 0] if s.shape[-1] else 0, a.dtype, m, n)
        keep = s > np.expand_dims(tol, -1)
        inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0)
        return (np.swapaxes(vh, -1, -2).conj() * inv_s[..., None, :]) @ np.swapaxes(u, -1, -2).conj()

    def backward(self, g):
        (A,) = self.saved
        return (pinv_backward(g, self.out, A),)


def pinv_backward(g: Tensor, pinvA: Tensor, A: Tensor) -> Tensor:
    m, n = A.shape[-2:]
    pinvAh, gh = mH(pinvA), mH(g)
    if m <= n:
        K = gh.matmul(pinvA)
        KpinvAh = K.matmul(pinvAh)
        return (-mH(pinvA.matmul(K)) + KpinvAh - A.matmul(pinvA).matmul(KpinvAh)
                + pinvAh.matmul(pinvA).matmul(gh - K.matmul(A)))
    K = pinvA.matmul(gh)
    pinvAhK = pinvAh.matmul(K)
    return (-mH(K.matmul(pinvA)) + pinvAhK - pinvAhK.matmul(pinvA).matmul(A)
            + (gh - A.matmul(K)).matmul(pinvA).matmul(pinvAh))


@register("linalg.pinv", samples=[(T(3, 4),), (T(4, 3),), (T(2, 3, 3),)])
def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse: singular values below max(atol, rtol * the largest) count as zero."""
    check_matrix("linalg.pinv", A)
    if rcond is not None:
        rtol = rcond
    return unary(LinalgPinvBackward0, A, atol, rtol, hermitian)


@register("pinverse", samples=[(T(3, 4),)])
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: the pseudo-inverse, with singular values below rcond * the largest dropped."""
    return pinv(input, rtol=rcond)


@register("linalg.lstsq", samples=[(T(4, 3), T(4, 2)), (T(3, 3), T(3, 1))])
def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> tuple:
    """(solution, residuals, rank, singular_values): X minimizing ||AX - B||_F."""
    name = "linalg.lstsq"
    check_float(name, A, B)
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"parameter `driver` should be one of (gels, gelsy, gelsd, gelss). Got {driver}")
    driver = driver or "gelsy"
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{A.dtype} and other's dtype {B.dtype}")
    vector = B._data.ndim == A._data.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A._data.shape[-2:]
    if Bm._data.shape[-2] != m:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    dtype = A._data.dtype
    rtol = np.finfo(dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    s = np.linalg.svd(A._data, compute_uv=False) if A._data.size else np.zeros(A._data.shape[:-2] + (0,), dtype)
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), dtype)
    rank = np.sum(s > rtol * smax, -1).astype(np.int64)
    X = pinv(A, rtol=const(np.asarray(rtol, dtype))) if driver != "gels" else pinv(A)
    X = X.matmul(Bm)
    empty = const(np.zeros((0,), dtype))
    residuals = X.reshape(-1)[:0]  # (empty, but an output of the differentiable op, as torch's)
    full_rank = bool(np.all(rank == min(m, n)))
    if m > n and full_rank and driver != "gelsy":
        residuals = (A.matmul(X) - Bm).abs().pow(2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    if vector:
        X = X.squeeze(-1)
    rank_t = const(rank) if driver != "gels" else const(np.zeros((0,), np.int64))
    sv = const(s) if driver in ("gelsd", "gelss") else empty
    return _lstsq(named(X, "LinalgLstsqBackward0"), named(residuals, "LinalgLstsqBackward0"), rank_t, sv)


# ---- tensorinv, tensorsolve -------------------------------------------------------------------
@register("linalg.tensorinv", samples=[])
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The tensor inverse: reshaped to a (prod(shape[:ind]), prod(shape[ind:])) matrix, inverted and
    reshaped to shape[ind:] + shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = A._data.shape
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(shape[ind:] + shape[:ind])


@register("linalg.tensorsolve", samples=[])
def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B."""
    if dims is not None:
        nd = A._data.ndim
        dims = [d % nd for d in dims]
        rest = [d for d in range(nd) if d not in dims]
        A = A.permute(*rest, *dims)
    shape = A._data.shape[B._data.ndim:]
    rows = B._data.size
    cols = math.prod(shape)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(shape)


# ---- matrix_power, matrix_exp -------------------------------------------------------------------
@register("linalg.matrix_power", samples=[(T(3, 3), 2), (T(2, 3, 3), 0), (T(3, 3), -2), (T(3, 3), 5)])
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A to the integer power n (n < 0: of A's inverse), by repeated squaring."""
    name = "linalg.matrix_power"
    if A._data.ndim < 2 or A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           + (f"{A._data.shape[-2]} by {A._data.shape[-1]} matrices" if A._data.ndim >= 2 else
                              f"a {A._data.ndim}-D tensor"))
    if n == 0:  # (a function of A with a zero gradient, as torch's)
        eye = np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype), A._data.shape).copy()
        return named(A * 0 + const(eye), "CopyBackwards") if A._data.dtype.kind in "fc" else const(eye)
    if n < 0:
        check_float(name, A)
        A, n = inv(A), -n
    if n == 1:
        return A.clone()
    result = None
    z = A
    while n:
        if n & 1:
            result = z if result is None else result.matmul(z)
        n >>= 1
        if n:
            z = z.matmul(z)
    return result


@register("matrix_power", samples=[(T(3, 3), 3)])
def matrix_power_(input: Tensor, n: int) -> Tensor:
    """torch.matrix_power: see linalg.matrix_power."""
    return matrix_power(input, n)


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0,
           960960.0, 16380.0, 182.0, 1.0)


def _expm(a):
    """exp of the matrices a: scaling and squaring with the [13/13] Pade approximant (Higham 2005)."""
    if a.size == 0:
        return a.copy()
    n = a.shape[-1]
    norm = np.max(np.sum(np.abs(a), -2), -1)
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 5.371920351148152))).astype(int)
    s = int(np.max(s)) if s.size else 0
    A = a / (2.0 ** s)
    ident = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape)
    b = _PADE13
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    R = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


class LinalgMatrixExpBackward0(Op):
    """matrix_exp: d/dA = the top-right block of exp([[A^H, g], [0, A^H]])"""

    @staticmethod
    def forward(a):
        return _expm(a)

    def backward(self, g):
        from ..shape import cat

        (A,) = self.saved
        n = A.shape[-1]
        AH = mH(A)
        zero = const(np.zeros(A._data.shape, A._data.dtype))
        block = cat([cat([AH, g], -1), cat([zero, AH], -1)], -2)
        return (matrix_exp(block)[..., :n, n:],)


@register("linalg.matrix_exp", samples=[(T(3, 3),), (T(2, 2, 2),)])
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of the square matrices A."""
    check_matrix("linalg.matrix_exp", A, square=True)
    return unary(LinalgMatrixExpBackward0, A)


@register("matrix_exp", samples=[(T(3, 3),)])
def matrix_exp_(input: Tensor) -> Tensor:
    """torch.matrix_exp: see linalg.matrix_exp."""
    return matrix_exp(input)


# ---- ldl_factor, ldl_solve (LAPACK's sytrf/sytrs, through SciPy) ------------------------------
def _lapack():
    try:
        from scipy.linalg import lapack
    except ImportError:
        raise ImportError("linalg.ldl_factor and ldl_solve need SciPy: pip install torchless[scipy]") from None
    return lapack


@register("linalg.ldl_factor_ex", differentiable=False, samples=[])
def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False) -> tuple:
    """(LD, pivots, info): the Bunch-Kaufman LDL^T factorization of the symmetric matrices A (lower triangle)."""
    check_matrix("torch.linalg.ldl_factor_ex", A, square=True)
    lapack = _lapack()
    a = A._data
    flat = a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])
    lds, pivs, infos = [], [], []
    fn = lapack.get_lapack_funcs("hetrf" if hermitian and a.dtype.kind == "c" else "sytrf", (flat,))
    for m in flat:
        ld, piv, info = fn(m, lower=1)
        lds.append(np.tril(ld))
        pivs.append(piv)
        infos.append(info)
    n = a.shape[-1]
    LD = np.array(lds).reshape(a.shape) if lds else np.zeros(a.shape, a.dtype)
    piv = np.array(pivs, np.int32).reshape(a.shape[:-1]) if pivs else np.zeros(a.shape[:-1], np.int32)
    info = np.array(infos, np.int32).reshape(a.shape[:-2]) if infos else np.zeros(a.shape[:-2], np.int32)
    del n
    if check_errors and np.any(info != 0):
        i = int(np.flatnonzero(info.reshape(-1))[0])
        raise LinAlgError(f"torch.linalg.ldl_factor_ex: The factorization could not be completed because the "
                          f"input is not invertible (D[{info.reshape(-1)[i]}] is zero).")
    return _ldl_factor_ex(const(LD), const(piv), const(info))


@register("linalg.ldl_factor", differentiable=False, samples=[])
def ldl_factor(A: Tensor, *, hermitian: bool = False) -> tuple:
    """(LD, pivots): see linalg.ldl_factor_ex."""
    LD, piv, _ = ldl_factor_ex(A, hermitian=hermitian)
    return _ldl_factor(LD, piv)


@register("linalg.ldl_solve", differentiable=False, samples=[])
def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """X with AX = B from ldl_factor's (LD, pivots) of A."""
    lapack = _lapack()
    batch = np.broadcast_shapes(LD._data.shape[:-2], B._data.shape[:-2])
    nb = math.prod(batch)
    ld = np.broadcast_to(LD._data, batch + LD._data.shape[-2:]).reshape((nb,) + LD._data.shape[-2:])
    piv = np.broadcast_to(pivots._data, batch + pivots._data.shape[-1:]).reshape((nb,) + pivots._data.shape[-1:])
    b = np.broadcast_to(B._data, batch + B._data.shape[-2:]).reshape((nb,) + B._data.shape[-2:])
    fn = lapack.get_lapack_funcs("hetrs" if hermitian and ld.dtype.kind == "c" else "sytrs", (ld[:1],))
    out = [fn(m, p, r, lower=1)[0] if r.size else r.copy() for m, p, r in zip(ld, piv, b)]
    return const(np.array(out).reshape(batch + B._data.shape[-2:]) if out
                 else np.zeros(batch + B._data.shape[-2:], B._data.dtype))
