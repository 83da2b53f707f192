"""Pooling against torch: max (with indices, padding, dilation, ceil_mode, -inf and NaN windows),
average (count_include_pad, divisor_override, ceil_mode), adaptive, lp, fractional (given samples),
max_unpool; gradients to second order, grad_fn names and the error contracts."""

from __future__ import annotations

import numpy as np
import pytest
from test_nn_conv import grads_of, rand
from torch_compare import raises_like_torch, same_as_torch


def first(fn):
    """fn's result, or the first of its (values, indices) pair."""
    def f(*a):
        out = fn(*a)
        return out[0] if isinstance(out, tuple) else out
    return f


@pytest.mark.parametrize("nd, shape, kw", [
    (1, (2, 3, 11), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (1, (3, 9), {"kernel_size": 2, "dilation": 3}),
    (2, (2, 3, 8, 7), {"kernel_size": 2}),
    (2, (2, 2, 9, 8), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": (2, 3)}),
    (2, (1, 2, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (2, (3, 6, 5), {"kernel_size": 2, "stride": 1}),
    (3, (1, 2, 5, 6, 4), {"kernel_size": 2, "stride": (1, 2, 2), "padding": 1}),
    (3, (2, 4, 5, 4), {"kernel_size": (2, 3, 2), "dilation": (1, 1, 2), "ceil_mode": True, "stride": 2}),
])
def test_max_pool(nd, shape, kw):
    name = f"max_pool{nd}d"
    same_as_torch(grads_of(first(lambda lib, x: getattr(lib.nn.functional, name)(x, **kw)), [rand(*shape)],
                           order=2))
    x = rand(*shape)
    same_as_torch(lambda lib: getattr(lib.nn.functional, name)(lib.tensor(x), return_indices=True, **kw))


def test_max_pool_special_values():
    x = rand(1, 2, 6, 6)
    x[0, 0, :3, :3] = -np.inf
    x[0, 1, 0, 1] = np.nan
    x[0, 1, 4, 4] = np.nan
    x[0, 1, 4, 5] = np.nan
    x[0, 0, 5, 5] = np.inf

    def run(lib):
        t = lib.tensor(x)
        return [lib.nn.functional.max_pool2d(t, 3, 2, 1, return_indices=True),
                lib.nn.functional.max_pool2d(t, 2, return_indices=True)]

    same_as_torch(run)


def test_max_pool_int_and_names():
    def run(lib):
        x = lib.arange(2 * 16).reshape(2, 4, 4)
        y = lib.tensor(rand(1, 1, 4, 4, 4), requires_grad=True)
        return (lib.nn.functional.max_pool2d(x, 2, padding=1),
                type(lib.nn.functional.max_pool3d(y, 2).grad_fn).__name__,
                type(lib.max_pool2d(y[0], 2).grad_fn).__name__)

    same_as_torch(run)


@pytest.mark.parametrize("nd, shape, kw", [
    (1, (2, 3, 10), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    (1, (3, 7), {"kernel_size": 2, "count_include_pad": False, "padding": 1}),
    (2, (2, 3, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False, "ceil_mode": True}),
    (2, (2, 3, 7, 6), {"kernel_size": (2, 3), "divisor_override": 4, "padding": (1, 0)}),
    (2, (3, 5, 5), {"kernel_size": 2, "ceil_mode": True}),
    (3, (1, 2, 5, 4, 6), {"kernel_size": 2, "stride": (1, 2, 2), "padding": 1}),
    (3, (1, 2, 5, 4, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                          "count_include_pad": False, "divisor_override": 5}),
])
def test_avg_pool(nd, shape, kw):
    name = f"avg_pool{nd}d"
    same_as_torch(grads_of(lambda lib, x: getattr(lib.nn.functional, name)(x, **kw), [rand(*shape)], order=2))


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("nd, shape, size", [
    (1, (2, 3, 10), 4), (1, (3, 7), 7), (2, (2, 3, 7, 9), (3, 4)), (2, (3, 5, 6), (None, 4)),
    (3, (1, 2, 5, 4, 6), (2, 3, 4)), (3, (2, 5, 4, 3), 1),
])
def test_adaptive(kind, nd, shape, size):
    name = f"adaptive_{kind}_pool{nd}d"
    same_as_torch(grads_of(first(lambda lib, x: getattr(lib.nn.functional, name)(x, size)), [rand(*shape)],
                           order=2))
    if kind == "max":
        x = rand(*shape)
        same_as_torch(lambda lib: getattr(lib.nn.functional, name)(lib.tensor(x), size, return_indices=True))


@pytest.mark.parametrize("nd, shape, p, k, kw", [
    (1, (2, 3, 9), 2, 3, {"stride": 2}), (1, (2, 3, 9), 3.0, 2, {"ceil_mode": True}),
    (2, (2, 3, 6, 7), 2, 2, {}), (2, (1, 2, 6, 7), 1.5, (2, 3), {"stride": 1}),
    (3, (1, 2, 4, 4, 6), 2, 2, {}),
])
def test_lp_pool(nd, shape, p, k, kw):
    name = f"lp_pool{nd}d"
    x = np.abs(rand(*shape)) + 0.1
    same_as_torch(grads_of(lambda lib, t: getattr(lib.nn.functional, name)(t, p, k, **kw), [x]))


@pytest.mark.parametrize("nd, shape, kernel, kw", [
    (2, (2, 3, 9, 11), (2, 3), {"output_size": (4, 5)}),
    (2, (3, 8, 8), 2, {"output_ratio": 0.5}),
    (3, (2, 3, 7, 9, 10), (2, 3, 2), {"output_size": (3, 4, 5)}),
])
def test_fractional_max_pool_given_samples(nd, shape, kernel, kw):
    name = f"fractional_max_pool{nd}d"
    x, samples = rand(*shape), np.random.default_rng(3).random((shape[0] if len(shape) == nd + 2 else 1, 3, nd))

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        out, idx = getattr(lib.nn.functional, name)(t, kernel, return_indices=True,
                                                    _random_samples=lib.tensor(samples), **kw)
        out.sum().backward()
        return out, idx, t.grad, type(out.grad_fn).__name__

    same_as_torch(run)


def test_fractional_max_pool_sample_batch():
    """A larger batch of samples: the first rows are used (an unbatched input takes row 0); fewer
    rows, another channel count or another number of dims: torch's errors."""
    x = rand(3, 7, 6)
    samples = np.random.default_rng(4).random((2, 3, 2))

    def run(lib, s=samples):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.fractional_max_pool2d(t, 2, output_size=(3, 3), _random_samples=lib.tensor(s))
        out.sum().backward()
        return out, t.grad

    same_as_torch(run)
    for bad, match in [(samples[:, :2], "size\\(1\\) equals to input channel size"),
                       (samples[..., :1], "size\\(2\\) equals to 2"),
                       (np.zeros((0, 3, 2)), "size\\(0\\) no less then input batch size")]:
        raises_like_torch(lambda lib, b=bad: run(lib, b), match)


def test_average_pools_keep_nan_and_inf_in_their_windows():
    """Averages are per-window sums: a nan or inf reaches only the windows that hold it (not, as
    through a matrix product with zero weights, every window of its row)."""
    x = rand(1, 2, 6, 7)
    x[0, 0, 0, 0], x[0, 1, 3, 4], x[0, 1, 5, 6] = np.nan, np.inf, -np.inf

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        F = lib.nn.functional
        outs = [F.avg_pool2d(t, 2), F.avg_pool2d(t, 3, 1, 1, count_include_pad=False),
                F.adaptive_avg_pool2d(t, (4, 3)), F.lp_pool2d(t, 2.0, 2), F.avg_pool1d(t[0], 3)]
        sum(o.nan_to_num().sum() for o in outs).backward()
        return outs + [t.grad]

    same_as_torch(run)


@pytest.mark.parametrize("nd, shape, kw", [
    (1, (2, 3, 10), {"kernel_size": 2}), (1, (2, 3, 11), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (2, (2, 3, 6, 8), {"kernel_size": 2}), (2, (3, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (3, (1, 2, 4, 6, 4), {"kernel_size": 2}),
])
def test_max_unpool(nd, shape, kw):
    x = rand(*shape)

    def run(lib):
        F = lib.nn.functional
        t = lib.tensor(x)
        out, idx = getattr(F, f"max_pool{nd}d")(t, return_indices=True, **kw)
        v = out.detach().requires_grad_(True)
        up = getattr(F, f"max_unpool{nd}d")(v, idx, **kw)
        up2 = getattr(F, f"max_unpool{nd}d")(v, idx, output_size=tuple(t.shape), **kw)
        (up * lib.arange(up.numel(), dtype=up.dtype).reshape(up.shape)).sum().backward()
        return up, up2, v.grad, type(up.grad_fn).__name__

    same_as_torch(run)


def test_max_pool2d_with_indices_backward():
    x = rand(2, 3, 6, 7)

    def run(lib):
        t = lib.tensor(x)
        out, idx = lib.nn.functional.max_pool2d(t, 3, 2, 1, return_indices=True)
        g = lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)), requires_grad=True)
        gi = lib.ops.aten.max_pool2d_with_indices_backward.default(g, t, [3, 3], [2, 2], [1, 1], [1, 1], False,
                                                                   idx)
        (gi * gi).sum().backward()
        return gi, g.grad

    same_as_torch(run)


@pytest.mark.parametrize("call, match", [
    (lambda F, t: F.max_pool2d(t(1, 1, 4, 4), 2, padding=2), "pad should be at most half of effective kernel"),
    (lambda F, t: F.avg_pool2d(t(1, 1, 4, 4), 2, padding=2), "pad should be at most half of effective kernel"),
    (lambda F, t: F.max_pool2d(t(1, 1, 2, 2), 3), "Output size is too small"),
    (lambda F, t: F.max_pool2d(t(4, 4), 2), ""),
    (lambda F, t: F.max_pool2d(t(1, 1, 4, 4), 2, stride=0), "stride should not be zero"),
    (lambda F, t: F.max_pool2d(t(1, 0, 4, 4), 2), "Expected 3D or 4D \\(batch mode\\) tensor with optional 0 dim"),
    (lambda F, t: F.adaptive_avg_pool2d(t(1, 2, 0, 4), 2), "Expected input to have non-zero size"),
    (lambda F, t: F.adaptive_max_pool2d(t(1, 0, 4, 4), 2), "Expected input to have non-zero size"),
    (lambda F, t: F.fractional_max_pool2d(t(1, 1, 4, 4), 2), "requires specifying either an output_size"),
    (lambda F, t: F.avg_pool2d(t(1, 1, 4, 4), 2, divisor_override=0), "divisor must be not zero"),
])
def test_errors(call, match):
    def run(lib):
        def t(*shape):
            return lib.tensor(rand(*shape))

        return call(lib.nn.functional, t)

    raises_like_torch(run, match)
