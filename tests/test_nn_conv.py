"""conv1d/2d/3d and conv_transpose1d/2d/3d against torch: values, gradients of input, weight and
bias, second derivatives, dtypes, grad_fn names and the error contracts."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def grads_of(fn, arrays, *, order=1):
    """A snippet for same_as_torch: fn's result and the gradients of a weighted sum of it with
    respect to every array (and, with order=2, the gradients of a weighted sum of those)."""
    seed = int(RNG.integers(1 << 30))

    def run(lib):
        rng = np.random.default_rng(seed)
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *ts)
        cot = lib.tensor(rng.standard_normal(tuple(out.shape)).astype(arrays[0].dtype))
        gs = lib.autograd.grad((out * cot).sum(), ts, create_graph=order > 1)
        result = [out.detach()] + [g.detach() for g in gs]
        if order > 1:  # (a rule linear in its input leaves the gradient constant: zero second derivative)
            s = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in gs)
            second = lib.autograd.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)
            result += [lib.zeros_like(t) if g is None else g.detach() for g, t in zip(second, ts)]
        return result

    return run


CONV2D = [  # input, weight, kwargs
    ((2, 4, 7, 6), (6, 4, 3, 3), {}),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"groups": 2, "stride": 2, "padding": 1}),
    ((1, 3, 9, 8), (4, 3, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 4, 6, 6), (4, 1, 3, 3), {"groups": 4, "padding": "same"}),
    ((1, 2, 6, 7), (3, 2, 2, 4), {"padding": "same", "dilation": (1, 2)}),  # odd total: the extra zero after
    ((1, 2, 6, 7), (3, 2, 2, 2), {"padding": "valid"}),
    ((3, 5, 5), (2, 3, 3, 3), {"padding": 1}),  # unbatched
]


@pytest.mark.parametrize("shapes", CONV2D)
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d(shapes, bias):
    xs, ws, kw = shapes
    arrays = [rand(*xs), rand(*ws)] + ([rand(ws[0])] if bias else [])
    same_as_torch(grads_of(lambda lib, x, w, *b: lib.nn.functional.conv2d(x, w, *b, **kw), arrays))


@pytest.mark.parametrize("nd, xs, ws, kw", [
    (1, (2, 4, 9), (6, 2, 3), {"groups": 2, "stride": 2, "padding": 2, "dilation": 2}),
    (1, (3, 10), (2, 3, 4), {"padding": "same"}),
    (3, (1, 2, 5, 6, 4), (3, 2, 2, 3, 2), {"stride": (1, 2, 1), "padding": 1}),
    (3, (2, 4, 4, 4, 5), (4, 2, 3, 1, 2), {"groups": 2, "dilation": (1, 1, 2)}),
])
def test_conv1d_conv3d(nd, xs, ws, kw):
    name = f"conv{nd}d"
    same_as_torch(grads_of(lambda lib, x, w, b: getattr(lib.nn.functional, name)(x, w, b, **kw),
                           [rand(*xs), rand(*ws), rand(ws[0])]))


@pytest.mark.parametrize("nd, xs, ws, kw", [
    (1, (2, 4, 5), (4, 3, 3), {"stride": 2, "output_padding": 1}),
    (1, (4, 5), (4, 2, 3), {"groups": 2, "dilation": 2, "padding": 1}),
    (2, (2, 4, 5, 4), (4, 3, 3, 2), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)}),
    (2, (1, 6, 4, 4), (6, 1, 3, 3), {"groups": 3, "dilation": 2, "stride": 2, "output_padding": 1}),
    (2, (2, 3, 5, 5), (3, 2, 3, 3), {}),
    (3, (1, 2, 3, 4, 3), (2, 2, 2, 2, 3), {"stride": 2, "padding": 1, "output_padding": (0, 1, 1)}),
])
def test_conv_transpose(nd, xs, ws, kw):
    name = f"conv_transpose{nd}d"
    cout = ws[1] * kw.get("groups", 1)
    same_as_torch(grads_of(lambda lib, x, w, b: getattr(lib.nn.functional, name)(x, w, b, **kw),
                           [rand(*xs), rand(*ws), rand(cout)]))


@pytest.mark.parametrize("transposed", [False, True])
def test_double_backward(transposed):
    if transposed:
        arrays = [rand(2, 4, 4, 3), rand(4, 3, 3, 2), rand(6)]
        kw = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
        f = lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, **kw)
    else:
        arrays = [rand(2, 4, 6, 5), rand(6, 2, 3, 2), rand(6)]
        f = lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2)
    same_as_torch(grads_of(f, arrays, order=2))


def test_float32_and_names():
    xa, wa = rand(2, 3, 8, 8, dtype=np.float32), rand(4, 3, 3, 3, dtype=np.float32)

    def run(lib):
        x = lib.tensor(xa, requires_grad=True)
        w = lib.tensor(wa, requires_grad=True)
        y = lib.conv2d(x, w, None, 1, 1)
        z = lib.nn.functional.conv_transpose2d(y, w, stride=2)
        z.sum().backward()
        return y, z, type(z.grad_fn).__name__, x.grad, w.grad

    same_as_torch(run, rtol=1e-5, atol=1e-4)


def test_convolution_top_level():
    x, w = rand(1, 2, 5, 5), rand(2, 2, 3, 3)
    same_as_torch(lambda lib: lib.convolution(lib.tensor(x), lib.tensor(w), None, [2, 2], [1, 1], [1, 1], True,
                                              [1, 1], 1))


def test_integer_conv():
    same_as_torch(lambda lib: lib.nn.functional.conv1d(lib.arange(12).reshape(1, 2, 6),
                                                       lib.arange(8).reshape(2, 2, 2)))


F = "nn.functional"


@pytest.mark.parametrize("call, match", [
    (lambda F, t: F.conv2d(t(5, 5), t(2, 1, 3, 3)), "Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 3, 3, 3)), "expected input\\[1, 4, 6, 6\\] to have 3 channels"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(3, 2, 3, 3), groups=2), "divisible by 2 at dimension 0"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 7, 7)), "Kernel size can't be greater than actual input size"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), stride=0), "non-positive stride is not supported"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), padding=-1), "negative padding is not supported"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), padding="full"), "Invalid padding string"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), t(3)), "expected bias to be 1-dimensional with 2 elements"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3), groups=0), "non-positive groups is not supported"),
    (lambda F, t: F.conv2d(t(1, 4, 6, 6), t(2, 4, 3, 3).float()), "expected scalar type Double but found Float"),
    (lambda F, t: F.conv_transpose2d(t(1, 4, 6, 6), t(4, 2, 3, 3), output_padding=1),
     "output padding must be smaller than either stride or dilation"),
    (lambda F, t: F.conv_transpose2d(t(1, 4, 6, 6), t(3, 2, 3, 3)), "Given transposed=1, weight of size"),
    (lambda F, t: F.conv_transpose2d(t(1, 4, 2, 2), t(4, 2, 3, 3), padding=3), "Output size is too small"),
    (lambda F, t: F.conv1d(t(1, 4, 6), t(2, 4, 3), stride=(1, 1)), "expected stride to be a single integer"),
])
def test_errors(call, match):
    def run(lib):
        def t(*shape):
            return lib.tensor(rand(*shape))

        return call(lib.nn.functional, t)

    raises_like_torch(run, match)
