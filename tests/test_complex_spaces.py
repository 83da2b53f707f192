"""linspace and logspace with complex ends (and complex dtypes) against torch, and real linspace
bit for bit."""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch

ENDS = [(0, 1 + 1j), (1j, 3), (-2.5 + 0.1j, 7.3 - 4.2j), (0.1, 0.7j)]
STEPS = [0, 1, 2, 3, 10, 33, 1001]


@pytest.mark.parametrize("start, end", ENDS)
def test_complex_linspace_bit_for_bit(start, end):
    same_as_torch(lambda lib: [lib.linspace(start, end, n) for n in STEPS]
                  + [lib.linspace(start, end, n, dtype=lib.complex128) for n in STEPS], exact=True)


def test_real_ends_complex_dtype_and_default_dtype():
    def run(lib):
        out = [lib.linspace(1.1, 3.3, 33, dtype=lib.complex64), lib.linspace(1, 3, 4, dtype=lib.complex128),
               lib.linspace(lib.tensor(1j), 3, 3)]
        lib.set_default_dtype(lib.float64)
        try:
            out.append(lib.linspace(0, 1 + 1j, 5))
        finally:
            lib.set_default_dtype(lib.float32)
        return out

    same_as_torch(run, exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_real_linspace_bit_for_bit(dtype):
    same_as_torch(lambda lib: [lib.linspace(a, b, n, dtype=getattr(lib, dtype))
                               for a, b in [(1.1, 3.3), (-7.25, 0.3), (1e3, -2.5e-2)] for n in (2, 3, 10, 101, 1000)],
                  exact=True)


@pytest.mark.parametrize("start, end", ENDS)
def test_complex_logspace(start, end):
    same_as_torch(lambda lib: [lib.logspace(start, end, n) for n in STEPS]
                  + [lib.logspace(start, end, n, base=2.0, dtype=lib.complex128) for n in STEPS], rtol=1e-5)


def test_complex_ends_refuse_a_real_dtype():
    raises_like_torch(lambda lib: lib.linspace(1j, 3, 4, dtype=lib.float32), "can't be safely cast to passed dtype Float")
    raises_like_torch(lambda lib: lib.logspace(1j, 2, 3, dtype=lib.float64), "can't be safely cast to passed dtype Double")
