"""Regression tests for gaps found by running real PyTorch programs (examples/real/run.py)."""

from __future__ import annotations

import pytest
from torch_compare import same_as_torch


@pytest.mark.parametrize("exponent", [1, 2, 3])
def test_pow_double_backward_keeps_graph(exponent):
    # examples/real/lpbfgs_second_derivative.py: d2/dx2 (x**2) through autograd.grad(create_graph=True)
    # is a constant 2, but torch's result stays connected to x (grad_fn=<MulBackward0>)
    def f(lib):
        x = lib.ones(3, 4).requires_grad_(True) * 2
        y = x ** exponent
        w = lib.ones(3, 4)
        (d,) = lib.autograd.grad(y, x, w, create_graph=True)
        (d2,) = lib.autograd.grad(d, x, w, create_graph=True)
        return d, d2, d2.grad_fn is None, type(d2.grad_fn).__name__

    same_as_torch(f)


def test_pow_backward_without_create_graph():
    def f(lib):
        x = lib.tensor([1.5, -2.0, 0.5], requires_grad=True)
        (x ** 2 + x ** 1).sum().backward()
        return x.grad

    same_as_torch(f)


def test_set_default_device_cpu():
    # examples/real/kraks_autograd.py calls torch.set_default_device("cpu")
    def f(lib):
        lib.set_default_device("cpu")
        lib.set_default_device(lib.device("cpu"))
        lib.set_default_device(None)
        return str(lib.get_default_device()), lib.ones(2).device.type

    same_as_torch(f)


def test_accelerator_without_gpu():
    # examples/build_the_neural_network.py: "Build the Neural Network" picks its device with
    # torch.accelerator; a CPU-only torch has none
    def f(lib):
        acc = lib.accelerator
        device = acc.current_accelerator().type if acc.is_available() else "cpu"
        return device, acc.current_accelerator(), acc.current_accelerator(check_available=True), acc.device_count()

    same_as_torch(f)


def test_broadcast_tensors_keeps_a_tensor_of_the_shape():
    # examples/neural_networks_lenet.py prints loss.grad_fn.next_functions[0][0] of an MSELoss: the
    # Linear's AddmmBackward0 in torch, as broadcast_tensors returns an operand of the shape itself
    def f(lib):
        a = lib.ones(1, 3, requires_grad=True) * 2
        x, y = lib.broadcast_tensors(a, lib.ones(2, 1))
        same, other = lib.broadcast_tensors(a, lib.ones(1, 3))
        loss = lib.nn.functional.mse_loss(a, lib.zeros(1, 3))
        return (same is a, other.shape, type(x.grad_fn).__name__, type(y.grad_fn).__name__,
                type(loss.grad_fn.next_functions[0][0]).__name__)

    same_as_torch(f)
