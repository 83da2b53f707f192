"""torch.fft against torch: values, dtypes, shapes, gradients (first and second order), errors."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((4, 6))
CPLX = RNG.standard_normal((4, 6)) + 1j * RNG.standard_normal((4, 6))
CUBE = RNG.standard_normal((2, 3, 4))

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
TWO_D = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
TAKES_COMPLEX = {"fft", "ifft", "irfft", "hfft", "fft2", "ifft2", "irfft2", "hfft2", "fftn", "ifftn", "irfftn", "hfftn"}


def _inputs(lib, name):
    out = [lib.tensor(REAL, requires_grad=True)]
    if name in TAKES_COMPLEX:
        out.append(lib.tensor(CPLX, requires_grad=True))
    return out


def _vjp(lib, out, x, seed):
    """The vector-Jacobian product with a fixed cotangent, then its own derivative."""
    rng = np.random.default_rng(seed)
    shape = tuple(out.shape)
    v = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if out.is_complex() else 0)
    (g,) = lib.autograd.grad(out, x, lib.tensor(v, dtype=out.dtype), create_graph=True)
    if not g.requires_grad:
        return out, g, None
    u = rng.standard_normal(tuple(g.shape)) + (1j if g.is_complex() else 0)
    (gg,) = lib.autograd.grad(g, x, lib.tensor(u, dtype=g.dtype), allow_unused=True)
    return out, g, gg


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("n", [None, 3, 8])
@pytest.mark.parametrize("name", ONE_D)
def test_one_dimensional(name, n, norm):
    def f(lib):
        fn = getattr(lib.fft, name)
        return [_vjp(lib, fn(x, n=n, dim=d, norm=norm), x, 1) for x in _inputs(lib, name) for d in (-1, 0)]

    same_as_torch(f, rtol=1e-9)


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("s", [None, (3, 5), (6, 8)])
@pytest.mark.parametrize("name", TWO_D)
def test_multi_dimensional(name, s, norm):
    def f(lib):
        fn = getattr(lib.fft, name)
        return [_vjp(lib, fn(x, s=s, norm=norm), x, 2) for x in _inputs(lib, name)]

    same_as_torch(f, rtol=1e-9)


@pytest.mark.parametrize("name", ["fftn", "rfftn", "irfftn", "hfftn", "ihfftn"])
def test_dims_of_a_3d_tensor(name):
    def f(lib):
        x = lib.tensor(CUBE)
        fn = getattr(lib.fft, name)
        return fn(x), fn(x, dim=(0, 2)), fn(x, s=(4,)), fn(x, s=(2, -1), dim=(2, 0))

    same_as_torch(f, rtol=1e-9)


def test_dtypes():
    same_as_torch(lambda lib: (lib.fft.fft(lib.arange(4)), lib.fft.rfft(lib.ones(4)), lib.fft.irfft(lib.ones(3)),
                               lib.fft.fft(lib.ones(4, dtype=lib.float64)), lib.fft.ifft(lib.ones(3, dtype=lib.cfloat))))


def test_freq_and_shift():
    def f(lib):
        x = lib.tensor(REAL, requires_grad=True)
        shifted = lib.fft.fftshift(x, dim=1)
        return (lib.fft.fftfreq(5), lib.fft.rfftfreq(6, d=0.5), lib.fft.fftfreq(4, dtype=lib.float64),
                lib.fft.fftshift(lib.arange(10)), lib.fft.ifftshift(lib.arange(9)), lib.fft.fftshift(x),
                lib.fft.ifftshift(lib.fft.fftshift(x)), shifted, lib.autograd.grad(shifted.sum(), x))

    same_as_torch(f)


def test_round_trip():
    same_as_torch(lambda lib: (lib.fft.irfft(lib.fft.rfft(lib.tensor(REAL)), n=6),
                               lib.fft.ifftn(lib.fft.fftn(lib.tensor(CPLX))),
                               lib.fft.hfft(lib.fft.ihfft(lib.tensor(REAL)), n=6)), rtol=1e-9)


def test_errors():
    raises_like_torch(lambda lib: lib.fft.rfft(lib.tensor(CPLX)), "expects a real input tensor")
    raises_like_torch(lambda lib: lib.fft.fft(lib.tensor(REAL), norm="bad"), "Invalid normalization mode")
    raises_like_torch(lambda lib: lib.fft.fft(lib.tensor(REAL), n=0), "Invalid number of data points")
    raises_like_torch(lambda lib: lib.fft.irfft(lib.ones(1, dtype=lib.cfloat)), "Invalid number of data points")
    raises_like_torch(lambda lib: lib.fft.fft(lib.tensor(REAL), dim=2), "out of range")
    raises_like_torch(lambda lib: lib.fft.fftn(lib.tensor(REAL), dim=(0, 0)), "dims must be unique")


@pytest.mark.parametrize("kw", [{"n_fft": 8}, {"n_fft": 8, "hop_length": 3, "center": False},
                                {"n_fft": 8, "win_length": 6, "normalized": True},
                                {"n_fft": 8, "onesided": False, "pad_mode": "constant"}])
def test_stft(kw):
    def f(lib):
        x = lib.tensor(REAL, requires_grad=True)
        win = lib.tensor(np.hanning(kw.get("win_length", 8)))
        out = lib.stft(x, window=win, return_complex=True, **kw)
        v = lib.tensor(np.ones(tuple(out.shape)) * (1 - 2j), dtype=out.dtype)
        return out, lib.autograd.grad(out, x, v), lib.stft(x[0], return_complex=False, **kw)

    same_as_torch(f, rtol=1e-9)
    raises_like_torch(lambda lib: lib.stft(lib.tensor(REAL), 8), "return_complex")
