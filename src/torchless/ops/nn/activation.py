"""nn.functional activation ops (registered as "nn.functional.<name>"; see ops/_core.py).

Each op with a grad_fn of its own in torch is an Op below: forward on arrays, the derivative
rule on tensors (so it differentiates again). Masks in the rules are constants.
"""

from __future__ import annotations

import math

from ..._grad_mode import _grad_enabled
from ..._tensor import Tensor, _wrap, _wrap_dim
from ...backend import np
from .._core import Op, register, unary
from .._samples import T
from ..activation import log_softmax as _log_softmax
from ..activation import softmax as _softmax
from ..elementwise import _erf, _sigmoid, mask_grad, relu, where
from ..inplace import apply_inplace
from ..shape import cat


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


def _maybe_inplace(fn, name, input, inplace, *args):
    """``fn(input, *args)``, written back into ``input`` when ``inplace``."""
    if inplace:
        return apply_inplace(input, fn, name, *args)
    return fn(input, *args)


def _node(node_name: str, forward, rule, doc: str, save_output=False):
    """An elementwise Op class from its forward (arrays, params) and its rule (node, g, x, params)."""

    def backward(self, g):
        return (rule(self, g, self.saved[0], *self._params),)

    return type(node_name, (Op,), {"__slots__": (), "forward": staticmethod(forward), "backward": backward,
                                   "save_output": save_output, "__doc__": doc})


# ---- piecewise linear -------------------------------------------------------------------------
HardtanhBackward0 = _node(
    "HardtanhBackward0", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi).astype(x.dtype, copy=False),
    lambda s, g, x, lo, hi: mask_grad(g, _const((x._data > lo) & (x._data < hi))),
    "hardtanh: d/dx = 1 inside (min_val, max_val), 0 outside")


def _hardtanh(input, lo, hi):
    return unary(HardtanhBackward0, input, lo, hi)


@register("nn.functional.hardtanh")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, "hardtanh_", input, inplace, min_val, max_val)


@register("nn.functional.hardtanh_")
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, inplace=True)


@register("nn.functional.relu6")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``"""
    return hardtanh(input, 0.0, 6.0, inplace)


@register("nn.functional.relu")
def relu_fn(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``

    >>> import torchless as torch
    >>> torch.nn.functional.relu(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return _maybe_inplace(relu, "relu_", input, inplace)


@register("nn.functional.relu_")
def relu_(input: Tensor) -> Tensor:
    """In-place relu."""
    return apply_inplace(input, relu, "relu_")


LeakyReluBackward0 = _node(
    "LeakyReluBackward0", lambda x, a: np.where(x > 0, x, x * a).astype(x.dtype, copy=False),
    lambda s, g, x, a: g * _const(np.where(x._data > 0, 1.0, a).astype(x._data.dtype)),
    "leaky_relu: d/dx = 1 where x > 0, negative_slope elsewhere")


def _leaky(input, a):
    return unary(LeakyReluBackward0, input, a)


@register("nn.functional.leaky_relu")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _maybe_inplace(_leaky, "leaky_relu_", input, inplace, negative_slope)


@register("nn.functional.leaky_relu_")
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky_relu."""
    return leaky_relu(input, negative_slope, True)


ThresholdBackward0 = _node(
    "ThresholdBackward0", lambda x, th, v: np.where(x > th, x, v).astype(x.dtype, copy=False),
    lambda s, g, x, th, v: mask_grad(g, _const(x._data > th)),
    "threshold: d/dx = 1 where x > threshold, 0 elsewhere")


def _threshold(input, th, v):
    return unary(ThresholdBackward0, input, th, v)


@register("nn.functional.threshold")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, ``value`` elsewhere."""
    return _maybe_inplace(_threshold, "threshold_", input, inplace, threshold, value)


@register("nn.functional.threshold_")
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place threshold."""
    return _threshold_inplace(input, threshold, value)


def _threshold_inplace(input, th, v):
    return apply_inplace(input, _threshold, "threshold_", th, v)


register("threshold", method=False)(threshold)
register("threshold_", method=False)(_threshold_inplace)

HardshrinkBackward0 = _node(
    "HardshrinkBackward0", lambda x, lam: np.where(np.abs(x) > lam, x, 0).astype(x.dtype, copy=False),
    lambda s, g, x, lam: mask_grad(g, _const(np.abs(x._data) > lam)),
    "hardshrink: d/dx = 1 where |x| > lambd, 0 elsewhere")


@register("nn.functional.hardshrink")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    return unary(HardshrinkBackward0, input, lambd)


register("hardshrink")(hardshrink)


def _softshrink(x, lam):
    return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, 0)).astype(x.dtype, copy=False)


SoftshrinkBackward0 = _node(
    "SoftshrinkBackward0", _softshrink, lambda s, g, x, lam: mask_grad(g, _const(np.abs(x._data) > lam)),
    "softshrink: d/dx = 1 where |x| > lambd, 0 elsewhere")


@register("nn.functional.softshrink")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Shrink towards 0 by ``lambd``; 0 inside [-lambd, lambd]."""
    if lambd < 0:
        dt = input._data.dtype
        raise RuntimeError(f"lambda must be in range [0, {np.finfo(dt).max:g}] for input dtype "
                           f"{input.dtype.name.capitalize()}, but found {lambd:g}")
    return unary(SoftshrinkBackward0, input, lambd)


ONE_SIXTH = float(np.float32(1 / 6))  # (torch's kernel writes the constant as a float literal)

HardsigmoidBackward0 = _node(
    "HardsigmoidBackward0", lambda x: (np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False),
    lambda s, g, x: mask_grad(g * ONE_SIXTH, _const((x._data > -3) & (x._data < 3))),
    "hardsigmoid: d/dx = 1/6 inside (-3, 3), 0 outside")


def _hardsigmoid(input):
    return unary(HardsigmoidBackward0, input)


@register("nn.functional.hardsigmoid")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``"""
    return _maybe_inplace(_hardsigmoid, "hardsigmoid_", input, inplace)


def _hardswish_rule(s, g, x):
    xd = x._data
    inner = where(_const((xd > -3) & (xd < 3)), x / 3 + 0.5, _const(np.where(xd >= 3, 1.0, 0.0).astype(xd.dtype)))
    return g * inner


HardswishBackward0 = _node(
    "HardswishBackward0", lambda x: (x * np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False),
    _hardswish_rule, "hardswish: d/dx = x/3 + 1/2 inside (-3, 3), 0 below, 1 above")


def _hardswish(input):
    return unary(HardswishBackward0, input)


@register("nn.functional.hardswish")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``"""
    return _maybe_inplace(_hardswish, "hardswish_", input, inplace)


# ---- exponential family -----------------------------------------------------------------------
def _elu(x, alpha, scale, input_scale):
    neg = np.expm1(np.minimum(x, 0) * input_scale) * alpha
    return (np.where(x > 0, x, neg) * scale).astype(x.dtype, copy=False)


def _elu_rule(s, g, x, alpha, scale, input_scale):
    pos = _const(x._data > 0)
    # x enters the exp only where it is negative: torch's second derivative is 0 at x = 0
    neg = x * _const((x._data < 0).astype(x._data.dtype))
    return g * where(pos, scale, (neg * input_scale).exp() * (alpha * scale * input_scale))


EluBackward0 = _node("EluBackward0", _elu, _elu_rule,
                     "elu: d/dx = scale where x > 0, alpha * scale * input_scale * exp(x * input_scale) elsewhere")
def _celu_rule(s, g, x, alpha, scale, input_scale):
    # torch's rule takes 1 / alpha with alpha rounded to float32 (its forward does not)
    return _elu_rule(s, g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


CeluBackward0 = _node("CeluBackward0", _elu, _celu_rule, "celu: elu with input_scale = 1 / alpha")


def _elu_apply(input, alpha, scale, input_scale, cls=EluBackward0):
    return unary(cls, input, alpha, scale, input_scale)


@register("nn.functional.elu")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return _maybe_inplace(_elu_apply, "elu_", input, inplace, alpha, 1.0, 1.0)


@register("nn.functional.elu_")
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place elu."""
    return elu(input, alpha, True)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@register("nn.functional.selu")
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _maybe_inplace(_elu_apply, "selu_", input, inplace, SELU_ALPHA, SELU_SCALE, 1.0)


def _selu_(input):
    return selu(input, True)


register("selu", method=False)(selu)
register("selu_", method=False)(_selu_)
register("nn.functional.selu_")(_selu_)


@register("nn.functional.celu")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``"""
    return _maybe_inplace(_elu_apply, "celu_", input, inplace, alpha, 1.0, 1.0 / alpha, CeluBackward0)


def _celu_(input, alpha=1.0):
    return celu(input, alpha, True)


register("celu", method=False)(celu)
register("celu_", method=False)(_celu_)
register("nn.functional.celu_")(_celu_)

SQRT1_2 = 1 / math.sqrt(2)
SQRT2_PI = math.sqrt(2 / math.pi)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
GELU_C = 0.044715


def _fast_erf(x):
    """erf of an array: SciPy's where it is installed (NumPy has no erf of its own)."""
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - depends on the environment
        return _erf(x)
    return erf(x).astype(x.dtype, copy=False)


def _gelu(x, approximate):
    if approximate == "tanh":
        return (0.5 * x * (1 + np.tanh(SQRT2_PI * (x + GELU_C * x**3)))).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + _fast_erf(x * SQRT1_2))).astype(x.dtype, copy=False)


def _gelu_rule(s, g, x, approximate):
    if approximate == "none" and not _grad_enabled.get():  # (unrecorded: the derivative on arrays, at once)
        xd = x._data
        d = 0.5 * (1 + _fast_erf(xd * SQRT1_2)) + xd * np.exp(-0.5 * xd * xd) * INV_SQRT_2PI
        return g * _const(d.astype(xd.dtype, copy=False))
    if approximate == "tanh":
        t = ((x + GELU_C * x**3) * SQRT2_PI).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT2_PI * (1 + 3 * GELU_C * x * x))
    return g * (0.5 * (1 + (x * SQRT1_2).erf()) + x * (-0.5 * x * x).exp() * INV_SQRT_2PI)


GeluBackward0 = _node("GeluBackward0", _gelu, _gelu_rule, "gelu: d/dx = Phi(x) + x * phi(x) (or its tanh form)")


@register("nn.functional.gelu")
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``; ``approximate="tanh"`` uses the tanh approximation of Phi.

    >>> import torchless as torch
    >>> torch.nn.functional.gelu(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return unary(GeluBackward0, input, approximate)


def _silu_rule(s, g, x):
    sig = x.sigmoid()
    return g * (sig * (1 + x * (1 - sig)))


SiluBackward0 = _node("SiluBackward0", lambda x: (x * _sigmoid(x)).astype(x.dtype, copy=False), _silu_rule,
                      "silu: d/dx = sigmoid(x) * (1 + x * (1 - sigmoid(x)))")


def _silu(input):
    return unary(SiluBackward0, input)


@register("nn.functional.silu")
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``"""
    return _maybe_inplace(_silu, "silu_", input, inplace)


def _softplus_array(x):
    return np.logaddexp(0, x)


def _mish_rule(s, g, x):
    t = _softplus(x, 1.0, 20.0).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


MishBackward0 = _node("MishBackward0", lambda x: (x * np.tanh(_softplus_array(x))).astype(x.dtype, copy=False),
                      _mish_rule, "mish: d/dx = tanh(sp(x)) + x * sigmoid(x) * (1 - tanh(sp(x))**2)")


def _mish(input):
    return unary(MishBackward0, input)


@register("nn.functional.mish")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``"""
    return _maybe_inplace(_mish, "mish_", input, inplace)


def _softplus_fwd(x, beta, threshold):
    bx = x * beta
    return np.where(bx > threshold, x, _softplus_array(bx) / beta).astype(x.dtype, copy=False)


def _softplus_rule(s, g, x, beta, threshold):
    bx = x * beta
    return g * where(_const(bx._data > threshold), 1.0, bx.sigmoid())


SoftplusBackward0 = _node("SoftplusBackward0", _softplus_fwd, _softplus_rule,
                          "softplus: d/dx = sigmoid(beta * x) (1 above the threshold)")


def _softplus(input, beta, threshold):
    return unary(SoftplusBackward0, input, beta, threshold)


@register("nn.functional.softplus")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""
    return _softplus(input, beta, threshold)


def _logsigmoid(x):
    return (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)


LogSigmoidBackward0 = _node("LogSigmoidBackward0", _logsigmoid, lambda s, g, x: g * (-x).sigmoid(),
                            "logsigmoid: d/dx = sigmoid(-x)")


@register("nn.functional.logsigmoid")
def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow."""
    return unary(LogSigmoidBackward0, input)


@register("nn.functional.softsign")
def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``"""
    return input / (input.abs() + 1)


@register("nn.functional.tanhshrink")
def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``"""
    return input - input.tanh()


@register("nn.functional.sigmoid")
def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``"""
    return input.sigmoid()


@register("nn.functional.tanh")
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()


# ---- with parameters: prelu, rrelu, glu ------------------------------------------------------
def _prelu_weight_shape(x, w):
    if w.size == 1 or x.ndim < 2:
        return w.shape if x.ndim >= w.ndim else ()
    return (x.shape[1],) + (1,) * (x.ndim - 2)


class PreluKernelBackward0(Op):
    """prelu: d/dx = 1 where x > 0, w elsewhere; d/dw = x where x <= 0 (summed over the broadcast)"""

    @staticmethod
    def forward(x, w):
        wb = w.reshape(_prelu_weight_shape(x, w))
        return np.where(x > 0, x, wb * x).astype(np.result_type(x, w), copy=False)

    def backward(self, g):
        x, w = self.saved
        pos = _const(x._data > 0)
        wb = w.reshape(_prelu_weight_shape(x._data, w._data))
        gx = g * where(pos, 1.0, wb) if self.needs(0) else None
        gw = None
        if self.needs(1):
            from .._core import sum_to

            gw = sum_to(where(pos, 0.0, g * x), wb.shape).reshape(w.shape)
        return gx, gw


@register("nn.functional.prelu")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere (one weight, or one per channel: dim 1)."""
    from .._core import nary

    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.name.capitalize()} and "
                           f"{weight.dtype.name.capitalize()}")
    n = weight._data.size
    if n != 1:
        channels = input._data.shape[1] if input._data.ndim >= 2 else (input._data.shape[0] if input._data.ndim else 1)
        if input._data.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if n != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and "
                f"channel size = {channels}.")
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight._data.ndim}")
    return nary(PreluKernelBackward0, (input, weight))


register("prelu")(prelu)


class RreluWithNoiseBackward0(Op):
    """rrelu: d/dx = the noise (the drawn slope where x <= 0, 1 elsewhere)"""

    saves_operands = False

    @staticmethod
    def forward(x, noise):
        return (x * noise).astype(x.dtype, copy=False)

    def backward(self, g):
        (noise,) = self._params
        return (g * _const(noise),)


def _rrelu(input, lower, upper, training):
    xd = input._data
    if training:
        from ... import float64, rand

        neg = xd <= 0  # (torch draws a double per non-positive element, in order)
        draws = rand(int(neg.sum()), dtype=float64)._data * (upper - lower) + lower
        noise = np.ones_like(xd)
        noise[neg] = draws
    else:
        noise = np.where(xd > 0, 1.0, (lower + upper) / 2).astype(xd.dtype)
    return unary(RreluWithNoiseBackward0, input, noise)


@register("nn.functional.rrelu")
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """leaky_relu with a random slope in [lower, upper] per element when training, their mean otherwise."""
    return _maybe_inplace(_rrelu, "rrelu_", input, inplace, lower, upper, training)


def _rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


register("rrelu", method=False)(rrelu)
register("rrelu_", method=False)(_rrelu_)
register("nn.functional.rrelu_")(_rrelu_)


def _halves(x, dim):
    n = x.shape[dim] // 2
    return np.split(x, [n], axis=dim)


class GluBackward0(Op):
    """glu(a|b) = a * sigmoid(b): d/da = sigmoid(b), d/db = a * sigmoid(b) * (1 - sigmoid(b))"""

    @staticmethod
    def forward(x, dim):
        a, b = _halves(x, dim)
        return (a * _sigmoid(b)).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved
        (dim,) = self._params
        a, b = x.chunk(2, dim)
        sig = b.sigmoid()
        return (cat([g * sig, g * a * sig * (1 - sig)], dim),)


@register("nn.functional.glu")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` for the two halves a, b of ``input`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input._data.shape[d]}")
    return unary(GluBackward0, input, d)


# ---- softmax family --------------------------------------------------------------------------
def _implicit_dim(name: str, dim, ndim: int):
    if dim is None:
        dim = 0 if ndim in (0, 1, 3) else 1
        import warnings

        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=3)
    return dim


@register("nn.functional.softmax")
def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    return _softmax(input, _implicit_dim("softmax", dim, input.ndim), dtype)


@register("nn.functional.log_softmax")
def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``."""
    return _log_softmax(input, _implicit_dim("log_softmax", dim, input.ndim), dtype)


@register("nn.functional.softmin")
def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    dim = _implicit_dim("softmin", dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(-input, dim)


register("nn.functional._threshold", samples=[(T(3, 4), 0.1, 2.0)])(threshold)  # (the name torch's F.threshold has as a function)

