"""Strict mode: a tensor saved for backward cannot be changed while the graph holds it; the
error comes from the mutating line, not from backward."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest

import torchless as torch
from torchless.autograd import strict


def test_in_place_change_of_a_saved_tensor_fails_at_the_mutating_line():
    x = torch.ones(3, requires_grad=True)
    with strict():
        y = x * 2
        z = (y * y).sum()
    with pytest.raises(RuntimeError, match=r"strict mode: add_ would change a tensor that MulBackward0 saved "
                                           r"for backward \(recorded at .*test_strict_mode\.py:\d+: z = \(y \* y\)"):
        y.add_(1)
    assert y.tolist() == [2.0, 2.0, 2.0] and y.grad_fn.name() == "MulBackward0"
    z.backward()
    assert x.grad.tolist() == [8.0, 8.0, 8.0]


def test_a_write_through_numpy_fails_too():
    x = torch.ones(3, requires_grad=True)
    with strict():
        y = x.exp()
    with pytest.raises(ValueError, match="read-only"):
        y.detach().numpy()[0] = 5.0
    del y


def test_backward_unlocks_and_retain_graph_keeps_locked():
    x = torch.ones(2, requires_grad=True)
    with strict():
        y = x.exp()
        loss = y.sum()
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="strict mode"):
        y.mul_(2)
    loss.backward()
    y.detach().mul_(2)  # freed: writable again
    assert np.allclose(y.detach().numpy(), 2 * np.e)


def test_dropping_the_graph_unlocks():
    w = torch.ones(2, requires_grad=True)
    with strict():
        loss = (w * w).sum()
    del loss
    gc.collect()
    with torch.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0]


def test_a_training_loop_runs_unchanged_under_strict():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    with strict():
        for _ in range(3):
            loss = torch.nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.manual_seed(0)
    twin = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = torch.nn.functional.mse_loss(twin(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.equal(model.weight, twin.weight)


def test_outside_strict_torchs_behaviour_is_unchanged():
    x = torch.ones(2, requires_grad=True)
    y = x.exp()
    z = y.sum()
    y.add_(1)  # allowed here; backward notices, as torch does
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_strict_runs_the_function_linter():
    class Leaky(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with strict():
            Leaky.apply(torch.ones(2, requires_grad=True))
    assert any("TL001" in str(w.message) for w in caught)
