"""nn.functional normalization against torch: values, gradients to second order, grad_fn names,
running statistics updated in place, and error contracts."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(2)
X = RNG.normal(size=(4, 6, 5))
W = RNG.uniform(0.5, 1.5, 6)
B = RNG.normal(size=6)


def _t(lib, a, rg=True):
    return lib.tensor(a, dtype=lib.float64, requires_grad=rg)


def _grads2(lib, out, *inputs):
    """out, first derivatives against a fixed cotangent, second derivatives of their squares."""
    cot = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)), dtype=out.dtype)
    first = lib.autograd.grad(out, inputs, cot, create_graph=True)
    second = lib.autograd.grad(sum((g * g).sum() for g in first), inputs, allow_unused=True)
    return out, [g.detach() for g in first], second, out.grad_fn.name()


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(training):
    def f(lib):
        x, w, b = _t(lib, X), _t(lib, W), _t(lib, B)
        rm, rv = lib.tensor(B * 0.1, dtype=lib.float64), lib.tensor(W * 2, dtype=lib.float64)
        out = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, eps=1e-3)
        return _grads2(lib, out, x, w, b), rm, rv, rm._version

    same_as_torch(f)


def test_batch_norm_without_running_stats_and_affine():
    same_as_torch(lambda lib: _grads2(lib, lib.nn.functional.batch_norm(_t(lib, X[:, :, 0]), None, None,
                                                                        training=True), _t(lib, X[:, :, 0])))


def test_native_batch_norm_outputs():
    def f(lib):
        x = _t(lib, X)
        rm, rv = lib.zeros(6, dtype=lib.float64), lib.ones(6, dtype=lib.float64)
        train = lib.native_batch_norm(x, _t(lib, W), None, rm, rv, True, 0.1, 1e-5)
        evaluation = lib.native_batch_norm(x, None, None, rm, rv, False, 0.1, 1e-5)
        return train, evaluation, rm, rv

    same_as_torch(f)


@pytest.mark.parametrize("shape", [(5,), (6, 5)])
def test_layer_norm(shape):
    def f(lib):
        x = _t(lib, X)
        w, b = _t(lib, RNG_W[shape]), _t(lib, RNG_B[shape])
        return _grads2(lib, lib.nn.functional.layer_norm(x, shape, w, b, 1e-4), x, w, b)

    same_as_torch(f)


RNG_W = {(5,): W[:5], (6, 5): np.outer(W, W[:5])}
RNG_B = {(5,): B[:5], (6, 5): np.outer(B, W[:5])}


def test_native_layer_norm_statistics():
    same_as_torch(lambda lib: lib.native_layer_norm(_t(lib, X), [5], None, None, 1e-5))


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm(groups):
    def f(lib):
        x, w, b = _t(lib, X), _t(lib, W), _t(lib, B)
        return _grads2(lib, lib.nn.functional.group_norm(x, groups, w, b), x, w, b)

    same_as_torch(f)
    same_as_torch(lambda lib: lib.native_group_norm(_t(lib, X), None, None, 4, 6, 5, groups, 1e-5))


def test_instance_norm_updates_running_stats():
    def f(lib):
        x, w, b = _t(lib, X), _t(lib, W), _t(lib, B)
        rm, rv = lib.zeros(6, dtype=lib.float64), lib.ones(6, dtype=lib.float64)
        out = lib.nn.functional.instance_norm(x, rm, rv, w, b, use_input_stats=True, momentum=0.2)
        return _grads2(lib, out, x, w, b), rm, rv

    same_as_torch(f)
    same_as_torch(lambda lib: lib.nn.functional.instance_norm(
        _t(lib, X), lib.tensor(B), lib.tensor(W), use_input_stats=False))


def test_rms_norm_local_response_norm_normalize():
    def rms(lib):
        x, w = _t(lib, X), _t(lib, W[:5])
        return _grads2(lib, lib.nn.functional.rms_norm(x, [5], w), x, w)

    same_as_torch(rms)

    def lrn(lib):
        x = _t(lib, X)
        return _grads2(lib, lib.nn.functional.local_response_norm(x, 3, alpha=0.1, beta=0.6, k=2.0), x)

    same_as_torch(lrn)

    def norm(lib):
        x = _t(lib, X)
        return _grads2(lib, lib.nn.functional.normalize(x, p=3.0, dim=2), x)

    same_as_torch(norm)


def test_errors():
    raises_like_torch(lambda lib: lib.nn.functional.batch_norm(lib.tensor(X[:1, :, :1]), None, None, training=True),
                      "Expected more than 1 value per channel when training")
    raises_like_torch(lambda lib: lib.nn.functional.layer_norm(lib.tensor(X), [4]), "Given normalized_shape=")
    raises_like_torch(lambda lib: lib.nn.functional.group_norm(lib.tensor(X), 4),
                      "Expected number of channels in input to be divisible by num_groups")
    raises_like_torch(lambda lib: lib.nn.functional.local_response_norm(lib.tensor(X[0]), 2),
                      "Expected 3D or higher dimensionality")
    raises_like_torch(lambda lib: lib.nn.functional.instance_norm(lib.tensor(X[:, :, :1])),
                      "Expected more than 1 spatial element when training")
