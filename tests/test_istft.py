"""torch.istft against torch: the inverse of stft, its options, errors and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

SIGNAL = np.random.default_rng(0).standard_normal(40)
BATCH = np.random.default_rng(1).standard_normal((3, 30))


def spectrum(lib, onesided=True, n_fft=8, hop=2):
    w = lib.hann_window(n_fft, dtype=lib.float64)
    return lib.stft(lib.tensor(SIGNAL), n_fft, hop, window=w, return_complex=True, onesided=onesided), w


def test_inverts_stft():
    def run(lib):
        s, w = spectrum(lib)
        return lib.istft(s, 8, 2, window=w), (lib.istft(s, 8, 2, window=w) - lib.tensor(SIGNAL)).abs().max() < 1e-12

    same_as_torch(run)


@pytest.mark.parametrize("kw", [{}, {"length": 50}, {"length": 30}, {"normalized": True}, {"onesided": True},
                                {"center": True, "length": 40}])
def test_options(kw):
    def run(lib):
        s, w = spectrum(lib)
        return lib.istft(s, 8, 2, window=w, **kw)

    same_as_torch(run)


def test_two_sided_and_complex_output():
    def run(lib):
        s, w = spectrum(lib, onesided=False)
        return (lib.istft(s, 8, 2, window=w), lib.istft(s, 8, 2, window=w, return_complex=True),
                lib.istft(s, 8, 2, window=w.to(lib.complex128), return_complex=True))

    same_as_torch(run)


def test_batch_short_window_no_window_and_method():
    def run(lib):
        w = lib.hann_window(6, dtype=lib.float64)
        s = lib.stft(lib.tensor(BATCH), 6, 3, window=w, return_complex=True)
        short = lib.hamming_window(5, dtype=lib.float64)
        s2 = lib.stft(lib.tensor(BATCH), 6, 2, win_length=5, window=short, return_complex=True)
        return lib.istft(s, 6, 3, window=w), s2.istft(6, 2, win_length=5, window=short), lib.istft(s, 6, 3)

    same_as_torch(run)


def test_single_precision_spectrum_with_a_double_window():
    def run(lib):
        w = lib.hann_window(6, dtype=lib.float64)
        s = lib.stft(lib.tensor(BATCH), 6, 3, window=w, return_complex=True)
        return lib.istft(s.to(lib.complex64), 6, 3, window=w)  # (float64: the window's dtype wins)

    same_as_torch(run, rtol=1e-5, atol=1e-6)


def test_gradients_reach_the_spectrum_and_the_window():
    def run(lib):
        s, w = spectrum(lib)
        s, w = s.detach().requires_grad_(), w.detach().requires_grad_()
        y = lib.istft(s, 8, 2, window=w)
        (y * lib.arange(40, dtype=lib.float64)).sum().backward()
        return y, s.grad, w.grad

    same_as_torch(run)


def test_refusals():
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0].real, 8, 2), "requires a complex-valued input")
    raises_like_torch(lambda lib: lib.istft(*spectrum(lib)[:1], 8, 2, window=spectrum(lib)[1], return_complex=True),
                      "Cannot have onesided output")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0], 8, 2, onesided=False), "match n_fft when onesided=False")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0], 8, 9), "expected 0 < hop_length <= win_length")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0], 8, 2, win_length=9), "expected 0 < win_length <= n_fft")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0], 8, 2, window=lib.ones(5)), "Invalid window shape")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0][None, None], 8, 2), "3 or 4 dimensions, but got 5")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0][:, :0], 8, 2), "cannot be empty")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib)[0], 8, 2, window=spectrum(lib)[1], center=False),
                      "window overlap add min")
    raises_like_torch(lambda lib: lib.istft(spectrum(lib, onesided=False)[0], 8, 2,
                                            window=lib.ones(8, dtype=lib.complex128)), "Complex windows are incompatible")
