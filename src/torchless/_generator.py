"""torch's CPU random number generator, number for number.

torch draws every random value on the CPU from one Mersenne Twister (mt19937) per generator,
seeded as the reference implementation does (``init_genrand``: the low 32 bits of the seed).
NumPy's ``MT19937`` bit generator runs the very same recurrence; only the seeding differs, so we
compute the seeded key ourselves (the legacy ``RandomState`` seeding is ``init_genrand``) and give
it to NumPy, which then hands out the raw 32-bit words fast.

On top of the raw words sit torch's transforms, each written here as vectorised NumPy:
a float32 uniform takes the low 24 bits of one 32-bit word, a float64 uniform the low 53 bits of a
64-bit word made of two (the first one high); normal samples come from Box-Muller, in blocks of 16
for tensors of 16 or more elements and one pair at a time (the second value kept for the next
call) for smaller ones. See ``uniform``, ``normal``, ``integers`` and ``permutation`` below.

Some transforms need the C library's ``log``/``log1p``/``exp``/``tan``: NumPy's SIMD versions of
those differ from the C library's in the last bit for about one value in a thousand, so they go
through ``math`` (the same C library torch calls); ``sin``/``cos`` agree and stay in NumPy.
"""

from __future__ import annotations

import math
import os

from .backend import np

_N = 624  # words in the mt19937 state
DEFAULT_SEED = 67280421310721  # a new Generator's seed, as in torch
STATE_SIZE = 5056  # bytes in torch's CPU generator state (CPUGeneratorImplState)
_U64 = np.uint64
_MASK24 = _U64((1 << 24) - 1)
_MASK53 = _U64((1 << 53) - 1)
_SHIFT32 = _U64(32)

# torch's state layout: seed u64, left i32, seeded i32, next u64, state 624 x u64, normal_x,
# normal_y, normal_rho f64, normal_is_valid i32 (+4 pad), next_float_normal_sample f32,
# is_next_float_normal_sample_valid bool (+3 pad)
_STATE = np.dtype([("seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"), ("key", "<u8", (_N,)),
                   ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"), ("normal_valid", "<i4"),
                   ("pad", "<i4"), ("float_normal", "<f4"), ("float_valid", "u1"), ("pad2", "u1", (3,))])
assert _STATE.itemsize == STATE_SIZE


def _seeded_key(seed: int) -> np.ndarray:
    """The mt19937 state ``init_genrand`` makes from the low 32 bits of ``seed``."""
    return np.random.RandomState(seed & 0xFFFFFFFF).get_state(legacy=True)[1]


def _check_seed(seed) -> int:
    """A seed as torch takes it: an integer from -2**63 to 2**64 - 1 (a negative one wraps)."""
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
    if not -(2**63) <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


def _nondeterministic_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A source of random numbers that reproduces torch's CPU generator exactly.

    >>> g = Generator().manual_seed(0)
    >>> g.initial_seed()
    0
    """

    def __init__(self, device="cpu") -> None:
        from ._device import as_device

        self.device = as_device(device)
        self._mt = None  # NumPy's MT19937, made on first use: numpy.random is slow to import
        self._set_seed(DEFAULT_SEED)

    @property
    def _bits(self):
        """The bit generator that draws the 32-bit words (torch's mt19937, word for word)."""
        mt = self._mt
        if mt is None:
            mt = self._mt = np.random.MT19937(0)
            mt.state = {"bit_generator": "MT19937", "state": {"key": _seeded_key(self._seed), "pos": _N}}
        return mt

    # ---- seeding and state ---------------------------------------------------------------------
    def _set_seed(self, seed: int) -> None:
        self._seed = seed
        self._mt = None  # (seeded from self._seed when first drawn from)
        self._fresh = True  # seeded, nothing drawn yet (torch's state then says next=0, not 624)
        self._next_double = None  # the second value of the last Box-Muller pair, for the next one
        self._next_float = None

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator; returns it."""
        self._set_seed(_check_seed(seed))
        return self

    def seed(self) -> int:
        """Seed from a nondeterministic source; returns that seed."""
        s = _nondeterministic_seed()
        self._set_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor, byte for byte torch's."""
        from ._tensor import _wrap

        st = self._bits.state["state"]
        pos = int(st["pos"])
        rec = np.zeros((), dtype=_STATE)
        rec["seed"] = self._seed
        rec["left"] = 1 if pos == _N else _N + 1 - pos
        rec["seeded"] = 1
        rec["next"] = 0 if pos == _N and self._fresh else pos
        rec["key"] = st["key"]
        if self._next_double is not None:
            rec["normal_valid"], rec["normal_y"] = 1, self._next_double
        if self._next_float is not None:
            rec["float_valid"], rec["float_normal"] = 1, self._next_float
        return _wrap(np.frombuffer(rec.tobytes(), dtype=np.uint8).copy(), None)

    def set_state(self, new_state) -> Generator:
        """Restore a state from ``get_state`` (torch's own states are taken too)."""
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        data = new_state._data
        if data.dtype != np.uint8:
            raise RuntimeError(f"expected a torch.ByteTensor, but got {new_state.dtype}")
        if data.size != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG "
                               f"state size to be {data.size}")
        rec = np.frombuffer(np.ascontiguousarray(data).reshape(-1).tobytes(), dtype=_STATE)[0]
        left, nxt = int(rec["left"]), int(rec["next"])
        if not (rec["seeded"] and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        # torch draws word ``next`` after ``left`` runs down to 1; NumPy's ``pos`` is that index,
        # 624 when the state must be twisted first
        pos = _N if left == 1 else nxt
        key = rec["key"].astype(np.uint32)
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._seed = int(rec["seed"])
        self._fresh = left == 1 and nxt == 0
        self._next_double = float(rec["normal_y"]) if rec["normal_valid"] else None
        self._next_float = float(rec["float_normal"]) if rec["float_valid"] else None
        return self

    def __repr__(self) -> str:
        return "<torch._C.Generator object>"

    # ---- raw words -----------------------------------------------------------------------------
    def _u32(self, n: int) -> np.ndarray:
        """The next ``n`` 32-bit words (as uint64)."""
        self._fresh = False
        return self._bits.random_raw(n)

    def _u64(self, n: int) -> np.ndarray:
        """The next ``n`` 64-bit words, each made of two 32-bit ones (the first is the high half)."""
        w = self._u32(2 * n)
        return (w[0::2] << _SHIFT32) | w[1::2]

    def _uniform32(self, n: int) -> np.ndarray:
        """``n`` float32 uniforms from [0, 1): 24 bits of one word each."""
        return (self._u32(n) & _MASK24).astype(np.float32) * np.float32(2.0**-24)

    def _uniform64(self, n: int) -> np.ndarray:
        """``n`` float64 uniforms from [0, 1): 53 bits of a 64-bit word each."""
        return (self._u64(n) & _MASK53).astype(np.float64) * 2.0**-53

    def _normal64(self, n: int) -> np.ndarray:
        """``n`` standard normals as torch's ``normal_distribution<double>`` makes them one by one:
        Box-Muller on two uniforms gives r*cos, and r*sin is kept for the next call."""
        out = np.empty(n, dtype=np.float64)
        start = 0
        if n and self._next_double is not None:
            out[0], self._next_double, start = self._next_double, None, 1
        m = n - start
        if m:
            pairs = (m + 1) // 2
            u = self._uniform64(2 * pairs)
            r = np.sqrt(-2.0 * libm(math.log1p, -u[1::2]))
            theta = 2.0 * math.pi * u[0::2]
            both = np.empty(2 * pairs)
            both[0::2], both[1::2] = r * np.cos(theta), r * np.sin(theta)
            out[start:] = both[:m]
            if m % 2:
                self._next_double = float(both[-1])
        return out


def libm(fn, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function: the C library's, as torch calls it) of each float64 in ``x``."""
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


# ---- the default generator and the module-level functions ----------------------------------------
default_generator = Generator()
default_generator.seed()


def _gen(generator) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, got {type(generator).__name__}")
    return generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator nondeterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's initial seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


# ---- the transforms ------------------------------------------------------------------------------
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def uniform(gen: Generator, n: int, dt, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """``n`` uniform samples from [low, high) in dtype ``dt``, as torch's uniform_ draws them."""
    if dt == _F64:
        x = gen._uniform64(n)
        return x if low == 0.0 and high == 1.0 else fma(x, high - low, low)
    x = gen._uniform32(n)  # float16 draws a float32 and rounds it
    if not (low == 0.0 and high == 1.0):
        lo, hi = np.float32(low), np.float32(high)
        x = fma(x, hi - lo, lo, np.float32)
    if dt == _F32:
        return x
    x = x.astype(dt)  # (a value that rounds up to ``high`` is taken as ``low``, as torch does)
    x[x == dt.type(high)] = dt.type(low)
    return x


def fma(a, b, c, dt=np.float64):
    """``a * b + c`` rounded once (torch's kernels are compiled with fused multiply-adds). For
    float32 the product is exact in float64; for float64 we compute it with an error-free split."""
    if dt is np.float32:
        return (np.asarray(a, np.float64) * np.float64(b) + np.float64(c)).astype(np.float32)
    a = np.asarray(a, np.float64)
    p = a * b
    if not np.isfinite(p).all():
        return p + c
    err = _two_prod_err(a, np.float64(b), p)
    s = p + c
    # (p + c) rounded, corrected by the product's rounding error: exact for all but ties
    bv = s - p
    e2 = (p - (s - bv)) + (c - bv)
    return s + (e2 + err)


def _two_prod_err(a, b, p):
    """The rounding error of ``p = a * b`` (Dekker's split)."""
    split = 134217729.0
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def integers(gen: Generator, n: int, dt, low: int, high: int) -> np.ndarray:
    """``n`` integers from [low, high) in dtype ``dt``, as torch's random_(from, to) draws them:
    ``word % (high - low) + low``, from 64-bit words for a range of 2**28 or more (torch's
    threshold, to keep the skew of the modulo small), from 32-bit ones otherwise."""
    span = high - low
    if span >= 2**28:
        w = gen._u64(n)
        v = (w % _U64(span)).view(np.int64) if span < 2**64 else w.view(np.int64)
    else:  # (32-bit arithmetic: the modulo of 64-bit integers is slow)
        v = (gen._u32(n).astype(np.uint32) % np.uint32(span)).astype(np.int64)
    return (v + np.int64(low)).astype(dt, copy=False)


def permutation(gen: Generator, n: int) -> np.ndarray:
    """torch's randperm of ``n`` (int64): the Fisher-Yates shuffle that swaps place i with place
    ``i + word % (n - i)`` for i = 0, 1, ..., n - 2, computed without a loop over the swaps.

    The value that lands in place i is the one that was in place ``t = i + z`` just before swap
    i: the value the last earlier swap aimed at t carried there, or t itself if none did; and
    the value a swap carries away from place k is, by the same rule, the one in place k at its
    turn. Those "carried from" links form a forest over the swaps, resolved by pointer jumping.
    """
    if n >= 2**32 // 20:
        raise NotImplementedError("randperm of more than 214748364 elements")
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    i = np.arange(n, dtype=np.int64)
    z = np.zeros(n, dtype=np.int64)
    z[:-1] = (gen._u32(n - 1) % (n - i[:-1]).astype(np.uint64)).astype(np.int64)
    t = i + z  # the place swap i exchanges with (swap n-1 is a no-op that settles the last place)
    order = np.argsort(t, kind="stable")  # swaps by target, earlier first
    keys = t[order] * n + i[order]

    def last_before(target, step):
        """The last swap before ``step`` aimed at ``target``, or -1."""
        pos = np.searchsorted(keys, target * n + step) - 1
        found = order[np.maximum(pos, 0)]
        return np.where((pos >= 0) & (t[found] == target), found, -1)

    # held[k]: the value in place k at swap k's turn, carried there by the last swap before k
    # aimed at k (and so on back), or k's own if none was
    held = _chain_values(last_before(i, i), i)
    prev = last_before(t, i)
    return np.where(t == i, held, np.where(prev < 0, t, held[np.maximum(prev, 0)]))


def _chain_values(src: np.ndarray, i: np.ndarray) -> np.ndarray:
    """held[k] = k where ``src[k] < 0``, else held[src[k]]: resolved by pointer jumping."""
    ptr = np.where(src < 0, i, src)
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            return ptr  # each points at its chain's first swap, whose own place is the value
        ptr = nxt


def normal(gen: Generator, n: int, dt, mean: float = 0.0, std: float = 1.0, contiguous: bool = True) -> np.ndarray:
    """``n`` normal samples in dtype ``dt`` as torch's normal_ draws them: for a contiguous
    tensor of 16 or more elements, all the uniforms first, then Box-Muller on each block of 16
    (the first 8 give the radii, the last 8 the angles); when the size is no multiple of 16, 16
    more uniforms are drawn for the last 16 places, which are computed again. Otherwise one by
    one (``Generator._normal64``)."""
    if n < 16 or not contiguous:
        x = gen._normal64(n)
        if not (mean == 0.0 and std == 1.0):
            x = fma(x, std, mean)
        return x.astype(dt)
    k = n - n % 16
    if dt != _F64:  # float32 (float16 rounds float32's values, drawing no uniforms for the tail places)
        u = gen._uniform32(n if dt == _F32 else k)[:k]
        if k == n:
            return _box_muller_f32(u, mean, std).astype(dt, copy=False)
        both = _box_muller_f32(np.concatenate([u, gen._uniform32(16)]), mean, std)  # (the tail: one more block)
        out = np.empty(n, dtype=dt)
        out[:k], out[n - 16:] = both[:k], both[k:]
        return out
    u = gen._uniform64(n)
    out = np.empty(n, dtype=dt)
    out[:k] = _box_muller64(u[:k], mean, std)
    if k != n:
        out[n - 16:] = _box_muller64(gen._uniform64(16), mean, std)
    return out


def _box_muller64(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's ``normal_fill_16`` (float64) on each block of 16 uniforms."""
    b = u.reshape(-1, 2, 8)
    radius = np.sqrt(-2.0 * libm(math.log, 1.0 - b[:, 0]))
    theta = 2.0 * math.pi * b[:, 1]
    out = np.stack([fma(radius * np.cos(theta), std, mean), fma(radius * np.sin(theta), std, mean)], 1)
    return out.reshape(-1)


# torch's normal_fill_AVX2 for float32: Cephes-style log and sincos polynomials (avx_mathfun.h) in
# float32, compiled with fused multiply-adds; reproduced operation for operation. A fused a*b+c of
# floats is computed in float64 (where the product is exact) and rounded once. The work goes in
# chunks that stay in the cache, each step writing into buffers of the chunk.
_F = np.float32
_LOG_P = tuple(_F(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                               -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_DP = (_F(-0.78515625), _F(-2.4187564849853515625e-4), _F(-3.77489497744594108e-8))
_COS_P = (_F(2.443315711809948e-5), _F(-1.388731625493765e-3), _F(4.166664568298827e-2))
_SIN_P = (_F(-1.9515295891e-4), _F(8.3321608736e-3), _F(-1.6666654611e-1))
_CHUNK = 1 << 14
_mul, _add, _sub, _copyto = np.multiply, np.add, np.subtract, np.copyto


class _Buffers:
    """Scratch arrays for one chunk: float32 ``a``..``e``, float64 ``w``, int32 ``j``."""

    def __init__(self, n):
        self.a, self.b, self.c, self.d, self.e = (np.empty(n, np.float32) for _ in range(5))
        self.w = np.empty(n, np.float64)
        self.j, self.k = np.empty(n, np.int32), np.empty(n, np.int32)


def _fma_into(out, a, b, c, w):
    """out = a * b + c (float32, rounded once); ``w`` is a float64 buffer."""
    _mul(a, b, out=w, dtype=np.float64)
    _add(w, c, out=w)
    _copyto(out, w, casting="same_kind")


def _log_f32(x, out, buf):
    """avx_mathfun's log256_ps of x in (0, 1] into ``out`` (x is overwritten)."""
    bits = x.view(np.int32)
    e, z, y, w = buf.a, buf.b, buf.c, buf.w
    np.right_shift(bits, 23, out=buf.j)
    _copyto(e, buf.j, casting="unsafe")
    _sub(e, _F(126), out=e)  # (the exponent + 1, from a mantissa in [0.5, 1))
    np.bitwise_and(bits, ~0x7F800000, out=bits)
    np.bitwise_or(bits, 0x3F000000, out=bits)
    small = buf.d
    _copyto(small, np.less(x, _F(0.707106781186547524)), casting="unsafe")  # 1.0 where x < sqrt(1/2)
    _sub(e, small, out=e)
    _mul(x, small, out=small)
    _sub(x, _F(1), out=z)
    _add(z, small, out=z)  # x + x - 1 where x < sqrt(1/2), x - 1 elsewhere
    x = z
    z = out
    _mul(x, x, out=z)
    _mul(x, _LOG_P[0], out=w, dtype=np.float64)
    _add(w, _LOG_P[1], out=w)
    _copyto(y, w, casting="same_kind")
    for p in _LOG_P[2:]:
        _fma_into(y, y, x, p, w)
    _mul(y, x, out=y)
    _mul(e, _F(-2.12194440e-4), out=buf.d)
    _fma_into(y, y, z, buf.d, w)
    _mul(z, _F(0.5), out=z)
    _sub(y, z, out=y)
    _add(x, y, out=y)
    _mul(e, _F(0.693359375), out=e)  # (exact: e is a small integer, the constant has 9 bits)
    _add(y, e, out=out)
    return out


def _sincos_f32(x, sin, cos, buf):
    """avx_mathfun's sincos256_ps of x >= 0 into ``sin`` and ``cos`` (x is overwritten)."""
    j, y, z, w, t = buf.j, buf.a, buf.b, buf.w, buf.d
    _mul(x, _F(1.27323954473516), out=y)
    _copyto(j, y, casting="unsafe")  # (truncates)
    _add(j, 1, out=j)
    np.bitwise_and(j, ~1, out=j)
    _copyto(y, j, casting="unsafe")
    # x - y * pi/4 in three parts ("extended precision modular arithmetic"); y is a small
    # integer and the first two parts have few bits: only the third product is inexact
    for dp in _DP[:2]:
        _mul(y, dp, out=t)
        _add(x, t, out=x)
    _fma_into(x, y, _DP[2], x, w)
    _mul(x, x, out=z)
    c, s = cos, sin
    _mul(z, _COS_P[0], out=w, dtype=np.float64)
    _add(w, _COS_P[1], out=w)
    _copyto(c, w, casting="same_kind")
    _fma_into(c, c, z, _COS_P[2], w)
    _mul(c, z, out=c)
    _mul(z, _F(-0.5), out=t)
    _fma_into(c, c, z, t, w)
    _add(c, _F(1), out=c)
    _mul(z, _SIN_P[0], out=w, dtype=np.float64)
    _add(w, _SIN_P[1], out=w)
    _copyto(s, w, casting="same_kind")
    _fma_into(s, s, z, _SIN_P[2], w)
    _mul(s, z, out=s)
    _fma_into(s, s, x, x, w)
    # the polynomial and the sign by the octant, on the bits: m is all ones where they swap
    si, ci, m, k = s.view(np.int32), c.view(np.int32), buf.k, t.view(np.int32)
    np.right_shift(j, 1, out=m)
    np.bitwise_and(m, 1, out=m)
    np.negative(m, out=m)
    np.bitwise_xor(si, ci, out=k)
    np.bitwise_and(k, m, out=k)  # (the bits that differ, where they swap)
    np.bitwise_xor(si, k, out=si)
    np.bitwise_xor(ci, k, out=ci)
    np.bitwise_and(j, 4, out=m)
    np.left_shift(m, 29, out=m)
    np.bitwise_xor(si, m, out=si)
    np.subtract(j, 2, out=m)
    np.invert(m, out=m)
    np.bitwise_and(m, 4, out=m)
    np.left_shift(m, 29, out=m)
    np.bitwise_xor(ci, m, out=ci)


def _box_muller_f32(u: np.ndarray, mean, std) -> np.ndarray:
    """torch's normal_fill_16_AVX2 on each block of 16 float32 uniforms."""
    b = u.reshape(-1, 2, 8)
    out = np.empty(b.shape, np.float32)
    n = b.shape[0] * 8
    buf = _Buffers(min(n, _CHUNK))
    radius, theta = np.empty(min(n, _CHUNK), np.float32), np.empty(min(n, _CHUNK), np.float32)
    sin, cos = np.empty(min(n, _CHUNK), np.float32), np.empty(min(n, _CHUNK), np.float32)
    first, second = b[:, 0].reshape(-1), b[:, 1].reshape(-1)
    two_pi = _F(2 * math.pi)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        k = hi - lo
        r, th, sn, cs = radius[:k], theta[:k], sin[:k], cos[:k]
        bk = _Buffers.__new__(_Buffers)
        bk.a, bk.b, bk.c, bk.d, bk.w = buf.a[:k], buf.b[:k], buf.c[:k], buf.d[:k], buf.w[:k]
        bk.j, bk.k = buf.j[:k], buf.k[:k]
        _sub(_F(1), first[lo:hi], out=th)
        _log_f32(th, r, bk)
        _mul(r, _F(-2), out=r)
        np.sqrt(r, out=r)
        _mul(second[lo:hi], two_pi, out=th)
        _sincos_f32(th, sn, cs, bk)
        _mul(r, cs, out=cs)
        _mul(r, sn, out=sn)
        if not (mean == 0.0 and std == 1.0):
            _fma_into(cs, cs, _F(std), _F(mean), bk.w)
            _fma_into(sn, sn, _F(std), _F(mean), bk.w)
        blk = slice(lo // 8, hi // 8)
        out[blk, 0] = cs.reshape(-1, 8)
        out[blk, 1] = sn.reshape(-1, 8)
    return out.reshape(-1)
