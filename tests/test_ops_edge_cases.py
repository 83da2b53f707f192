"""Edge cases of the op rules where torch gives finite gradients or raises its own errors.

Each case is a snippet ``f(lib)`` with its expected result pinned, so that it runs without
torch; ``test_torch_agrees`` runs the same snippet with torch (where installed) to show that
the pinned values are torch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchless

inf, nan = math.inf, math.nan

# name -> (snippet, expected: a nested list of numbers per returned tensor)
VALUES = {}
# name -> (snippet, exception type, a regex its message matches)
ERRORS = {}


def values(*expected, name=None):
    def deco(fn):
        VALUES[name or fn.__name__] = (fn, expected)
        return fn

    return deco


def error(name, exc, match, fn):
    ERRORS[name] = (fn, exc, match)


def _grads(lib, *inputs):
    """Leaves requiring grad, made from nested lists of floats."""
    return [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in inputs]


# ---- 1. finite gradients, not nan ----------------------------------------------------------------
@values([0.0, 0.0, 1.0], [0.0, 0.0, 2 * math.log(2)])
def pow_tensor_exponent_zero_at_zero(lib):
    x, y = _grads(lib, [0.0, 1.0, 2.0], [0.0, 0.0, 1.0])
    (x**y).sum().backward()
    return x.grad, y.grad


@values([[-0.5**0.5, 0.5**0.5], [0.0, 0.0]])
def std_of_a_constant_row(lib):
    (x,) = _grads(lib, [[0.0, 1.0], [1.0, 1.0]])
    x.std(1).sum().backward()
    return (x.grad,)


def _norm_grad(p):
    def fn(lib):
        (x,) = _grads(lib, [0.0, 1.0, 2.0])
        x.norm(p=p).backward()
        return (x.grad,)

    return fn


_n15 = (1 + 2**1.5) ** (1 / 1.5)
_n05 = (1 + 2**0.5) ** 2
values([0.0, _n15**-0.5, 2**0.5 * _n15**-0.5], name="norm_p1_5_at_zero")(_norm_grad(1.5))
values([0.0, _n05**0.5, 2**-0.5 * _n05**0.5], name="norm_p0_5_at_zero")(_norm_grad(0.5))


@values(0.5, [0.0, 0.0, 1.0])
def norm_minus_inf_is_the_smallest(lib):
    (x,) = _grads(lib, [2.0, -3.0, 0.5])
    out = x.norm(p=-inf)
    out.backward()
    return out, x.grad


@values([0.0, inf])
def relu_times_inf(lib):
    (x,) = _grads(lib, [-1.0, 2.0])
    (lib.relu(x) * inf).sum().backward()
    return (x.grad,)


@values([0.0, inf, 0.0])
def clamp_numbers_times_inf(lib):
    (x,) = _grads(lib, [-1.0, 2.0, 5.0])
    (x.clamp(0, 3) * inf).sum().backward()
    return (x.grad,)


@values([0.0, inf, 0.0])
def clamp_tensors_times_inf(lib):
    (x,) = _grads(lib, [-1.0, 2.0, 5.0])
    lo, hi = lib.tensor(0.0, dtype=lib.float64), lib.tensor(3.0, dtype=lib.float64)
    (x.clamp(lo, hi) * inf).sum().backward()
    return (x.grad,)


@values([[0.0, inf]])
def max_over_a_dim_times_inf(lib):
    (x,) = _grads(lib, [[1.0, 5.0]])
    (x.max(1).values * inf).sum().backward()
    return (x.grad,)


@values([0.0, inf], [inf, 0.0])
def maximum_times_inf(lib):
    x, y = _grads(lib, [1.0, 5.0], [3.0, 2.0])
    (lib.maximum(x, y) * inf).sum().backward()
    return x.grad, y.grad


@values([0.0, inf], inf)
def masked_fill_times_inf(lib):
    x, v = _grads(lib, [1.0, 5.0], 2.0)
    (x.masked_fill(lib.tensor([True, False]), v) * inf).sum().backward()
    return x.grad, v.grad


@values([0.0, inf])
def index_put_times_inf(lib):
    (x,) = _grads(lib, [1.0, 5.0])
    y = x * 1
    y[lib.tensor([0])] = 3.0
    (y * inf).sum().backward()
    return (x.grad,)


@values([5.0, 3.0, 2.0])
def prod_double_backward_one_zero(lib):
    (x,) = _grads(lib, [0.0, 2.0, 3.0])
    (g,) = lib.autograd.grad(x.prod(), x, create_graph=True)
    g.sum().backward()
    return (x.grad,)


@values([3.0, 3.0, 0.0])
def prod_double_backward_two_zeros(lib):
    (x,) = _grads(lib, [0.0, 0.0, 3.0])
    (g,) = lib.autograd.grad(x.prod(), x, create_graph=True)
    g.sum().backward()
    return (x.grad,)


@values([[5.0, 3.0, 2.0], [5.0, 4.0, 3.0]])
def prod_double_backward_over_a_dim(lib):
    (x,) = _grads(lib, [[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    (g,) = lib.autograd.grad(x.prod(1).sum(), x, create_graph=True)
    g.sum().backward()
    return (x.grad,)


# ---- 2. nan, not a Python exception, inside backward ---------------------------------------------
@values([nan])
def var_of_one_element(lib):
    (x,) = _grads(lib, [1.0])
    x.var().backward()
    return (x.grad,)


@values([[nan], [nan]])
def var_over_a_dim_of_size_one(lib):
    (x,) = _grads(lib, [[1.0], [1.0]])
    x.var(1).sum().backward()
    return (x.grad,)


@values([[inf, inf]], [[1.0, -1.0]])
def var_with_correction_past_the_count(lib):
    x, y = _grads(lib, [[1.0, 2.0]], [[1.0, 2.0]])
    x.var(correction=3).backward()  # of all elements: inf (nan where x is the mean)
    y.var(1, correction=3).sum().backward()  # over a dim: divided by the negative count
    return x.grad, y.grad


@values([nan, nan])
def negative_number_to_a_tensor_power(lib):
    (y,) = _grads(lib, [1.0, 2.0])
    ((-2.0) ** y).sum().backward()
    return (y.grad,)


@values([-inf, 0.0, 0.0])
def zero_to_a_tensor_power(lib):
    (y,) = _grads(lib, [-1.0, 0.0, 1.5])
    (0.0**y).sum().backward()
    return (y.grad,)


# ---- 3. clamp to tensor bounds with min >= max ---------------------------------------------------
def _clamp_tensors(lo, hi):
    def fn(lib):
        (x,) = _grads(lib, [0.0, 1.0, 2.0, 5.0])
        a = lib.full((4,), float(lo), dtype=lib.float64, requires_grad=True)
        b = lib.full((4,), float(hi), dtype=lib.float64, requires_grad=True)
        out = x.clamp(min=a, max=b)
        out.backward(lib.tensor([1.0, 10.0, 100.0, 1000.0], dtype=lib.float64))
        return out, x.grad, a.grad, b.grad

    return fn


# (torch: min gets g where x < min < max, max where x > max or max < min)
values([2.0] * 4, [0.0, 0.0, 100.0, 0.0], [0.0] * 4, [0.0, 0.0, 0.0, 1000.0],
       name="clamp_tensors_min_equals_max")(_clamp_tensors(2, 2))
values([1.0] * 4, [0.0] * 4, [0.0] * 4, [1.0, 10.0, 100.0, 1000.0],
       name="clamp_tensors_min_above_max")(_clamp_tensors(3, 1))
values([1.0, 1.0, 2.0, 3.0], [0.0, 10.0, 100.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1000.0],
       name="clamp_tensors_min_below_max")(_clamp_tensors(1, 3))


# ---- 4. torch's exception types and messages -----------------------------------------------------
def _t(lib, *shape):
    return lib.zeros(*shape)


error("cat_sizes", RuntimeError, r"Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 "
      r"for tensor number 1", lambda lib: lib.cat([_t(lib, 2, 3), _t(lib, 2, 2)]))
error("cat_dims", RuntimeError, "Tensors must have same number of dimensions: got 2 and 1",
      lambda lib: lib.cat([_t(lib, 2, 3), _t(lib, 2)]))
error("where_shapes", RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton "
      "dimension 0", lambda lib: lib.where(lib.tensor([True, False, True]), _t(lib, 2), _t(lib, 2)))
error("masked_fill_shapes", RuntimeError, r"size of tensor a \(2\) must match the size of tensor b \(3\) at "
      "non-singleton dimension 1", lambda lib: _t(lib, 2, 3).masked_fill(lib.tensor([True, False]), 1.0))
error("max_empty_dim", IndexError, r"max\(\): Expected reduction dim 0 to have non-zero size",
      lambda lib: _t(lib, 0, 3).max(0))
error("max_empty", RuntimeError, r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0",
      lambda lib: _t(lib, 0).max())
error("amax_empty_dim", IndexError, r"amax\(\): Expected reduction dim 1 to have non-zero size",
      lambda lib: _t(lib, 2, 0).amax(1))
error("amin_empty", RuntimeError, r"amin\(\): Expected reduction dim to be specified",
      lambda lib: _t(lib, 2, 0).amin())
error("argmax_empty", IndexError, r"argmax\(\): Expected reduction dim to be specified for input.numel\(\) == 0",
      lambda lib: _t(lib, 0).argmax())
error("argmin_empty_dim", IndexError, r"argmin\(\): Expected reduction dim 1 to have non-zero size",
      lambda lib: _t(lib, 2, 0).argmin(1))
error("norm_inf_empty_dim", RuntimeError, "cannot compute the inf norm on the dimension 1",
      lambda lib: _t(lib, 2, 0).norm(p=inf, dim=1))
error("norm_inf_empty", RuntimeError, "cannot compute the -inf norm on an empty tensor",
      lambda lib: _t(lib, 2, 0).norm(p=-inf))
error("roll_dim", IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)",
      lambda lib: _t(lib, 2, 3).roll(1, 5))
error("roll_align", RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1",
      lambda lib: _t(lib, 2, 3).roll((1, 2), (0,)))
error("flip_repeated", RuntimeError, "dim 1 appears multiple times in the list of dims",
      lambda lib: _t(lib, 2, 3).flip(-1, 1))
error("einsum_sizes", RuntimeError, "subscript j has size 4 for operand 1 which does not broadcast with previously "
      "seen size 3", lambda lib: lib.einsum("ij,jk->ik", _t(lib, 2, 3), _t(lib, 4, 2)))
error("einsum_dims", RuntimeError, r"number of subscripts in the equation \(2\) does not match the number of "
      r"dimensions \(3\) for operand 0", lambda lib: lib.einsum("ij->", _t(lib, 2, 3, 4)))
error("einsum_operands", RuntimeError, "more operands were provided than specified in the equation",
      lambda lib: lib.einsum("ij->", _t(lib, 2, 3), _t(lib, 2)))
error("scatter_add_range", RuntimeError, "index 5 is out of bounds for dimension 0 with size 3",
      lambda lib: _t(lib, 3).scatter_add(0, lib.tensor([5]), lib.ones(1)))
error("scatter_add_negative", RuntimeError, "index -1 is out of bounds for dimension 0 with size 3",
      lambda lib: _t(lib, 3).scatter_add(0, lib.tensor([-1]), lib.ones(1)))
error("scatter_add_src_size", RuntimeError, r"Expected index \[2, 3\] to be no larger than self \[3, 3\] apart from "
      r"dimension 0 and to be no larger size than src \[1, 3\]",
      lambda lib: _t(lib, 3, 3).scatter_add(0, lib.tensor([[0, 1, 2], [0, 1, 2]]), lib.ones(1, 3)))
error("scatter_add_index_dims", RuntimeError, "Index tensor must have the same number of dimensions as self tensor",
      lambda lib: _t(lib, 3, 3).scatter_add(0, lib.tensor([0, 1]), lib.ones(3, 3)))
error("mask_length", IndexError, r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed "
      r"tensor \[3\] at index 0", lambda lib: _t(lib, 3)[lib.tensor([True, False])])
error("mask_after_a_slice", IndexError, r"The shape of the mask \[3\] at index 0 does not match the shape of the "
      r"indexed tensor \[3, 2\] at index 1", lambda lib: _t(lib, 3, 2)[:, lib.tensor([True, False, True])])
error("index_range", IndexError, "index 5 is out of bounds for dimension 0 with size 3",
      lambda lib: _t(lib, 3)[lib.tensor([5])])
error("index_range_second_array", IndexError, "index 7 is out of bounds for dimension 1 with size 5",
      lambda lib: _t(lib, 3, 2, 5)[lib.tensor([1]), :, lib.tensor([7])])
error("setitem_range", IndexError, "index 5 is out of bounds for dimension 0 with size 3",
      lambda lib: _t(lib, 3).__setitem__(lib.tensor([5]), 1.0))
error("setitem_value_shape", RuntimeError, r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to "
      r"indexing result of shape \[2\]", lambda lib: _t(lib, 3).__setitem__(lib.tensor([0, 1]), lib.ones(3)))
# ---- 5. wrong input that torch refuses
error("gather_negative", RuntimeError, "index -1 is out of bounds for dimension 1 with size 2",
      lambda lib: _t(lib, 2, 2).gather(1, lib.tensor([[-1], [0]])))
error("gather_index_size", RuntimeError, r"Size does not match at dimension 0 expected index \[3, 1\] to be no larger "
      r"than self \[2, 2\] apart from dimension 1", lambda lib: _t(lib, 2, 2).gather(1, lib.tensor([[0], [0], [0]])))
error("index_select_2d", IndexError, r"index_select\(\): Index is supposed to be a vector",
      lambda lib: _t(lib, 3).index_select(0, lib.tensor([[0, 1]])))
error("floor_divide_by_zero", RuntimeError, "ZeroDivisionError", lambda lib: lib.tensor([1, 2]) // 0)
error("remainder_by_zero", RuntimeError, "ZeroDivisionError", lambda lib: lib.tensor([1, 2]) % lib.tensor([0, 1]))
error("rfloordiv_by_zero", RuntimeError, "ZeroDivisionError", lambda lib: 3 // lib.tensor([1, 0]))
error("div_trunc_by_zero", RuntimeError, "ZeroDivisionError",
      lambda lib: lib.div(lib.tensor([1, 2]), 0, rounding_mode="trunc"))
error("lerp_dtypes", RuntimeError, "expected dtype float for `end` but got dtype double",
      lambda lib: lib.lerp(_t(lib, 2), lib.ones(2, dtype=lib.float64), 0.5))
error("lerp_weight_dtype", RuntimeError, "expected dtype float for `weight` but got dtype double",
      lambda lib: lib.lerp(_t(lib, 2), lib.ones(2), lib.ones(2, dtype=lib.float64)))
error("lerp_integers", NotImplementedError, "\"lerp_kernel_scalar\" not implemented for 'Long'",
      lambda lib: lib.lerp(lib.zeros(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64), 0.5))
error("lerp_shapes", RuntimeError, r"size of tensor a \(2\) must match the size of tensor b \(3\)",
      lambda lib: lib.lerp(_t(lib, 2), lib.ones(3), 0.5))
error("masked_fill_int_too_big", OverflowError, "int too big to convert",
      lambda lib: _t(lib, 2).masked_fill(lib.tensor([True, False]), 2**70))
error("masked_fill_float_overflow", RuntimeError, "value cannot be converted to type float without overflow",
      lambda lib: _t(lib, 2).masked_fill(lib.tensor([True, False]), 1e39))
error("masked_fill_int32_overflow", RuntimeError, "value cannot be converted to type int without overflow",
      lambda lib: lib.zeros(2, dtype=lib.int32).masked_fill(lib.tensor([True, False]), 2**40))
error("masked_fill_uint8_below_minus_255", RuntimeError, "value cannot be converted to type uint8_t without overflow",
      lambda lib: lib.zeros(2, dtype=lib.uint8).masked_fill(lib.tensor([True, False]), -300))
error("full_float16_overflow", RuntimeError, r"value cannot be converted to type c10::Half without overflow",
      lambda lib: lib.full((2,), 70000, dtype=lib.float16))


@values([255, 0], [-1.0, 0.0], [5.0, 5.0], [0.5, 0.5])
def values_torch_accepts(lib):
    mask = lib.tensor([True, False])
    return (lib.zeros(2, dtype=lib.uint8).masked_fill(mask, -1),  # (wraps around, as in C)
            lib.zeros(2, dtype=lib.int32).masked_fill(mask, -1.0),
            lib.full((2,), 5.0, dtype=lib.float16),
            lib.lerp(lib.zeros(2), lib.ones(2), lib.tensor(0.5, dtype=lib.float64)))  # (a 0-d weight may differ)


# ---- running the cases ---------------------------------------------------------------------------
def _as_list(v):
    return v.detach().tolist() if hasattr(v, "detach") else v


def _check(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g, e = np.asarray(_as_list(g), dtype=float), np.asarray(e, dtype=float)
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12, equal_nan=True)


@pytest.mark.filterwarnings("ignore")  # (var with no degrees of freedom left warns, in NumPy and torch alike)
@pytest.mark.parametrize("name", sorted(VALUES))
def test_values(name):
    fn, expected = VALUES[name]
    _check(fn(torchless), expected)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name):
    fn, exc, match = ERRORS[name]
    with pytest.raises(exc, match=match):
        fn(torchless)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(VALUES) + sorted(ERRORS))
def test_torch_agrees(name):
    torch = pytest.importorskip("torch")
    if name in VALUES:
        fn, expected = VALUES[name]
        _check(fn(torch), expected)
    else:
        fn, exc, match = ERRORS[name]
        with pytest.raises(exc, match=match):
            fn(torch)


def test_floor_divide_node_keeps_torchs_name():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    assert type((x // 2).grad_fn).__name__ == "NotImplemented"
    assert (x // 2).grad_fn.name() == "NotImplemented"


def test_float_division_by_zero_stays_inf():
    assert (torchless.tensor([1.0, -1.0]) // 0).tolist() == [inf, -inf]
    assert math.isnan((torchless.tensor([1.0]) % 0).item())
