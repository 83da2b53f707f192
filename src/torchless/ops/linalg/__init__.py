"""Linear algebra: the matmul family and torch.linalg, split by concern.

matmul.py        mm, bmm, mv, dot, outer, matmul (@), addmm, einsum
products.py      addmv, addr, addbmm, baddbmm, inner, kron, tensordot, vdot, trace, multi_dot, cross, ...
decompositions.py det, slogdet, cholesky, qr, svd, eigh, lu, geqrf, householder_product, ormqr
solvers.py       inv, solve, solve_triangular, cholesky_solve, lu_solve, lstsq, pinv, matrix_power, matrix_exp, ldl
norms.py         vector_norm, matrix_norm, linalg.norm, torch.norm, cond, matrix_rank
"""

# isort: off
from .matmul import *
from .matmul import einsum, matmul, mm, bmm, mv, dot, outer, addmm  # noqa: F401
from . import products, decompositions, solvers, norms  # noqa: F401
from ._common import LinAlgError  # noqa: F401
# isort: on
