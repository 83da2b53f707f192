"""The top-level windows (torch.hann_window, hamming_window, blackman_window, bartlett_window,
kaiser_window) against torch: float64 values bit for bit, float32 within rounding."""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch

NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
LENGTHS = [0, 1, 2, 3, 5, 6, 33, 128, 255]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("periodic", [True, False])
def test_float64_windows_are_torchs_bit_for_bit(name, periodic):
    # (kaiser's Bessel function is SciPy's, not torch's Cephes port: a few ulps apart)
    exact = name != "kaiser_window"
    same_as_torch(lambda lib: [getattr(lib, name)(n, periodic, dtype=lib.float64) for n in LENGTHS], exact=exact)


@pytest.mark.parametrize("name", NAMES)
def test_float32_windows_and_defaults(name):
    same_as_torch(lambda lib: [getattr(lib, name)(n) for n in LENGTHS] + [getattr(lib, name)(7, periodic=False)],
                  atol=1e-6)


def test_extra_parameters():
    same_as_torch(lambda lib: (lib.hamming_window(9, True, 0.6), lib.hamming_window(9, False, 0.6, 0.3),
                               lib.hamming_window(9, True, alpha=0.6, beta=0.3, dtype=lib.float64),
                               lib.kaiser_window(9, True, 3.0), lib.kaiser_window(9, False, 5.0, dtype=lib.float64)))


@pytest.mark.parametrize("name", NAMES)
def test_requires_grad_makes_a_leaf(name):
    def run(lib):
        w = getattr(lib, name)(6, requires_grad=True)
        return w, w.is_leaf, w.grad_fn is None

    same_as_torch(run, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_refusals(name):
    raises_like_torch(lambda lib: getattr(lib, name)(-1), "requires non-negative window_length, got window_length=-1")
    raises_like_torch(lambda lib: getattr(lib, name)(4, dtype=lib.int64), "expects floating point dtypes, got:")
    raises_like_torch(lambda lib: getattr(lib, name)(4.0), "must be int, not float")
    raises_like_torch(lambda lib: getattr(lib, name)(4, dtype=lib.complex64), "not implemented for 'ComplexFloat'")


def test_windows_feed_stft_and_istft():
    def run(lib):
        x = lib.linspace(-1, 1, 64, dtype=lib.float64) ** 3
        w = lib.hann_window(16, dtype=lib.float64)
        spectrum = lib.stft(x, 16, 4, window=w, return_complex=True)
        return spectrum, lib.istft(spectrum, 16, 4, window=w)

    same_as_torch(run)
