"""torch.special, and the gamma, error-function and Bessel families of torch's pointwise math
(digamma, lgamma, polygamma, mvlgamma, erfc, erfinv, i0, igamma, ...).

The kernels are SciPy's (``scipy.special``), an optional extra imported on first use: without
it these functions raise ImportError (``pip install torchless[scipy]``). Each op's forward (on
arrays) sits beside its derivative rule (in tensor ops, so it differentiates again).
"""

from __future__ import annotations

import math

from .._dtype import DEFAULT, result_np_dtype
from .._tensor import Tensor, _wrap
from ..backend import np
from . import activation, elementwise, pointwise, reduction
from ._core import Op, binary, register, sum_to, unary
from ._samples import POS, UNIT, T
from .elementwise import _unary, where
from .pointwise import floats_only, masked_where_zero, not_implemented_for, require_tensor, xlogy


def scipy_special():
    """``scipy.special``, imported on first use (importing torchless stays fast without it)."""
    try:
        import scipy.special
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("this torchless function needs SciPy: pip install torchless[scipy]") from None
    return scipy.special


def _sp(name: str, half: bool = True):
    """A forward that applies ``scipy.special.<name>``, keeping the input's float dtype (refusing
    float16, as torch's kernel does, unless ``half``)."""

    def forward(x):
        if not half:
            no_half(name, x)
        return getattr(scipy_special(), name)(x).astype(x.dtype, copy=False)

    forward.__name__ = name
    return forward


def no_half(name: str, *arrays) -> None:
    """torch has no float16 kernel for most of torch.special: refuse it with its error."""
    for a in arrays:
        if getattr(a, "dtype", None) == np.float16:
            raise not_implemented_for(f"{name}_cpu", a.dtype)


SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / SQRT_PI
UNARY_SAMPLES = [(T(3, 4),), (T(),)]


def _alias(name: str, fn, samples, **kw):
    """Publish an existing function under another name (torch.special's aliases)."""
    return register(name, samples=samples, **kw)(fn)


# ---- the gamma family --------------------------------------------------------------------------
class PolygammaBackward0(Op):
    """polygamma(n, x): d/dx = polygamma(n + 1, x)"""

    float_result = True

    @staticmethod
    def forward(x, n):
        sp = scipy_special()
        out = sp.digamma(x) if n == 0 else sp.polygamma(n, x)
        return np.asarray(out).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        (n,) = self._params
        return (g * polygamma(n + 1, x),)


digamma = _unary("DigammaBackward0", _sp("digamma"), lambda s, g, x: g * polygamma(1, x), name="digamma",
                 domain=POS)


def _lgamma(x):
    out = scipy_special().gammaln(x).astype(x.dtype, copy=False)
    return np.where(x == -math.inf, math.inf, out).astype(x.dtype, copy=False)  # (|gamma(-inf)|: inf in torch)


lgamma = _unary("LgammaBackward0", _lgamma, lambda s, g, x: g * digamma(x), name="lgamma", domain=POS)


def _check_n(n, fn="polygamma"):
    if isinstance(n, Tensor) or not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"{fn}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


@register(method=False, samples=[(1, T(3, 4, lo=0.5, hi=3.0)), (2, T(3, lo=0.5, hi=3.0)), (0, T(3, lo=0.5))])
def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma (digamma itself for n = 0)."""
    _check_n(n)
    return unary(PolygammaBackward0, input, n)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def _polygamma_(self: Tensor, n: int) -> Tensor:
    from .inplace import apply_inplace

    _check_n(n)
    return apply_inplace(self, _polygamma_method, "polygamma_", n)


Tensor.polygamma = _polygamma_method
Tensor.polygamma_ = _polygamma_


class MvlgammaBackward0(Op):
    """mvlgamma(x, p) = p(p-1)/4 log(pi) + sum_j lgamma(x - j/2): d/dx = sum_j digamma(x - j/2)"""

    float_result = True

    @staticmethod
    def forward(x, p):
        args = np.arange(-p / 2 + 0.5, 0.5, 0.5, dtype=x.dtype)
        terms = scipy_special().gammaln(x[..., None] + args).astype(x.dtype, copy=False)
        return (terms.sum(-1) + p * (p - 1) / 4 * math.log(math.pi)).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        (p,) = self._params
        args = _wrap(np.arange(-p / 2 + 0.5, 0.5, 0.5, dtype=x._data.dtype), None)
        return (g * digamma(x.unsqueeze(-1) + args).sum(-1),)


@register(inplace="mvlgamma_", samples=[(T(3, 4, lo=2.5, hi=4.0), 1), (T(3, lo=2.5, hi=4.0), 3)])
def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return unary(MvlgammaBackward0, input, p)


class IgammaBackward0(Op):
    """igamma(a, x), the regularized lower incomplete gamma: d/dx = x^(a-1) e^-x / gamma(a); torch
    has no derivative in a"""

    float_result = True
    sign = 1.0
    kernel = "gammainc"

    @classmethod
    def forward(cls, a, x):
        return getattr(scipy_special(), cls.kernel)(a, x).astype(np.result_type(a, x), copy=False)

    def backward(self, g):
        a, x = self.saved
        if self.needs(0):
            op = type(self).__name__[:-9].lower()
            raise NotImplementedError(f"the derivative for '{op}: input' is not implemented.")
        d = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return None, sum_to(g * d * self.sign, x.shape)


class IgammacBackward0(IgammaBackward0):
    """igammac = 1 - igamma: d/dx = -x^(a-1) e^-x / gamma(a)"""

    __slots__ = ()
    sign = -1.0
    kernel = "gammaincc"


@register(inplace="igamma_", samples=[(T(3, 4, lo=0.5), T(4, lo=0.5)), (T(3, lo=0.5), T(3, lo=0.5))],
          differentiable=False, gradcheck=False)
def igamma(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function P(input, other)."""
    require_tensor("igamma", "other", 2, other)
    floats_only("igamma_cpu", input, other)
    return binary(IgammaBackward0, input, other)


@register(inplace="igammac_", samples=[(T(3, 4, lo=0.5), T(4, lo=0.5)), (T(3, lo=0.5), T(3, lo=0.5))],
          differentiable=False, gradcheck=False)
def igammac(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    require_tensor("igammac", "other", 2, other)
    floats_only("igammac_cpu", input, other)
    return binary(IgammacBackward0, input, other)


# ---- the error function family ---------------------------------------------------------------------
erfc = _unary("ErfcBackward0", _sp("erfc"), lambda s, g, x: g * (-TWO_OVER_SQRT_PI * (-(x * x)).exp()),
              name="erfc")
# (torch recomputes erfinv(x) in the rule rather than reading the output)
erfinv = _unary("ErfinvBackward0", _sp("erfinv"), lambda s, g, x: g * (0.5 * SQRT_PI * (erfinv(x) ** 2).exp()),
                name="erfinv", domain=UNIT)


def _ndtr_rule(s, g, x):
    return g * ((x * x * -0.5).exp() / SQRT_2PI)


# torch composes ndtr from erf and a product with a number: its node is MulBackward1
ndtr = _unary("MulBackward1", _sp("ndtr"), _ndtr_rule, name="special.ndtr", inplace=False)
ndtri = _unary("SpecialNdtriBackward0", _sp("ndtri", half=False),
               lambda s, g, x: g * (SQRT_2PI * (s.out * s.out * 0.5).exp()), name="special.ndtri",
               save_output=True, inplace=False, domain=(0.05, 0.95), reads_x=False)
log_ndtr = _unary("SpecialLogNdtrBackward0", _sp("log_ndtr", half=False),
                  lambda s, g, x: g / SQRT_2PI * (-(s.out + x * x * 0.5)).exp(), name="special.log_ndtr",
                  save_output=True, inplace=False, reads_x=True)
erfcx = _unary("SpecialErfcxBackward0", _sp("erfcx", half=False), lambda s, g, x: g * (2 * x * s.out - TWO_OVER_SQRT_PI),
               name="special.erfcx", save_output=True, inplace=False, reads_x=True)


def _entr(x):
    return scipy_special().entr(x).astype(x.dtype, copy=False)


entr = _unary("SpecialEntrBackward0", _entr, lambda s, g, x: g * -(1 + x.log()), name="special.entr",
              inplace=False, domain=POS)


# ---- modified Bessel functions of the first kind -----------------------------------------------------
def _nonzero(x: Tensor) -> Tensor:
    """x with its zeros replaced by ones: a denominator for the branch of a where that x = 0 does
    not take (so that its derivative there is 0, not 0 * inf = nan)."""
    return where(x == 0, 1.0, x)


i0 = _unary("I0Backward0", _sp("i0"), lambda s, g, x: g * i1(x), name="i0")
i0e = _unary("SpecialI0EBackward0", _sp("i0e"), lambda s, g, x: g * (i1e(x) - x.sgn() * s.out),
             name="special.i0e", save_output=True, inplace=False, reads_x=True)
i1 = _unary("SpecialI1Backward0", _sp("i1"), lambda s, g, x: g * where(x == 0, 0.5, i0(x) - s.out / _nonzero(x)),
            name="special.i1", save_output=True, inplace=False, reads_x=True)
i1e = _unary("SpecialI1EBackward0", _sp("i1e"),
             lambda s, g, x: g * where(x == 0, 0.5, i0e(x) - s.out * (x.sgn() + _nonzero(x).reciprocal())),
             name="special.i1e", save_output=True, inplace=False, reads_x=True)


# ---- functions of two arguments: xlog1py, zeta --------------------------------------------------------
def _xlog1py(x, y):
    out = np.where(x == 0, 0.0, x * np.log1p(y))
    out = np.where(np.isnan(y), np.nan, out)
    return out.astype(np.result_type(x, y), copy=False)


class SpecialXlog1PyBackward0(Op):
    """xlog1py = x log(1 + y) (0 where x = 0): d/dx = log1p(y) (0 where x = 0 and y <= -1), d/dy = x / (1 + y)"""

    float_result = True
    forward = staticmethod(_xlog1py)

    def backward(self, g):
        x, y = self.saved
        gx = sum_to(masked_where_zero(xlog1py(g, y), x, y, -1.0), x.shape) if self.needs(0) else None
        gy = sum_to(g * x / (y + 1), y.shape) if self.needs(1) else None
        return gx, gy


class SpecialXlog1PyBackward1(SpecialXlog1PyBackward0):
    """xlog1py of a number and a tensor"""

    __slots__ = ()


class SpecialXlog1PyBackward2(SpecialXlog1PyBackward0):
    """xlog1py of a tensor and a number"""

    __slots__ = ()


def _by_operands(classes, x, y):
    """The node class for tensor/tensor, number/tensor and tensor/number operands."""
    return classes[0] if isinstance(x, Tensor) and isinstance(y, Tensor) else (
        classes[1] if isinstance(y, Tensor) else classes[2])


@register("special.xlog1py", samples=[(T(3, 4), T(4, lo=0.5)), (T(3), 2.5), (1.5, T(3, lo=0.5))])
def xlog1py(input, other) -> Tensor:
    """``input * log1p(other)``, 0 where input is 0 (unless other is nan)."""
    cls = _by_operands((SpecialXlog1PyBackward0, SpecialXlog1PyBackward1, SpecialXlog1PyBackward2), input, other)
    return binary(cls, input, other)


class SpecialZetaBackward0(Op):
    """zeta(x, q), the Hurwitz zeta function: d/dq = -x zeta(x + 1, q); none in x (torch has none)"""

    float_result = True

    @staticmethod
    def forward(x, q):
        no_half("zeta", x, q)
        return np.asarray(scipy_special().zeta(x, q)).astype(np.result_type(x, q), copy=False)

    def backward(self, g):
        x, q = self.saved
        if self.needs(0):
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, sum_to(g * -x * zeta(x + 1.0, q), q.shape)


class SpecialZetaBackward1(SpecialZetaBackward0):
    """zeta of a number and a tensor"""

    __slots__ = ()


class SpecialZetaBackward2(SpecialZetaBackward0):
    """zeta of a tensor and a number"""

    __slots__ = ()


@register("special.zeta", samples=[(T(3, 4, lo=1.5, hi=4.0), T(4, lo=0.5)), (T(3, lo=1.5, hi=4.0), 2.5),
                                   (2.5, T(3, lo=0.5))], differentiable=False)
def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function ``sum_k (k + other) ** -input``."""
    return binary(_by_operands((SpecialZetaBackward0, SpecialZetaBackward1, SpecialZetaBackward2), input, other),
                  input, other)


# ---- functions torch does not differentiate: results that require no grad ---------------------------
def _no_grad_unary(name: str, kernel, doc: str):
    def fn(input: Tensor) -> Tensor:
        d = input._data
        if d.dtype.kind not in "fc":
            d = d.astype(DEFAULT.float.np)
        no_half(name, d)
        return _wrap(np.asarray(kernel(scipy_special(), d)).astype(d.dtype, copy=False), None)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    register("special." + name, samples=UNARY_SAMPLES, differentiable=False)(fn)
    return fn


airy_ai = _no_grad_unary("airy_ai", lambda sp, x: sp.airy(x)[0], "The Airy function Ai.")
bessel_j0 = _no_grad_unary("bessel_j0", lambda sp, x: sp.j0(x), "The Bessel function of the first kind, order 0.")
bessel_j1 = _no_grad_unary("bessel_j1", lambda sp, x: sp.j1(x), "The Bessel function of the first kind, order 1.")
bessel_y0 = _no_grad_unary("bessel_y0", lambda sp, x: sp.y0(x), "The Bessel function of the second kind, order 0.")
bessel_y1 = _no_grad_unary("bessel_y1", lambda sp, x: sp.y1(x), "The Bessel function of the second kind, order 1.")
modified_bessel_i0 = _no_grad_unary("modified_bessel_i0", lambda sp, x: sp.i0(x),
                                    "The modified Bessel function of the first kind, order 0.")
modified_bessel_i1 = _no_grad_unary("modified_bessel_i1", lambda sp, x: sp.i1(x),
                                    "The modified Bessel function of the first kind, order 1.")
modified_bessel_k0 = _no_grad_unary("modified_bessel_k0", lambda sp, x: sp.k0(x),
                                    "The modified Bessel function of the second kind, order 0.")
modified_bessel_k1 = _no_grad_unary("modified_bessel_k1", lambda sp, x: sp.k1(x),
                                    "The modified Bessel function of the second kind, order 1.")
scaled_modified_bessel_k0 = _no_grad_unary("scaled_modified_bessel_k0", lambda sp, x: sp.k0e(x),
                                           "``exp(x) * modified_bessel_k0(x)``.")
scaled_modified_bessel_k1 = _no_grad_unary("scaled_modified_bessel_k1", lambda sp, x: sp.k1e(x),
                                           "``exp(x) * modified_bessel_k1(x)``.")
spherical_bessel_j0 = _no_grad_unary("spherical_bessel_j0", lambda sp, x: sp.spherical_jn(0, x),
                                     "The spherical Bessel function of the first kind, order 0: sin(x) / x.")


# ---- orthogonal polynomials P_n(x), n truncated to an integer (0 for n < 0) ---------------------------
def _chebyshev_vw(sign):
    """Chebyshev V (sign -1) and W (sign +1) from U: V_n = U_n - U_(n-1), W_n = U_n + U_(n-1)."""
    return lambda sp, n, x: sp.eval_chebyu(n, x) + sign * np.where(n > 0, sp.eval_chebyu(np.maximum(n - 1, 0), x), 0)


def _shifted(kernel):
    """The polynomial of the shifted argument 2x - 1 (orthogonal on [0, 1])."""
    return lambda sp, n, x: kernel(sp, n, x + x - 1)


POLYNOMIALS = {
    "chebyshev_polynomial_t": (lambda sp, n, x: sp.eval_chebyt(n, x), "Chebyshev polynomial of the first kind"),
    "chebyshev_polynomial_u": (lambda sp, n, x: sp.eval_chebyu(n, x), "Chebyshev polynomial of the second kind"),
    "chebyshev_polynomial_v": (_chebyshev_vw(-1), "Chebyshev polynomial of the third kind"),
    "chebyshev_polynomial_w": (_chebyshev_vw(1), "Chebyshev polynomial of the fourth kind"),
    "hermite_polynomial_h": (lambda sp, n, x: sp.eval_hermite(n, x), "physicists' Hermite polynomial"),
    "hermite_polynomial_he": (lambda sp, n, x: sp.eval_hermitenorm(n, x), "probabilists' Hermite polynomial"),
    "laguerre_polynomial_l": (lambda sp, n, x: sp.eval_laguerre(n, x), "Laguerre polynomial"),
    "legendre_polynomial_p": (lambda sp, n, x: sp.eval_legendre(n, x), "Legendre polynomial"),
}
for _kind in "tuvw":
    _kernel, _what = POLYNOMIALS[f"chebyshev_polynomial_{_kind}"]
    POLYNOMIALS[f"shifted_chebyshev_polynomial_{_kind}"] = (_shifted(_kernel), "shifted " + _what)


def _polynomial(name: str, kernel, what: str):
    def fn(input, n) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            raise TypeError(f"special_{name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(n).__name__}): x or n must be a Tensor")
        rd = result_np_dtype((input, n))
        if rd.kind not in "fc":
            rd = DEFAULT.float.np
        x = np.asarray(input._data if isinstance(input, Tensor) else input, dtype=rd)
        no_half(name, x)
        k = np.asarray(n._data if isinstance(n, Tensor) else n, dtype=rd)
        k = np.where(np.isfinite(k), k, -1).astype(np.int64)  # (torch truncates n to an integer)
        out = np.where(k < 0, 0, kernel(scipy_special(), np.maximum(k, 0), x))
        return _wrap(np.asarray(out).astype(rd, copy=False), None)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"The {what} of degree ``n`` (truncated to an integer; 0 for negative n) at ``input``."
    samples = [(T(3, 4, lo=-1.0, hi=1.0), 3), (T(3, lo=-1.0, hi=1.0), 7), (T(3), 5), (0.5, T(3, lo=0.0, hi=6.0))]
    register("special." + name, samples=samples, differentiable=False)(fn)
    return fn


for _name, (_kernel, _what) in POLYNOMIALS.items():
    globals()[_name] = _polynomial(_name, _kernel, _what)


# ---- torch.special's names for functions torch also has at the top level -----------------------------
def _round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round to ``decimals`` places, halves to even (torch.special.round: decimals=0 by default)."""
    if input._data.dtype.kind not in "fc":  # (torch's kernel with decimals is for floats only)
        raise not_implemented_for("round_vml_cpu" if decimals == 0 else "round_cpu", input._data.dtype)
    return elementwise.round(input, decimals=decimals)


_round.__name__ = _round.__qualname__ = "round"
_X, _U, _P = [(T(3, 4),)], [(T(3, 4, lo=-0.9, hi=0.9),)], [(T(3, 4, lo=0.5, hi=3.0),)]
for _name, _fn, _samples in (
    ("expit", elementwise.sigmoid, _X), ("exp2", elementwise.exp2, _X), ("expm1", elementwise.expm1, _X),
    ("log1p", elementwise.log1p, _P), ("erf", elementwise.erf, _X), ("erfc", erfc, _X), ("erfinv", erfinv, _U),
    ("gammaln", lgamma, _P), ("digamma", digamma, _P), ("psi", digamma, _P), ("i0", i0, _X),
    ("sinc", pointwise.sinc, _X), ("round", _round, _X + [(T(3), {"decimals": 2})]),
    ("logit", pointwise.logit, [(T(3, 4, lo=0.05, hi=0.95),), (T(3, lo=0.05, hi=0.95), 0.2)]),
    ("xlogy", xlogy, [(T(3, 4), T(4, lo=0.5)), (T(3), 2.5)]),
    ("polygamma", polygamma, [(1, T(3, 4, lo=0.5, hi=3.0))]),
    ("multigammaln", mvlgamma, [(T(3, 4, lo=2.5, hi=4.0), 2)]),
    ("gammainc", igamma, [(T(3, 4, lo=0.5), T(4, lo=0.5))]), ("gammaincc", igammac, [(T(3, 4, lo=0.5), T(4, lo=0.5))]),
    ("softmax", activation.softmax, [(T(3, 4), 1)]), ("log_softmax", activation.log_softmax, [(T(3, 4), 1)]),
    ("logsumexp", reduction.logsumexp, [(T(3, 4), 1), (T(3, 4), 0, True)]),
):
    _alias("special." + _name, _fn, _samples, differentiable=_name not in ("gammainc", "gammaincc"))
