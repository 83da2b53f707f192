"""torch.special, the gamma / erf / Bessel families and torch.signal.windows against torch: edge values,
integer promotion, gradients at the special points, error contracts, and SciPy as an optional extra."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from torch_compare import raises_like_torch, same_as_torch

import torchless

EDGES = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -3.7, 12.0, -30.0, math.inf, -math.inf, math.nan]
UNIT = [0.0, 0.1, 0.5, 0.99, 1.0, -0.3, -1.0, 1.5, math.nan]


def space(lib, dotted):
    f = lib
    for part in dotted.split("."):
        f = getattr(f, part)
    return f


def grads(lib, fn, *values):
    leaves = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
    out = fn(*leaves)
    return out, lib.autograd.grad(out.sum(), leaves, allow_unused=True)


# ---- SciPy: optional, imported on first use ----------------------------------------------------------
def test_import_does_not_load_scipy():
    code = "import sys, torchless; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match=r"pip install torchless\[scipy\]"):
        torchless.lgamma(torchless.tensor([1.5]))


# ---- unary functions: edge values, dtypes -------------------------------------------------------------
DIFFERENTIABLE = ["digamma", "lgamma", "erfc", "i0", "special.i0e", "special.i1", "special.i1e", "special.ndtr",
                  "special.log_ndtr", "special.erfcx", "special.entr", "special.psi", "special.gammaln",
                  "special.expit", "special.exp2", "special.expm1", "special.erf", "special.sinc", "special.round"]
NOT_DIFFERENTIABLE = ["special.airy_ai", "special.bessel_j0", "special.bessel_j1", "special.bessel_y0",
                      "special.bessel_y1", "special.modified_bessel_i0", "special.modified_bessel_i1",
                      "special.modified_bessel_k0", "special.modified_bessel_k1", "special.scaled_modified_bessel_k0",
                      "special.scaled_modified_bessel_k1", "special.spherical_bessel_j0"]


@pytest.mark.parametrize("name", DIFFERENTIABLE + NOT_DIFFERENTIABLE)
def test_unary_edge_values(name):
    # (torch's own Bessel kernels are accurate to about 1e-6 here and there; SciPy's to the last bits)
    same_as_torch(lambda lib: space(lib, name)(lib.tensor(EDGES, dtype=lib.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["erfinv", "special.ndtri", "special.logit"])
def test_unit_interval_functions(name):
    same_as_torch(lambda lib: space(lib, name)(lib.tensor(UNIT, dtype=lib.float64)))


@pytest.mark.parametrize("name", DIFFERENTIABLE + NOT_DIFFERENTIABLE + ["erfinv", "special.ndtri"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float32"])
def test_integers_compute_in_the_default_float(name, dtype):
    def run(lib):
        x = lib.tensor([0, 1, 2]) if dtype != "bool" else lib.tensor([True, False])
        return space(lib, name)(x.to(getattr(lib, dtype)))

    same_as_torch(run, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NOT_DIFFERENTIABLE)
def test_no_derivative_means_no_graph(name):
    same_as_torch(lambda lib: space(lib, name)(lib.tensor([0.5, 1.5], requires_grad=True)).requires_grad)


@pytest.mark.parametrize("name", ["special.i0e", "special.i1", "special.i1e", "special.entr", "special.ndtr",
                                  "special.log_ndtr", "special.erfcx", "special.ndtri", "erfinv", "digamma",
                                  "lgamma", "erfc", "i0"])
def test_gradients_at_special_points(name):
    # (not at the poles of digamma, the negative integers: torch's trigamma is finite there, 1e32)
    x = [0.0, 0.25, 0.5, 0.9] if name in ("special.ndtri", "erfinv") else [0.0, -0.0, 0.5, -2.5, 8.0, -30.5]
    # (torch's own trigamma, the derivative of digamma, is accurate to about 1e-9)
    same_as_torch(lambda lib: grads(lib, space(lib, name), x), rtol=1e-8)


@pytest.mark.parametrize("name", ["special.i1", "special.i1e", "special.i0e", "special.log_ndtr", "erfinv"])
def test_second_derivatives(name):
    def run(lib):
        x = lib.tensor([0.0, 0.3, -0.7], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(space(lib, name)(x).sum(), [x], create_graph=True)
        return lib.autograd.grad(g.sum(), [x])

    same_as_torch(run)


def test_grad_fn_names():
    def run(lib):
        x = lib.tensor([0.3, 0.6], requires_grad=True)
        outs = [lib.special.ndtr(x), lib.special.ndtri(x), lib.special.round(x), lib.special.gammaln(x),
                lib.special.psi(x), lib.special.multigammaln(x + 2, 2), lib.special.polygamma(2, x),
                lib.special.xlog1py(x, x), lib.special.xlog1py(2.0, x), lib.special.xlog1py(x, 2.0),
                lib.special.zeta(2.0, x), lib.special.gammainc(x, x), lib.special.expit(x)]
        return [type(o.grad_fn).__name__ for o in outs]

    same_as_torch(run)


# ---- polygamma, mvlgamma --------------------------------------------------------------------------------------
def test_polygamma_orders_and_errors():
    same_as_torch(lambda lib: [lib.polygamma(n, lib.tensor([0.5, 1.0, 3.3, -1.5], dtype=lib.float64)) for n in range(5)],
                  rtol=1e-8)  # (torch's trigamma: accurate to about 1e-9)
    same_as_torch(lambda lib: (lib.tensor([1.5, 2.0]).polygamma(2), lib.tensor([1.5, 2.0]).polygamma_(1),
                               lib.polygamma(1, lib.tensor([1, 2]))), rtol=1e-6)
    same_as_torch(lambda lib: grads(lib, lambda x: lib.polygamma(2, x), [0.5, 2.0, 5.0]))
    raises_like_torch(lambda lib: lib.polygamma(-1, lib.tensor([1.0])), "does not support negative n")
    raises_like_torch(lambda lib: lib.special.polygamma(1.5, lib.tensor([1.0])), "must be int, not float")


def test_mvlgamma():
    same_as_torch(lambda lib: [lib.mvlgamma(lib.tensor([2.5, 4.0, 10.0], dtype=lib.float64), p) for p in (1, 2, 5)])
    same_as_torch(lambda lib: (lib.mvlgamma(lib.tensor([3, 4]), 2), lib.tensor([3.0]).mvlgamma_(3)), rtol=1e-6)
    same_as_torch(lambda lib: grads(lib, lambda x: lib.special.multigammaln(x, 3), [2.5, 4.0]))
    raises_like_torch(lambda lib: lib.mvlgamma(lib.tensor([3.0]), 0), "p has to be greater than or equal to 1")


# ---- incomplete gamma, zeta, xlog1py ---------------------------------------------------------------------------
def test_igamma_values_and_derivatives():
    a, x = [0.5, 1.0, 3.0, 0.0, -1.0], [0.5, 2.0, 1.0, 1.0, 1.0]
    same_as_torch(lambda lib: (lib.igamma(lib.tensor(a), lib.tensor(x)), lib.special.gammaincc(lib.tensor(a),
                                                                                              lib.tensor(x)),
                               lib.tensor(a).igammac_(lib.tensor(x))))

    def only_x(lib, name):
        xs = lib.tensor(x, requires_grad=True)
        return lib.autograd.grad(getattr(lib, name)(lib.tensor(a).abs() + 0.5, xs).sum(), [xs])

    same_as_torch(lambda lib: only_x(lib, "igamma"))
    same_as_torch(lambda lib: only_x(lib, "igammac"))
    raises_like_torch(lambda lib: grads(lib, lib.igamma, [1.0], [2.0]), "derivative for 'igamma: input'")
    raises_like_torch(lambda lib: lib.igamma(lib.tensor([1, 2]), lib.tensor([1, 2])), "not implemented for 'Long'")
    raises_like_torch(lambda lib: lib.igamma(lib.tensor([1.0]), 2.0), "must be Tensor, not float")


def test_zeta():
    same_as_torch(lambda lib: (lib.special.zeta(lib.tensor([2.0, 3.0, 1.0, 0.5]), lib.tensor([1.0, 2.5, 1.0, 2.0])),
                               lib.special.zeta(2, lib.tensor([1, 2])), lib.special.zeta(lib.tensor([2.0, 4.0]), 1.0)))
    same_as_torch(lambda lib: grads(lib, lambda q: lib.special.zeta(3.0, q), [1.0, 2.5]))
    raises_like_torch(lambda lib: grads(lib, lib.special.zeta, [3.0], [2.0]), "derivative for 'zeta' is not implemented")


def test_xlog1py():
    same_as_torch(lambda lib: (lib.special.xlog1py(lib.tensor([0.0, 0.0, 1.0, 2.0]),
                                                   lib.tensor([-1.0, math.nan, -1.0, 0.5])),
                               lib.special.xlog1py(lib.tensor([1, 2]), 3), lib.special.xlog1py(0, lib.tensor([1.0]))))
    same_as_torch(lambda lib: grads(lib, lib.special.xlog1py, [0.0, 0.0, 1.0, 2.0], [-1.0, 0.5, -0.5, 3.0]))


# ---- orthogonal polynomials -------------------------------------------------------------------------------------
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
               "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials(name):
    x = [-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 1.7, 0.999]
    n = [-1.0, 0.0, 1.0, 2.0, 3.5, 7.0, 9.0, 12.0]

    def run(lib):
        f = getattr(lib.special, name)
        X, N = lib.tensor(x, dtype=lib.float64), lib.tensor(n, dtype=lib.float64)
        return (f(X, N), f(X.unsqueeze(1), N), f(X, 4), f(0.5, N), f(lib.tensor([0, 1, 2]), lib.tensor([3])),
                f(X.requires_grad_(), 3).requires_grad)

    same_as_torch(run, rtol=1e-9)
    raises_like_torch(lambda lib: getattr(lib.special, name)(0.5, 3), "")


# ---- aliases --------------------------------------------------------------------------------------------------
def test_special_aliases():
    def run(lib):
        x = lib.tensor([[0.2, 0.7], [0.1, 0.9]], dtype=lib.float64)
        s = lib.special
        return (s.softmax(x, 1), s.log_softmax(x, 0), s.logsumexp(x, 1, keepdim=True), s.round(x * 10, decimals=1),
                s.gammainc(x, x), s.gammaincc(x, x), s.multigammaln(x + 2, 2), s.erfinv(x), s.erfc(x),
                s.digamma(x), s.i0(x), s.xlogy(x, x), s.logit(x, eps=0.15), s.polygamma(1, x), s.log1p(x))

    same_as_torch(run, rtol=1e-8)


# ---- signal.windows --------------------------------------------------------------------------------------------
WINDOWS = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "hamming", "hann", "kaiser", "nuttall",
           "general_hamming"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    def run(lib):
        w = getattr(lib.signal.windows, name)
        return [w(m, sym=sym) for m in (0, 1, 2, 5, 8) for sym in (True, False)] + [w(7, dtype=lib.float64)]

    same_as_torch(run)


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors(name):
    raises_like_torch(lambda lib: getattr(lib.signal.windows, name)(-1), "requires non-negative window length, got M=-1")
    raises_like_torch(lambda lib: getattr(lib.signal.windows, name)(4, dtype=lib.int64), "expects float32 or float64")


def test_window_parameters():
    def W(lib):
        return lib.signal.windows

    same_as_torch(lambda lib: (W(lib).kaiser(6, beta=3.5), W(lib).kaiser(6, beta=0.0, sym=False),
                               W(lib).gaussian(6, std=0.7), W(lib).exponential(6, tau=2.0),
                               W(lib).exponential(6, center=1.0, sym=False), W(lib).general_hamming(6, alpha=0.6),
                               W(lib).general_cosine(7, a=(0.5, 0.3, 0.2), sym=False)))
    raises_like_torch(lambda lib: W(lib).gaussian(4, std=0.0), "Standard deviation must be positive")
    raises_like_torch(lambda lib: W(lib).exponential(4, tau=-1.0), "Tau must be positive")
    raises_like_torch(lambda lib: W(lib).exponential(4, center=1.0), "Center must be None for symmetric windows")
    raises_like_torch(lambda lib: W(lib).kaiser(4, beta=-1.0), "beta must be non-negative")
    raises_like_torch(lambda lib: W(lib).general_cosine(4, a=[]), "Coefficients cannot be empty")
    raises_like_torch(lambda lib: W(lib).general_cosine(4, a=1.0), "Coefficients must be a list/tuple")


@pytest.mark.parametrize("name", ["hann", "gaussian", "bartlett", "kaiser"])
def test_window_requires_grad_records_a_graph(name):
    def run(lib):
        w = getattr(lib.signal.windows, name)(4, requires_grad=True)
        return w.requires_grad, w.grad_fn.name()

    same_as_torch(run)


@pytest.mark.parametrize("name", NOT_DIFFERENTIABLE + DIFFERENTIABLE + ["special.ndtri", "erfinv"])
def test_float16(name):
    """torch has float16 kernels for some of these only: the others refuse it."""
    same_as_torch(lambda lib: space(lib, name)(lib.tensor([0.25, 0.5, 1.5], dtype=lib.float16)), rtol=2e-3)


@pytest.mark.parametrize("name", ["special.zeta", "special.xlog1py", "special.chebyshev_polynomial_t", "igamma",
                                  "hypot", "logaddexp"])
def test_float16_binary(name):
    same_as_torch(lambda lib: space(lib, name)(lib.tensor([1.25, 2.0], dtype=lib.float16),
                                               lib.tensor([0.5, 3.0], dtype=lib.float16)), rtol=2e-3)
