"""Random sampling ops, number for number torch's CPU ones: the in-place fills (uniform_,
normal_, bernoulli_, exponential_, ...), bernoulli, multinomial and normal with tensor arguments.

The draws come from ``torchless._generator`` (the Mersenne Twister and torch's transforms). torch
fills a tensor in its memory order, one value after another: ``_fill`` does the same. A sampled
tensor gets a gradient of zero, as in torch (the samples are not reparameterised).
"""

from __future__ import annotations

import math

from .. import _generator as G
from .._tensor import Tensor, _wrap
from ..backend import np
from . import _core
from ._core import register
from .inplace import apply_inplace

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _fill(layout: np.ndarray, dt, draw) -> np.ndarray:
    """An array of ``layout``'s shape whose elements, taken in ``layout``'s memory order (as
    torch's TensorIterator visits them), are ``draw(n)``."""
    vals = draw(layout.size)
    if layout.ndim <= 1 or layout.flags.c_contiguous:
        return vals.reshape(layout.shape).astype(dt, copy=False)
    perm = sorted(range(layout.ndim), key=lambda a: -abs(layout.strides[a]))
    out = np.empty(layout.shape, dtype=dt)
    out.transpose(perm)[...] = vals.reshape([layout.shape[a] for a in perm])
    return out


def _type_name(dt) -> str:
    return {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
            "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}[np.dtype(dt).name]


def _floating_only(t: Tensor, kernel: str) -> None:
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(t._data.dtype)}\'')


class _Sample(_core.Op):
    """A sampling op: ``forward(x, draw)`` fills x's shape with ``draw(layout_array)``; each
    operand gets a zero gradient."""

    saves_operands = False

    @staticmethod
    def forward(*args):
        return args[-1]()

    def backward(self, g):
        return tuple(g.new_zeros(s) if self.needs(i) else None for i, s in enumerate(self.shapes))


# the grad_fn names torch gives each sampler
UniformBackward0 = type("UniformBackward0", (_Sample,), {})
NormalBackward0 = type("NormalBackward0", (_Sample,), {})
NormalBackward1 = type("NormalBackward1", (_Sample,), {})
NormalBackward2 = type("NormalBackward2", (_Sample,), {})
NormalBackward3 = type("NormalBackward3", (_Sample,), {})
BernoulliBackward0 = type("BernoulliBackward0", (_Sample,), {})
BernoulliBackward1 = type("BernoulliBackward1", (_Sample,), {})
BernoulliBackward2 = type("BernoulliBackward2", (_Sample,), {})
CauchyBackward0 = type("CauchyBackward0", (_Sample,), {})
ExponentialBackward0 = type("ExponentialBackward0", (_Sample,), {})
GeometricBackward0 = type("GeometricBackward0", (_Sample,), {})
LogNormalBackward0 = type("LogNormalBackward0", (_Sample,), {})
RandomBackward0 = type("RandomBackward0", (_Sample,), {})
RandomBackward1 = type("RandomBackward1", (_Sample,), {})
RandomBackward2 = type("RandomBackward2", (_Sample,), {})


def _sample_inplace(self: Tensor, cls, name: str, make, *others) -> Tensor:
    """Fill ``self`` in place with ``make(layout)`` (an array of self's shape and dtype), recording
    ``cls`` (zero gradient) when self requires grad."""
    layout = self._data  # (the memory order to fill in: the tensor's own, not a copy's)
    return apply_inplace(self, lambda t, *o: _core.nary(cls, (t, *o), lambda: make(layout)), name, *others)


def _check_float(v, what: str) -> float:
    if isinstance(v, Tensor):
        v = v.item()
    return float(v)


# ---- uniform_, normal_ -------------------------------------------------------------------------
def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kw) -> Tensor:
    """Fill with uniform samples from [from, to).

    >>> _ = G.manual_seed(0)
    >>> Tensor.uniform_(__import__("torchless").empty(2))
    tensor([0.4963, 0.7682])
    """
    from_ = kw.pop("from", from_)
    _floating_only(self, "check_uniform_bounds")
    lo, hi = _check_float(from_, "from"), _check_float(to, "to")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_num(lo)} > to={_num(hi)}")
    gen, dt = G._gen(generator), self._data.dtype
    return _sample_inplace(self, UniformBackward0, "uniform_", lambda a: _fill(a, dt, lambda n: G.uniform(gen, n, dt, lo, hi)))


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _normal_array(layout: np.ndarray, dt, mean: float, std: float, gen) -> np.ndarray:
    contiguous = layout.flags.c_contiguous
    return _fill(layout, dt, lambda n: G.normal(gen, n, dt, mean, std, contiguous))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal samples of ``mean`` and ``std``."""
    _floating_only(self, "normal_kernel_cpu")
    mean, std = _check_float(mean, "mean"), _check_float(std, "std")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    gen, dt = G._gen(generator), self._data.dtype
    return _sample_inplace(self, NormalBackward0, "normal_", lambda a: _normal_array(a, dt, mean, std, gen))


# ---- the distributions of one uniform float64 per element ------------------------------------------
def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples: ``median + sigma * tan(pi * (u - 1/2))``."""
    _floating_only(self, "cauchy_cpu")
    median, sigma = float(median), float(sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    gen, dt = G._gen(generator), self._data.dtype

    def draw(n):
        u = G.uniform(gen, n, _F64)
        return G.fma(G.libm(math.tan, math.pi * (u - 0.5)), sigma, median)

    return _sample_inplace(self, CauchyBackward0, "cauchy_", lambda a: _fill(a, dt, draw))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd``: ``-log1p(-u) / lambd``."""
    _floating_only(self, "exponential_cpu")
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    gen, dt = G._gen(generator), self._data.dtype
    return _sample_inplace(self, ExponentialBackward0, "exponential_",
                           lambda a: _fill(a, dt, lambda n: _exponential(gen, n, lambd)))


def _exponential(gen, n: int, lambd: float) -> np.ndarray:
    u = G.uniform(gen, n, _F64)
    return (-1.0 / lambd) * G.libm(math.log1p, -u)


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with geometric samples (trials up to the first success): ``ceil(log(u) / log(1 - p))``."""
    if self._data.dtype.kind == "b":
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    p = float(p)
    if not 0.0 < p < 1.0:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    gen, dt = G._gen(generator), self._data.dtype

    def draw(n):
        u = G.uniform(gen, n, _F64)
        return np.ceil(G.libm(math.log, u) / math.log(1.0 - p) if n else u)

    return _sample_inplace(self, GeometricBackward0, "geometric_", lambda a: _fill(a, dt, draw))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with log-normal samples: ``exp`` of normal ones, drawn one by one."""
    _floating_only(self, "log_normal_cpu")
    mean, std = float(mean), float(std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    gen, dt = G._gen(generator), self._data.dtype

    def draw(n):
        return G.libm(math.exp, G.fma(gen._normal64(n), std, mean))

    return _sample_inplace(self, LogNormalBackward0, "log_normal_", lambda a: _fill(a, dt, draw))


# ---- random_ -----------------------------------------------------------------------------------
_FLOAT_DIGITS = {"float16": 11, "float32": 24, "float64": 53}


def _dtype_max(dt) -> int:
    """The largest integer torch's random_ makes for dtype ``dt`` (2**mantissa for floats)."""
    if dt.kind == "f":
        return 2 ** _FLOAT_DIGITS[dt.name]
    if dt.kind == "b":
        return 1
    return int(np.iinfo(dt).max)


def random_(self: Tensor, *args, generator=None, **kw) -> Tensor:
    """Fill with integers from [from, to); ``random_(to)`` from [0, to); ``random_()`` from
    [0, the dtype's largest integer] (``to=None``: up to it, included)."""
    gen, dt = G._gen(generator), self._data.dtype
    if set(kw) - {"from", "to"}:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(set(kw) - {'from', 'to'}))}'")
    if len(args) + len(kw) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args) + len(kw)} given)")
    if not args and not kw:
        return _sample_inplace(self, RandomBackward0, "random_",
                               lambda a: _fill(a, dt, lambda n: _random_default(gen, n, dt)))
    if len(args) == 1 and not kw:
        low, high, cls = 0, args[0], RandomBackward1
    else:
        bounds = dict(zip(("from", "to"), args), **kw)
        low, high, cls = bounds.get("from", 0), bounds.get("to"), RandomBackward2
    low, high = int(low), (None if high is None else int(high))
    if high is None:
        if low == -(2**63) and dt.name in ("int64", "float64", "float32"):  # the full 64-bit range
            return _sample_inplace(self, cls, "random_",
                                   lambda a: _fill(a, dt, lambda n: gen._u64(n).view(np.int64).astype(dt)))
        high = _dtype_max(dt) + 1
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt.kind == "f":  # bounds the dtype cannot hold move inwards to ones it can
        low, high = _update_from(dt, low), _update_to(dt, high)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but "
                               f"got from={low} >= to={high}")
    _check_bounds(dt, low, high)
    return _sample_inplace(self, cls, "random_", lambda a: _fill(a, dt, lambda n: G.integers(gen, n, dt, low, high)))


def _as_int64(v) -> int:
    """A float as C++ casts it to int64 on x86 (out of range, inf: the smallest int64)."""
    return int(v) if np.isfinite(v) and -(2.0**63) <= v < 2.0**63 else -(2**63)


def _update_from(dt, low: int) -> int:
    """torch's ``update_from``: a ``from`` whose successor rounds below it in the dtype moves up."""
    up = _as_int64(dt.type(low + 1))
    if up < low:
        n = abs(low + 1).bit_length() - 1
        low = up + (1 << (n - _FLOAT_DIGITS[dt.name] + 1))
    return low


def _update_to(dt, high: int) -> int:
    """torch's ``update_to``: a ``to`` whose predecessor rounds up to it in the dtype moves down."""
    down = _as_int64(dt.type(high - 1))
    if down >= high:
        n = abs(high - 1).bit_length() - 1
        high = down - (1 << (n - _FLOAT_DIGITS[dt.name] + 1))
    return high


def _check_bounds(dt, low: int, high: int) -> None:
    if dt.kind == "f":
        info = np.finfo(dt)
        lo_ok, hi_ok = info.min <= low <= info.max, info.min <= high - 1 <= info.max
        name = {"float16": "c10::Half", "float32": "float", "float64": "double"}[dt.name]
    elif dt.kind == "b":
        lo_ok, hi_ok = 0 <= low <= 1, 0 <= high - 1 <= 1
        name = "bool"
    else:
        info = np.iinfo(dt)
        lo_ok, hi_ok = info.min <= low <= info.max, info.min <= high - 1 <= info.max
        name = _C_NAMES.get(dt.name, dt.name)
    if not lo_ok:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not hi_ok:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


_C_NAMES = {"int8": "signed char", "int16": "short", "int32": "int", "int64": "long", "uint8": "unsigned char"}


def _random_default(gen, n: int, dt) -> np.ndarray:
    """random_() with no bounds: 64-bit words for int64 and float64, 32-bit ones otherwise, each
    taken modulo (the dtype's largest integer + 1)."""
    if dt.kind == "b":
        return (gen._u32(n) & G._U64(1)).astype(np.bool_)
    w = gen._u64(n) if dt.name in ("int64", "float64") else gen._u32(n)
    return (w % G._U64(_dtype_max(dt) + 1)).astype(dt)


# ---- bernoulli ---------------------------------------------------------------------------------
_P_MESSAGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
              "If so, please report an enhancement request to PyTorch.)")


def _bernoulli_array(layout: np.ndarray, dt, p, gen) -> np.ndarray:
    """Samples of ``layout``'s shape: ``u < p`` with u a float64 uniform for a float or float64
    p, a float32 one for a float p tensor of another dtype."""
    if not isinstance(p, np.ndarray):
        return _fill(layout, dt, lambda n: G.uniform(gen, n, _F64) < p)
    try:
        p = np.broadcast_to(p, layout.shape)
    except ValueError:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(p.shape)}}}, size={list(layout.shape)}): the number "
                           "of sizes provided must be greater or equal to the number of dimensions in the tensor"
                           ) from None
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(_P_MESSAGE)
    if p.dtype == _F64:
        u = _fill(layout, _F64, lambda n: G.uniform(gen, n, _F64))
    else:
        p = p.astype(np.float32)
        u = _fill(layout, _F32, lambda n: G.uniform(gen, n, _F32))
    return (u < p).astype(dt)


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcast to this shape) or 0."""
    gen, dt = G._gen(generator), self._data.dtype
    if isinstance(p, Tensor):
        pd = p._data
        if pd.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{_type_name(pd.dtype)}'")
        return _sample_inplace(self, BernoulliBackward1, "bernoulli_",
                               lambda a: _bernoulli_array(a, dt, pd, gen), p)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _sample_inplace(self, BernoulliBackward2, "bernoulli_", lambda a: _bernoulli_array(a, dt, p, gen))


@register("bernoulli", samples=())
def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """Samples of 1 with probability ``input`` (or ``p``), else 0, in ``input``'s dtype."""
    gen, x = G._gen(generator), input._data
    if p is None:
        if x.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{_type_name(x.dtype)}'")
        layout = np.empty(x.shape, dtype=x.dtype)
        return _core.nary(BernoulliBackward0, (input,), lambda: _bernoulli_array(layout, x.dtype, x, gen))
    return bernoulli_(_wrap(np.empty(x.shape, dtype=x.dtype), None), p, generator=generator)


# ---- multinomial -------------------------------------------------------------------------------
@register("multinomial", samples=(), differentiable=False)
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from the categories of each row of ``input`` (weights, not necessarily
    normalised): with replacement by inverting the cumulative distribution with float64 uniforms;
    without, as torch does, the largest ``input / q`` with q exponential samples."""
    gen, x = G._gen(generator), input._data
    if x.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if x.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_type_name(x.dtype)}")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = x.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if k == 0:
        raise RuntimeError("multinomial: number of categories cannot be zero")  # (torch's wording differs)
    if not replacement or n == 1:
        if x.size and not (np.isfinite(x).all() and (x >= 0).all()) or np.isnan(x).any():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (x.sum(-1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _fill(x, x.dtype, lambda m: _exponential(gen, m, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = x / q
        if n == 1:
            idx = np.argmax(ratio, axis=-1)[..., None]
        else:
            idx = np.argsort(-ratio, axis=-1, kind="stable")[..., :n]
        return _wrap(idx.astype(np.int64), None)
    rows = x.reshape(-1, k)
    acc = np.float32 if x.dtype == np.float16 else x.dtype
    out = np.empty((rows.shape[0], n), dtype=np.int64)
    for r, row in enumerate(rows):  # (one row at a time: each row's samples are drawn in turn)
        if (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.isfinite(row).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        cum = np.cumsum(row.astype(acc), dtype=acc)
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = cum / total
        cum[-1] = 1
        out[r] = np.searchsorted(cum.astype(np.float64), G.uniform(gen, n, _F64), side="left")
    return _wrap(out.reshape(x.shape[:-1] + (n,)), None)


# ---- normal with tensor arguments ------------------------------------------------------------------
def normal_tensor(mean, std, generator=None) -> Tensor:
    """torch.normal where ``mean`` or ``std`` (or both) is a tensor: standard normal samples of
    the broadcast shape, times std plus mean (each rounded, as torch's mul_ and add_)."""
    gen = G._gen(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if st:
        sd = std._data
        if sd.size and (sd < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    if mt and st:
        dt = mean._data.dtype
        try:
            shape = np.broadcast_shapes(mean._data.shape, std._data.shape)
        except ValueError:
            raise _core.broadcast_error(mean, std) from None
        cls, ops = NormalBackward3, (mean, std)
    elif mt:
        dt, shape, cls, ops = mean._data.dtype, mean._data.shape, NormalBackward1, (mean,)
        s = float(std)
        if s < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(s)}")
    else:
        dt, shape, cls, ops = std._data.dtype, std._data.shape, NormalBackward2, (std,)
    if dt.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{_type_name(dt)}'")
    layout = np.empty(shape, dtype=dt)

    def draw():
        if mt and not st:
            x = _normal_array(layout, dt, 0.0, float(std), gen)
            return (x + mean._data).astype(dt)
        x = _normal_array(layout, dt, 0.0, 1.0, gen)
        x = (x * std._data).astype(dt)
        m = mean._data if mt else np.asarray(mean, dtype=dt)
        return (x + m).astype(dt)

    return _core.nary(cls, ops, draw)


Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.cauchy_ = cauchy_
Tensor.exponential_ = exponential_
Tensor.geometric_ = geometric_
Tensor.log_normal_ = log_normal_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_

__all__ = ["bernoulli", "multinomial", "normal_tensor"]
