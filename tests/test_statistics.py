"""aminmax, var_mean, std_mean, nansum, nanmean, count_nonzero, quantile, nanquantile, cov, corrcoef,
dist, renorm and the histograms against torch: named tuples, NaN, ties, weights, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

NAN = math.nan
DATA = [[0.3, -1.0, 2.5, 7.0, 1.5], [4.0, 0.0, -2.0, 3.0, 1.0], [1.0, 1.0, 2.0, -0.5, 0.25]]


def _grads(lib, fn, data, second=True, **kw):
    """fn(x), the gradient of a weighted sum of its outputs, and that gradient's derivative."""
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    out = fn(x, **kw)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
    total = sum((o * lib.tensor(np.linspace(-1.0, 2.0, o.numel()).reshape(tuple(o.shape)))).sum() for o in outs)
    (g,) = lib.autograd.grad(total, x, create_graph=second)
    if not second:
        return out, g
    (gg,) = lib.autograd.grad((g * g).sum(), x, allow_unused=True)
    return out, g, gg


# ---- aminmax -------------------------------------------------------------------------------------------
def test_aminmax():
    ours, _ = same_as_torch(lambda lib: lib.aminmax(lib.tensor(DATA)))
    assert type(ours).__name__ == "aminmax" and ours._fields == ("min", "max")
    same_as_torch(lambda lib: lib.tensor(DATA).aminmax(dim=1))
    same_as_torch(lambda lib: lib.tensor(DATA).aminmax(dim=0, keepdim=True))
    same_as_torch(lambda lib: lib.tensor([[3, 1], [0, 7]]).aminmax(dim=-1))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.aminmax(dim=1), DATA, second=False))
    # ties share each gradient
    same_as_torch(lambda lib: _grads(lib, lambda x: x.aminmax(), [1.0, 3.0, 1.0, 3.0, 2.0], second=False))
    same_as_torch(lambda lib: lib.tensor(DATA, requires_grad=True).aminmax()[1].grad_fn.name())


def test_aminmax_errors():
    raises_like_torch(lambda lib: lib.zeros(0).aminmax(), "empty")
    raises_like_torch(lambda lib: lib.zeros(3, 0).aminmax(dim=1), "non-zero size")


# ---- var_mean, std_mean --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_spread_and_mean(name):
    def f(*args, **kw):
        return lambda lib: getattr(lib, name)(lib.tensor(DATA), *args, **kw)

    for args, kw in [((), {}), ((1,), {}), ((0, True, True), {}), ((False,), {}), ((True,), {}),
                     ((), {"dim": 1, "correction": 0}), ((), {"dim": (0, 1), "correction": 2, "keepdim": True})]:
        same_as_torch(f(*args, **kw))
    same_as_torch(lambda lib: _grads(lib, getattr(lib, name), DATA))
    same_as_torch(lambda lib: _grads(lib, getattr(lib, name), DATA, dim=1, correction=0))
    same_as_torch(lambda lib: [t.grad_fn.name() for t in getattr(lib, name)(lib.tensor(DATA, requires_grad=True))])


def test_spread_and_mean_gradient_of_one_output():
    def f(lib):
        x = lib.tensor(DATA, dtype=lib.float64, requires_grad=True)
        std, _ = lib.std_mean(x, 1)
        return lib.autograd.grad(std.sum(), x)[0], lib.autograd.grad(lib.var_mean(x, 0)[1].sum(), x)[0]

    same_as_torch(f)


def test_spread_and_mean_errors():
    raises_like_torch(lambda lib: lib.var_mean(lib.tensor([1, 2, 3])), "floating point")


# ---- nansum, nanmean, count_nonzero ---------------------------------------------------------------------
WITH_NAN = [[1.0, NAN, 3.0, NAN], [NAN, NAN, NAN, NAN], [4.0, 2.0, -1.0, 0.0]]


def test_nansum_nanmean():
    for dim in (None, 0, 1, (0, 1)):
        same_as_torch(lambda lib, dim=dim: lib.nansum(lib.tensor(WITH_NAN), dim))
        same_as_torch(lambda lib, dim=dim: lib.nanmean(lib.tensor(WITH_NAN), dim, keepdim=True))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.nansum(1), WITH_NAN, second=False))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.nanmean(0), WITH_NAN, second=False))
    same_as_torch(lambda lib: lib.tensor([[1, 2], [3, 4]]).nansum(0))
    same_as_torch(lambda lib: lib.tensor([1, 2], dtype=lib.int32).nansum(dtype=lib.float64))
    raises_like_torch(lambda lib: lib.tensor([1, 2]).nanmean(), "floating point")


def test_count_nonzero():
    data = [[0.0, 1.0, 0.0], [2.0, NAN, 0.0]]
    for dim in (None, 0, 1, (0, 1), -1):
        same_as_torch(lambda lib, dim=dim: lib.count_nonzero(lib.tensor(data), dim))
    same_as_torch(lambda lib: lib.tensor([True, False, True]).count_nonzero())
    raises_like_torch(lambda lib: lib.count_nonzero(lib.zeros(2, 2), (0, 0)), "multiple times")


# ---- quantile, nanquantile ----------------------------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interpolation):
    for q in (0.0, 0.25, 0.5, 0.9, 1.0):
        same_as_torch(lambda lib, q=q: lib.quantile(lib.tensor(DATA), q, interpolation=interpolation))
        same_as_torch(lambda lib, q=q: lib.quantile(lib.tensor(DATA), q, 1, True, interpolation=interpolation))
    qs = [0.1, 0.5, 0.75]
    same_as_torch(lambda lib: lib.quantile(lib.tensor(DATA, dtype=lib.float64), lib.tensor(qs, dtype=lib.float64), 0,
                                           interpolation=interpolation))
    same_as_torch(lambda lib: lib.quantile(lib.tensor(DATA), lib.tensor(qs), None, True, interpolation=interpolation))
    raises_like_torch(lambda lib: lib.quantile(lib.tensor(DATA), lib.tensor(qs, dtype=lib.float64)), "same dtype")
    same_as_torch(lambda lib: _grads(lib, lambda x: lib.quantile(x, 0.3, 1, interpolation=interpolation), DATA))


def test_quantile_with_nan():
    same_as_torch(lambda lib: lib.quantile(lib.tensor(WITH_NAN), 0.4, 1))
    same_as_torch(lambda lib: lib.nanquantile(lib.tensor(WITH_NAN), 0.4, 1))
    same_as_torch(lambda lib: lib.nanquantile(lib.tensor(WITH_NAN), lib.tensor([0.2, 0.9])))
    same_as_torch(lambda lib: _grads(lib, lambda x: lib.nanquantile(x, 0.7, 1), WITH_NAN, second=False))


def test_quantile_gradient_in_q():
    def f(lib):
        q = lib.tensor([0.2, 0.7], dtype=lib.float64, requires_grad=True)
        return lib.autograd.grad(lib.quantile(lib.tensor(DATA, dtype=lib.float64), q, 1).sum(), q)

    same_as_torch(f)


def test_quantile_errors():
    raises_like_torch(lambda lib: lib.quantile(lib.tensor(DATA), 1.5), "in the range")
    raises_like_torch(lambda lib: lib.quantile(lib.tensor(DATA), lib.tensor([0.5, 2.0])), "in the range")
    raises_like_torch(lambda lib: lib.quantile(lib.tensor([1, 2]), 0.5), "float or double")
    raises_like_torch(lambda lib: lib.quantile(lib.zeros(0), 0.5), "non-empty")
    raises_like_torch(lambda lib: lib.quantile(lib.tensor(DATA), 0.5, interpolation="cubic"), "interpolation")
    raises_like_torch(lambda lib: lib.quantile(lib.tensor(DATA), lib.tensor([[0.5]])), "1D tensor")


# ---- cov, corrcoef -----------------------------------------------------------------------------------------
def test_cov():
    same_as_torch(lambda lib: lib.cov(lib.tensor(DATA)))
    same_as_torch(lambda lib: lib.cov(lib.tensor(DATA), correction=0))
    same_as_torch(lambda lib: lib.cov(lib.tensor(DATA[0])))
    same_as_torch(lambda lib: lib.cov(lib.tensor([[1, 2, 4], [0, 5, 1]])))
    fw, aw = [1, 2, 0, 3, 1], [0.5, 1.0, 0.25, 2.0, 1.0]
    same_as_torch(lambda lib: lib.cov(lib.tensor(DATA), fweights=lib.tensor(fw), aweights=lib.tensor(aw)))
    same_as_torch(lambda lib: lib.cov(lib.tensor(DATA), correction=2, aweights=lib.tensor(aw)))
    same_as_torch(lambda lib: _grads(lib, lambda x: lib.cov(x, fweights=lib.tensor(fw)), DATA))


def test_cov_errors():
    raises_like_torch(lambda lib: lib.cov(lib.zeros(2, 2, 2)), "two or fewer dimensions")
    raises_like_torch(lambda lib: lib.cov(lib.zeros(2, 3), fweights=lib.tensor([1.0, 2.0, 3.0])), "integral")
    raises_like_torch(lambda lib: lib.cov(lib.zeros(2, 3), fweights=lib.tensor([1, 2])), "same numel")
    raises_like_torch(lambda lib: lib.cov(lib.zeros(2, 3), fweights=lib.tensor([1, -2, 0])), "negative")
    raises_like_torch(lambda lib: lib.cov(lib.zeros(2, 3), aweights=lib.tensor([1, 2, 3])), "floating point")


def test_corrcoef():
    same_as_torch(lambda lib: lib.corrcoef(lib.tensor(DATA)))
    same_as_torch(lambda lib: lib.corrcoef(lib.tensor(DATA[0])))
    same_as_torch(lambda lib: _grads(lib, lib.corrcoef, DATA))


# ---- dist, renorm ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0, 1, 1.5, 2, 3, math.inf, -math.inf])
def test_dist(p):
    other = [1.0, -1.0, 0.5, 2.0, 0.0]
    same_as_torch(lambda lib: lib.dist(lib.tensor(DATA), lib.tensor(other), p))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.dist(lib.tensor(other, dtype=lib.float64), p), DATA,
                                     second=p not in (math.inf, -math.inf)), rtol=1e-10)


def test_dist_of_equal_tensors_and_ints():
    same_as_torch(lambda lib: _grads(lib, lambda x: x.dist(x.detach()), DATA, second=False))
    same_as_torch(lambda lib: lib.dist(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 4.0], dtype=lib.float64)))
    same_as_torch(lambda lib: lib.dist(lib.tensor([1, 2]), lib.tensor([1.0, 4.0])))
    raises_like_torch(lambda lib: lib.dist(lib.tensor([1, 2]), lib.tensor([3, 4])), "floating point")


@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_renorm(p):
    same_as_torch(lambda lib: lib.renorm(lib.tensor(DATA), p, 0, 4.0))
    same_as_torch(lambda lib: lib.tensor(DATA).renorm(p, 1, 2.0))
    same_as_torch(lambda lib: _grads(lib, lambda x: x.renorm(p, 0, 4.0), DATA, second=p != math.inf), rtol=1e-10)
    same_as_torch(lambda lib: lib.tensor(DATA).renorm_(p, 0, 4.0))


def test_renorm_errors():
    raises_like_torch(lambda lib: lib.tensor(DATA).renorm(0, 0, 1.0), "non-positive-norm")
    raises_like_torch(lambda lib: lib.tensor(DATA).renorm(2, 0, -1.0), "maxnorm")
    raises_like_torch(lambda lib: lib.tensor([3.0, 4.0]).renorm(2, 0, 1.0), "at least 2 dimensions")


# ---- histograms ---------------------------------------------------------------------------------------------
POINTS = np.array([0.1, 0.5, -1.0, 2.0, 2.0, 0.75, -0.3, 1.9, 1.0])  # (float64: the weights' dtype)


def test_histc():
    same_as_torch(lambda lib: lib.histc(lib.tensor(POINTS), 4))
    same_as_torch(lambda lib: lib.histc(lib.tensor(POINTS), 3, -0.5, 1.0))  # (outside: not counted)
    same_as_torch(lambda lib: lib.histc(lib.tensor([2.0, 2.0]), 2))
    same_as_torch(lambda lib: lib.histc(lib.tensor([]), 2))
    same_as_torch(lambda lib: lib.histc(lib.tensor([1.0, 2.0, math.inf]), 2, 0.0, 3.0))
    raises_like_torch(lambda lib: lib.histc(lib.tensor(POINTS), 3, 2, 1), "max must be larger than min")
    raises_like_torch(lambda lib: lib.histc(lib.tensor(POINTS), -1), "bins must be > 0")
    raises_like_torch(lambda lib: lib.histc(lib.tensor([1, 2]), 2), "not implemented")


def test_histogram():
    ours, _ = same_as_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 4))
    assert type(ours).__name__ == "histogram" and ours._fields == ("hist", "bin_edges")
    same_as_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 3, range=(-0.5, 1.0), density=True))
    same_as_torch(lambda lib: lib.histogram(lib.tensor(POINTS), lib.tensor([-1.0, 0.0, 0.5, 2.0], dtype=lib.float64),
                                            weight=lib.tensor(np.linspace(0.1, 1.0, 9)), density=True))
    same_as_torch(lambda lib: lib.tensor(POINTS).histogram(2, weight=lib.tensor(np.linspace(0.1, 1.0, 9))))
    same_as_torch(lambda lib: lib.histogram(lib.tensor([2.0, 2.0]), 2))
    same_as_torch(lambda lib: lib.histogram(lib.tensor([]), 2))
    raises_like_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 0), "bins must be > 0")
    raises_like_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 2, range=(1.0, 0.0)), "min should not exceed")


def test_histogramdd():
    pts = np.stack([np.linspace(-1, 1, 9), np.array(POINTS)], 1)
    ours, _ = same_as_torch(lambda lib: lib.histogramdd(lib.tensor(pts), [2, 3]))
    assert type(ours).__name__ == "histogramdd"
    same_as_torch(lambda lib: lib.histogramdd(lib.tensor(pts), 3, range=[-1.0, 1.0, 0.0, 2.0], density=True))
    same_as_torch(lambda lib: lib.histogramdd(lib.tensor(pts), [lib.tensor([-1.0, 0.0, 1.0], dtype=lib.float64),
                                                                lib.tensor([-1.0, 0.5, 1.0, 2.0], dtype=lib.float64)],
                                              weight=lib.tensor(np.linspace(0.1, 1.0, 9))))
    raises_like_torch(lambda lib: lib.histogramdd(lib.tensor(pts), [2, 3, 4]), "size of bins")
    raises_like_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 2, weight=lib.ones(9)), "same dtype")
    raises_like_torch(lambda lib: lib.histogram(lib.tensor(POINTS), lib.tensor([0.0, 1.0])), "same dtype")
    raises_like_torch(lambda lib: lib.histogram(lib.tensor(POINTS), 2, weight=lib.ones(5, dtype=lib.float64)),
                      "same shape")
