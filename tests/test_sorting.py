"""sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique, unique_consecutive,
searchsorted, bucketize against torch: named tuples, ties, NaN, empty and 0-d tensors, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

import torchless

NAN = math.nan
WITH_TIES = [[3.0, 1.0, 2.0, 1.0, 3.0, 5.0], [2.0, 2.0, -1.0, 0.0, -1.0, 2.0]]
WITH_NAN = [[1.0, NAN, 3.0, NAN, 0.5], [4.0, 2.0, 1.0, 0.0, -3.0]]


def _grad_of(lib, fn, data):
    """fn's first output and the gradient of a weighted sum of it."""
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    out = fn(x)
    values = out[0] if isinstance(out, tuple) else out
    w = lib.tensor(np.linspace(-1.0, 2.0, values.numel()).reshape(tuple(values.shape)))
    (g,) = lib.autograd.grad((values * w).sum(), x)
    return out, g


# ---- sort, argsort, msort --------------------------------------------------------------------------
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_is_stable_with_ties_and_nan(dim, descending):
    same_as_torch(lambda lib: lib.sort(lib.tensor(WITH_TIES), dim=dim, descending=descending, stable=True))
    same_as_torch(lambda lib: lib.sort(lib.tensor(WITH_NAN), dim=dim, descending=descending))
    same_as_torch(lambda lib: lib.argsort(lib.tensor(WITH_TIES), dim=dim, descending=descending, stable=True))


def test_sort_named_tuple_and_gradient():
    ours, _ = same_as_torch(lambda lib: _grad_of(lib, lambda x: x.sort(descending=True), WITH_TIES))
    assert type(ours[0]).__name__ == "sort" and ours[0]._fields == ("values", "indices")
    assert repr(ours[0]).startswith("torch.return_types.sort(")
    same_as_torch(lambda lib: lib.tensor(WITH_TIES, requires_grad=True).sort(stable=True)[0].grad_fn.name())
    same_as_torch(lambda lib: lib.tensor(WITH_TIES, requires_grad=True).sort()[0].grad_fn.name())


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (1,)])
def test_sort_of_empty_and_0d(shape):
    same_as_torch(lambda lib: lib.sort(lib.zeros(shape)))
    same_as_torch(lambda lib: lib.argsort(lib.zeros(shape)))


def test_sort_of_integers_and_bools():
    same_as_torch(lambda lib: lib.sort(lib.tensor([[3, 1, 2, 1], [0, 0, -5, 7]]), 1, True))
    same_as_torch(lambda lib: lib.sort(lib.tensor([True, False, True, False]), stable=True))


def test_msort():
    same_as_torch(lambda lib: _grad_of(lib, lib.msort, WITH_TIES))


def test_sort_errors():
    raises_like_torch(lambda lib: lib.sort(lib.zeros(2, 3), 2), "out of range")


def test_sort_double_backward():
    def f(lib):
        x = lib.tensor([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x.sort(1).values ** 3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g, gg

    same_as_torch(f)


# ---- topk, kthvalue ---------------------------------------------------------------------------------
@pytest.mark.parametrize("largest", [True, False])
def test_topk(largest):
    data = [[0.3, -1.0, 2.5, 7.0, 1.5], [4.0, 0.0, -2.0, 3.0, 1.0]]
    ours, _ = same_as_torch(lambda lib: _grad_of(lib, lambda x: x.topk(3, 1, largest), data))
    assert type(ours[0]).__name__ == "topk"
    same_as_torch(lambda lib: lib.topk(lib.tensor(data), 2, 0, largest))
    same_as_torch(lambda lib: lib.topk(lib.tensor(data), 0))
    same_as_torch(lambda lib: lib.topk(lib.tensor(2.5), 1))


def test_topk_puts_nan_first():
    same_as_torch(lambda lib: lib.topk(lib.tensor([1.0, NAN, 3.0, 2.0]), 2))


def test_topk_errors():
    raises_like_torch(lambda lib: lib.topk(lib.zeros(3, 2), 3), "k out of range")
    raises_like_torch(lambda lib: lib.topk(lib.zeros(3, 2), -1), "k out of range")


@pytest.mark.parametrize("k", [1, 3, 5])
def test_kthvalue(k):
    data = [[0.3, -1.0, 2.5, 7.0, 1.5], [4.0, 0.0, -2.0, 3.0, 1.0]]
    ours, _ = same_as_torch(lambda lib: _grad_of(lib, lambda x: x.kthvalue(k), data))
    assert type(ours[0]).__name__ == "kthvalue"
    same_as_torch(lambda lib: lib.kthvalue(lib.tensor(data), 1, 0, True))
    same_as_torch(lambda lib: lib.kthvalue(lib.tensor(data), 2, 0, keepdim=False))


def test_kthvalue_errors():
    raises_like_torch(lambda lib: lib.zeros(3, 2).kthvalue(3), "k out of range")
    raises_like_torch(lambda lib: lib.zeros(3, 2).kthvalue(0), "k out of range")
    raises_like_torch(lambda lib: lib.zeros(3, 0).kthvalue(1), "non-zero size")


# ---- median, nanmedian --------------------------------------------------------------------------------
def test_median_is_the_lower_middle():
    same_as_torch(lambda lib: lib.tensor([4.0, 1.0, 3.0, 2.0]).median())
    same_as_torch(lambda lib: lib.tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 5.0, -1.0, 8.0]]).median(1))
    same_as_torch(lambda lib: lib.tensor([[4.0, 1.0, 3.0, 2.0], [0.0, 5.0, -1.0, 8.0]]).median(0, keepdim=True))


def test_median_with_nan():
    same_as_torch(lambda lib: lib.tensor(WITH_NAN).median())
    same_as_torch(lambda lib: lib.tensor(WITH_NAN).median(1))
    same_as_torch(lambda lib: lib.tensor(WITH_NAN).nanmedian())
    same_as_torch(lambda lib: lib.tensor(WITH_NAN).nanmedian(1))
    same_as_torch(lambda lib: lib.tensor([NAN, NAN]).nanmedian())


def test_median_of_empty_and_0d():
    same_as_torch(lambda lib: lib.tensor([]).median())
    same_as_torch(lambda lib: lib.tensor([]).nanmedian())
    same_as_torch(lambda lib: lib.tensor(3.0).median(0))
    raises_like_torch(lambda lib: lib.zeros(3, 0).median(1), "non-zero size")
    raises_like_torch(lambda lib: lib.zeros(3, 2).median(keepdim=True), "dim")


def test_median_gradients():
    # all elements: shared by the ties; along a dim: to the index picked
    ours, _ = same_as_torch(lambda lib: _grad_of(lib, lambda x: x.median(), [2.0, 1.0, 2.0, 3.0, 2.0]))
    same_as_torch(lambda lib: _grad_of(lib, lambda x: x.median(1), [[4.0, 1.0, 3.0], [0.0, 5.0, -1.0]]))
    same_as_torch(lambda lib: _grad_of(lib, lambda x: x.nanmedian(), [NAN, 1.0, 3.0]))
    same_as_torch(lambda lib: _grad_of(lib, lambda x: x.median(), [NAN, 1.0, NAN]))
    assert type(ours[0].grad_fn).__name__ == "MedianBackward0"
    assert type(torchless.tensor([1.0, 2.0], requires_grad=True).median(0)[0].grad_fn).__name__ == "MedianBackward1"


# ---- mode -----------------------------------------------------------------------------------------------
def test_mode_picks_the_smallest_most_frequent_at_its_last_place():
    ours, _ = same_as_torch(lambda lib: lib.tensor([1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 3.0, 3.0]).mode())
    assert type(ours).__name__ == "mode"
    same_as_torch(lambda lib: lib.tensor([[3, 1, 2, 1, 3], [5, 5, 0, 0, 7]]).mode(1))
    same_as_torch(lambda lib: lib.tensor([[3, 1, 2, 1, 3], [5, 5, 0, 0, 7]]).mode(0, True))
    same_as_torch(lambda lib: lib.tensor(WITH_NAN).mode())
    same_as_torch(lambda lib: _grad_of(lib, lambda x: x.mode(), WITH_TIES))


def test_mode_errors():
    raises_like_torch(lambda lib: lib.zeros(3, 0).mode(1), "non-zero size")


# ---- unique, unique_consecutive ---------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique(dim):
    data = [[1, 2, 1, 2], [1, 2, 1, 2], [0, 5, 0, 5], [1, 2, 1, 2]]
    same_as_torch(lambda lib: lib.unique(lib.tensor(data), return_inverse=True, return_counts=True, dim=dim))
    same_as_torch(lambda lib: lib.unique(lib.tensor(data), dim=dim))
    same_as_torch(lambda lib: lib.tensor(data).unique(return_counts=True, dim=dim))
    same_as_torch(lambda lib: lib.unique_consecutive(lib.tensor(data), return_inverse=True, return_counts=True,
                                                     dim=dim))


def test_unique_treats_each_nan_as_distinct():
    same_as_torch(lambda lib: lib.unique(lib.tensor([NAN, 1.0, NAN, 1.0]), return_inverse=True, return_counts=True))


def test_unique_of_0d_and_empty():
    same_as_torch(lambda lib: lib.unique(lib.tensor(3.0), return_inverse=True, return_counts=True))
    same_as_torch(lambda lib: lib.unique(lib.zeros(0, 3), return_inverse=True, return_counts=True))
    same_as_torch(lambda lib: lib.unique(lib.zeros(5, 0, 5), return_inverse=True, return_counts=True, dim=1))
    raises_like_torch(lambda lib: lib.unique(lib.zeros(2, 0), dim=0), "0 sized dimensions")


def test_unique_output_has_no_derivative():
    same_as_torch(lambda lib: lib.unique(lib.tensor([2.0, 1.0], requires_grad=True)).requires_grad)
    raises_like_torch(lambda lib: lib.unique(lib.tensor([2.0, 1.0], requires_grad=True)).sum().backward(),
                      "derivative for '_unique2' is not implemented")


# ---- searchsorted, bucketize --------------------------------------------------------------------------------
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted(right):
    seq = [1.0, 3.0, 3.0, 5.0, 7.0]
    values = [[0.0, 3.0, 4.0], [7.0, 8.0, 1.0]]
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor(seq), lib.tensor(values), right=right))
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor(seq), lib.tensor(values), side="right" if right else "left"))
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor(seq), 3.0, right=right))
    rows = [[1.0, 3.0, 3.0, 5.0, 7.0], [-2.0, 0.0, 4.0, 4.0, 9.0]]
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor(rows), lib.tensor(values), right=right, out_int32=True))
    same_as_torch(lambda lib: lib.bucketize(lib.tensor(values), lib.tensor(seq), right=right))
    same_as_torch(lambda lib: lib.bucketize(lib.tensor(values), lib.tensor(seq), out_int32=True))


def test_searchsorted_puts_nan_last():
    seq = [1.0, 2.0, NAN]
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor(seq), lib.tensor([NAN, 1.5, 2.0])))
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor([seq]), lib.tensor([[NAN, 1.5]]), right=True))
    same_as_torch(lambda lib: lib.bucketize(lib.tensor([NAN, 1.5]), lib.tensor([1.0, 2.0])))


def test_searchsorted_with_sorter():
    same_as_torch(lambda lib: lib.searchsorted(lib.tensor([5.0, 1.0, 3.0]), lib.tensor([2.0, 6.0]),
                                               sorter=lib.tensor([1, 2, 0])))


def test_searchsorted_errors():
    raises_like_torch(lambda lib: lib.searchsorted(lib.zeros(2, 3), lib.zeros(3, 1)), "boundaries tensor")
    raises_like_torch(lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), side="middle"), "side")
    raises_like_torch(lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), side="left", right=True), "opposites")
    raises_like_torch(lambda lib: lib.bucketize(lib.zeros(3), lib.zeros(2, 2)), "1 dimension")
