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
from ._samples import T
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


# ---- poisson, binomial ---------------------------------------------------------------------------
# torch samples these one element after another (in the output's memory order), each from as many
# float64 uniforms as its rejection loop needs: so do we, in plain Python floats (float64 is
# Python's float; the C library's log/exp through ``math``, as in _generator.py).
_INF = math.inf


def _div(a: float, b: float) -> float:
    """``a / b`` with IEEE results for b = 0 (Python would raise)."""
    if b:
        return a / b
    return math.nan if a == 0 or math.isnan(a) else math.copysign(_INF, a) * math.copysign(1.0, b)


def _log(v: float) -> float:
    return math.log(v) if v > 0 else (-_INF if v == 0 else math.nan)


def _floor(v: float) -> float:
    return float(math.floor(v)) if math.isfinite(v) else v


def _to_int64(v: float) -> int:
    """A double cast to int64 as x86 does it: anything out of range (inf, nan) is INT64_MIN."""
    return int(v) if math.isfinite(v) and -(2.0**63) <= v < 2.0**63 else -(2**63)


def _poisson_one(lam: float, u) -> int:
    """One Poisson sample of rate ``lam``: Hoermann's transformed rejection for lam >= 10, else the
    product of uniforms until it falls below exp(-lam). ``u()`` draws a float64 uniform."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), _log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = u() - 0.5
            V = u()
            us = 0.5 - abs(U)
            k = _floor((_div(2 * a, us) + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return _to_int64(k)
            if k < 0 or (us < 0.013 and V > us):
                continue
            if _log(V) + _log(invalpha) - _log(_div(a, us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1):
                return _to_int64(k)
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x, prod = 0, 1.0
    while True:
        prod *= u()
        if prod > enlam:
            x += 1
        else:
            return x


def _uniform_source(gen):
    def u() -> float:
        return float(gen._uniform64(1)[0])

    return u


class PoissonBackward0(_Sample):
    """poisson: the samples get a zero gradient"""


@register("poisson", method=False, differentiable=False, samples=[(T(3, 4, lo=0.0, hi=0.0),)])  # (rate 0: no draws)
def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples, one per element of ``input`` (the rates), in its dtype: torch's values
    for torch's seed.

    >>> import torchless as torch
    >>> _ = torch.manual_seed(0)
    >>> torch.poisson(torch.tensor([0.5, 3.0, 15.0]))
    tensor([ 2.,  4., 16.])
    """
    gen, x = G._gen(generator), input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{_type_name(x.dtype)}'")

    def draw():
        u = _uniform_source(gen)
        rates = x.astype(np.float64).ravel().tolist()
        for lam in rates:  # (torch checks each rate as it comes to it)
            if not lam >= 0:
                raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        return np.array([_poisson_one(lam, u) for lam in rates], dtype=np.float64).astype(x.dtype).reshape(x.shape)

    return _core.nary(PoissonBackward0, (input,), draw)


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    """log(k!) minus its Stirling approximation: a table to 9, a series beyond."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(count: float, prob: float, u, s) -> float:
    """The number of geometric waiting times that fit in ``count`` trials."""
    logprob = s(math.log1p(-prob))  # (log1p of the count's dtype)
    geom_sum, num_geom = 0.0, 0.0
    while True:
        geom = _div(_log(u()), logprob)
        geom_sum += float(math.ceil(geom)) if math.isfinite(geom) else geom
        if geom_sum > count:
            return num_geom
        num_geom = s(num_geom + 1)


def _btrs(count: float, prob: float, u, s) -> float:
    """Hoermann's BTRS transformed rejection (with the log the original leaves out, as torch).
    ``s`` rounds a value to the count's dtype: the operations C++ does in that dtype go through it."""
    stddev = s(math.sqrt(s(s(count * prob) * s(1 - prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = s(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = s(prob / s(1 - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(math.floor(s(s(count + 1) * prob)))
    while True:
        U = u() - 0.5
        V = u()
        us = 0.5 - abs(U)
        k = s(_floor((_div(2 * a, us) + b) * U + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and V <= v_r:
            return k
        V = _log(_div(V * alpha, _div(a, us * us) + b))
        left = s(s(count - k) + 1)
        upperbound = ((m + 0.5) * _log((m + 1) / (r * (count - m + 1)))
                      + s(count + 1) * _log((count - m + 1) / left)
                      + (k + 0.5) * _log(r * left / s(k + 1))
                      + _stirling_tail(m) + _stirling_tail(count - m) - _stirling_tail(k) - _stirling_tail(s(count - k)))
        if V <= upperbound:
            return k


def _binomial_one(count: float, prob: float, u, s) -> float:
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        return _btrs(count, prob, u, s) if s(count * prob) >= 10.0 else _binomial_inversion(count, prob, u, s)
    if prob > 0.5:
        q = s(1.0 - prob)
        k = _btrs(count, q, u, s) if s(count * q) >= 10.0 else _binomial_inversion(count, q, u, s)
        return s(count - k)
    return math.nan  # (prob is nan)


BinomialNode = type("NotImplemented", (_Sample,), {"__doc__": "binomial: no derivative in torch",
                                                  "backward": lambda self, g: _no_binomial_derivative()})


def _no_binomial_derivative():
    raise RuntimeError("derivative for aten::binomial is not implemented")


@register("binomial", method=False, differentiable=False,
          samples=[(T(3, lo=0.0, hi=0.0), T(3, lo=0.2, hi=0.8)), (T(2, 1, lo=5.0, hi=9.0), T(3, lo=1.0, hi=1.0))])
def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial samples: successes in ``count`` trials of probability ``prob`` (float tensors of
    one dtype, broadcast together), torch's values for torch's seed.

    >>> import torchless as torch
    >>> _ = torch.manual_seed(0)
    >>> torch.binomial(torch.tensor([10.0, 100.0]), torch.tensor([0.5, 0.2]))
    tensor([ 7., 21.])
    """
    gen = G._gen(generator)
    cd, pd = count._data, prob._data
    for arg, d in (("count", cd.dtype), ("prob", pd.dtype)):
        if d.kind != "f":
            raise ValueError(f"binomial only supports floating-point dtypes for {arg}, got: {_type_name(d)}")
    if pd.dtype != cd.dtype:
        raise RuntimeError(f"Found dtype {_type_name(pd.dtype)} but expected {_type_name(cd.dtype)}")
    if cd.dtype not in (_F32, _F64):
        raise NotImplementedError(f"\"binomial_cpu\" not implemented for '{_type_name(cd.dtype)}'")
    try:
        shape = np.broadcast_shapes(cd.shape, pd.shape)
    except ValueError:
        raise _core.broadcast_error(count, prob) from None
    if shape != cd.shape:  # (torch's output takes the count's shape, then is resized)
        import warnings

        warnings.warn(f"An output with one or more elements was resized since it had shape {list(cd.shape)}, which "
                      f"does not match the required output shape {list(shape)}. This behavior is deprecated, and "
                      "in a future PyTorch release outputs will not be resized unless they have zero elements.",
                      UserWarning, stacklevel=2)
    if cd.dtype == _F32:
        def s(v: float) -> float:
            return float(np.float32(v))
    else:
        def s(v: float) -> float:
            return v

    def draw():
        u = _uniform_source(gen)
        n = np.broadcast_to(cd, shape).astype(np.float64).ravel().tolist()
        p = np.broadcast_to(pd, shape).astype(np.float64).ravel().tolist()
        out = [_binomial_one(c, q, u, s) for c, q in zip(n, p)]
        return np.array(out, dtype=np.float64).astype(cd.dtype).reshape(shape)

    return _core.nary(BinomialNode, (count, prob), draw)


Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.cauchy_ = cauchy_
Tensor.exponential_ = exponential_
Tensor.geometric_ = geometric_
Tensor.log_normal_ = log_normal_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_

__all__ = ["bernoulli", "binomial", "multinomial", "normal_tensor", "poisson"]
