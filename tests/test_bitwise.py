"""Bitwise ops and operators against torch: integer and bool tensors, numbers, promotion, in place."""

from __future__ import annotations

import operator

import pytest
from torch_compare import raises_like_torch, same_as_torch

NAMES = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]
OPERATORS = [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]


@pytest.mark.parametrize("name", NAMES)
def test_functions_promote_like_torch(name):
    def run(lib):
        a = lib.tensor([1, 6, 3, -4])
        b = lib.tensor([3, 2, 1, 1], dtype=lib.int32)
        f = getattr(lib, name)
        return f(a, b), f(b, 2), f(a.to(lib.uint8), b.to(lib.uint8)), getattr(a, name)(b)

    same_as_torch(run)


@pytest.mark.parametrize("op", OPERATORS)
def test_operators_both_ways(op):
    same_as_torch(lambda lib: (op(lib.tensor([5, 2]), lib.tensor([1, 3])), op(lib.tensor([5, 2]), 1),
                               op(7, lib.tensor([1, 2]))))


def test_bool_tensors():
    same_as_torch(lambda lib: (lib.tensor([True, False]) & lib.tensor([True, True]),
                               lib.tensor([True, False]) | False, lib.tensor([True, False]) ^ True))


@pytest.mark.parametrize("name", ["__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"])
def test_inplace_operators(name):
    def run(lib):
        a = lib.tensor([1, 6, 3])
        getattr(a, name)(lib.tensor([3, 2, 1]))
        return a

    same_as_torch(run)


def test_float_operands_are_refused():
    raises_like_torch(lambda lib: lib.tensor([1.0]) & lib.tensor([1.0]), "not implemented for 'Float'")
    raises_like_torch(lambda lib: lib.bitwise_or(lib.tensor([1]), 1.5), "not implemented for 'Float'")
