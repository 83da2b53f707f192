"""pad, interpolate, grid_sample, affine_grid, unfold/fold, pixel and channel shuffle against torch:
values, gradients to second order, dtypes, grad_fn names and the error contracts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_nn_conv import grads_of, rand
from torch_compare import raises_like_torch, same_as_torch


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [
    ((2, 3, 5), (2, 1)), ((2, 3, 5), (-1, 2)), ((3, 4, 5), (1, 2, 0, 3)), ((2, 2, 4, 5), (2, -1, -1, 3)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)), ((2, 3, 4, 5), (0, 0, 1, 1)),
])
def test_pad(mode, shape, pad):
    same_as_torch(grads_of(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), [rand(*shape)], order=2))


def test_pad_constant_value_and_names():
    x = rand(2, 3, 4)

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        outs = [lib.nn.functional.pad(t, (1, 2, -1, 1), value=2.5), lib.constant_pad_nd(t, (1, 1), -1.0),
                lib.nn.functional.pad(lib.arange(6).reshape(2, 3), (1, 1), value=7)]
        names = [type(lib.nn.functional.pad(t, (1, 1), mode=m).grad_fn).__name__ for m in ("reflect", "replicate")]
        names.append(type(lib.nn.functional.pad(t.unsqueeze(0), (1, 1, 1, 1), mode="reflect").grad_fn).__name__)
        return outs, names

    same_as_torch(run)


INTERP = [  # shape, kwargs
    ((2, 3, 5), {"size": 8, "mode": "nearest"}),
    ((2, 3, 7), {"scale_factor": 0.6, "mode": "nearest"}),
    ((2, 3, 5, 4), {"scale_factor": (1.7, 2.3), "mode": "nearest-exact"}),
    ((1, 2, 3, 4, 5), {"size": (4, 2, 7), "mode": "nearest"}),
    ((2, 3, 5), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((2, 3, 6), {"size": 4, "mode": "linear"}),
    ((2, 3, 5, 4), {"scale_factor": 1.5, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 5, 4), {"size": (3, 9), "mode": "bilinear", "align_corners": True}),
    ((1, 2, 5, 6), {"scale_factor": (0.7, 1.9), "mode": "bicubic"}),
    ((1, 2, 5, 6), {"size": (8, 3), "mode": "bicubic", "align_corners": True}),
    ((1, 2, 3, 4, 5), {"scale_factor": 1.5, "mode": "trilinear"}),
    ((1, 2, 3, 4, 5), {"size": (2, 6, 3), "mode": "trilinear", "align_corners": True}),
    ((2, 3, 9, 7), {"size": (4, 3), "mode": "area"}),
    ((2, 3, 9), {"scale_factor": 0.5, "mode": "area"}),
    ((1, 2, 9, 8), {"size": (4, 5), "mode": "bilinear", "antialias": True}),
    ((1, 2, 9, 8), {"scale_factor": (0.4, 1.6), "mode": "bilinear", "antialias": True, "align_corners": True}),
    ((1, 2, 9, 8), {"size": (4, 12), "mode": "bicubic", "antialias": True}),
    ((1, 2, 9, 8), {"scale_factor": (0.45, 1.7), "mode": "lanczos", "antialias": True}),
]


@pytest.mark.parametrize("shape, kw", INTERP)
def test_interpolate(shape, kw):
    same_as_torch(grads_of(lambda lib, x: lib.nn.functional.interpolate(x, **kw), [rand(*shape)], order=2))


def test_interpolate_float32_and_names():
    x = rand(1, 2, 5, 6, dtype=np.float32)

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        F = lib.nn.functional
        outs = [F.interpolate(t, scale_factor=1.3, mode=m) for m in ("nearest", "bilinear", "bicubic")]
        outs += [F.upsample_nearest(t, size=(7, 3)), F.upsample_bilinear(t, scale_factor=2)]
        return outs, [type(o.grad_fn).__name__ for o in outs]

    same_as_torch(run, rtol=1e-5, atol=1e-5)


GRID = [(m, p, a) for m, p, a in itertools.product(("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"),
                                                   (False, True))]


@pytest.mark.parametrize("mode, padding, align", GRID)
def test_grid_sample_2d(mode, padding, align):
    grid = np.random.default_rng(1).uniform(-1.3, 1.3, (2, 4, 3, 2))
    order = 1 if mode == "nearest" else 2
    same_as_torch(grads_of(lambda lib, x, g: lib.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding, align_corners=align), [rand(2, 3, 5, 4), grid], order=order))


@pytest.mark.parametrize("mode, padding, align", [g for g in GRID if g[0] != "bicubic"])
def test_grid_sample_3d(mode, padding, align):
    grid = np.random.default_rng(2).uniform(-1.3, 1.3, (2, 3, 2, 4, 3))
    same_as_torch(grads_of(lambda lib, x, g: lib.grid_sampler_3d(x, g, ("bilinear", "nearest").index(mode),
                                                                 ("zeros", "border", "reflection").index(padding),
                                                                 align), [rand(2, 2, 4, 3, 5), grid]))


@pytest.mark.parametrize("size, align", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True), ((2, 1, 3, 2, 4), False),
                                         ((2, 1, 3, 2, 4), True), ((2, 3, 1, 1), False)])
def test_affine_grid(size, align):
    nd = len(size) - 2
    same_as_torch(grads_of(lambda lib, theta: lib.nn.functional.affine_grid(theta, size, align_corners=align),
                           [rand(2, nd, nd + 1)]))


@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 6, 5), {"kernel_size": 2}), ((2, 3, 6, 5), {"kernel_size": (2, 3), "stride": (2, 1), "padding": 1,
                                                         "dilation": (1, 2)}),
    ((3, 7, 7), {"kernel_size": 3, "stride": 2}),
])
def test_unfold_fold(shape, kw):
    size = shape[-2:]
    same_as_torch(grads_of(lambda lib, x: lib.nn.functional.unfold(x, **kw), [rand(*shape)], order=2))
    cols = np.asarray(__import__("torch").nn.functional.unfold(__import__("torch").tensor(rand(*shape)), **kw))
    same_as_torch(grads_of(lambda lib, c: lib.nn.functional.fold(c, size, **kw), [rand(*cols.shape)], order=2))


@pytest.mark.parametrize("fn, shape, arg", [
    ("pixel_shuffle", (2, 8, 3, 2), 2), ("pixel_shuffle", (2, 1, 9, 2, 3), 3), ("pixel_unshuffle", (2, 2, 4, 6), 2),
    ("pixel_unshuffle", (3, 6, 3), 3), ("channel_shuffle", (2, 6, 3, 2), 3), ("channel_shuffle", (2, 4, 5), 2),
])
def test_shuffles(fn, shape, arg):
    same_as_torch(grads_of(lambda lib, x: getattr(lib.nn.functional, fn)(x, arg), [rand(*shape)]))
    x = rand(*shape)
    same_as_torch(lambda lib: type(getattr(lib.nn.functional, fn)(lib.tensor(x, requires_grad=True),
                                                                  arg).grad_fn).__name__)


@pytest.mark.parametrize("call, match", [
    (lambda F, t: F.pad(t(1, 2, 3, 3), (1,)), "Padding length must be divisible by 2"),
    (lambda F, t: F.pad(t(1, 2, 3, 3), (3, 3), mode="reflect"), "Padding size 2 is not supported for 4D input"),
    (lambda F, t: F.pad(t(2, 3, 3), (3, 3), mode="reflect"), "Padding size should be less than the corresponding"),
    (lambda F, t: F.pad(t(2, 3, 3), (1, 1), mode="foo"), "Unrecognised padding mode foo"),
    (lambda F, t: F.pad(t(2, 3, 3), (1, 1), mode="reflect", value=2), "doesn't take in value argument"),
    (lambda F, t: F.pad(t(2, 3), (-2, -2)), ""),
    (lambda F, t: F.pad(t(1, 2, 3), (4, 4), mode="circular"), "wrapping around more than once"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), scale_factor=2, mode="linear"), "linear mode needs 3D input"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3)), "either size or scale_factor should be defined"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), size=3, scale_factor=2), "only one of size or scale_factor"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), size=3, align_corners=True), "align_corners option can only be set"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), size=(3, 3, 3)), "same number of spatial dimensions"),
    (lambda F, t: F.interpolate(t(3, 3), size=3), "Only 3D, 4D and 5D input Tensors supported"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), size=3, mode="nearest", antialias=True), "Anti-alias option"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), scale_factor=0.1), "Input and output sizes should be greater than 0"),
    (lambda F, t: F.interpolate(t(1, 2, 3, 3), size=2, mode="lanczos"), "Lanczos mode requires antialias=True"),
    (lambda F, t: F.grid_sample(t(1, 2, 5, 5), t(1, 3, 3, 3)), "expected grid to have size 2 in last dimension"),
    (lambda F, t: F.grid_sample(t(1, 2, 5, 5), t(2, 3, 3, 2)), "expected grid and input to have same batch size"),
    (lambda F, t: F.grid_sample(t(1, 2, 5, 5), t(1, 3, 3, 2), mode="foo"), "expected mode to be 'bilinear'"),
    (lambda F, t: F.grid_sample(t(1, 2, 3, 3, 3), t(1, 3, 3, 3, 3), mode="bicubic"), "bicubic interpolation only"),
    (lambda F, t: F.affine_grid(t(1, 3, 3), (1, 2, 4, 4), align_corners=False), "Expected a batch of 2D affine"),
    (lambda F, t: F.affine_grid(t(1, 2, 3), (1, 2, 4), align_corners=False), "affine_grid only supports 4D and 5D"),
    (lambda F, t: F.unfold(t(1, 2, 5, 5), 6), "calculated shape of the array of sliding blocks as \\(0, 0\\)"),
    (lambda F, t: F.fold(t(1, 7, 16), (5, 5), 2), "divisible by the product of kernel_size"),
    (lambda F, t: F.fold(t(1, 8, 15), (5, 5), 2), "to match the calculated number of sliding blocks 4 \\* 4 = 16"),
    (lambda F, t: F.pixel_shuffle(t(1, 2, 5, 5), 2), "divisible by the square of upscale_factor"),
    (lambda F, t: F.pixel_unshuffle(t(1, 2, 5, 5), 2), "expects height to be divisible by downscale_factor"),
    (lambda F, t: F.channel_shuffle(t(1, 2, 5, 5), 3), "Number of channels must be divisible by groups"),
])
def test_errors(call, match):
    def run(lib):
        def t(*shape):
            return lib.tensor(rand(*shape))

        return call(lib.nn.functional, t)

    raises_like_torch(run, match)
