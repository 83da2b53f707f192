"""gcd, lcm (and in place), bincount, tril/triu_indices and unravel_index against torch."""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch

A = [0, 4, -6, 7, -9, 0, 12, -15]
B = [0, 6, 4, -3, -6, 5, 18, 10]


@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
def test_gcd_lcm_values_and_dtypes(name, dtype):
    def run(lib):
        d = getattr(lib, dtype)
        a, b = lib.tensor(A).to(d), lib.tensor(B).to(d)
        return getattr(lib, name)(a, b), getattr(a, name)(b)

    same_as_torch(run, exact=True)


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_promote_broadcast_and_wrap(name):
    def run(lib):
        f = getattr(lib, name)
        return (f(lib.tensor(A), lib.tensor(B, dtype=lib.int32)),
                f(lib.tensor([[2], [3], [-4]]), lib.tensor([4, 9])),
                f(lib.tensor([100, -128, -128], dtype=lib.int8), lib.tensor([99, 64, 0], dtype=lib.int8)),
                f(lib.tensor([2**31 - 1, -(2**31)], dtype=lib.int32), lib.tensor([2**31 - 3, 3], dtype=lib.int32)),
                f(lib.tensor([-(2**63), 2**62 + 1]), lib.tensor([3, 2**62 - 1])),
                f(lib.tensor(A, dtype=lib.int16), lib.tensor(B, dtype=lib.uint8)))

    same_as_torch(run, exact=True)


@pytest.mark.parametrize("name", ["gcd_", "lcm_"])
def test_in_place(name):
    def run(lib):
        a = lib.tensor(A, dtype=lib.int32)
        out = getattr(a, name)(lib.tensor(B))
        return a, out is a

    same_as_torch(run, exact=True)


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_refusals(name):
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([1.0]), lib.tensor([2.0])), "not implemented for 'Float'")
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([True]), lib.tensor([False])), "'Bool'")
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([4]), 2), "must be Tensor, not int")
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([4, 2, 1]), lib.tensor([1, 2])), "size of tensor a")


def test_bincount_counts_and_weights():
    def run(lib):
        x = lib.tensor([0, 1, 1, 3, 7, 3])
        return (lib.bincount(x), lib.bincount(x, minlength=10), x.bincount(None, 2),
                lib.bincount(x, weights=lib.tensor([0.5, 1, 2, 3, 0.25, -1])),
                lib.bincount(x, lib.tensor([0.5, 1, 2, 3, 0.25, -1], dtype=lib.float64)),
                lib.bincount(x, weights=lib.tensor([1, 2, 3, 4, 5, 6])),
                lib.bincount(x, weights=lib.tensor([1, 2, 3, 4, 5, 6], dtype=lib.float16)),
                lib.bincount(x.to(lib.uint8)), lib.bincount(x.int()),
                lib.bincount(lib.tensor([], dtype=lib.int64)), lib.bincount(lib.tensor([], dtype=lib.int64), minlength=3))

    same_as_torch(run, exact=True)


def test_bincount_float32_weights_add_in_float32():
    def run(lib):
        lib.manual_seed(0)
        x = lib.randint(0, 5, (2000,))
        return lib.bincount(x, weights=lib.rand(2000) * 1000)

    same_as_torch(run, exact=True)


def test_bincount_weights_that_require_grad_record_a_node_without_derivative():
    def run(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        out = lib.bincount(lib.tensor([0, 2]), w)
        return out, type(out.grad_fn).__name__

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([0, 2]), lib.tensor([1.0, 2.0], requires_grad=True)).sum()
                      .backward(), "not implemented")


def test_bincount_refusals():
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([-1, 2])), "1-d non-negative integral")
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([[1, 2]])), "1-d non-negative integral")
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([1.0])), "not implemented for 'Float'")
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([True])), "not implemented for 'Bool'")
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([1]), minlength=-1), "minlength should be >= 0")
    raises_like_torch(lambda lib: lib.bincount(lib.tensor([1, 2]), lib.tensor([1.0])), "same length as input")


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row, col, offset", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (3, 4, 10), (3, 4, -10), (0, 4, 0),
                                              (5, 1, 2), (1, 5, -2), (6, 6, -3)])
def test_triangle_indices(name, row, col, offset):
    same_as_torch(lambda lib: (getattr(lib, name)(row, col, offset),
                               getattr(lib, name)(row=row, col=col, offset=offset, dtype=lib.int32)), exact=True)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_refusals(name):
    raises_like_torch(lambda lib: getattr(lib, name)(-1, 3), "row must be non-negative")
    raises_like_torch(lambda lib: getattr(lib, name)(3, -1), "col must be non-negative")
    raises_like_torch(lambda lib: getattr(lib, name)(3.0, 3), "must be int, not float")
    raises_like_torch(lambda lib: getattr(lib, name)(3, 3, dtype=lib.float32), "not implemented for 'Float'")
    raises_like_torch(lambda lib: getattr(lib, name)(3, 3, dtype=lib.int8), "not implemented for 'Char'")
    raises_like_torch(lambda lib: getattr(lib, name)(3, 3, requires_grad=True), "floating point and complex")


def test_unravel_index():
    def run(lib):
        i = lib.tensor([4, 1, 5, -1, 6, -7])
        return (lib.unravel_index(i, (2, 3)), lib.unravel_index(lib.tensor(4), (2, 3)),
                lib.unravel_index(lib.tensor([[7, 0], [3, 5]]), [2, 2, 2]), lib.unravel_index(i, 6),
                lib.unravel_index(i, ()), lib.unravel_index(i.int(), (3, 2)), lib.unravel_index(i.abs().to(lib.uint8), (2, 3)),
                lib.unravel_index(lib.tensor([1]), (2**40, 2**40)))

    same_as_torch(run, exact=True)


def test_unravel_index_refusals():
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([1.0]), (2, 3)), "integer dtype, but got torch.float32")
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([True]), (2, 3)), "integer dtype")
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([1]), (2, -3)), "cannot have negative values")
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([1]), (2.0, 3)), "only contain ints")
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([1]), lib.tensor([2, 3])), "int or sequence of ints")
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor([1]), (2, 0)), "ZeroDivisionError")
    raises_like_torch(lambda lib: lib.unravel_index(4, (2, 3)), "is_complex")
