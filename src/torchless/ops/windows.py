"""torch.signal.windows: window functions of length ``M`` for spectral analysis.

Each window is a formula of evenly spaced points ``k`` (a linspace), written in torchless ops: with
``requires_grad=True`` the result is recorded from that linspace, as torch's is. ``sym=False``
gives the periodic window (the symmetric one of length M + 1, without its last point), the form
``torch.stft`` wants.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import _creation
from .._dtype import DEFAULT, float32, float64
from .._tensor import Tensor
from . import elementwise
from ._core import register

SAMPLES = [(0,), (1,), (5,), (6, {"sym": False}), (7, {"dtype": float64})]


def _checks(name: str, M: int, dtype, layout) -> None:
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (float32, float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _trivial(M: int, dtype, device, requires_grad):
    """The windows of length 0 (empty) and 1 (a single one), or None."""
    if M == 0:
        return _creation.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return _creation.ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


def _points(start: float, step: float, M: int, dtype, device, requires_grad) -> Tensor:
    """``start, start + step, ..., start + (M - 1) step``."""
    return _creation.linspace(start, start + (M - 1) * step, M, dtype=dtype, device=device,
                              requires_grad=requires_grad)


def _span(M: int, sym: bool) -> int:
    """The denominator that spaces the points: M - 1 for a symmetric window, M for a periodic one."""
    return M - 1 if sym else M


@register("signal.windows.general_cosine", samples=[(5, {"a": [0.5, 0.5]}), (6, {"a": (0.4, 0.3, 0.3), "sym": False})],
          differentiable=False)
def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """``sum_i (-1)**i a[i] cos(2 pi i n / (M - 1))``, the family of Hann, Hamming, Blackman, Nuttall.

    >>> import torchless as torch
    >>> torch.signal.windows.general_cosine(3, a=[0.5, 0.5])
    tensor([0., 1., 0.])
    """
    dtype = dtype or DEFAULT.float
    _checks("general_cosine", M, dtype, layout)
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    k = _points(0.0, 2 * math.pi / _span(M, sym), M, dtype, device, requires_grad)
    coefficients = _creation.tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype, device=device,
                                    requires_grad=requires_grad)
    orders = _creation.arange(coefficients.shape[0], dtype=dtype, device=device)
    return (coefficients.unsqueeze(-1) * elementwise.cos(orders.unsqueeze(-1) * k)).sum(0)


@register("signal.windows.general_hamming", samples=SAMPLES + [(5, {"alpha": 0.6})], differentiable=False)
def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """``alpha - (1 - alpha) cos(2 pi n / (M - 1))``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


@register("signal.windows.hamming", samples=SAMPLES, differentiable=False)
def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Hamming window: general_hamming with alpha = 0.54."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


@register("signal.windows.hann", samples=SAMPLES, differentiable=False)
def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Hann window: ``sin(pi n / (M - 1))**2``.

    >>> import torchless as torch
    >>> torch.signal.windows.hann(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


@register("signal.windows.blackman", samples=SAMPLES, differentiable=False)
def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Blackman window: general_cosine with a = (0.42, 0.5, 0.08)."""
    dtype = dtype or DEFAULT.float
    _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


@register("signal.windows.nuttall", samples=SAMPLES, differentiable=False)
def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


@register("signal.windows.bartlett", samples=SAMPLES, differentiable=False)
def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The triangular window that reaches zero at both ends: ``1 - |2n / (M - 1) - 1|``."""
    dtype = dtype or DEFAULT.float
    _checks("bartlett", M, dtype, layout)
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    k = _points(-1.0, 2 / _span(M, sym), M, dtype, device, requires_grad)
    return 1 - k.abs()


@register("signal.windows.cosine", samples=SAMPLES, differentiable=False)
def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The sine window: ``sin(pi (n + 1/2) / M)``."""
    dtype = dtype or DEFAULT.float
    _checks("cosine", M, dtype, layout)
    if M == 0:
        return _creation.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    step = math.pi / (M + 1 if not sym and M > 1 else M)
    return elementwise.sin(_points(0.5 * step, step, M, dtype, device, requires_grad))


@register("signal.windows.exponential", samples=SAMPLES + [(5, {"tau": 2.5}), (6, {"sym": False, "center": 1.0})],
          differentiable=False)
def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    """The Poisson window ``exp(-|n - center| / tau)`` (center: the middle, unless given for sym=False)."""
    dtype = dtype or DEFAULT.float
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _creation.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    k = _points(-center / tau, 1 / tau, M, dtype, device, requires_grad)
    return elementwise.exp(-k.abs())


@register("signal.windows.gaussian", samples=SAMPLES + [(5, {"std": 2.5})], differentiable=False)
def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``exp(-(n - (M - 1) / 2)**2 / (2 std**2))``."""
    dtype = dtype or DEFAULT.float
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _creation.empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    scale = 1 / (std * math.sqrt(2))
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    k = _points(start * scale, scale, M, dtype, device, requires_grad)
    return elementwise.exp(-(k**2))


@register("signal.windows.kaiser", samples=SAMPLES + [(5, {"beta": 3.0})], differentiable=False)
def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """``i0(beta sqrt(1 - (2n / (M - 1) - 1)**2)) / i0(beta)`` (needs SciPy, for i0)."""
    from .special import i0

    dtype = dtype or DEFAULT.float
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    b = _creation.tensor(beta, dtype=dtype, device=device)
    step = 2.0 * b / _span(M, sym)
    end = elementwise.minimum(b, -b + (M - 1) * step)
    k = _creation.linspace(-b.item(), end.item(), M, dtype=dtype, device=device, requires_grad=requires_grad)
    return i0((b * b - k**2).sqrt()) / i0(b)


# ---- torch.hann_window, hamming_window, ...: the top-level windows ---------------------------------
# These compute as ATen does, step by step in the window's dtype on an arange (so float64 results
# match torch's bit for bit); ``periodic=True`` is the symmetric window of length + 1 without its
# last point. ``requires_grad=True`` makes a leaf, as in torch (no graph back to the arange).
_CPP_NAMES = {"int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
              "uint8": "unsigned char", "bool": "bool"}


def _window_start(name: str, window_length, dtype, layout):
    """torch's checks; the dtype to compute in."""
    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if layout is not None and str(layout) != "torch.strided":
        raise RuntimeError(f"{name} is not implemented for sparse types, got: {layout}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dtype = dtype or DEFAULT.float
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_CPP_NAMES.get(str(dtype)[6:], str(dtype)[6:])}, device=cpu, layout=Strided (default), "
                           "requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")
    return dtype


def _window_finish(window: Tensor, periodic: bool, requires_grad: bool) -> Tensor:
    if periodic:
        window = window[:-1]
    return window.detach().contiguous().requires_grad_(requires_grad)


def _arange(n: int, dtype) -> Tensor:
    if dtype.is_complex:
        from .pointwise import not_implemented_for

        raise not_implemented_for("arange_cpu", __import__("numpy").dtype(dtype.np))
    return _creation.arange(n, dtype=dtype)


def _short_window(window_length: int, dtype, device, requires_grad):
    """Length 0 and 1 (no arange involved), or None."""
    if window_length in (0, 1):
        return _creation.ones((window_length,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


@register("hamming_window", method=False, differentiable=False, samples=[(0,), (1,), (5,), (6, False), (7, True, 0.6),
                                                                         (7, False, 0.6, 0.3)])
def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """``alpha - beta cos(2 pi n / (N - 1))``.

    >>> import torchless as torch
    >>> torch.hamming_window(4, periodic=False)
    tensor([0.0800, 0.7700, 0.7700, 0.0800])
    """
    dtype = _window_start("hamming_window", window_length, dtype, layout)
    return _hamming(window_length, periodic, alpha, beta, dtype, device, requires_grad)


def _hamming(window_length, periodic, alpha, beta, dtype, device, requires_grad):
    done = _short_window(window_length, dtype, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    window = elementwise.cos(_arange(n, dtype) * (math.pi * 2.0 / (n - 1))) * -beta + alpha
    return _window_finish(window, periodic, requires_grad)


@register("hann_window", method=False, differentiable=False, samples=[(0,), (1,), (5,), (6, False)])
def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / (N - 1))``: the Hamming window with alpha = beta = 0.5.

    >>> import torchless as torch
    >>> torch.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    dtype = _window_start("hann_window", window_length, dtype, layout)
    return _hamming(window_length, periodic, 0.5, 0.5, dtype, device, requires_grad)


@register("blackman_window", method=False, differentiable=False, samples=[(0,), (1,), (5,), (6, False)])
def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    dtype = _window_start("blackman_window", window_length, dtype, layout)
    done = _short_window(window_length, dtype, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    k = _arange(n, dtype) * (math.pi / (n - 1))
    window = elementwise.cos(k * 4) * 0.08 - elementwise.cos(k * 2) * 0.5 + 0.42
    return _window_finish(window, periodic, requires_grad)


@register("bartlett_window", method=False, differentiable=False, samples=[(0,), (1,), (5,), (6, False)])
def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """The triangle ``1 - |2n / (N - 1) - 1|``, computed as ``2n / (N - 1)`` rising to the middle
    and ``2 - 2n / (N - 1)`` after it."""
    dtype = _window_start("bartlett_window", window_length, dtype, layout)
    done = _short_window(window_length, dtype, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    rise = _arange(n, dtype) * (2.0 / (n - 1))
    half = ((n - 1) >> 1) + 1
    window = _creation.tensor(rise._data, dtype=dtype)
    window[half:] = 2 - rise[half:]
    return _window_finish(window, periodic, requires_grad)


@register("kaiser_window", method=False, differentiable=False, samples=[(0,), (1,), (5,), (6, False),
                                                                        (7, True, 3.0)])
def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """``i0(beta sqrt(1 - ((n - a) / a)**2)) / i0(beta)`` with ``a = (N - 1) / 2`` (float16 is
    computed in float32, as torch does)."""
    from .special import i0

    dtype = _window_start("kaiser_window", window_length, dtype, layout)
    done = _short_window(window_length, dtype, device, requires_grad)
    if done is not None:
        return done
    n = window_length + 1 if periodic else window_length
    compute = float32 if dtype.itemsize < 4 else dtype
    a = _arange(n, dtype).to(compute)
    alpha = (n - 1) / 2.0
    b = _creation.tensor(beta, dtype=compute)
    window = (i0(b * (1 - ((a - alpha) / alpha) ** 2.0).abs().sqrt()) / i0(b)).to(dtype)
    return _window_finish(window, periodic, requires_grad)
