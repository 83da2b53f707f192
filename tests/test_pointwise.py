"""The rest of torch's pointwise math against torch: edge values, integer promotion, gradients at
the special points, error contracts, in-place forms; and trapezoid / cumulative_trapezoid / gradient.

(The OpInfo database and the registry-generated tests cover the ordinary samples; these are the
cases they do not reach.)
"""

from __future__ import annotations

import math

import pytest
from torch_compare import raises_like_torch, same_as_torch

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, math.inf, -math.inf, math.nan, 1e-300, 1e300]


def grads(lib, fn, *values, dtype=None):
    """``fn`` of float64 leaves made from ``values``, its result and its gradients."""
    leaves = [lib.tensor(v, dtype=dtype or lib.float64, requires_grad=True) for v in values]
    out = fn(*leaves)
    got = lib.autograd.grad(out.sum(), leaves, allow_unused=True)
    return out, got


# ---- unary ops: edge values, integers and bools ---------------------------------------------------------
UNARY = ["acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh", "deg2rad", "rad2deg", "sinc", "sgn",
         "signbit", "isposinf", "isneginf", "isreal", "nan_to_num", "logit", "positive"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values(name):
    same_as_torch(lambda lib: getattr(lib, name)(lib.tensor(EDGES, dtype=lib.float64)))


@pytest.mark.parametrize("name", [n for n in UNARY if n != "positive"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32", "float16"])
def test_unary_dtypes(name, dtype):
    """Integers compute in the default float dtype (or keep theirs: sgn, nan_to_num); bool too."""
    def run(lib):
        x = lib.tensor([0, 1, 2, 3]) if dtype != "bool" else lib.tensor([True, False])
        return getattr(lib, name)(x.to(getattr(lib, dtype)))

    same_as_torch(run, rtol=2e-3)


def test_frac_refuses_integers():
    raises_like_torch(lambda lib: lib.frac(lib.tensor([1, 2])), "not implemented for 'Long'")
    same_as_torch(lambda lib: lib.frac(lib.tensor([-1.5, 2.25, -0.0, math.inf, math.nan])))


def _positive_is_identity(lib):
    x = lib.tensor([1, -2])
    return lib.positive(x) is x, x.positive() is x


def test_positive():
    same_as_torch(_positive_is_identity)
    raises_like_torch(lambda lib: lib.positive(lib.tensor([True])), "bool tensor is not supported")


def test_nan_to_num_defaults_by_dtype():
    for dtype in ("float16", "float32", "float64"):
        same_as_torch(lambda lib, dtype=dtype: lib.nan_to_num(lib.tensor([math.nan, math.inf, -math.inf, 1.5],
                                                                         dtype=getattr(lib, dtype))))
    same_as_torch(lambda lib: lib.tensor([math.nan, math.inf, 2.0]).nan_to_num_(nan=1.0, posinf=9.0))
    same_as_torch(lambda lib: grads(lib, lambda x: lib.nan_to_num(x, 0.0), [math.nan, math.inf, 2.0]))


def test_logit_eps_and_gradient_outside():
    x = [-0.5, 0.0, 0.1, 0.5, 0.95, 1.0, 1.5]
    same_as_torch(lambda lib: grads(lib, lambda t: lib.logit(t), x))
    same_as_torch(lambda lib: grads(lib, lambda t: lib.logit(t, eps=0.2), x))
    same_as_torch(lambda lib: grads(lib, lambda t: lib.special.logit(t, 0.05) * 2, x))


def test_sinc_and_sgn_gradients():
    same_as_torch(lambda lib: grads(lib, lib.sinc, [0.0, 0.5, -1.0, 2.5]))
    same_as_torch(lambda lib: grads(lib, lib.sgn, [0.0, -0.5, 3.0]))


def test_inverse_hyperbolic_in_place_has_no_derivative():
    def run(lib):
        x = lib.tensor([1.5, 2.0], requires_grad=True) * 1
        y = x.acosh_()
        name = type(y.grad_fn).__name__
        y.sum().backward()
        return name

    raises_like_torch(run, "derivative for 'inplace version of acosh' is not implemented")
    same_as_torch(lambda lib: lib.tensor([0.5, -0.25]).arctanh_())
    same_as_torch(lambda lib: type(lib.tensor([1.5], requires_grad=True).mul(1).asinh_().grad_fn).__name__)


# ---- frexp, ldexp -------------------------------------------------------------------------------------------
def test_frexp():
    same_as_torch(lambda lib: tuple(lib.frexp(lib.tensor(EDGES[:7] + [1e-310, 1024.0], dtype=lib.float64))))
    same_as_torch(lambda lib: lib.frexp(lib.tensor([3.0, -0.75], dtype=lib.float32)).exponent)
    same_as_torch(lambda lib: grads(lib, lambda t: lib.frexp(t).mantissa, [3.0, -0.75, 10.0]))
    raises_like_torch(lambda lib: lib.frexp(lib.tensor([1, 2])), "only supports floating-point dtypes")


def test_frexp_return_type():
    import torchless

    out = torchless.frexp(torchless.tensor([8.0]))
    assert type(out).__name__ == "frexp" and out._fields == ("mantissa", "exponent")
    assert repr(out).startswith("torch.return_types.frexp(")


def test_ldexp_dtypes():
    same_as_torch(lambda lib: (lib.ldexp(lib.tensor([1, 2]), lib.tensor([3, -1])),
                               lib.ldexp(lib.tensor([1.5], dtype=lib.float32), lib.tensor([2])),
                               lib.tensor([1.0, 2.0]).ldexp_(lib.tensor([1, 2]))))
    raises_like_torch(lambda lib: lib.ldexp(lib.tensor([1.0]), 2), "must be Tensor, not int")


# ---- binary ops ------------------------------------------------------------------------------------------------
BINARY_TENSOR_ONLY = ["hypot", "logaddexp", "logaddexp2", "nextafter", "fmax", "fmin", "heaviside"]


@pytest.mark.parametrize("name", BINARY_TENSOR_ONLY)
def test_tensor_only_binary_ops_refuse_numbers(name):
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([1.0]), 2.0), "must be Tensor, not float")


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2", "nextafter"])
def test_float_only_kernels(name):
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([1, 2]), lib.tensor([3, 4])),
                      "not implemented for 'Long'")
    same_as_torch(lambda lib: getattr(lib, name)(lib.tensor([1, 2]), lib.tensor([0.5, 4.0])), rtol=1e-6)


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "copysign", "xlogy",
                                  "fmod", "nextafter"])
def test_binary_edge_values_and_gradients(name):
    a = [0.0, -0.0, 1.5, -2.0, math.inf, math.nan, 3.0, -1.0]
    b = [0.0, 2.0, math.nan, -0.0, 1.0, 1.0, math.inf, -3.0]
    same_as_torch(lambda lib: getattr(lib, name)(lib.tensor(a), lib.tensor(b)))
    finite_a, finite_b = [0.0, 1.5, -2.0, 3.0, -1.0], [0.5, 2.0, 0.25, 3.0, 4.0]
    same_as_torch(lambda lib: grads(lib, getattr(lib, name), finite_a, finite_b))


def test_fmax_fmin_integers_and_nan_gradients():
    same_as_torch(lambda lib: (lib.fmax(lib.tensor([1, 5]), lib.tensor([3, 2])),
                               lib.fmin(lib.tensor([True, False]), lib.tensor([False, False]))))
    same_as_torch(lambda lib: grads(lib, lib.fmax, [math.nan, 1.0, 2.0, 2.0], [1.0, math.nan, 2.0, 3.0]))
    same_as_torch(lambda lib: grads(lib, lib.fmin, [math.nan, 1.0, 2.0, 2.0], [1.0, math.nan, 2.0, 3.0]))


def test_copysign_promotion_and_nodes():
    same_as_torch(lambda lib: (lib.copysign(lib.tensor([1, -2]), lib.tensor([-1, 1])),
                               lib.copysign(lib.tensor([1, 2]), -0.0), lib.tensor([1.0, -2.0]).copysign_(-1)))
    same_as_torch(lambda lib: [type(lib.copysign(lib.tensor([1.0], requires_grad=True), o).grad_fn).__name__
                               for o in (lib.tensor([-1.0]), -1.0)])


def test_fmod():
    same_as_torch(lambda lib: (lib.fmod(lib.tensor([-7, 7, 5]), 3), lib.fmod(lib.tensor([-7, 7]), 2.5),
                               lib.fmod(lib.tensor([-7.5, 7.5]), lib.tensor([2.0, -2.0])),
                               lib.tensor([5.0, -5.0]).fmod_(3)))
    raises_like_torch(lambda lib: lib.fmod(lib.tensor([1, 2]), 0), "ZeroDivisionError")
    raises_like_torch(lambda lib: lib.fmod(lib.tensor([True]), lib.tensor([True])), "not implemented for 'Bool'")
    same_as_torch(lambda lib: grads(lib, lambda x, y: lib.fmod(x, y) + lib.fmod(x, 0.7), [5.5, -5.5], [2.0, 1.5]))


def test_heaviside():
    same_as_torch(lambda lib: (lib.heaviside(lib.tensor([-1.0, 0.0, 2.0]), lib.tensor([0.5])),
                               lib.heaviside(lib.tensor([-1, 0, 2]), lib.tensor([7, 8, 9])),
                               lib.tensor([-1.0, 0.0]).heaviside_(lib.tensor([3.0]))))
    raises_like_torch(lambda lib: lib.heaviside(lib.tensor([1.0]), lib.tensor([1])), "different dtypes")

    def backward(lib):
        x = lib.tensor([1.0, 0.0], requires_grad=True)
        y = lib.heaviside(x, lib.tensor([0.5]))
        name = y.grad_fn.name()
        y.sum().backward()
        return name

    raises_like_torch(backward, "derivative for aten::heaviside is not implemented")


def test_xlogy_zero_and_nan():
    same_as_torch(lambda lib: (lib.xlogy(lib.tensor([0.0, 0.0, 1.0, 2.0]), lib.tensor([0.0, math.nan, 0.0, -1.0])),
                               lib.xlogy(0, lib.tensor([0.0, 2.0])), lib.xlogy(lib.tensor([0, 3]), 2),
                               lib.xlogy(lib.tensor([1, 2]), lib.tensor([3, 4]))))
    same_as_torch(lambda lib: grads(lib, lib.xlogy, [0.0, 1.0, 2.0], [0.0, 2.0, 0.5]))
    same_as_torch(lambda lib: [type(lib.xlogy(a, b).grad_fn).__name__ for a, b in
                               ((lib.tensor([1.0], requires_grad=True), 2.0),
                                (2.0, lib.tensor([1.0], requires_grad=True)))])


def test_float_power():
    same_as_torch(lambda lib: (lib.float_power(lib.tensor([2, 3]), 2), lib.float_power(lib.tensor([4.0]), 0.5),
                               lib.float_power(2, lib.tensor([1.0, -1.0], dtype=lib.float32)),
                               lib.float_power(lib.tensor([2.0], dtype=lib.float32), lib.tensor([3]))))
    same_as_torch(lambda lib: grads(lib, lambda x: lib.float_power(x, 3), [1.5, -2.0], dtype=lib.float32))
    same_as_torch(lambda lib: lib.tensor([2.0], dtype=lib.float64).float_power_(3))
    raises_like_torch(lambda lib: lib.tensor([2.0]).float_power_(2), "has dtype Float but the operation's result")


def test_addcmul_addcdiv():
    same_as_torch(lambda lib: (lib.addcmul(lib.tensor([1, 2]), lib.tensor([3, 4]), lib.tensor([5, 6]), value=2),
                               lib.addcmul(lib.tensor([1.0]), lib.tensor([3, 4]), lib.tensor([2.0, 1.0]), value=-0.5),
                               lib.addcdiv(lib.tensor([1.0, 2.0]), lib.tensor([3.0]), lib.tensor([2.0, 4.0])),
                               lib.tensor([1.0, 2.0]).addcmul_(lib.tensor([3.0]), lib.tensor([2.0]), value=3)))
    raises_like_torch(lambda lib: lib.addcdiv(lib.tensor([1]), lib.tensor([3]), lib.tensor([2])),
                      "Integer division with addcdiv is no longer supported")
    same_as_torch(lambda lib: grads(lib, lambda a, b, c: lib.addcdiv(a, b, c, value=0.3), [1.0, 2.0], [3.0, -1.0],
                                    [0.5, 2.0]))
    raises_like_torch(lambda lib: lib.addcmul(lib.ones(2), lib.ones(3), lib.ones(2)), "must match")
    raises_like_torch(lambda lib: lib.addcdiv(lib.ones(2), lib.tensor([1]), lib.tensor([2])), "Integer division")
    raises_like_torch(lambda lib: lib.addcmul(lib.ones(2), 2.0, lib.ones(2)), "must be Tensor, not float")


def test_in_place_forms_of_aliases_and_clamp():
    same_as_torch(lambda lib: (lib.tensor([-1.5, 2.5]).fix_(), lib.tensor([-1.5, 2.5]).absolute_(),
                               lib.tensor([-1.5, 2.5]).negative_(), lib.tensor([-1.5, 2.5]).clamp_min_(0.0),
                               lib.tensor([-1.5, 2.5]).clamp_max_(lib.tensor([0.0, 1.0]))))


# ---- trapezoid, cumulative_trapezoid, gradient ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid_forms(name):
    def run(lib):
        f = getattr(lib, name)
        y = lib.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
        return (f(y), f(y, dx=0.5), f(y, lib.tensor([0.0, 1.0, 3.0])), f(y, dim=0), f(lib.tensor([[1, 2, 3]])),
                f(y, lib.tensor([1, 2, 4])), f(lib.zeros(2, 0)))

    same_as_torch(run)
    same_as_torch(lambda lib: grads(lib, lambda y, x: getattr(lib, name)(y, x), [1.0, 2.0, 5.0], [0.0, 0.5, 2.0]))


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
def test_trapezoid_errors(name):
    y = [[1.0, 2.0, 3.0]]
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor(y), lib.tensor([0.0, 1.0])),
                      "There must be one `x` value for each sample point")
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor([True, False])), "bool is not supported")
    raises_like_torch(lambda lib: getattr(lib, name)(lib.tensor(y), dim=2), "Dimension out of range")
    raises_like_torch(lambda lib: lib.trapezoid(lib.tensor(1.0)), "has no dimensions")
    raises_like_torch(lambda lib: lib.trapezoid(lib.tensor(y), 2.0), "invalid combination of arguments")


def test_trapezoid_grad_fn_names():
    def run(lib):
        y = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        return [o.grad_fn.name() for o in (lib.trapezoid(y), lib.trapezoid(y, y), lib.cumulative_trapezoid(y),
                                           lib.cumulative_trapezoid(y, y))]

    same_as_torch(run)


def test_gradient_spacings_and_edges():
    def run(lib):
        f = lib.tensor([[1.0, 4.0, 9.0, 16.0], [2.0, 3.0, 5.0, 8.0], [0.0, 1.0, 0.0, -1.0]])
        x = lib.tensor([0.0, 1.0, 3.0, 4.5])
        return (lib.gradient(f), lib.gradient(f, spacing=2.0), lib.gradient(f, spacing=[0.5, 2.0]),
                lib.gradient(f, dim=1, edge_order=2), lib.gradient(f, spacing=[x], dim=1),
                lib.gradient(f, spacing=[x], dim=1, edge_order=2), lib.gradient(f, spacing=(x[:3], x), dim=(0, -1)),
                lib.gradient(lib.tensor([1, 4, 9])), lib.gradient(f, spacing=lib.tensor(2.0), dim=0),
                lib.gradient(lib.tensor(3.0)))

    same_as_torch(run)
    same_as_torch(lambda lib: grads(lib, lambda f: lib.gradient(f, edge_order=2)[0] ** 2, [1.0, 3.0, 2.0, 5.0]))


def test_gradient_errors():
    f = [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]]
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), edge_order=3), "only supports edge_order=1 and")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), edge_order=2), "at least edge_order\\+1")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), spacing=[1.0]), "since dim argument was not given")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), spacing=[1.0, 2.0], dim=1), "same length")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), spacing=[lib.tensor(1.0)], dim=1),
                      "to have one dimension, but got an element with 0 dimensions")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), dim=[1, 1]), "appears multiple times")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor(f), dim=2), "Dimension out of range")
    raises_like_torch(lambda lib: lib.gradient(lib.tensor([True, False, True])), "with two bool tensors")
