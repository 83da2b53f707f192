"""cumsum, cumprod, cummax, cummin, logcumsumexp and diff against torch: zeros in cumprod (first
and second derivatives), ties and NaN in cummax/cummin, large values in logcumsumexp, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

NAN = math.nan


def _grads(lib, fn, data, second=True):
    """fn(x), its vector-Jacobian product, and the derivative of that product (create_graph)."""
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    out = fn(x)
    values = out[0] if isinstance(out, tuple) else out
    w = lib.tensor(np.linspace(-1.0, 2.0, values.numel()).reshape(tuple(values.shape)))
    (g,) = lib.autograd.grad(values, x, w, create_graph=second)
    if not second or not g.requires_grad:
        return out, g
    v = lib.tensor(np.linspace(0.5, -1.5, g.numel()).reshape(tuple(g.shape)))
    (gg,) = lib.autograd.grad(g, x, v, allow_unused=True)
    return out, g, gg


ZEROS = {
    "no zero": [[2.0, -1.5, 3.0, 0.5, 1.2]],
    "one zero": [[2.0, 0.0, 3.0, 0.5, 1.2]],
    "zero first": [[0.0, 2.0, 3.0, 0.5, 1.2]],
    "zero last": [[2.0, -1.5, 3.0, 0.5, 0.0]],
    "two zeros": [[2.0, 0.0, 3.0, 0.0, 1.2], [1.0, 2.0, 0.0, 0.0, -1.0]],
    "all zero": [[0.0, 0.0, 0.0]],
}


@pytest.mark.parametrize("case", list(ZEROS))
def test_cumprod_gradients_with_zeros(case):
    same_as_torch(lambda lib: _grads(lib, lambda x: x.cumprod(1), ZEROS[case]), rtol=1e-10)
    same_as_torch(lambda lib: _grads(lib, lambda x: x.cumprod(1), ZEROS[case], second=False), rtol=1e-10)


def test_cumprod_dtype_and_0d():
    same_as_torch(lambda lib: lib.tensor([[1, 2], [3, 4]]).cumprod(0))
    same_as_torch(lambda lib: lib.tensor([1, 2, 3]).cumprod(0, dtype=lib.float64))
    same_as_torch(lambda lib: lib.tensor([True, True, False]).cumprod(0))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.cumprod(0), 3.0))
    same_as_torch(lambda lib: lib.tensor([[1.0, 2.0]]).cumprod_(1))
    raises_like_torch(lambda lib: lib.zeros(2, 3).cumprod(2), "out of range")


def test_cumsum_in_place_and_dtype():
    same_as_torch(lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum_(0))
    same_as_torch(lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32).cumsum(0))
    same_as_torch(lambda lib: lib.tensor([True, True, False]).cumsum(0))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_ties_and_nan(name):
    data = [[1.0, 3.0, 3.0, 2.0, 3.0, -1.0], [0.0, NAN, 1.0, NAN, 5.0, 0.0], [2.0, 2.0, 2.0, 1.0, 1.0, 4.0]]
    ours, _ = same_as_torch(lambda lib: getattr(lib.tensor(data), name)(1))
    assert type(ours).__name__ == name and ours._fields == ("values", "indices")
    same_as_torch(lambda lib: getattr(lib.tensor(data), name)(0))
    same_as_torch(lambda lib: getattr(lib.tensor([[3, 1, 3, 5], [0, 0, -2, 1]]), name)(1))
    same_as_torch(lambda lib: getattr(lib, name)(lib.tensor(2.5), 0))
    same_as_torch(lambda lib: getattr(lib, name)(lib.zeros(0, 3), 0))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_gradient_goes_to_the_index(name):
    data = [[1.0, 3.0, 3.0, 2.0, 3.0, -1.0], [2.0, 2.0, 2.0, 1.0, 1.0, 4.0]]
    same_as_torch(lambda lib: _grads(lib, lambda x: getattr(x, name)(1), data, second=False))


def test_logcumsumexp():
    data = [[1.0, 800.0, -2.0, 801.0], [-math.inf, -math.inf, 0.0, 1.0], [0.5, -0.5, 3.0, -700.0]]
    same_as_torch(lambda lib: lib.tensor(data).logcumsumexp(1))
    same_as_torch(lambda lib: lib.tensor([[1, 2], [3, 4]]).logcumsumexp(0))
    finite = [[1.0, 2.0, -2.0, 0.5], [0.5, -0.5, 3.0, -7.0]]
    same_as_torch(lambda lib: _grads(lib, lambda x: x.logcumsumexp(1), finite), rtol=1e-9)
    same_as_torch(lambda lib: _grads(lib, lambda x: x.logcumsumexp(0), finite), rtol=1e-9)
    same_as_torch(lambda lib: _grads(lib, lambda x: x.logcumsumexp(1), [[1.0, 800.0, -2.0, 801.0]], second=False))


# ---- diff -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_diff(n):
    data = [[1.0, 4.0, 9.0, 16.0], [2.0, -1.0, 0.5, 3.0], [0.0, 0.0, 1.0, 1.0]]
    same_as_torch(lambda lib: _grads(lib, lambda x: x.diff(n), data))
    same_as_torch(lambda lib: lib.diff(lib.tensor(data), n, 0))
    same_as_torch(lambda lib: lib.diff(lib.tensor(data), n, -1, lib.tensor([[0.0], [1.0], [2.0]]), lib.ones(3, 2)))
    same_as_torch(lambda lib: lib.diff(lib.tensor([[1, 5, 2], [0, 0, 3]]), n))
    same_as_torch(lambda lib: lib.diff(lib.tensor([True, False, False, True]), n))


def test_diff_errors():
    raises_like_torch(lambda lib: lib.diff(lib.tensor(3.0)), "at least one-dimensional")
    raises_like_torch(lambda lib: lib.diff(lib.zeros(3), -1), "order must be non-negative")
    raises_like_torch(lambda lib: lib.diff(lib.zeros(2, 3), 1, 0, lib.zeros(3)), "same dimension")
