"""torch.masked against torch, beyond what the OpInfos check: fully masked-out slices (values and
gradients, without the wrapper that zeroes them), mask broadcasting and conversion, integer
inputs, the dtype argument, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_compare import raises_like_torch
from torch_compare import same_as_torch as _same_or_raise

X = np.array([[[0.5, -1.0, 2.0, 0.0], [1.5, 1.5, -0.25, 3.0], [-2.0, 0.75, 1.0, -0.5]],
              [[0.3, 0.0, -1.2, 2.2], [0.9, -0.4, 0.4, 1.1], [2.5, -3.0, 0.1, 0.6]]])
# row (0, 1) fully masked out; row (1, 2) fully masked in
MASK = np.array([[[True, False, True, False], [False, False, False, False], [True, True, False, True]],
                 [[False, True, True, True], [True, False, False, True], [True, True, True, True]]])

REDUCTIONS = ["sum", "prod", "amax", "amin", "mean", "logsumexp", "var", "std"]
ALONG = ["cumsum", "cumprod", "softmax", "log_softmax", "softmin"]


def same_as_torch(fn, **kw):
    """Equal results, and torch did not raise (same_as_torch also accepts matching errors)."""
    ours, ref = _same_or_raise(fn, **kw)
    assert not isinstance(ref, Exception), f"torch raised {type(ref).__name__}: {ref}"
    return ours, ref


def _run(lib, name, *args, mask=MASK, grad=True, **kwargs):
    """masked.<name>(x, *args, mask=..., **kwargs), and the gradient of a weighted sum of its
    finite values (the nan and inf of fully masked-out slices kept out of the cotangent)."""
    x = lib.tensor(X, requires_grad=grad)
    m = None if mask is None else lib.tensor(mask)
    out = getattr(lib.masked, name)(x, *args, mask=m, **kwargs)
    if not grad:
        return out
    w = lib.tensor(np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape)))
    w = lib.where(lib.isfinite(out.detach()), w, lib.zeros(()).double())
    (g,) = lib.autograd.grad(out, x, w)
    return out, g


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dim", [2, -1, (0, 2), None])
def test_reductions_with_fully_masked_slices(name, dim):
    same_as_torch(lambda lib: _run(lib, name, dim, keepdim=dim == -1))


@pytest.mark.parametrize("name", ALONG)
@pytest.mark.parametrize("dim", [2, 0])
def test_normalisations_with_fully_masked_slices(name, dim):
    same_as_torch(lambda lib: _run(lib, name, dim))


@pytest.mark.parametrize("ord", [2.0, 1, math.inf, -math.inf, 0.5])
def test_norm_and_normalize(ord):
    same_as_torch(lambda lib: _run(lib, "norm", ord, 2))
    same_as_torch(lambda lib: _run(lib, "norm", ord, None, keepdim=True))
    same_as_torch(lambda lib: _run(lib, "normalize", ord, 2))


def test_median_and_arg_reductions():
    same_as_torch(lambda lib: _run(lib, "median", 2))
    same_as_torch(lambda lib: _run(lib, "median", 1, keepdim=True))
    for name in ("argmax", "argmin"):
        same_as_torch(lambda lib, name=name: _run(lib, name, 2, grad=False))
        same_as_torch(lambda lib, name=name: _run(lib, name, grad=False, dtype=lib.int64))


@pytest.mark.parametrize("shape", [(4,), (3, 1), (1, 3, 4), (2, 1, 1), ()])
def test_mask_broadcasts_to_the_input(shape):
    mask = np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1
    for name in ("sum", "amax", "mean", "var"):
        same_as_torch(lambda lib, name=name: _run(lib, name, 1, mask=mask))
    same_as_torch(lambda lib: _run(lib, "softmax", 2, mask=mask))


def test_mask_of_other_dtypes_is_read_as_bool():
    same_as_torch(lambda lib: _run(lib, "sum", 2, mask=MASK.astype(np.float64) * 0.5))
    same_as_torch(lambda lib: _run(lib, "prod", 2, mask=np.array([0, 3, 1, 0])))


def test_integer_inputs():
    data = np.array([[3, -1, 4], [1, 5, -9]])
    mask = np.array([[True, False, True], [False, False, False]])

    def run(lib, name, input_dtype, **kw):
        return getattr(lib.masked, name)(lib.tensor(data, dtype=input_dtype), 1, mask=lib.tensor(mask), **kw)

    for dtype in ("int32", "int64", "uint8", "int16"):
        for name in ("sum", "prod", "amax", "amin", "argmax", "argmin", "var"):
            same_as_torch(lambda lib, name=name, dtype=dtype: run(lib, name, getattr(lib, dtype)))
    same_as_torch(lambda lib: run(lib, "sum", lib.int32, dtype=lib.float64))
    same_as_torch(lambda lib: run(lib, "cumsum", lib.int32))
    same_as_torch(lambda lib: run(lib, "mean", lib.int64, dtype=lib.float64))
    same_as_torch(lambda lib: lib.masked.median(lib.tensor(data), 1, mask=lib.tensor(mask | [[False], [True]])))


def test_dtype_argument():
    def run(lib, name, *args, **kw):
        x = lib.tensor(X, dtype=lib.float32)
        return getattr(lib.masked, name)(x, *args, mask=lib.tensor(MASK), dtype=lib.float64, **kw)

    for name in ("sum", "prod", "amax", "mean", "logsumexp", "var"):
        same_as_torch(lambda lib, name=name: run(lib, name, 2), rtol=1e-6)
    for name in ("softmax", "log_softmax", "cumsum", "cumprod"):
        same_as_torch(lambda lib, name=name: run(lib, name, 1), rtol=1e-6)
    same_as_torch(lambda lib: run(lib, "norm", 2.0, 2), rtol=1e-6)


def test_logaddexp_masks():
    y = X[::-1].copy()

    def run(lib, im, om):
        a, b = lib.tensor(X, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.masked.logaddexp(a, b, input_mask=None if im is None else lib.tensor(im),
                                   other_mask=None if om is None else lib.tensor(om))
        w = lib.where(lib.isfinite(out.detach()), lib.ones(()).double(), lib.zeros(()).double())
        return out, lib.autograd.grad(out, (a, b), w)

    same_as_torch(lambda lib: run(lib, MASK, MASK[::-1].copy()))
    same_as_torch(lambda lib: run(lib, MASK, MASK))  # both out: -inf, no gradient
    same_as_torch(lambda lib: run(lib, np.array([True, False, True, True]), None))


def test_no_mask_is_the_plain_reduction():
    for name in REDUCTIONS:
        same_as_torch(lambda lib, name=name: _run(lib, name, 1, mask=None))
    same_as_torch(lambda lib: _run(lib, "sum", mask=None))
    same_as_torch(lambda lib: _run(lib, "var", (0, 1), mask=None, correction=0))


def test_var_std_corrections():
    for kw in ({"unbiased": False}, {"correction": 2}, {"correction": 0.5}, {"correction": 3}):
        same_as_torch(lambda lib, kw=kw: _run(lib, "var", 2, **kw))
        same_as_torch(lambda lib, kw=kw: _run(lib, "std", (1, 2), keepdim=True, **kw))


def test_errors():
    x = np.ones((2, 3))

    def call(name, *args, mask=None, dtype="float64", **kw):
        def fn(lib):
            m = None if mask is None else lib.tensor(mask)
            return getattr(lib.masked, name)(lib.tensor(x, dtype=getattr(lib, dtype)), *args, mask=m, **kw)

        return fn

    raises_like_torch(call("sum", 1, mask=np.ones((1, 2, 3), bool)), "dimensionality higher")
    raises_like_torch(call("sum", 1, mask=np.ones(2, bool)), "")
    raises_like_torch(call("sum", 2), "Dimension out of range")
    raises_like_torch(call("amax", (1, 1)), "appears multiple times")
    raises_like_torch(call("softmax", -3), "Dimension out of range")
    raises_like_torch(call("mean", dtype="int64"), "Could not infer output dtype")
    raises_like_torch(call("var", 1, unbiased=True, correction=1), "Only one of unbiased and correction")
    raises_like_torch(call("median", 1, mask=np.array([[True] * 3, [False] * 3]), dtype="int64"),
                      "expects no fully masked out rows")


def test_input_and_output_masks():
    def run(lib):
        x, m = lib.tensor(X), lib.tensor(MASK[0, :, :1])
        return (lib.masked._input_mask(x, mask=m),
                lib.masked._output_mask(lib.masked.sum, x, 2, mask=m, keepdim=True),
                lib.masked._output_mask(lib.masked.norm, x, 2.0, (0, 1), mask=m),
                lib.masked._output_mask(lib.masked.softmax, x, 1, mask=m))

    same_as_torch(run)
    raises_like_torch(lambda lib: lib.masked._input_mask(lib.tensor(X)), "requires explicit mask")


def test_zero_dim_and_empty_inputs():
    def run(lib):
        x, off = lib.tensor(2.0, dtype=lib.float64), lib.tensor(False)
        return [lib.masked.sum(x, mask=off), lib.masked.amax(x, 0, mask=off),
                lib.masked.prod(x, 0, keepdim=True, mask=lib.tensor(True)), lib.masked.softmax(x, 0, mask=off),
                lib.masked.log_softmax(x, 0, mask=lib.tensor(True)), lib.masked.mean(x, mask=off)]

    same_as_torch(run)
    same_as_torch(lambda lib: [lib.masked.sum(lib.zeros(2, 0), 1, mask=lib.ones(0, dtype=lib.bool)),
                               lib.masked.mean(lib.zeros(2, 0), 1, mask=lib.ones(2, 0, dtype=lib.bool))])
    raises_like_torch(lambda lib: lib.masked.amax(lib.zeros(2, 0), 1, mask=lib.ones(0, dtype=lib.bool)), "")


def test_other_input_dtypes():
    data = np.array([[1.0, 2.5, -1.0], [3.0, 4.0, 0.5]])
    mask = np.array([True, False, True])

    def run(lib, name, dtype, *args):
        return getattr(lib.masked, name)(lib.tensor(data, dtype=getattr(lib, dtype)), *args, mask=lib.tensor(mask))

    for name in ("sum", "mean", "softmax", "log_softmax"):
        same_as_torch(lambda lib, name=name: run(lib, name, "float16", 1), rtol=1e-3)
    for name in ("sum", "var", "logsumexp", "cumsum"):
        same_as_torch(lambda lib, name=name: run(lib, name, "complex128", 1))
    for name in ("sum", "prod"):
        same_as_torch(lambda lib, name=name: run(lib, name, "bool", 1))
    raises_like_torch(lambda lib: run(lib, "amax", "bool", 1), "")
    raises_like_torch(lambda lib: run(lib, "softmax", "int64", 1), "not implemented for 'Long'")
    raises_like_torch(lambda lib: run(lib, "norm", "int64", 2.0, 1), "")
