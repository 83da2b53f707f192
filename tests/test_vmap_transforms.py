"""vmap composed with the gradient transforms (per-sample gradients, batched Jacobians and
Hessians), compared with torch.func on the same inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _transform_helpers import assert_same_tree

import torchless as tl

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
W = RNG.standard_normal(3)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal(5)
M = RNG.standard_normal((4, 3, 3))


def _mse(lib):
    def loss(w, x, y):
        return ((x @ w - y) ** 2).mean()
    return loss


def _args(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


CASES = {
    "per_sample_grad": lambda lib: lib.func.vmap(lib.func.grad(_mse(lib)), in_dims=(None, 0, 0))(*_args(lib, W, X, Y)),
    "per_sample_grad_and_value": lambda lib: lib.func.vmap(lib.func.grad_and_value(_mse(lib)),
                                                           in_dims=(None, 0, 0))(*_args(lib, W, X, Y)),
    "grad_argnums_tuple": lambda lib: lib.func.vmap(lib.func.grad(_mse(lib), argnums=(0, 1)),
                                                    in_dims=(None, 0, 0))(*_args(lib, W, X, Y)),
    "jacrev_of_torch_function": lambda lib: lib.func.vmap(lib.func.jacrev(lib.sin))(*_args(lib, X)),
    "jacfwd": lambda lib: lib.func.vmap(lib.func.jacfwd(lambda v: v.exp() * v.sum()))(*_args(lib, X)),
    "hessian": lambda lib: lib.func.vmap(lib.func.hessian(lambda v: (v ** 3).sum()))(*_args(lib, X)),
    "jvp": lambda lib: lib.func.vmap(lambda p, t: lib.func.jvp(lib.tanh, (p,), (t,)))(*_args(lib, X, X * 2)),
    "vjp": lambda lib: lib.func.vmap(lambda p, c: lib.func.vjp(lib.tanh, p)[1](c))(*_args(lib, X, X)),
    "matrix_inverse_jacobian": lambda lib: lib.func.vmap(lib.func.jacrev(lambda m: (m @ m).trace()))(*_args(lib, M)),
    "grad_in_dims_1": lambda lib: lib.func.vmap(lib.func.grad(lambda v: v.sin().sum()), in_dims=1)(*_args(lib, X)),
    "nested_vmap_grad": lambda lib: lib.func.vmap(lib.func.vmap(lib.func.grad(lambda v: (v.cos() * v).sum())))(
        *_args(lib, M)),
    "grad_of_vmap": lambda lib: lib.func.grad(lambda v: lib.func.vmap(lambda r: (r ** 2).sum())(v).sum())(
        *_args(lib, X)),
    "grad_closed_over_batched": lambda lib: lib.func.vmap(
        lambda x: lib.func.grad(lambda w: (w * x).sin().sum())(lib.tensor(W)))(*_args(lib, X)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vmap_of_transform_matches_torch(name):
    make = CASES[name]
    assert_same_tree(make(torch), make(tl))


def test_per_sample_gradients_equal_a_loop():
    w, x, y = _args(tl, W, X, Y)
    batched = tl.func.vmap(tl.func.grad(_mse(tl)), in_dims=(None, 0, 0))(w, x, y)
    for i in range(5):
        one = tl.func.grad(_mse(tl))(w, x[i], y[i])
        np.testing.assert_allclose(batched[i].numpy(), one.numpy(), rtol=1e-12)


def test_per_sample_gradients_leave_inputs_untouched():
    w = tl.tensor(W, requires_grad=True)
    x, y = _args(tl, X, Y)
    out = tl.func.vmap(tl.func.grad(_mse(tl)), in_dims=(None, 0, 0))(w, x, y)
    assert w.grad is None and tuple(out.shape) == (5, 3)


def _batched_cotangents(lib):
    x = lib.tensor([1., 2., 3.], dtype=lib.float64, requires_grad=True)
    y = lib.stack([x ** 2, x.sin()])
    jac = lib.autograd.grad(y, x, lib.eye(6, dtype=lib.float64).reshape(6, 2, 3), is_grads_batched=True)
    z = (x * 2).sum()
    rows = lib.autograd.grad(z, x, lib.tensor([1., 2.], dtype=lib.float64), is_grads_batched=True)
    return jac, rows


def test_autograd_grad_is_grads_batched_matches_torch():
    assert_same_tree(_batched_cotangents(torch), _batched_cotangents(tl))


def test_autograd_grad_is_grads_batched_needs_a_batch_dimension():
    x = tl.tensor(2., requires_grad=True)
    with pytest.raises(RuntimeError, match="first dimension"):
        tl.autograd.grad(x * 3, x, tl.tensor(1.), is_grads_batched=True)


def _custom_functions(lib):
    class Cube(lib.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vmap(info, in_dims, x):
            return Twice.apply(x) + info.batch_size, in_dims[0]

    return Cube, Twice


def _run_custom_functions(lib):
    cube, twice = _custom_functions(lib)
    x = lib.arange(6., dtype=lib.float64).reshape(2, 3)
    vmap, grad = lib.func.vmap, lib.func.grad
    return (vmap(cube.apply)(x), vmap(twice.apply)(x), vmap(grad(lambda v: cube.apply(v).sum()))(x),
            vmap(grad(lambda v: twice.apply(v).sum()))(x))


def test_custom_functions_under_vmap_and_grad_match_torch():
    assert_same_tree(_run_custom_functions(torch), _run_custom_functions(tl))


def test_function_apply_is_restored_after_vmap():
    before = vars(tl.autograd.Function)["apply"]
    _run_custom_functions(tl)
    assert vars(tl.autograd.Function)["apply"] is before


JACOBIAN_CASES = {
    "jacrev_tuple_argnums_and_outputs": lambda lib: lib.func.jacrev(
        lambda a, b: (a * b.sum(), (a ** 2).sum()), argnums=(0, 1))(*_args(lib, W, X)),
    "jacrev_has_aux_chunked": lambda lib: lib.func.jacrev(
        lambda a: (a.exp(), a.sum()), has_aux=True, chunk_size=2)(*_args(lib, W)),
    "jacfwd_tuple_argnums": lambda lib: lib.func.jacfwd(lambda a, b: a[:, None] * b, argnums=(0, 1))(
        *_args(lib, W, X[0])),
    "jacfwd_has_aux": lambda lib: lib.func.jacfwd(lambda a: (a.sin(), a.cos()), has_aux=True)(*_args(lib, W)),
    "jacrev_data_dependent_control_flow": lambda lib: lib.func.jacrev(
        lambda a: a.sin() if float(a.sum()) > 0 else a.cos())(*_args(lib, W)),
    "jacfwd_data_dependent_control_flow": lambda lib: lib.func.jacfwd(
        lambda a: a.sin() if float(a.sum()) > 0 else a.cos())(*_args(lib, W)),
    "hessian_of_matrix_function": lambda lib: lib.func.hessian(lambda m: (m @ m).tanh().sum())(*_args(lib, M[0])),
    "jacrev_of_jacfwd": lambda lib: lib.func.jacrev(lib.func.jacfwd(lambda a: a.sin() * a.sum()))(*_args(lib, W)),
}


@pytest.mark.parametrize("name", list(JACOBIAN_CASES))
def test_jacobians_match_torch(name):
    make = JACOBIAN_CASES[name]
    assert_same_tree(make(torch), make(tl))


IMAGES = RNG.standard_normal((4, 2, 7, 6))
KERNEL = RNG.standard_normal((6, 1, 3, 3))  # groups=2: 2 input channels, 6 outputs
KERNELS = RNG.standard_normal((4, 6, 1, 3, 3))
BIAS = RNG.standard_normal(6)


def _conv_loss(lib):
    def loss(w, b, x):
        out = lib.nn.functional.conv2d(x.unsqueeze(0), w, b, stride=(2, 1), padding=1, groups=2)
        return lib.nn.functional.max_pool2d(out, 2).tanh().sum()
    return loss


CONV_CASES = {
    # the per-sample-gradients tutorial: grad's shared weights are batched inside vmap
    "per_sample_conv_grads": lambda lib: lib.func.vmap(lib.func.grad(_conv_loss(lib), argnums=(0, 1)),
                                                       in_dims=(None, None, 0))(*_args(lib, KERNEL, BIAS, IMAGES)),
    "per_sample_kernels": lambda lib: lib.func.vmap(
        lambda w, x: lib.nn.functional.conv2d(x, w, padding="same", groups=2))(*_args(lib, KERNELS, IMAGES)),
    "kernels_over_one_image": lambda lib: lib.func.vmap(
        lambda w: lib.nn.functional.conv2d(lib.tensor(IMAGES[0]), w, lib.tensor(BIAS), groups=2))(
        *_args(lib, KERNELS)),
    "kernels_and_biases_dim_1": lambda lib: lib.func.vmap(
        lambda w, b: lib.conv2d(lib.tensor(IMAGES), w, b, dilation=2, groups=2), in_dims=(0, 1))(
        *_args(lib, KERNELS, np.stack([BIAS] * 4, 1))),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_vmap_of_conv_with_batched_weights_matches_torch(name):
    make = CONV_CASES[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = make(tl)
    assert not [w for w in caught if "performance drop" in str(w.message)]  # a rule, not the fallback
    assert_same_tree(make(torch), ours)
