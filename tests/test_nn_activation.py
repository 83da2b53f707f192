"""nn.functional activations against torch: values, gradients (first and second), grad_fn names,
in-place forms and error contracts."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(0)
X = RNG.uniform(-4, 4, (3, 5))
X[0, :3] = [0.0, 3.0, -3.0]  # the kinks of relu, hardswish, hardsigmoid
W = RNG.uniform(0.1, 0.5, (5,))


def _grads(lib, f, x, second=True):
    """f(x), and its first and second derivatives against a fixed cotangent, and the grad_fn name.
    (A piecewise linear op's second derivative is 0: torch records it, torchless need not.)"""
    out = f(lib, x)
    cot = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)), dtype=out.dtype)
    (g,) = lib.autograd.grad(out, x, cot, create_graph=True)
    g2 = None
    if second and g.requires_grad:
        g2 = lib.autograd.grad((g * g).sum(), x, allow_unused=True)[0]
    g2 = lib.zeros_like(x) if g2 is None else g2
    return out, g.detach(), g2, out.grad_fn.name()


def _x(lib):
    return lib.tensor(X, dtype=lib.float64, requires_grad=True)


CASES = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "elu": lambda F, x: F.elu(x, 0.7),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.3),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "softplus": lambda F, x: F.softplus(x, beta=2.0, threshold=3.0),
    "softsign": lambda F, x: F.softsign(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -2.0, 1.5),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardshrink": lambda F, x: F.hardshrink(x, 1.0),
    "softshrink": lambda F, x: F.softshrink(x, 1.0),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "rrelu_eval": lambda F, x: F.rrelu(x),
    "glu": lambda F, x: F.glu(x[:, :4], 1),
    "glu0": lambda F, x: F.glu(x[:2], 0),
    "logsigmoid": lambda F, x: F.logsigmoid(x * 10),
    "softmin": lambda F, x: F.softmin(x, 1),
    "softmax": lambda F, x: F.softmax(x, 0),
    "log_softmax": lambda F, x: F.log_softmax(x, -1),
    "threshold": lambda F, x: F.threshold(x, 0.5, -2.0),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_activation(name):
    # (torch has no second derivative of hardsigmoid)
    same_as_torch(lambda lib: _grads(lib, lambda lib, x: CASES[name](lib.nn.functional, x), _x(lib),
                                     name != "hardsigmoid"))


def test_prelu_weight_gradients():
    def f(lib):
        x = _x(lib)
        w = lib.tensor(W[:3], dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.prelu(x.reshape(5, 3), w)
        return out, lib.autograd.grad(out.sum() * 2, (x, w)), out.grad_fn.name()

    same_as_torch(f)
    same_as_torch(lambda lib: lib.prelu(lib.tensor(X), lib.tensor([0.25], dtype=lib.float64)))


@pytest.mark.parametrize("name", ["relu", "elu", "selu", "celu", "leaky_relu", "hardtanh", "threshold", "rrelu",
                                  "hardswish", "silu", "mish", "relu6"])
def test_inplace_argument(name):
    args = {"threshold": (0.1, 5.0)}.get(name, ())

    def f(lib):
        a = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        x = a * 1
        out = getattr(lib.nn.functional, name)(x, *args, inplace=True)
        return out is x, x, lib.autograd.grad(x.sum(), a)[0]

    same_as_torch(f)


def test_inplace_functions():
    same_as_torch(lambda lib: lib.nn.functional.relu_(lib.tensor(X)))
    same_as_torch(lambda lib: lib.nn.functional.elu_(lib.tensor(X), 0.5))
    same_as_torch(lambda lib: lib.nn.functional.leaky_relu_(lib.tensor(X), 0.3))
    same_as_torch(lambda lib: lib.nn.functional.hardtanh_(lib.tensor(X), -1.0, 2.0))
    same_as_torch(lambda lib: lib.selu_(lib.tensor(X)))
    same_as_torch(lambda lib: lib.celu_(lib.tensor(X)))
    same_as_torch(lambda lib: lib.tensor(X).relu_())


def test_rrelu_training_draws_per_non_positive_element():
    def f(lib):
        lib.manual_seed(3)
        x = lib.tensor(X, requires_grad=True)
        out = lib.nn.functional.rrelu(x, 0.1, 0.6, training=True)
        slopes = (out / x).detach()
        return bool(((slopes >= 0.1) & (slopes <= 0.6) | (x > 0)).all()), out.grad_fn.name()

    same_as_torch(f)


def test_float32_stays_float32():
    same_as_torch(lambda lib: lib.nn.functional.gelu(lib.tensor(X, dtype=lib.float32)))
    same_as_torch(lambda lib: lib.nn.functional.softplus(lib.tensor(X, dtype=lib.float32)))
    same_as_torch(lambda lib: lib.nn.functional.elu(lib.tensor(X, dtype=lib.float32)))


def test_errors():
    raises_like_torch(lambda lib: lib.nn.functional.gelu(lib.tensor(X), approximate="fast"), "approximate")
    raises_like_torch(lambda lib: lib.nn.functional.glu(lib.tensor(X), 1), "Halving dimension must be even")
    raises_like_torch(lambda lib: lib.nn.functional.glu(lib.tensor(1.0)), "glu does not support scalars")
    raises_like_torch(lambda lib: lib.nn.functional.softshrink(lib.tensor(X), -1.0), "lambda must be in range")
    raises_like_torch(lambda lib: lib.nn.functional.hardtanh(lib.tensor(X), 2.0, 1.0),
                      "min_val cannot be greater than max_val")
    raises_like_torch(lambda lib: lib.nn.functional.prelu(lib.tensor(X), lib.tensor([0.1, 0.2], dtype=lib.float64)),
                      "Mismatch of parameter numbers and input channel size")
    raises_like_torch(lambda lib: lib.nn.functional.prelu(lib.tensor(X), lib.tensor([0.1])),
                      "Type promoting not supported")
    raises_like_torch(lambda lib: lib.nn.functional.relu(lib.tensor(X, requires_grad=True), inplace=True),
                      "leaf Variable that requires grad")
