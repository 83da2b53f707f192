"""torch.linalg and the matmul family against torch: what the OpInfo harness does not cover.

Error contracts (singular matrices, non-square input, wrong dims, dtypes), batched inputs, the
named tuples, and double backward of det / inv / solve / cholesky / eigh / svd checked
numerically.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import same_as_torch

import torchless as tl
from torchless.autograd import gradcheck, gradgradcheck


def _rand(lib, *shape, seed=0, requires_grad=False):
    data = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(data, dtype=lib.float64, requires_grad=requires_grad)


def _spd(lib, n, batch=(), seed=0, requires_grad=False):
    a = np.random.default_rng(seed).standard_normal(batch + (n, n))
    m = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return lib.tensor(m, dtype=lib.float64, requires_grad=requires_grad)


# ---- values, batched ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib: lib.linalg.det(_rand(lib, 2, 3, 4, 4)),
    lambda lib: lib.linalg.slogdet(_rand(lib, 3, 3, seed=1)),
    lambda lib: lib.slogdet(_rand(lib, 3, 3, seed=1)),
    lambda lib: lib.linalg.inv_ex(_rand(lib, 2, 3, 3)),
    lambda lib: lib.linalg.solve(_rand(lib, 2, 1, 3, 3), _rand(lib, 4, 3, 2, seed=3)),
    lambda lib: lib.linalg.solve(_rand(lib, 3, 3), _rand(lib, 3, seed=3)),
    lambda lib: lib.linalg.solve(_rand(lib, 3, 3), _rand(lib, 2, 3, seed=3), left=False),
    lambda lib: lib.linalg.cholesky_ex(_spd(lib, 4, (2,))),
    lambda lib: lib.linalg.cholesky(_spd(lib, 3), upper=True),
    lambda lib: lib.linalg.qr(_rand(lib, 2, 5, 3), mode="r").R.abs(),
    lambda lib: lib.linalg.qr(_rand(lib, 3, 5), mode="complete").R.abs(),
    lambda lib: lib.linalg.svdvals(_rand(lib, 2, 4, 3)),
    lambda lib: lib.linalg.eigvalsh(_spd(lib, 4), UPLO="U"),
    lambda lib: lib.linalg.lu_factor(_rand(lib, 2, 4, 3)),
    lambda lib: lib.linalg.lu(_rand(lib, 3, 5)),
    lambda lib: lib.lu_unpack(*lib.linalg.lu_factor(_rand(lib, 4, 4))),
    lambda lib: lib.linalg.lstsq(_rand(lib, 5, 3), _rand(lib, 5, 2, seed=2), driver="gelsd"),
    lambda lib: lib.linalg.matrix_rank(_rand(lib, 4, 2) @ _rand(lib, 2, 5, seed=1)),
    lambda lib: lib.linalg.matrix_exp(_rand(lib, 2, 4, 4) * 3),
    lambda lib: lib.linalg.matrix_power(_rand(lib, 3, 3), -3),
    lambda lib: lib.linalg.pinv(_rand(lib, 3, 5), hermitian=False),
    lambda lib: lib.linalg.pinv(_spd(lib, 4), hermitian=True),
    lambda lib: lib.linalg.cond(_rand(lib, 2, 3, 3), "nuc"),
    lambda lib: lib.linalg.matrix_norm(_rand(lib, 3, 4, 2), ord=-1, dim=(0, 2), keepdim=True),
    lambda lib: lib.linalg.norm(_rand(lib, 3, 4), "nuc"),
    lambda lib: lib.norm(_rand(lib, 2, 3, 4), p="nuc", dim=(0, 2)),
    lambda lib: lib.norm(_rand(lib, 3, 4), p="fro", dim=1, keepdim=True),
    lambda lib: lib.linalg.vector_norm(_rand(lib, 3, 4), ord=0.5, dim=(0, 1)),
    lambda lib: lib.linalg.tensorinv(_rand(lib, 4, 6, 8, 3), ind=2),
    lambda lib: lib.linalg.tensorsolve(_rand(lib, 6, 2, 3), _rand(lib, 6, seed=1)),
    lambda lib: lib.linalg.householder_product(*lib.geqrf(_rand(lib, 5, 3))),
    lambda lib: lib.ormqr(*lib.geqrf(_rand(lib, 4, 4)), _rand(lib, 4, 2, seed=1), left=True, transpose=True),
    lambda lib: lib.cholesky_solve(_rand(lib, 3, 2), lib.linalg.cholesky(_spd(lib, 3))),
    lambda lib: lib.cholesky_inverse(lib.linalg.cholesky(_spd(lib, 3))),
    lambda lib: lib.triangular_solve(_rand(lib, 3, 2), _spd(lib, 3), upper=False, transpose=True),
    lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(_rand(lib, 3, 3)), _rand(lib, 2, 3, seed=1), left=False),
    lambda lib: lib.kron(_rand(lib, 2, 3), _rand(lib, 2, 1, 2)),
    lambda lib: lib.tensordot(_rand(lib, 2, 3, 4), _rand(lib, 4, 3, 5), dims=([1, 2], [1, 0])),
    lambda lib: lib.addbmm(_rand(lib, 3, 4), _rand(lib, 2, 3, 5), _rand(lib, 2, 5, 4), beta=0.5, alpha=2),
    lambda lib: lib.linalg.multi_dot([_rand(lib, 3), _rand(lib, 3, 4), _rand(lib, 4, 2), _rand(lib, 2)]),
    lambda lib: lib.einsum("b...i,bij->b...j", _rand(lib, 2, 3, 4), _rand(lib, 2, 4, 5)),
    lambda lib: lib.block_diag(_rand(lib, 2, 2), lib.tensor(3.0, dtype=lib.float64), _rand(lib, 3)),
    lambda lib: lib.combinations(lib.arange(4.0), 3, with_replacement=True),
    lambda lib: lib.cartesian_prod(lib.arange(2.0), lib.arange(3.0)),
    lambda lib: lib.linalg.eigvals(_rand(lib, 3, 3)).abs().sort().values,
])
def test_values_match_torch(fn):
    same_as_torch(fn, rtol=1e-9, atol=1e-9)


def test_named_tuples():
    A = _rand(tl, 3, 3)
    out = tl.linalg.slogdet(A)
    assert type(out).__name__ == "linalg_slogdet" and out._fields == ("sign", "logabsdet")
    assert tl.linalg.svd(A)._fields == ("U", "S", "Vh")
    assert tl.svd(A)._fields == ("U", "S", "V")
    assert tl.linalg.eigh(_spd(tl, 3))._fields == ("eigenvalues", "eigenvectors")
    assert tl.linalg.lu(A)._fields == ("P", "L", "U")
    assert tl.linalg.lstsq(A, A)._fields == ("solution", "residuals", "rank", "singular_values")
    assert tl.linalg.qr(A)._fields == ("Q", "R")
    U, S, V = tl.svd(A)
    np.testing.assert_allclose((U @ tl.diag(S) @ V.mT).numpy(), A.numpy(), atol=1e-12)


def test_grad_fn_names():
    A = _rand(tl, 3, 3, requires_grad=True)
    assert tl.linalg.det(A).grad_fn.name() == "LinalgDetBackward0"
    assert tl.linalg.slogdet(A).logabsdet.grad_fn.name() == "LinalgSlogdetBackward0"
    assert tl.linalg.inv(A).grad_fn.name() == "LinalgInvExBackward0"
    assert tl.linalg.solve(A, A).grad_fn.name() == "LinalgSolveExBackward0"
    U, S, Vh = tl.linalg.svd(A)
    assert U.grad_fn is S.grad_fn is Vh.grad_fn and U.grad_fn.name() == "LinalgSvdBackward0"
    assert tl.linalg.eigvalsh(A).grad_fn.name() == "LinalgEighBackward0"
    assert tl.trace(A).grad_fn.name() == "TraceBackward0"


# ---- error contracts ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda lib: lib.linalg.inv(lib.zeros(3, 3, dtype=lib.float64)),
    lambda lib: lib.linalg.inv(lib.zeros(2, 3, 3, dtype=lib.float64)),
    lambda lib: lib.linalg.solve(lib.zeros(3, 3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.linalg.cholesky(-lib.eye(3, dtype=lib.float64)),
    lambda lib: lib.linalg.cholesky_ex(-lib.eye(3, dtype=lib.float64), check_errors=True),
    lambda lib: lib.linalg.lu_factor(lib.zeros(3, 3, dtype=lib.float64)),
    lambda lib: lib.linalg.det(lib.ones(2, 3)),
    lambda lib: lib.linalg.det(lib.ones(3)),
    lambda lib: lib.linalg.inv(lib.ones(3, 3, dtype=lib.int64)),
    lambda lib: lib.linalg.eigh(lib.ones(2, 3)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3), ord=3),
    lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), "fro"),
    lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.linalg.cross(lib.ones(2), lib.ones(2)),
    lambda lib: lib.trace(lib.ones(2, 2, 2)),
    lambda lib: lib.inner(lib.ones(2, 3), lib.ones(2, 4)),
    lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(4, 3), 1),
    lambda lib: lib.linalg.multi_dot([lib.ones(3)]),
    lambda lib: lib.block_diag(lib.ones(2, 2, 2)),
    lambda lib: lib.linalg.qr(lib.ones(3, 3), mode="bad"),
    lambda lib: lib.linalg.eigh(lib.eye(3), UPLO="X"),
    lambda lib: lib.einsum("ii->i", lib.ones(2, 3)),
])
def test_errors_match_torch(fn):
    same_as_torch(fn)


def test_singular_is_linalg_error():
    with pytest.raises(tl.linalg.LinAlgError, match="singular"):
        tl.linalg.inv(tl.zeros(2, 2, dtype=tl.float64))
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): .*leading minor of order 2"):
        tl.linalg.cholesky(tl.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]))
    _, info = tl.linalg.inv_ex(tl.zeros(2, 2, dtype=tl.float64))
    assert info.item() == 1 and info.dtype == tl.int32


def test_qr_not_differentiable_contracts():
    A = _rand(tl, 4, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        tl.linalg.qr(A, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        tl.linalg.qr(A, mode="complete").Q.sum().backward()


# ---- gradients: first and second order, checked numerically -----------------------------------
def _sym(f):
    """f of the symmetric part of its input (so the gradients live where eigh reads)."""
    return lambda A: f(A + A.mT)


GRAD_CASES = {
    "det": (lambda A: tl.linalg.det(A), lambda: _rand(tl, 2, 3, 3, requires_grad=True)),
    "det_singular": (lambda A: tl.linalg.det(A), lambda: tl.tensor(
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]], dtype=tl.float64, requires_grad=True)),
    "logabsdet": (lambda A: tl.linalg.slogdet(A).logabsdet, lambda: _rand(tl, 3, 3, requires_grad=True)),
    "inv": (lambda A: tl.linalg.inv(A), lambda: _rand(tl, 2, 3, 3, requires_grad=True)),
    "solve": (lambda A: tl.linalg.solve(A, A.sin()), lambda: _rand(tl, 3, 3, requires_grad=True)),
    "solve_left_false": (lambda A: tl.linalg.solve(A, A[:2].cos(), left=False),
                         lambda: _rand(tl, 3, 3, requires_grad=True)),
    "cholesky": (lambda A: tl.linalg.cholesky(A @ A.mT + 3 * tl.eye(3, dtype=tl.float64)),
                 lambda: _rand(tl, 3, 3, requires_grad=True)),
    "eigh": (_sym(lambda S: tl.linalg.eigh(S).eigenvalues * 2 + tl.linalg.eigh(S).eigenvectors.abs().sum(-2)),
             lambda: _rand(tl, 3, 3, requires_grad=True)),
    "svd": (lambda A: tl.linalg.svd(A, full_matrices=False).U.abs().sum(-1) + tl.linalg.svdvals(A).sum(),
            lambda: _rand(tl, 4, 3, requires_grad=True)),
    "qr": (lambda A: tl.linalg.qr(A).Q.sum() + tl.linalg.qr(A).R.sum(), lambda: _rand(tl, 4, 3, requires_grad=True)),
    "qr_wide": (lambda A: tl.linalg.qr(A).R.sum(), lambda: _rand(tl, 3, 5, requires_grad=True)),
    "lu_factor": (lambda A: tl.linalg.lu_factor(A).LU, lambda: _rand(tl, 4, 3, requires_grad=True)),
    "lu_wide": (lambda A: tl.linalg.lu(A).U, lambda: _rand(tl, 3, 4, requires_grad=True)),
    "matrix_exp": (lambda A: tl.linalg.matrix_exp(A), lambda: _rand(tl, 3, 3, requires_grad=True)),
    "pinv": (lambda A: tl.linalg.pinv(A), lambda: _rand(tl, 3, 4, requires_grad=True)),
    "solve_triangular": (lambda A: tl.linalg.solve_triangular(A + 4 * tl.eye(3, dtype=tl.float64), A, upper=True),
                         lambda: _rand(tl, 3, 3, requires_grad=True)),
    "cholesky_inverse": (lambda A: tl.cholesky_inverse(A.tril() + 3 * tl.eye(3, dtype=tl.float64)),
                         lambda: _rand(tl, 3, 3, requires_grad=True)),
    "matrix_norm_2": (lambda A: tl.linalg.matrix_norm(A, 2), lambda: _rand(tl, 3, 4, requires_grad=True)),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck_and_gradgradcheck(name):
    f, make = GRAD_CASES[name]
    A = make()
    assert gradcheck(f, (A,), eps=1e-6, atol=1e-5, rtol=1e-4)
    if name != "det_singular":  # (the adjugate's own derivative at a singular matrix goes through an SVD)
        assert gradgradcheck(f, (A,), eps=1e-6, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.linalg.det(_rand(lib, 3, 3, requires_grad=True)),
    lambda lib: lib.linalg.inv(_rand(lib, 2, 3, 3, requires_grad=True)).sum(),
    lambda lib: lib.linalg.solve(_rand(lib, 2, 1, 3, 3, requires_grad=True), _rand(lib, 4, 3, seed=2,
                                                                                    requires_grad=True)).sum(),
    lambda lib: lib.linalg.cholesky(_spd(lib, 3, requires_grad=True)).sum(),
])
def test_double_backward_matches_torch(fn):
    """d/dA of the sum of d(f)/dA: the second derivative, against torch's."""
    def run(lib):
        out = fn(lib)
        leaves = [t for t in _leaves(out)]
        (g,) = lib.autograd.grad(out, leaves[:1], create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), leaves[:1])
        return g.detach(), gg

    same_as_torch(run, rtol=1e-8, atol=1e-8)


def _leaves(t):
    """The leaf tensors of t's graph, first found first."""
    seen, out, stack = set(), [], [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if hasattr(node, "variable"):
            out.append(node.variable)
        stack.extend(reversed([n for n, _ in node.next_functions if n is not None]))
    return out


@pytest.mark.parametrize("f", [
    lambda L, x: L.linalg.det(x).abs(),
    lambda L, x: L.linalg.slogdet(x).sign.imag + L.linalg.slogdet(x).logabsdet,
    lambda L, x: L.linalg.inv(x).abs().sum(),
    lambda L, x: L.linalg.solve(x, x.sin()).abs().sum(),
    lambda L, x: L.linalg.cholesky(x @ x.mH).abs().sum(),
    lambda L, x: L.linalg.svdvals(x).sum(),
    lambda L, x: L.linalg.eigvalsh(x + x.mH).sum(),
    lambda L, x: L.linalg.eigvals(x).abs().sum(),
    lambda L, x: L.linalg.matrix_exp(x).abs().sum(),
])
def test_complex_values_and_grads_match_torch(f):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) + 3 * np.eye(3)
    xt, xo = torch.tensor(a, requires_grad=True), tl.tensor(a, requires_grad=True)
    rt, ro = f(torch, xt), f(tl, xo)
    rt.backward()
    ro.backward()
    np.testing.assert_allclose(ro.detach().numpy(), rt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
