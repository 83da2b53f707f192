"""The legacy and deprecated forms torch accepts, against torch: the ``torch.Tensor(...)``
constructor and ``Tensor.new``, typed tensor classes and their isinstance checks, ``Tensor.type``,
``autograd.Variable``, ``typename``; and the runtime queries (finfo, iinfo, thread counts)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

TYPES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
         "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("make", [
    lambda lib: lib.Tensor([1, 2]),
    lambda lib: lib.Tensor([[1.5], [2]]),
    lambda lib: lib.Tensor(2, 3).shape,
    lambda lib: lib.Tensor(lib.Size([2, 1])).shape,
    lambda lib: lib.Tensor(),
    lambda lib: lib.Tensor(np.arange(3.0)),
    lambda lib: lib.Tensor(lib.tensor([1.0, 2.0])),
], ids=["list", "nested", "sizes", "size", "empty", "ndarray", "tensor"])
def test_tensor_constructor(make):
    same_as_torch(make)


def test_tensor_constructor_errors():
    raises_like_torch(lambda lib: lib.Tensor(-1), "negative dimension")
    raises_like_torch(lambda lib: lib.FloatTensor(lib.tensor([1, 2])), "expected")
    same_as_torch(lambda lib: lib.Tensor(lib.tensor([1, 2])))  # (any dtype: the same memory)


@pytest.mark.parametrize("name", TYPES)
def test_typed_constructors(name):
    same_as_torch(lambda lib: (getattr(lib, name)([1, 0, 1]), getattr(lib, name)(2, 2).shape))


@pytest.mark.parametrize("name", TYPES)
def test_isinstance_of_typed_classes(name):
    def run(lib):
        values = [lib.zeros(2), lib.zeros(2, dtype=lib.float64), lib.zeros(2, dtype=lib.int64),
                  lib.zeros(2, dtype=lib.uint8), lib.zeros(2, dtype=lib.bool), lib.zeros(2, dtype=lib.float16)]
        return [isinstance(v, getattr(lib, name)) for v in values]

    same_as_torch(run)


def test_type_with_names_and_classes():
    def run(lib):
        x = lib.tensor([1.5, 2.0])
        return (x.type(), x.type("torch.DoubleTensor"), x.type(lib.LongTensor), x.type(lib.int32),
                lib.typename(x), lib.typename(x.long()))

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.ones(1).type("torch.NoSuchTensor"), "invalid type")


def test_new_keeps_the_dtype():
    def run(lib):
        x = lib.tensor([1, 2], dtype=lib.int32)
        return x.new([3, 4]), x.new(2, 2).shape, x.new().shape, x.new_tensor([5]), x.new_zeros(2)

    same_as_torch(run)


def test_variable_is_a_tensor():
    def run(lib):
        v = lib.autograd.Variable(lib.ones(2), requires_grad=True)
        (v * 3).sum().backward()
        return v, v.grad, isinstance(lib.ones(1), lib.autograd.Variable)

    same_as_torch(run)


def test_apply_and_map():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0])
        return x.clone().apply_(lambda v: v * v), x.clone().map_(lib.tensor([1.0]), lambda a, b: a - b)

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.ones(2, requires_grad=True).apply_(abs), "apply_")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_finfo(dtype):
    same_as_torch(lambda lib: [getattr(lib.finfo(getattr(lib, dtype)), a)
                               for a in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution")])


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(dtype):
    same_as_torch(lambda lib: [getattr(lib.iinfo(getattr(lib, dtype)), a) for a in ("bits", "min", "max")])


def test_info_errors():
    raises_like_torch(lambda lib: lib.iinfo(lib.float32), "finfo")
    raises_like_torch(lambda lib: lib.finfo(lib.int32), "iinfo")
    raises_like_torch(lambda lib: lib.iinfo(lib.bool), "not supported by torch.iinfo")


def test_equality_with_a_complex_number_is_elementwise():
    same_as_torch(lambda lib: (lib.tensor([1j, 2]) == 1j, lib.tensor([1j, 2]) != 1j))


def test_runtime_settings_round_trip():
    def run(lib):
        before = lib.get_num_threads()
        lib.set_num_threads(1)
        lib.use_deterministic_algorithms(True)
        on = lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(False)
        lib.set_num_threads(before)
        return on, lib.are_deterministic_algorithms_enabled(), lib.is_nonzero(lib.tensor([2.0]))

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.is_nonzero(lib.tensor([1.0, 2.0])), "ambiguous")


def test_tensor_attributes():
    def run(lib):
        x = lib.ones(2, 3)
        return (x.nbytes, x.itemsize, x.t().dim_order(), x.is_set_to(x), x.is_set_to(x.clone()), x.is_pinned(),
                x.layout, str(lib.strided))

    same_as_torch(run)
