"""Determinants and decompositions: det, slogdet, logdet, cholesky, qr, svd, eigh, lu.

Each derivative rule is the standard matrix-calculus result (the notation: g the incoming
gradient, E_ij = s_j - s_i the gaps between eigen- or squared singular values, 1 on the
diagonal), written in torchless ops so that it can be differentiated again.
"""

from __future__ import annotations

import math

from ... import return_types
from ..._tensor import Tensor
from ...backend import np
from .._core import Op, register, unary
from .._samples import T
from ._common import (
    LinAlgError,
    MultiOp,
    batch_prefix,
    check_float,
    check_matrix,
    const,
    diag,
    diag_embed,
    eye_like,
    mH,
    multi,
    named,
)

_slogdet = return_types.make("slogdet", "sign logabsdet")
_linalg_slogdet = return_types.make("linalg_slogdet", "sign logabsdet")
_qr = return_types.make("qr", "Q R")
_linalg_qr = return_types.make("linalg_qr", "Q R")
_svd = return_types.make("svd", "U S V")
_linalg_svd = return_types.make("linalg_svd", "U S Vh")
_linalg_eigh = return_types.make("linalg_eigh", "eigenvalues eigenvectors")
_cholesky_ex = return_types.make("linalg_cholesky_ex", "L info")
_LuFactor = return_types.make("linalg_lu_factor", "LU pivots")
_lu_factor_ex = return_types.make("linalg_lu_factor_ex", "LU pivots info")
_linalg_lu = return_types.make("linalg_lu", "P L U")
_lu_unpack = return_types.make("lu_unpack", "P L U")
_geqrf = return_types.make("geqrf", "a tau")


# ---- LU with partial pivoting (LAPACK's getrf, which NumPy does not expose) -------------------
def lu_arrays(a):
    """LU factors of the matrices ``a`` (..., m, n) packed in one array, the 1-based pivots
    (int32) and the 1-based index of the first zero pivot (0: none), as LAPACK's getrf."""
    *batch, m, n = a.shape
    k = min(m, n)
    if min(m, n) >= 32 and a.size:  # large matrices: LAPACK's own getrf, when SciPy is there
        try:
            from scipy.linalg import get_lapack_funcs
        except ImportError:
            pass
        else:
            flat = a.reshape(math.prod(batch), m, n)
            getrf = get_lapack_funcs("getrf", (flat[:1],))
            outs = [getrf(mat) for mat in flat]
            lu = np.array([o[0] for o in outs]).reshape(a.shape)
            piv = (np.array([o[1] for o in outs], np.int32) + 1).reshape(*batch, k)
            info = np.array([o[2] for o in outs], np.int32).reshape(batch)
            return lu, piv, info
    lu = np.array(a, dtype=a.dtype, copy=True).reshape(math.prod(batch), m, n)
    piv = np.zeros((lu.shape[0], k), np.int32)
    info = np.zeros(lu.shape[0], np.int32)
    rows = np.arange(lu.shape[0])
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        d = lu[:, j, j]
        zero = d == 0
        info[(info == 0) & zero] = j + 1
        lu[:, j + 1:, j] /= np.where(zero, 1, d)[:, None]  # (a zero pivot has a zero column below it)
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(a.shape), piv.reshape(*batch, k), info.reshape(batch)


def permutation_arrays(piv, m: int, dtype):
    """The permutation matrices P (..., m, m) of LAPACK pivots: A = P L U."""
    *batch, k = piv.shape
    if m == 0 or piv.size == 0:
        return np.broadcast_to(np.eye(m, dtype=dtype), (*batch, m, m)).copy()
    perm = np.broadcast_to(np.arange(m), (*batch, m)).copy().reshape(-1, m)
    flat = piv.reshape(-1, k) - 1
    rows = np.arange(perm.shape[0])
    for j in range(k):
        p = flat[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    # row j of P^T A is row perm[j] of A: P[perm[j], j] = 1
    P = np.zeros((perm.shape[0], m, m), dtype)
    P[rows[:, None], perm, np.arange(m)[None, :]] = 1
    return P.reshape(*batch, m, m)


def unpack_lu(LU: Tensor, piv_array, unpack_data=True, unpack_pivots=True):
    """P (a constant), L and U (tensors of LU) of a packed LU factorization."""
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    P = const(permutation_arrays(piv_array, m, LU._data.dtype)) if unpack_pivots else None
    if not unpack_data:
        return P, None, None
    L = LU[..., :, :k].tril(-1) + const(np.eye(m, k, dtype=LU._data.dtype))
    U = LU[..., :k, :].triu()
    return P, L, U


def _singular(name: str, info, shape, what: str):
    """torch's LinAlgError for the first matrix whose LU met a zero pivot."""
    bad = np.flatnonzero(np.asarray(info).reshape(-1))
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(f"{name}: {batch_prefix(shape, i)}{what.format(int(np.asarray(info).reshape(-1)[i]))}")


# ---- det, slogdet, logdet ---------------------------------------------------------------------
class LinalgDetBackward0(Op):
    """det: d/dA = g det(A) A^{-H}; for a singular A the adjugate, from an SVD"""

    save_output = True

    @staticmethod
    def forward(a):
        return np.asarray(np.linalg.det(a))

    def backward(self, g):
        (A,) = self.saved
        if A._data.size == 0:
            return (A * 0,)
        det = self.out
        cplx = A._data.dtype.kind == "c"
        gd = g * (det.conj() if cplx else det)
        if np.all(np.abs(det._data) > 100 * np.finfo(A._data.dtype).eps):
            from .solvers import solve

            return (solve(mH(A), diag_embed(gd.unsqueeze(-1).expand(A.shape[:-1]))),)
        # the adjugate of a singular A (Higham): U diag(prod of the other singular values) Vh
        U, S, Vh = svd(A)
        alpha = (det_(U) * det_(Vh)).conj() * g if cplx else (det_(U) * det_(Vh)) * g
        # d prod(S) / dS_i: the product of the others
        n = S.shape[-1]
        others = (S.unsqueeze(-2) * (1 - eye_like(S, n)) + eye_like(S, n)).prod(-1)
        return ((U * (alpha.unsqueeze(-1) * others).unsqueeze(-2)).matmul(Vh),)


@register("linalg.det", samples=[(T(3, 3),), (T(2, 3, 3),), (T(1, 1),)])
def det_(A: Tensor) -> Tensor:
    """The determinant of the square matrices A (..., n, n).

    >>> import torchless as torch
    >>> torch.linalg.det(torch.tensor([[2.0, 1.0], [1.0, 1.0]]))
    tensor(1.)
    """
    check_matrix("linalg.det", A, square=True)
    return unary(LinalgDetBackward0, A)


@register("det", samples=[(T(3, 3),)])
def det(input: Tensor) -> Tensor:
    """torch.det: see linalg.det."""
    return det_(input)


class LinalgSlogdetBackward0(MultiOp):
    """slogdet: d logabsdet / dA = A^{-H} (sign has no gradient for real A)"""

    @staticmethod
    def forward(a):
        sign, logabs = np.linalg.slogdet(a)
        return np.asarray(sign), np.asarray(logabs)

    def backward(self, g_sign, g_logabs):
        (A,) = self.saved
        cplx = A._data.dtype.kind == "c"
        if g_logabs is None and (g_sign is None or not cplx):
            return (None,)
        from .solvers import solve

        g = g_logabs
        if cplx:  # the phase's gradient: (g_abs - i Im(conj(g_sign) sign)) A^{-H}
            g = g.to(A.dtype) if g is not None else None
            if g_sign is not None:
                sign = self.outs[0].detach()
                phase = (g_sign.conj() * sign).imag * -1j
                g = phase if g is None else g + phase
        return (solve(mH(A), diag_embed(g.unsqueeze(-1).expand(A.shape[:-1]))),)


@register("linalg.slogdet", samples=[(T(3, 3),), (T(2, 3, 3),)])
def linalg_slogdet(A: Tensor) -> tuple:
    """(sign, log|det|) of the square matrices A."""
    check_matrix("linalg.slogdet", A, square=True)
    return _linalg_slogdet(*multi(LinalgSlogdetBackward0, (A,)))


@register("slogdet", samples=[(T(3, 3),)])
def slogdet(input: Tensor) -> tuple:
    """torch.slogdet: (sign, logabsdet)."""
    check_matrix("linalg.slogdet", input, square=True)
    return _slogdet(*multi(LinalgSlogdetBackward0, (input,)))


@register("logdet", samples=[])  # (nan for a negative determinant: see the OpInfo)
def logdet(input: Tensor) -> Tensor:
    """log det(A): nan where the determinant is negative, -inf where it is zero."""
    check_matrix("logdet", input, square=True)
    sign, logabs = multi(LinalgSlogdetBackward0, (input,))
    from ..elementwise import where

    return where(sign == -1, const(np.nan, logabs), logabs)


# ---- cholesky ---------------------------------------------------------------------------------
def _cholesky_arrays(a, upper):
    """Cholesky factors of the matrices a (from their lower triangle) and LAPACK's info."""
    lower = np.tril(a)
    sym = lower + np.swapaxes(np.tril(a, -1), -1, -2).conj()
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        L = np.linalg.cholesky(sym)
    except np.linalg.LinAlgError:
        L = np.zeros_like(sym)
        flat, out, inf = sym.reshape(-1, *sym.shape[-2:]), L.reshape(-1, *sym.shape[-2:]), info.reshape(-1)
        for i, m in enumerate(flat):
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                inf[i] = next(k for k in range(1, m.shape[-1] + 1)
                              if not _positive_definite(m[:k, :k]))
    if upper:
        L = np.swapaxes(L, -1, -2).conj()
    return np.ascontiguousarray(L), info


def _positive_definite(m) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


class LinalgCholeskyExBackward0(MultiOp):
    """cholesky A = L L^H: d/dA = L^{-H} Phi(L^H gL) L^{-1}, Phi: the lower triangle with half the
    diagonal, made Hermitian"""

    n_outputs = 1

    @staticmethod
    def forward(a, upper):
        return _cholesky_arrays(a, upper)

    def backward(self, gL):
        from .solvers import solve_triangular

        (L,) = self.outs
        (upper,) = self._params
        if upper:
            L, gL = mH(L), mH(gL)
        gA = mH(L).matmul(gL).tril()
        gA = 0.5 * (gA + mH(gA.tril(-1)))
        gA = solve_triangular(mH(L), gA, upper=True, left=True)
        return (solve_triangular(L, gA, upper=False, left=False),)


@register("linalg.cholesky_ex", samples=[])
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> tuple:
    """(L, info): the Cholesky factor of the Hermitian positive-definite matrices A, and 0, or
    the order of the first leading minor that is not positive-definite."""
    check_matrix("linalg.cholesky", A, square=True)
    L, info = multi(LinalgCholeskyExBackward0, (A,), upper)
    if check_errors:
        _cholesky_error(info._data, A._data.shape)
    return _cholesky_ex(L, info)


def _cholesky_error(info, shape):
    _singular("linalg.cholesky", info, shape, "The factorization could not be completed because the input is not "
              "positive-definite (the leading minor of order {} is not positive-definite).")


@register("linalg.cholesky", samples=[])
def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (A = L L^H; U with ``upper``: A = U^H U)."""
    check_matrix("linalg.cholesky", A, square=True)
    L, info = multi(LinalgCholeskyExBackward0, (A,), upper)
    _cholesky_error(info._data, A._data.shape)
    return L


@register("cholesky", samples=[])
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated): see linalg.cholesky."""
    return linalg_cholesky(input, upper=upper)


# ---- qr ---------------------------------------------------------------------------------------
class LinalgQrBackward0(MultiOp):
    """qr A = QR, m >= n: d/dA = (gQ + Q copyltu(M)) R^{-H} with M = R gR^H - gQ^H Q ... (the
    wide case solves on the leading square block, see the body)"""

    @staticmethod
    def forward(a, mode):
        Q, R = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            return np.zeros((0,), a.dtype), R
        return Q, R

    def backward(self, gQ, gR):
        from .solvers import solve_triangular

        (mode,) = self._params
        Q, R = self.outs
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        m, n = Q.shape[-2], R.shape[-1]
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if gQ is None and gR is None:
            return (None,)
        if gQ is None:
            gA = gR.matmul(mH(R))
        elif gR is None:
            gA = -mH(Q).matmul(gQ)
        else:
            gA = gR.matmul(mH(R)) - mH(Q).matmul(gQ)
        if m >= n:
            gA = gA.triu()
            gA = Q.matmul(gA + mH(gA) - diag_embed(diag(gA)))
            if gQ is not None:
                gA = gA + gQ
            return (solve_triangular(mH(R), gA, upper=False, left=False),)
        gA = Q.matmul((mH(gA) - gA).tril())
        gA = solve_triangular(mH(R[..., :, :m]), gA, upper=False, left=False)
        from ..shape import cat

        gA = cat([gA, const(np.zeros(R.shape[:-1] + (n - m,), R._data.dtype))], -1)
        if gR is not None:
            gA = gA + Q.matmul(gR)
        return (gA,)


def _qr_mode(mode):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    return mode


@register("linalg.qr", samples=[(T(4, 3),), (T(3, 4),), (T(2, 3, 3),), (T(3, 4), "complete")])
def linalg_qr(A: Tensor, mode: str = "reduced") -> tuple:
    """(Q, R) with A = QR, Q with orthonormal columns and R upper triangular."""
    check_matrix("linalg.qr", A)
    return _linalg_qr(*multi(LinalgQrBackward0, (A,), _qr_mode(mode)))


@register("qr", samples=[(T(4, 3),), (T(3, 4), False)])
def qr(input: Tensor, some: bool = True) -> tuple:
    """torch.qr (deprecated): the reduced QR decomposition (the complete one unless ``some``)."""
    check_matrix("linalg.qr", input)
    return _qr(*multi(LinalgQrBackward0, (input,), "reduced" if some else "complete"))


# ---- svd ---------------------------------------------------------------------------------------
class LinalgSvdBackward0(MultiOp):
    """svd A = U S V^H (distinct singular values; full rank if rectangular):
    d/dA = U [(skew(U^H gU) / E) S + S (skew(V^H gV) / E) + diag(gS)] V^H
           + (I - U U^H) gU S^{-1} V^H (m > k) + U S^{-1} gV^H (I - V V^H) (n > k)"""

    n_outputs = 3

    @staticmethod
    def forward(a, full_matrices, compute_uv):
        if not compute_uv:
            S = np.linalg.svd(a, compute_uv=False) if a.size else np.zeros(a.shape[:-2] + (min(a.shape[-2:]),), a.dtype)
            return np.zeros((0,), a.dtype), S, np.zeros((0,), a.dtype)
        m, n = a.shape[-2:]
        if a.size == 0:
            k = min(m, n)
            u = np.broadcast_to(np.eye(m, m if full_matrices else k, dtype=a.dtype), a.shape[:-2] + (m, m if full_matrices else k))
            v = np.broadcast_to(np.eye(n if full_matrices else k, n, dtype=a.dtype), a.shape[:-2] + (n if full_matrices else k, n))
            return u.copy(), np.zeros(a.shape[:-2] + (k,), a.dtype), v.copy()
        U, S, Vh = np.linalg.svd(a, full_matrices=full_matrices)
        return U, S, Vh

    def backward(self, gU, gS, gVh):
        full_matrices, compute_uv = self._params
        U, S, Vh = self.outs
        if not compute_uv:
            # U and V were not kept: a fresh SVD, recorded when differentiating again
            (A,) = self.saved
            U, S, Vh = svd(A, full_matrices=False)
        k = S.shape[-1]
        if full_matrices:
            U, Vh = U[..., :, :k], Vh[..., :k, :]
            gU = gU[..., :, :k] if gU is not None else None
            gVh = gVh[..., :k, :] if gVh is not None else None
        if gS is None and gU is None and gVh is None:
            return (None,)
        m, n = U.shape[-2], Vh.shape[-1]
        if gU is None and gVh is None:
            return (U.matmul(gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)).matmul(Vh),)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye_like(S, k)
        if gU is not None:
            UhgU = mH(U).matmul(gU)
            UhgU = UhgU - mH(UhgU)
        if gVh is not None:
            VhgV = Vh.matmul(mH(gVh))
            VhgV = VhgV - mH(VhgV)
        if gU is not None and gVh is not None:
            gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        elif gU is not None:
            gA = (UhgU / E) * S.unsqueeze(-2)
        else:
            gA = S.unsqueeze(-1) * (VhgV / E)
        if gS is not None:
            gA = gA + diag_embed(gS)
        if m > n and gU is not None:
            gA = U.matmul(gA)
            gUSinv = gU / S.unsqueeze(-2)
            gA = gA + gUSinv - U.matmul(mH(U).matmul(gUSinv))
            return (gA.matmul(Vh),)
        if m < n and gVh is not None:
            gA = gA.matmul(Vh)
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA + SinvgVh - SinvgVh.matmul(mH(Vh)).matmul(Vh)
            return (U.matmul(gA),)
        return (U.matmul(gA.matmul(Vh)) if m >= n else U.matmul(gA).matmul(Vh),)


@register("linalg.svd", samples=[])  # (singular vectors: signs differ between LAPACKs; see the OpInfo)
def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> tuple:
    """(U, S, Vh) with A = U diag(S) Vh, the singular values S in descending order."""
    check_matrix("linalg.svd", A)
    return _linalg_svd(*multi(LinalgSvdBackward0, (A,), full_matrices, True))


@register("linalg.svdvals", samples=[(T(4, 3),), (T(2, 3, 4),)])
def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of A, in descending order."""
    check_matrix("linalg.svdvals", A)
    return multi(LinalgSvdBackward0, (A,), False, False)[1]


@register("svd", samples=[])
def svd_old(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """torch.svd (deprecated): (U, S, V) with V, not V^H; full U and V unless ``some``; zero U
    and V without ``compute_uv``."""
    check_matrix("linalg.svd", input)
    if not compute_uv:
        m, n = input._data.shape[-2:]
        S = svdvals(input)
        z = np.zeros
        batch = input._data.shape[:-2]
        return _svd(const(z(batch + (m, m), input._data.dtype)), S, const(z(batch + (n, n), input._data.dtype)))
    U, S, Vh = svd(input, full_matrices=not some)
    return _svd(U, S, mH(Vh))


# ---- eigh --------------------------------------------------------------------------------------
class LinalgEighBackward0(MultiOp):
    """eigh A = V diag(L) V^H: d/dA = V (diag(gL) + skew(V^H gV) / 2E) V^H"""

    @staticmethod
    def forward(a, uplo, vectors):
        if vectors:
            return np.linalg.eigh(a, UPLO=uplo)
        return np.linalg.eigvalsh(a, UPLO=uplo), np.zeros((0,), a.dtype)

    def backward(self, gL, gV):
        uplo, vectors = self._params
        L, V = self.outs
        if not vectors:
            (A,) = self.saved
            L, V = eigh(A, uplo)
        if gV is None:
            if gL is None:
                return (None,)
            return ((V * gL.unsqueeze(-2)).matmul(mH(V)),)
        VhgV = mH(V).matmul(gV)
        VhgV = 0.5 * (VhgV - mH(VhgV))
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + eye_like(L, L.shape[-1])
        gA = VhgV / E
        if gL is not None:
            gA = gA + diag_embed(gL)
        return (V.matmul(gA.matmul(mH(V))),)


def _uplo(uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo.upper()


@register("linalg.eigh", samples=[])
def eigh(A: Tensor, UPLO: str = "L") -> tuple:
    """(eigenvalues, eigenvectors) of the Hermitian matrices A, read from the ``UPLO`` triangle."""
    check_matrix("linalg.eigh", A, square=True)
    return _linalg_eigh(*multi(LinalgEighBackward0, (A,), _uplo(UPLO), True))


@register("linalg.eigvalsh", samples=[])  # (gradients of a non-symmetric sample: one triangle's)
def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of the Hermitian matrices A, in ascending order."""
    check_matrix("linalg.eigvalsh", A, square=True)
    return multi(LinalgEighBackward0, (A,), _uplo(UPLO), False)[0]


# ---- lu ----------------------------------------------------------------------------------------
def _lu_grad(P, L, U, gL, gU, m, n):
    """The gradient of A = P L U from those of L and U (tall and wide cases reduce to the
    square one: L2 = A2 U^{-1}, U2 = L^{-1} A2)."""
    from ..shape import cat
    from .solvers import solve_triangular

    k = min(m, n)
    gA2 = None
    if m > n:  # A = P [L1; L2] U
        L1, L2 = L[..., :k, :], L[..., k:, :]
        if gL is not None:
            gL1, gL2 = gL[..., :k, :], gL[..., k:, :]
            gA2 = solve_triangular(mH(U), gL2, upper=False, left=False)
            extra = -mH(L2).matmul(gA2)
            gU = extra if gU is None else gU + extra
            gL = gL1
        L = L1
    elif m < n:  # A = P L [U1, U2]
        U1, U2 = U[..., :, :k], U[..., :, k:]
        if gU is not None:
            gU1, gU2 = gU[..., :, :k], gU[..., :, k:]
            gA2 = solve_triangular(mH(L), gU2, upper=True, left=True, unitriangular=True)
            extra = -gA2.matmul(mH(U2))
            gL = extra if gL is None else gL + extra
            gU = gU1
        U = U1
    inner = None
    if gL is not None:
        inner = mH(L).matmul(gL).tril(-1)
    if gU is not None:
        t = gU.matmul(mH(U)).triu()
        inner = t if inner is None else inner + t
    if inner is None:
        inner = const(np.zeros(L.shape[:-2] + (k, k), L._data.dtype))
    gA1 = solve_triangular(mH(U), inner, upper=False, left=False)
    gA1 = solve_triangular(mH(L), gA1, upper=True, left=True, unitriangular=True)
    if gA2 is None and m != n:
        shape = L.shape[:-2] + ((m - k, k) if m > n else (k, n - k))
        gA2 = const(np.zeros(shape, L._data.dtype))
    if m > n:
        gA1 = cat([gA1, gA2], -2)
    elif m < n:
        gA1 = cat([gA1, gA2], -1)
    return P.matmul(gA1)


class LinalgLuFactorExBackward0(MultiOp):
    """lu_factor: the packed factors' gradient split into L's (strictly lower) and U's parts,
    then as for A = P L U"""

    n_outputs = 1

    @staticmethod
    def forward(a, pivot):
        lu, piv, info = lu_arrays(a)
        return lu, piv, info

    def backward(self, gLU):
        (LU,) = self.outs
        m, n = LU.shape[-2:]
        k = min(m, n)
        P, L, U = unpack_lu(LU, self._piv)
        return (_lu_grad(P, L, U, gLU[..., :, :k].tril(-1), gLU[..., :k, :].triu(), m, n),)


def _lu_factor(A, name):
    check_matrix(name, A)
    LU, piv, info = multi(LinalgLuFactorExBackward0, (A,), True)
    if LU.grad_fn is not None:
        LU.grad_fn._piv = piv._data
    return LU, piv, info


@register("linalg.lu_factor_ex", samples=[(T(3, 3),), (T(2, 4, 3),)])
def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> tuple:
    """(LU, pivots, info): the packed LU factorization with partial pivoting, A = P L U."""
    _check_pivot(pivot)
    LU, piv, info = _lu_factor(A, "torch.linalg.lu_factor_ex")
    if check_errors:
        _lu_error("torch.linalg.lu_factor_ex", info._data, A._data.shape)
    return _lu_factor_ex(LU, piv, info)


def _check_pivot(pivot):
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _lu_error(name, info, shape):
    _singular(name, info, shape, "The factorization could not be completed because the input is singular: U[{0},{0}] "
              "is zero.")


@register("linalg.lu_factor", samples=[(T(3, 3),), (T(2, 4, 3),), (T(3, 5),)])
def lu_factor(A: Tensor, *, pivot: bool = True) -> tuple:
    """(LU, pivots): the packed LU factorization with partial pivoting (an error if singular)."""
    _check_pivot(pivot)
    LU, piv, info = _lu_factor(A, "torch.linalg.lu_factor")
    _lu_error("torch.linalg.lu_factor", info._data, A._data.shape)
    return _LuFactor(LU, piv)


class LinalgLuBackward0(MultiOp):
    """lu A = P L U: d/dA = P L^{-H} (tril(L^H gL, -1) + triu(gU U^H)) U^{-H} (square case)"""

    @staticmethod
    def forward(a, pivot):
        lu, piv, _ = lu_arrays(a)
        m, n = a.shape[-2:]
        k = min(m, n)
        L = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
        U = np.triu(lu[..., :k, :])
        return L, U, permutation_arrays(piv, m, a.dtype)

    def backward(self, gL, gU):
        L, U = self.outs
        m, n = L.shape[-2], U.shape[-1]
        P = const(self._P)
        return (_lu_grad(P, L, U, gL.tril(-1) if gL is not None else None,
                         gU.triu() if gU is not None else None, m, n),)


@register("linalg.lu", samples=[])  # (the OpInfo covers it: P comes first and has no gradient)
def linalg_lu(A: Tensor, *, pivot: bool = True) -> tuple:
    """(P, L, U) with A = P L U, L unit lower triangular (trapezoidal) and U upper."""
    check_matrix("linalg.lu", A)
    _check_pivot(pivot)
    L, U, P = multi(LinalgLuBackward0, (A,), pivot)
    if L.grad_fn is not None:
        L.grad_fn._P = P._data
    return _linalg_lu(P, L, U)


@register("lu", samples=[(T(3, 3),), (T(2, 3, 3), True, True)])
def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:
    """torch.lu (deprecated): (LU, pivots[, infos]) as linalg.lu_factor_ex."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    return (LU, piv, info) if get_infos else (LU, piv)


@register("lu_unpack", method=False, samples=[])
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> tuple:
    """(P, L, U) from linalg.lu_factor's packed (LU, pivots)."""
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError(f"lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype. "
                           f"Note: this function is intended to be used with the output produced by "
                           f"torch.linalg.lu_factor. Got {LU_pivots.dtype}")
    P, L, U = unpack_lu(LU_data, LU_pivots._data, unpack_data, unpack_pivots)
    empty = const(np.zeros((0,), LU_data._data.dtype))
    L = named(L, "LuUnpackBackward0") if L is not None else empty
    U = named(U, "LuUnpackBackward0") if U is not None else empty
    return _lu_unpack(P if P is not None else empty, L, U)


# ---- geqrf (Householder reflectors), householder_product, ormqr --------------------------------
@register("geqrf", samples=[], differentiable=False)
def geqrf(input: Tensor) -> tuple:
    """(a, tau): LAPACK's geqrf QR factorization (R above the diagonal, the Householder vectors below)."""
    check_matrix("geqrf", input)
    a = input._data
    *batch, m, n = a.shape
    flat = a.reshape((math.prod(batch), m, n)) if a.size else ()
    hs, taus = [], []
    for mat in flat:
        h, tau = np.linalg.qr(mat, mode="raw")
        hs.append(h.T)
        taus.append(tau)
    k = min(m, n)
    h = np.array(hs).reshape(a.shape) if hs and a.size else np.zeros(a.shape, a.dtype)
    tau = np.array(taus).reshape(*batch, k) if taus else np.zeros((*batch, k), a.dtype)
    return _geqrf(const(np.ascontiguousarray(h)), const(tau))


@register("linalg.householder_product", samples=[])
def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H, with v_i column i of A below the
    diagonal and 1 on it (how geqrf stores Q)."""
    check_float("linalg.householder_product", A, tau)
    m, n = A._data.shape[-2:]
    k = tau._data.shape[-1]
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 dimensions.")
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if k > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if A._data.ndim - tau._data.ndim != 1 or A._data.shape[:-2] != tau._data.shape[:-1]:
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau._data.shape[:-1])}")
    V = A.tril(-1) + const(np.eye(m, n, dtype=A._data.dtype))
    Q = eye_like(A, m)[..., :, :n]
    # H_1 ... H_k applied to the first n columns of I, innermost (H_k) first
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * v.matmul(mH(v).matmul(Q))
    if k == 0:  # (still a function of A, as torch's result is)
        Q = Q + A * 0
    return named(Q, "LinalgHouseholderProductBackward0")


@register("orgqr", samples=[])
def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """torch.orgqr: see linalg.householder_product."""
    return householder_product(input, tau)


@register("ormqr", samples=[])
def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    """Q @ other (other @ Q with left=False; Q^H with transpose) for the Q of geqrf's (input, tau)."""
    check_float("ormqr", input, tau, other)
    m = input._data.shape[-2]
    k = tau._data.shape[-1]
    V = input[..., :, :k].tril(-1) + const(np.eye(m, k, dtype=input._data.dtype))
    C = other
    # Q = H_1 ... H_k; Q C applies H_k first; Q^H C applies H_1 first
    order = range(k) if (left == transpose) else reversed(range(k))
    for i in order:
        v = V[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        if transpose:
            t = t.conj() if t._data.dtype.kind == "c" else t
        if left:
            C = C - t * v.matmul(mH(v).matmul(C))
        else:
            C = C - t * C.matmul(v).matmul(mH(v))
    return named(C, "OrmqrBackward0")


# ---- randomized low-rank SVD and PCA (Halko, Martinsson & Tropp 2009) ----------------------------
def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:
    """Q with q orthonormal columns such that Q Q^H (A - M) approximates A - M: a Gaussian sketch
    refined by ``niter`` subspace iterations."""
    from ..._creation import randn
    from ..._dtype import from_np

    R = randn(A.shape[-1], q, dtype=from_np(A._data.dtype))
    X = A.matmul(R) if M is None else A.matmul(R) - M.matmul(R)
    Q = linalg_qr(X).Q
    for _ in range(niter):
        X = mH(A).matmul(Q) if M is None else mH(A).matmul(Q) - mH(M).matmul(Q)
        Q = linalg_qr(X).Q
        X = A.matmul(Q) if M is None else A.matmul(Q) - M.matmul(Q)
        Q = linalg_qr(X).Q
    return Q


def _svd_lowrank(A, q, niter, M):
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = mH(A)
        M = mH(M) if M is not None else None
    Q = _approximate_basis(A, q, niter, M)
    B = mH(Q).matmul(A)
    if M is not None:
        B = B - mH(Q).matmul(M)
    U, S, Vh = svd(B, full_matrices=False)
    V = mH(Vh)
    U = Q.matmul(U)
    return (V, S, U) if m < n else (U, S, V)


@register("svd_lowrank", method=False, samples=[])
def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None) -> tuple:
    """(U, S, V): an approximate rank-q SVD of A - M from a random sketch (torchless.randn)."""
    return _svd_lowrank(A, q, niter, M)


@register("pca_lowrank", method=False, samples=[])
def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2) -> tuple:
    """(U, S, V): the approximate principal components of A's rows (centred unless ``center`` is False)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter, None)


# ---- eig (complex eigenvalues and eigenvectors of a general matrix) ------------------------------
_linalg_eig = return_types.make("linalg_eig", "eigenvalues eigenvectors")


def _complex_of(dtype):
    return np.result_type(dtype, np.complex64)


class LinalgEigBackward0(MultiOp):
    """eig A = V diag(L) V^{-1}, V's columns of norm 1:
    d/dA = V^{-H} (diag(gL) + offdiag(V^H gV - V^H V diag(Re V^H gV)) / conj(E)) V^H"""

    @staticmethod
    def forward(a, vectors):
        c = _complex_of(a.dtype)
        if a.size == 0:
            return np.zeros(a.shape[:-1], c), np.zeros(a.shape, c)
        if vectors:
            w, v = np.linalg.eig(a)
            return w.astype(c), v.astype(c)
        return np.linalg.eigvals(a).astype(c), np.zeros((0,), c)

    def backward(self, gL, gV):
        (vectors,) = self._params
        (A,) = self.saved
        L, V = self.outs
        if not vectors:
            L, V = eig(A)
        if gL is None and gV is None:
            return (None,)
        from .solvers import solve

        VH = V.mH
        n = L.shape[-1]
        ident = eye_like(V, n)
        if gV is None:
            gA = solve(VH, gL.unsqueeze(-1) * VH)
        else:
            VhgV = VH.matmul(gV)
            VhgV = VhgV - VH.matmul(V * diag(VhgV).real.unsqueeze(-2))
            Lc = L.conj()
            E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1) + ident
            inner = VhgV / E * (1 - ident)
            if gL is not None:
                inner = inner + diag_embed(gL)
            gA = solve(VH, inner.matmul(VH))
        return (gA if A._data.dtype.kind == "c" else gA.real,)


@register("linalg.eig", samples=[])
def eig(A: Tensor) -> tuple:
    """(eigenvalues, eigenvectors), complex, of the square matrices A (eigenvectors of norm 1)."""
    check_matrix("linalg.eig", A, square=True)
    return _linalg_eig(*multi(LinalgEigBackward0, (A,), True))


@register("linalg.eigvals", samples=[])
def eigvals(A: Tensor) -> Tensor:
    """The complex eigenvalues of the square matrices A."""
    check_matrix("linalg.eigvals", A, square=True)
    return multi(LinalgEigBackward0, (A,), False)[0]
