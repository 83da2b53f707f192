"""``x[index]`` and ``x[index] = v`` by every kind of index Python users pass, against torch:
values, shapes, gradients, and the exceptions for indices out of range."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import same_as_torch


def _x(lib, shape=(4, 5, 6)):
    n = int(np.prod(shape))
    return lib.tensor(np.arange(n, dtype=np.float64).reshape(shape) / 7 - 3, requires_grad=True)


def _grad(lib, index, shape=(4, 5, 6)):
    """The result of x[index] and the gradient of a weighted sum of it."""
    x = _x(lib, shape)
    idx = index(lib) if callable(index) else index
    y = x[idx]
    w = lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))
    (y * w).sum().backward()
    return y.detach(), x.grad


INDICES = {
    "int": 1,
    "negative int": -2,
    "slice": slice(1, 3),
    "stepped slice": slice(None, None, 2),
    "ellipsis": (Ellipsis, 1),
    "none": (None, 1),
    "list": [0, 2, 2],
    "negative list": [-1, 0, -4],
    "range": range(1, 3),
    "list of lists": [[0, 1], [2, 3]],
    "nested list with slice": [[0, 1], slice(None), [2, 3]],
    "tuple of lists": ([0, 1], [2, 3]),
    "int and list": (1, [0, 2]),
    "list, slice, list": ([0, 1], slice(None), [2, 3]),
    "int, slice, list": (0, slice(None), [0, 1]),
    "list, int, list": ([0, 1], 2, [2, 3]),
    "slice, list, int": (slice(None), [0, 1], 1),
    "ellipsis and list": (Ellipsis, [0, 1]),
    "list and ellipsis": ([0, 1], Ellipsis),
    "none and lists": ([0, 1], None, [2, 3]),
    "none first": (None, [0, 1], [2, 3]),
    "list, none, slice": ([1, 0], None, slice(1, 3)),
    "bool list": [True, False, True, True],
    "bool scalar": True,
    "false scalar": False,
    "bool scalar and list": (True, [0, 1]),
    "2-d list": [[0], [3]],
    "lists broadcast": ([[0], [1]], [1, 2, 3]),
    "empty list": [],
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem_by_python_sequences(name):
    same_as_torch(lambda lib: _grad(lib, INDICES[name]))


TENSOR_INDICES = {
    "int64": lambda lib: lib.tensor([0, 3, 1]),
    "int32": lambda lib: lib.tensor([0, 3, 1], dtype=lib.int32),
    "uint8 mask": lambda lib: lib.tensor([1, 0, 1, 1], dtype=lib.uint8),
    "bool mask": lambda lib: lib.tensor([True, False, True, False]),
    "2-d bool mask": lambda lib: lib.arange(20).reshape(4, 5) % 3 == 0,
    "3-d bool mask": lambda lib: lib.arange(120).reshape(4, 5, 6) % 7 == 0,
    "0-d int": lambda lib: lib.tensor(2),
    "0-d negative int": lambda lib: lib.tensor(-1),
    "0-d bool": lambda lib: lib.tensor(True),
    "tuple of tensors": lambda lib: (lib.tensor([0, 1]), lib.tensor([2, 2])),
    "tensor, slice, tensor": lambda lib: (lib.tensor([0, 1]), slice(None), lib.tensor([2, 5])),
    "tensor, int": lambda lib: (lib.tensor([[0], [3]]), 1),
    "int, tensor, tensor": lambda lib: (1, lib.tensor([0, 4]), lib.tensor([5, 0])),
    "slice, mask": lambda lib: (slice(None), lib.tensor([True, False, True, False, True])),
    "mask, list": lambda lib: (lib.tensor([True, False, True, False]), [0, 4]),
    "0-d tensor and list": lambda lib: (lib.tensor(1), [0, 2]),
    "negative tensor": lambda lib: lib.tensor([-1, -4]),
    "ellipsis, tensor": lambda lib: (Ellipsis, lib.tensor([0, 5])),
    "none, tensor, none": lambda lib: (None, lib.tensor([0, 1]), None),
}


@pytest.mark.parametrize("name", TENSOR_INDICES)
def test_getitem_by_tensors(name):
    same_as_torch(lambda lib: _grad(lib, TENSOR_INDICES[name]))


OUT_OF_RANGE = {
    "int": 4,
    "negative int": -5,
    "int in dim 1": (0, 5),
    "list": [0, 4],
    "negative list": [-5],
    "tensor": lambda lib: lib.tensor([1, 9]),
    "second tensor": lambda lib: (lib.tensor([1]), lib.tensor([5])),
    "0-d tensor": lambda lib: lib.tensor(4),
    "mask too long": lambda lib: lib.tensor([True, False, True, False, True]),
    "too many indices": (0, 0, 0, 0),
    "float index": lambda lib: lib.tensor([0.0]),
    "float list": [0.5],
}


@pytest.mark.parametrize("name", OUT_OF_RANGE)
def test_getitem_errors(name):
    index = OUT_OF_RANGE[name]
    same_as_torch(lambda lib: _x(lib)[index(lib) if callable(index) else index])


SET_INDICES = {
    "int": (1, 5.0),
    "list": ([0, 2], 5.0),
    "list with tensor value": ([0, 2], "row"),
    "range": (range(2), 1.5),
    "list of lists": ([[0, 1], [2, 3]], 7.0),
    "int, slice, list": ((0, slice(None), [0, 1]), "col"),
    "list, int, list": (([0, 1], 2, [2, 3]), 1.0),
    "mask": ("mask", 0.0),
    "bool list": ([True, False, True, False], -1.0),
    "tensors": ("tensors", "pair"),
    "repeated places": ([0, 0], 2.0),
    "ellipsis and list": ((Ellipsis, [0, 5]), 3.0),
    "none and list": ((None, [1, 2]), 4.0),
}


def _value(lib, v, shape):
    if v == "row":
        return lib.full((2, 5, 6), 2.5, dtype=lib.float64)
    if v == "col":
        return lib.tensor(np.arange(10.0).reshape(5, 2))
    if v == "pair":
        return lib.tensor([10.0, 20.0])
    return v


def _setitem(lib, name):
    index, value = SET_INDICES[name]
    if index == "mask":
        index = lib.arange(120).reshape(4, 5, 6) % 4 == 0
    elif index == "tensors":
        index = (lib.tensor([0, 3]), lib.tensor([1, 4]), lib.tensor([2, 5]))
    x = _x(lib)
    y = x * 1
    y[index] = _value(lib, value, None)
    w = lib.tensor(np.linspace(-1, 2, 120).reshape(4, 5, 6))
    (y * w).sum().backward()
    return y.detach(), x.grad


@pytest.mark.parametrize("name", SET_INDICES)
def test_setitem(name):
    same_as_torch(lambda lib: _setitem(lib, name))


def test_setitem_value_gradient():
    def f(lib):
        x = _x(lib)
        v = lib.tensor([[1.0], [2.0]], requires_grad=True)
        y = x * 1
        y[[0, 2], 1:3, [4, 5]] = v
        (y * y).sum().backward()
        return y.detach(), x.grad, v.grad

    same_as_torch(f)


def test_setitem_out_of_range():
    def f(lib):
        x = lib.zeros(3, 4)
        x[[0, 3]] = 1.0

    same_as_torch(f)
    same_as_torch(lambda lib: lib.zeros(3, 4).__setitem__((0, 4), 1.0))
    same_as_torch(lambda lib: lib.zeros(3, 4).__setitem__(lib.tensor([[0, 1]]), lib.ones(3)))


def test_getitem_grad_fn_names():
    def f(lib):
        x = _x(lib)
        return [
            type(x[i].grad_fn).__name__ for i in ([0, 1], (0, [1, 2]), lib.tensor([True, False, True, True]))
        ]

    same_as_torch(f)


@pytest.mark.parametrize("dt", ["int8", "int16", "int32", "int64", "uint8", "bool", "float32"])
def test_index_tensor_dtypes(dt):
    same_as_torch(lambda lib: _x(lib)[lib.tensor([1, 0, 0, 1], dtype=getattr(lib, dt))])


def _assign(x, index, value):
    x[index] = value
    return x


ASSIGNMENTS = {
    "list value": lambda lib: _assign(lib.zeros(3, 4), [0, 1], [1.0, 2.0, 3.0, 4.0]),
    "numpy number": lambda lib: _assign(lib.zeros(3, 4), [0, 1], np.float64(2.5)),
    "leading ones, advanced": lambda lib: _assign(lib.zeros(3, 4), [0, 1], lib.ones(1, 1, 4)),
    "leading ones, basic": lambda lib: _assign(lib.zeros(3, 4), 0, lib.ones(1, 1, 4)),
    "bool tensor": lambda lib: _assign(lib.zeros(3, 4, dtype=lib.bool), [0, 1], True),
    "int tensor by mask": lambda lib: _assign(
        lib.zeros(3, 4, dtype=lib.int64), lib.tensor([[True, False, True, False]] * 3), 7
    ),
    "tensor and slice": lambda lib: _assign(
        lib.zeros(3, 4), (lib.tensor([0, 1]), slice(1, 3)), lib.ones(2, 2)
    ),
    "value too big": lambda lib: _assign(lib.zeros(3, 4), [0, 1], lib.ones(3, 4)),
    "value of another dtype": lambda lib: _assign(lib.zeros(3, 4), lib.tensor([0, 1]), lib.tensor(2)),
    "python bool index": lambda lib: _assign(lib.zeros(3, 4), True, 2.0),
    "0-d tensor index": lambda lib: _assign(lib.zeros(3, 4), lib.tensor(1), 2.0),
    "0-d tensor and list": lambda lib: _assign(lib.zeros(3, 4), (lib.tensor(1), [0, 3]), 2.0),
    "out of range list": lambda lib: _assign(lib.zeros(3, 4), [0, 3], 2.0),
    "int overflow": lambda lib: _assign(lib.zeros(3, dtype=lib.uint8), [0], 300),
}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_setitem_values(name):
    same_as_torch(ASSIGNMENTS[name])


def test_setitem_on_a_leaf_and_through_views():
    def leaf(lib):
        x = lib.zeros(3, requires_grad=True)
        x[[0]] = 1.0

    same_as_torch(leaf)

    def view(lib):
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = w * 1
        row = y[1]
        row[[0, 2]] = w[0, :2] * 10
        (y * y).sum().backward()
        return y, w.grad, type(y.grad_fn).__name__

    same_as_torch(view)


# ---- random mixes of every kind of entry --------------------------------------------------------
def _random_index(rng, shape) -> list:
    """A random index into ``shape``: (kind, value) entries, each within range."""
    entries, d, ellipsis = [], 0, False
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["int", "slice", "none", "ellipsis", "list", "tensor", "mask", "bool", "0-d"])
        if d >= len(shape) and kind not in ("none", "bool", "ellipsis"):
            kind = "none"
        size = shape[d] if d < len(shape) else 1
        if kind == "ellipsis":
            if not ellipsis:
                entries.append((kind, Ellipsis))
            ellipsis = True
            continue
        if kind in ("int", "0-d"):
            value = rng.randint(-size, size - 1)
        elif kind == "slice":
            value = slice(
                rng.choice([None, 0, 1, -1]), rng.choice([None, 2, -1, 10]), rng.choice([None, 1, 2])
            )
        elif kind in ("list", "tensor"):
            value = [rng.randint(-size, size - 1) for _ in range(rng.choice([1, 2, 3]))]
        elif kind == "mask":
            value = [rng.random() < 0.5 for _ in range(size)]
        else:
            value = None if kind == "none" else rng.random() < 0.7
        entries.append((kind, value))
        d += kind not in ("none", "bool")
    return entries


@pytest.mark.parametrize("seed", range(100))
def test_random_indices(seed):
    import random

    rng = random.Random(seed)
    shape = (3, 4, 5)[: rng.randint(1, 3)]
    entries = _random_index(rng, shape)

    def index(lib):
        return tuple(lib.tensor(v) if kind in ("tensor", "mask", "0-d") else v for kind, v in entries)

    def f(lib):
        x = lib.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True)
        y = x[index(lib)]
        w = lib.tensor(np.linspace(-1, 1, int(np.prod(y.shape))).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        z = x.detach().clone()
        z[index(lib)] = -1.0
        return y.detach(), x.grad, z, type(y.grad_fn).__name__

    same_as_torch(f)
