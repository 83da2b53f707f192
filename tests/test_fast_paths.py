"""Fast paths: each must give exactly what the general path (and torch) gives, edges included.

1. operators.arithmetic: ``t + 2``, ``2 - t``, ``t * u`` ... run the NumPy ufunc at once when nothing
   can record and nothing needs promoting.
2. inplace.inplace_operator: ``x -= y`` under no_grad writes straight into x's memory.
3. The engine accumulates a leaf without hooks without a visit of its own (and may take the
   gradient as it is when nothing else holds it).
4. _core.sum_to_product: the gradient of a 0-d factor of a product is one dot product.
5. elementwise.mask_grad: relu's backward selects g by the mask's bits when unrecorded (where()
   when recorded): +0.0 where the mask is 0, whatever g holds there.
6. _core.sum_to: a bias gradient (summed over leading dims) is an array of its own.

Each test pins torchless's values first (against the general path, or by hand), then compares with
torch through same_as_torch.
"""

from __future__ import annotations

import contextlib
import operator
import warnings

import numpy as np
import pytest
from torch_compare import same_as_torch

import torchless as tl

FLOATS = ("float16", "float32", "float64")
DATA = [-2.0, -0.5, 0.0, 0.5, 3.0]


@contextlib.contextmanager
def recorded():
    """Record every warning, under the filter torchless installs (NumPy floating-point
    RuntimeWarnings raised from torchless's own modules are ignored), as test_review_fixes does."""
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"torchless(\.|$)")
        yield log


def ev(expr: str, **names):
    return eval(expr, {"np": np}, names)


def dt(lib, name: str):
    return getattr(lib, name)


def name_of(t):
    return None if t.grad_fn is None else t.grad_fn.name()


# ================================================================================================
# 1. Python operators on tensors
# ================================================================================================
SCALAR_EXPRS = [
    "t + 2", "t + 2.5", "2 + t", "0.5 + t", "t - 2", "t - 0.25", "2 - t", "2.5 - t",
    "t * 2", "t * -1.5", "2 * t", "0.5 * t", "t / 2", "t / 0.5", "2 / t", "-1.5 / t",
    "t / 0", "t / 0.0", "-t / 0", "t ** 2", "t ** 3", "t ** 0.5", "t ** -1", "t ** 0", "t ** 1",
    "t ** 2.0", "t ** 2.5", "t ** -2", "2 ** t", "0.5 ** t",
]


@pytest.mark.parametrize("expr", SCALAR_EXPRS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_number_operand_gives_the_general_paths_result(dtype, expr):
    """A float tensor and a Python number: bit for bit what the recorded path gives, no warnings."""
    t = tl.tensor(DATA, dtype=dt(tl, dtype))
    with recorded() as log:
        fast = ev(expr, t=t)
        general = ev(expr, t=tl.tensor(DATA, dtype=dt(tl, dtype), requires_grad=True))
    assert not log, [str(w.message) for w in log]
    assert general.grad_fn is not None  # (the general path did run)
    assert type(fast) is tl.Tensor and fast.grad_fn is None and not fast.requires_grad
    assert fast.dtype == t.dtype and fast.shape == t.shape
    assert type(fast.numpy()) is np.ndarray
    np.testing.assert_array_equal(fast.numpy(), general.detach().numpy())

    same_as_torch(lambda lib: ev(expr, t=lib.tensor(DATA, dtype=dt(lib, dtype))))


PINNED = {  # expr -> values for t = [1, 2, 4]
    "t * 2": [2.0, 4.0, 8.0],
    "2 * t": [2.0, 4.0, 8.0],
    "t + 0.5": [1.5, 2.5, 4.5],
    "2 - t": [1.0, 0.0, -2.0],
    "t - 2": [-1.0, 0.0, 2.0],
    "2 / t": [2.0, 1.0, 0.5],
    "t / 4": [0.25, 0.5, 1.0],
    "t ** 2": [1.0, 4.0, 16.0],
    "t ** 3": [1.0, 8.0, 64.0],
    "t ** 0.5": [1.0, 2**0.5, 2.0],
    "t ** -1": [1.0, 0.5, 0.25],
    "2 ** t": [2.0, 4.0, 16.0],
    "(t - 2) / 0": [-np.inf, np.nan, np.inf],
    "-t / 0.0": [-np.inf, -np.inf, -np.inf],
}


@pytest.mark.parametrize("expr", list(PINNED))
@pytest.mark.parametrize("dtype", FLOATS)
def test_number_operand_values(dtype, expr):
    """Hand-checked values of the scalar operators, in the tensor's dtype."""
    with recorded() as log:
        r = ev(expr, t=tl.tensor([1.0, 2.0, 4.0], dtype=dt(tl, dtype)))
    assert not log
    assert r.dtype == dt(tl, dtype)
    np.testing.assert_allclose(r.numpy(), np.asarray(PINNED[expr], dtype=dtype), rtol=1e-3 if dtype == "float16"
                               else 1e-7)

    same_as_torch(lambda lib: ev(expr, t=lib.tensor([1.0, 2.0, 4.0], dtype=dt(lib, dtype))))


TENSOR_EXPRS = ["t + u", "t - u", "u - t", "t * u", "t / u", "u / t", "t ** u", "t + t", "t * t"]


@pytest.mark.parametrize("expr", TENSOR_EXPRS)
@pytest.mark.parametrize("shapes", [((5,), (5,)), ((5,), ()), ((), (5,)), ((3, 1), (4,)), ((), ())])
@pytest.mark.parametrize("dtype", FLOATS)
def test_same_dtype_tensors_give_the_general_paths_result(dtype, shapes, expr):
    """Two tensors of one dtype (broadcasting, 0-d): what the recorded path and torch give."""
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, shapes[0]).astype(dtype)
    b = rng.uniform(0.5, 2, shapes[1]).astype(dtype)

    def make(lib, rg=False):
        return (lib.tensor(a, dtype=dt(lib, dtype), requires_grad=rg),
                lib.tensor(b, dtype=dt(lib, dtype), requires_grad=rg))

    t, u = make(tl)
    with recorded() as log:
        fast = ev(expr, t=t, u=u)
        gt, gu = make(tl, rg=True)
        general = ev(expr, t=gt, u=gu)
        with tl.no_grad():  # the fast path again: inputs that require grad, grad mode off
            quiet = ev(expr, t=gt, u=gu)
    assert not log
    assert general.grad_fn is not None
    for r in (fast, quiet):
        assert type(r) is tl.Tensor and r.grad_fn is None and not r.requires_grad
        assert r.dtype == t.dtype and r.shape == general.shape
        assert type(r.numpy()) is np.ndarray
        np.testing.assert_array_equal(r.numpy(), general.detach().numpy())

    same_as_torch(lambda lib: ev(expr, t=make(lib)[0], u=make(lib)[1]))

    def under_no_grad(lib):
        t, u = make(lib, rg=True)
        with lib.no_grad():
            return ev(expr, t=t, u=u)

    same_as_torch(under_no_grad)


PROMOTIONS = {  # expr -> (dtype, values); t = [1, 2, 4] float32, t16/t64 the same in float16/float64, i int64
    "True * t": ("float32", [1.0, 2.0, 4.0]),
    "t * True": ("float32", [1.0, 2.0, 4.0]),
    "t + False": ("float32", [1.0, 2.0, 4.0]),
    "t / True": ("float32", [1.0, 2.0, 4.0]),
    "t ** True": ("float32", [1.0, 2.0, 4.0]),
    "t16 * True": ("float16", [1.0, 2.0, 4.0]),
    "True + t64": ("float64", [2.0, 3.0, 5.0]),
    "np.float64(2.0) * t": ("float32", [2.0, 4.0, 8.0]),
    "t * np.float64(2.0)": ("float32", [2.0, 4.0, 8.0]),
    "t + np.float64(0.5)": ("float32", [1.5, 2.5, 4.5]),
    "np.float32(2.0) * t16": ("float16", [2.0, 4.0, 8.0]),
    "t16 * np.float64(2.0)": ("float16", [2.0, 4.0, 8.0]),
    "np.int64(3) * t": ("float32", [3.0, 6.0, 12.0]),
    "t - np.int32(1)": ("float32", [0.0, 1.0, 3.0]),
    "t ** np.float64(2.0)": ("float32", [1.0, 4.0, 16.0]),
    "i * 1.5": ("float32", [1.5, 3.0, 6.0]),
    "1.5 * i": ("float32", [1.5, 3.0, 6.0]),
    "i32 * 1.5": ("float32", [1.5, 3.0, 6.0]),
    "i / 2": ("float32", [0.5, 1.0, 2.0]),
    "2 / i": ("float32", [2.0, 1.0, 0.5]),
    "i ** 0.5": ("float32", [1.0, 2**0.5, 2.0]),
    "i + 0.5": ("float32", [1.5, 2.5, 4.5]),
    "t + t64": ("float64", [2.0, 4.0, 8.0]),
    "t64 + t": ("float64", [2.0, 4.0, 8.0]),
    "t16 + t": ("float32", [2.0, 4.0, 8.0]),
    "t16 * t64": ("float64", [1.0, 4.0, 16.0]),
    "t * i": ("float32", [1.0, 4.0, 16.0]),
    "t16 * i": ("float16", [1.0, 4.0, 16.0]),
    "t ** t64": ("float64", [1.0, 4.0, 256.0]),
    "t16 * s32": ("float16", [2.0, 4.0, 8.0]),  # (a 0-d tensor does not promote a dimensioned one)
    "s64 * t": ("float32", [2.0, 4.0, 8.0]),
    "s64 - t16": ("float16", [1.0, 0.0, -2.0]),
    "t / s64": ("float32", [0.5, 1.0, 2.0]),
    "s32 + s64": ("float64", 4.0),
    "s32 * 2": ("float32", 4.0),
}


def promotion_names(lib):
    return {"t": lib.tensor([1.0, 2.0, 4.0]), "t16": lib.tensor([1.0, 2.0, 4.0], dtype=lib.float16),
            "t64": lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64), "i": lib.tensor([1, 2, 4]),
            "i32": lib.tensor([1, 2, 4], dtype=lib.int32), "s32": lib.tensor(2.0),
            "s64": lib.tensor(2.0, dtype=lib.float64)}


@pytest.mark.parametrize("expr", list(PROMOTIONS))
def test_operands_that_need_promoting_take_torchs_dtype(expr):
    """bool, NumPy scalar, int-tensor and mixed-dtype operands promote as torch promotes them."""
    dtype, values = PROMOTIONS[expr]
    r = ev(expr, **promotion_names(tl))
    assert type(r) is tl.Tensor
    assert r.dtype == dt(tl, dtype), r.dtype
    np.testing.assert_allclose(r.numpy(), np.asarray(values, dtype=dtype), rtol=1e-6)

    same_as_torch(lambda lib: ev(expr, **promotion_names(lib)), exact=True)


@pytest.mark.parametrize("expr", ["True - t", "t - True", "t - False", "True - t64"])
def test_subtracting_a_bool_raises_as_torch(expr):
    """torch refuses `-` with a bool operand, even a Python bool and a float tensor."""
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        ev(expr, **promotion_names(tl))
    same_as_torch(lambda lib: ev(expr, **promotion_names(lib)), match="with a bool tensor is not supported")


def test_broadcasting_tensors():
    """(3, 1) + (4,) -> (3, 4), as the general path and torch, with and without grad."""
    def f(lib):
        a = lib.tensor([[0.0], [10.0], [20.0]])
        b = lib.tensor([1.0, 2.0, 3.0, 4.0])
        ra = lib.tensor([[0.0], [10.0], [20.0]], requires_grad=True)
        return a + b, b + a, a * b, a - b, b / (a + 1), ra + b

    r = f(tl)
    np.testing.assert_array_equal(r[0].numpy(), [[1, 2, 3, 4], [11, 12, 13, 14], [21, 22, 23, 24]])
    np.testing.assert_array_equal(r[1].numpy(), r[0].numpy())
    np.testing.assert_array_equal(r[5].detach().numpy(), r[0].numpy())
    assert all(x.shape == (3, 4) for x in r)
    same_as_torch(f, exact=True)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("grad", ["no_grad", "grad"])
def test_shapes_that_do_not_broadcast_raise_torchs_error(op, grad):
    """ones(2) op ones(3) raises RuntimeError 'must match the size of tensor b', fast path or not."""
    def f(lib):
        with lib.set_grad_enabled(grad == "grad"):
            return ev(f"a {op} b", a=lib.ones(2), b=lib.ones(3))

    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        f(tl)
    same_as_torch(f, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)")


ZERO_D_EXPRS = ["t * 2", "2 * t", "t + 0.5", "2 - t", "t - 2", "t / 0", "2 / t", "t ** 2", "t ** 3", "t ** 0.5",
                "t ** -1", "t ** 1", "t + u", "t * u", "u / t", "t ** u", "2 ** t"]


@pytest.mark.parametrize("expr", ZERO_D_EXPRS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_zero_d_operands_give_zero_d_tensors(dtype, expr):
    """0-d in, 0-d tensor out (over a writable array, not a NumPy scalar), as torch."""
    def f(lib):
        return ev(expr, t=lib.tensor(1.5, dtype=dt(lib, dtype)), u=lib.tensor(-2.0, dtype=dt(lib, dtype)))

    with recorded() as log:
        r = f(tl)
    assert not log
    assert type(r) is tl.Tensor and r.shape == () and r.dim() == 0 and r.dtype == dt(tl, dtype)
    assert type(r.numpy()) is np.ndarray and r.numpy().shape == ()
    general = ev(expr, t=tl.tensor(1.5, dtype=dt(tl, dtype), requires_grad=True),
                 u=tl.tensor(-2.0, dtype=dt(tl, dtype)))
    np.testing.assert_array_equal(r.numpy(), general.detach().numpy())
    before = r.item()
    r += 1.0  # an in-place change of the result works
    assert r.item() == pytest.approx(before + 1.0, rel=1e-3, nan_ok=True)

    same_as_torch(f)
    same_as_torch(lambda lib: f(lib).add_(1.0))


VIEW_EXPRS = ["v * 2", "2 * v", "v + 1.5", "2 - v", "v / 2", "2 / v", "v ** 2", "v ** 0.5", "v * w", "w - v",
              "v ** w"]
VIEW_GRAD_NAMES = {"v * 2": "MulBackward0", "2 * v": "MulBackward0", "v + 1.5": "AddBackward0",
                   "2 - v": "RsubBackward1", "v / 2": "DivBackward0", "2 / v": "MulBackward0",
                   "v ** 2": "PowBackward0", "v ** 0.5": "PowBackward0", "v * w": "MulBackward0",
                   "w - v": "SubBackward0", "v ** w": "PowBackward1"}


@pytest.mark.parametrize("expr", VIEW_EXPRS)
def test_view_of_a_tensor_that_requires_grad(expr):
    """x[0] op ... with x requiring grad records (outside no_grad) and does not (inside), as torch."""
    def f(lib):
        x = lib.tensor([[1.0, 4.0], [2.0, 3.0]], requires_grad=True)
        w = lib.tensor([2.0, 0.5])  # a plain tensor of the same dtype: the fast path's other operand
        r = ev(expr, v=x[0], w=w)
        r.sum().backward()
        with lib.no_grad():
            quiet = ev(expr, v=x[0], w=w)
        return r, name_of(r), x.grad, quiet, name_of(quiet)

    r, name, grad, quiet, quiet_name = f(tl)
    assert name == VIEW_GRAD_NAMES[expr]
    assert quiet_name is None and not quiet.requires_grad
    assert grad[1].tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(quiet.numpy(), r.detach().numpy())
    same_as_torch(f)


def test_view_of_a_base_that_came_to_require_grad_in_place():
    """v = base[0], then base gets a grad history in place: v * 2 records, as torch."""
    def f(lib):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        base = lib.zeros(2, 2)
        v = base[0]
        plain = lib.tensor([5.0, 6.0])
        base.add_(w)
        rs = [v * 2, 2.0 * v, plain * v, plain - v, v ** 2]
        sum(r.sum() for r in rs).backward()
        return [name_of(r) for r in rs], rs, w.grad

    names, _, grad = f(tl)
    assert names == ["MulBackward0", "MulBackward0", "MulBackward0", "SubBackward0", "PowBackward0"]
    np.testing.assert_array_equal(grad.numpy(), [[2 + 2 + 5 - 1 + 2, 2 + 2 + 6 - 1 + 4], [0, 0]])
    same_as_torch(f)


NO_GRAD_EXPRS = ["t * 2", "2 * t", "t + 2", "2 + t", "t - 2", "2 - t", "t / 2", "2 / t", "t ** 2", "t ** 0.5",
                 "t ** u", "2 ** t", "t * u", "t + u", "t - u", "t / u", "c * u", "u - c"]


@pytest.mark.parametrize("expr", NO_GRAD_EXPRS)
def test_inputs_that_require_grad_under_no_grad_record_nothing(expr):
    """Inside no_grad the result requires no grad and has no grad_fn, as torch."""
    def f(lib):
        t = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
        u = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 1.0, 2.0])
        with lib.no_grad():
            r = ev(expr, t=t, u=u, c=c)
        return r, name_of(r)

    r, name = f(tl)
    assert name is None and not r.requires_grad and r.grad_fn is None
    same_as_torch(f)


GRAD_NAMES = {  # torch's grad_fn names
    "t * 2": "MulBackward0", "2 * t": "MulBackward0", "t * 0.5": "MulBackward0",
    "t + 2": "AddBackward0", "2 + t": "AddBackward0", "t + 0.5": "AddBackward0",
    "t - 2": "SubBackward0", "t - 0.5": "SubBackward0", "2 - t": "RsubBackward1", "0.5 - t": "RsubBackward1",
    "t / 2": "DivBackward0", "t / 0.5": "DivBackward0",
    "2 / t": "MulBackward0",  # (torch: 2 / t is reciprocal(t) * 2)
    "t ** 2": "PowBackward0", "t ** 3": "PowBackward0", "t ** 0.5": "PowBackward0", "t ** -1": "PowBackward0",
    "t ** 1": "PowBackward0", "t ** u": "PowBackward1", "c ** u": "PowBackward1", "2 ** t": "PowBackward2",
    "t * u": "MulBackward0", "c * u": "MulBackward0", "u * c": "MulBackward0", "t + c": "AddBackward0",
    "c - t": "SubBackward0", "t / c": "DivBackward0", "c / t": "DivBackward0",
}


@pytest.mark.parametrize("expr", list(GRAD_NAMES))
def test_inputs_that_require_grad_record_torchs_node(expr):
    """Outside no_grad: torch's grad_fn, and torch's gradients (a plain operand never blocks it)."""
    def f(lib):
        t = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
        u = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 1.0, 2.0])  # requires no grad, same dtype: the fast path's kind of operand
        r = ev(expr, t=t, u=u, c=c)
        r.backward(lib.tensor([1.0, -2.0, 0.5]))
        return r, name_of(r), t.grad, u.grad

    r, name, *_ = f(tl)
    assert r.requires_grad
    assert name == GRAD_NAMES[expr]
    same_as_torch(f)


ALIAS_EXPRS = ["t * 1", "1 * t", "t + 0", "0 + t", "t - 0", "t / 1", "t ** 1", "t ** 1.0", "t * one", "one * t",
               "t + zero", "t - zero", "t / one", "t ** one", "+t", "t * True"]


@pytest.mark.parametrize("expr", ALIAS_EXPRS)
@pytest.mark.parametrize("shape", [(), (3,)])
def test_result_never_aliases_an_input(shape, expr):
    """An identity op returns new memory: changing the result in place leaves the inputs alone."""
    def f(lib):
        t = lib.full(shape, 2.0)
        one, zero = lib.ones(shape), lib.zeros(shape)
        r = ev(expr, t=t, one=one, zero=zero)
        if expr != "+t":  # (torch: unary plus returns the tensor itself)
            r.add_(100.0)
            r.mul_(2.0)
        return t, one, zero, r

    t, one, zero, r = f(tl)
    if expr != "+t":
        assert not np.shares_memory(r.numpy(), t.numpy())
        assert np.all(t.numpy() == 2.0) and np.all(one.numpy() == 1.0) and np.all(zero.numpy() == 0.0)
        assert np.all(r.numpy() == 204.0)
    same_as_torch(f, exact=True)


def test_no_numpy_warnings_from_division_by_zero():
    """t / 0, 0 / t, t ** -1 at 0, sqrt of negatives: inf and nan, and no warning reaches the user."""
    def f(lib):
        t = lib.tensor([1.0, -1.0, 0.0, -4.0])
        return t / 0, t / 0.0, 0 / t, 1.0 / t, t ** -1, t ** 0.5, t / lib.zeros(4), t ** -2.0, (t * 1e38) * 1e38

    with recorded() as log:
        r = f(tl)
    assert not log, [str(w.message) for w in log]
    np.testing.assert_array_equal(r[0].numpy(), [np.inf, -np.inf, np.nan, -np.inf])
    np.testing.assert_array_equal(r[5].numpy(), [1.0, np.nan, 0.0, np.nan])
    same_as_torch(f, exact=True)


@pytest.mark.parametrize("n", [2**62, 2**63 - 1, 2**63, -(2**63), 2**64, 2**70, -(2**63) - 1],
                         ids=["2**62", "2**63-1", "2**63", "-2**63", "2**64", "2**70", "-2**63-1"])
def test_huge_int_operand_as_torch(n):
    """A Python int beyond int64/uint64: torch's value, or torch's exception type."""
    exprs = ["t * n", "n * t", "t + n", "n - t", "t / n", "n / t"]
    for dtype in ("float32", "float64"):
        for expr in exprs:
            for rg in (False, True):
                same_as_torch(lambda lib, expr=expr, dtype=dtype, rg=rg: ev(
                    expr, t=lib.tensor([1.0, 2.0], dtype=dt(lib, dtype), requires_grad=rg), n=n))
    same_as_torch(lambda lib: lib.tensor([1, 2]) * n)  # (an int tensor)


# ================================================================================================
# 2. x op= y under no_grad
# ================================================================================================
INPLACE = {"+=": (operator.iadd, np.add), "-=": (operator.isub, np.subtract),
           "*=": (operator.imul, np.multiply), "/=": (operator.itruediv, np.true_divide)}


def values(shape, dtype, offset=0.0):
    n = int(np.prod(shape))
    return (np.arange(1, n + 1, dtype=np.float64).reshape(shape) * 0.75 + offset).astype(dtype)


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("operand", ["float", "tensor"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=["0-d", "3", "2x3"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_operator_under_no_grad(dtype, shape, operand, op):
    """Values as torch, the same object back, the version bumped once, and views see the change."""
    fn, ufunc = INPLACE[op]
    x0 = values(shape, dtype)
    y0 = 1.5 if operand == "float" else values(shape, dtype, offset=0.25)

    def f(lib):
        x = lib.tensor(x0, dtype=dt(lib, dtype))
        y = y0 if operand == "float" else lib.tensor(y0, dtype=dt(lib, dtype))
        flat, whole = x.view(-1), x[...]
        before = x._version
        with lib.no_grad():
            r = fn(x, y)
        assert r is x
        return x, x._version - before, flat, whole, flat._version - before

    x, bump, flat, whole, view_bump = f(tl)
    expected = ufunc(x0, np.asarray(y0, dtype=dtype)).astype(dtype)
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x.shape == shape and x.dtype == dt(tl, dtype)
    assert bump == 1 and view_bump == 1
    np.testing.assert_array_equal(flat.numpy(), expected.reshape(-1))
    np.testing.assert_array_equal(whole.numpy(), expected)

    same_as_torch(f, exact=True)


GENERAL_INPLACE = {  # operands the fast path leaves to apply_inplace: x is [[0.75, 1.5, 2.25], [3, 3.75, 4.5]]
    "int": lambda lib: 2,
    "bool": lambda lib: True,  # (x -= True raises, as in torch)
    "numpy float": lambda lib: np.float64(1.5),
    "broadcast row": lambda lib: lib.tensor([1.0, 2.0, 4.0]),
    "0-d tensor": lambda lib: lib.tensor(2.0),
    "float64 tensor": lambda lib: lib.full((2, 3), 2.0, dtype=lib.float64),
    "int tensor": lambda lib: lib.full((2, 3), 2, dtype=lib.int64),
    "requires grad": lambda lib: lib.full((2, 3), 2.0, requires_grad=True),
}


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("operand", list(GENERAL_INPLACE))
def test_inplace_operator_other_operands(operand, op):
    """The operands the fast path does not take: same object, one version bump, torch's values."""
    fn, _ = INPLACE[op]
    if operand == "bool" and op == "-=":
        with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
            fn(tl.ones(2), True)
        same_as_torch(lambda lib: fn(lib.ones(2), True), match="with a bool tensor is not supported")
        return

    def f(lib):
        x = lib.tensor(values((2, 3), "float32"))
        y = GENERAL_INPLACE[operand](lib)
        v = x[1]
        before = x._version
        with lib.no_grad():
            r = fn(x, y)
        assert r is x
        return x, x._version - before, v

    x, bump, v = f(tl)
    assert bump == 1 and x.dtype == tl.float32
    np.testing.assert_array_equal(v.numpy(), x.numpy()[1])
    same_as_torch(f)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_on_a_view_changes_its_base(dtype):
    """v op= y under no_grad on views (0-d, slice, transposed, strided): the base sees it, versions shared."""
    def f(lib):
        x = lib.tensor(values((3, 4), dtype), dtype=dt(lib, dtype))
        before = x._version
        corner, row, col, t, strided = x[0, 0], x[1], x[:, 2], x.t(), x[:, ::2]
        with lib.no_grad():
            corner -= 1.0
            row *= 2.0
            col /= lib.full((3,), 4.0, dtype=dt(lib, dtype))
            t += 0.5
            strided -= lib.ones(3, 2, dtype=dt(lib, dtype))
            corner *= lib.tensor(3.0, dtype=dt(lib, dtype))  # (0-d by a 0-d tensor)
        return x, x._version - before, corner._version - before, t

    x, bump, corner_bump, t = f(tl)
    expected = values((3, 4), dtype)
    expected[0, 0] -= 1.0
    expected[1] *= 2.0
    expected[:, 2] /= 4.0
    expected += 0.5
    expected[:, ::2] -= 1.0
    expected[0, 0] *= 3.0
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(t.numpy(), expected.T)
    assert bump == corner_bump == 6
    same_as_torch(f, exact=True)


def test_inplace_operator_on_a_parameter_in_an_optimizer_step():
    """p -= lr * p.grad under no_grad: p stays a leaf that requires grad, one version bump per step."""
    def f(lib):
        p = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        s = lib.tensor(0.5, requires_grad=True)
        bumps = []
        for _ in range(3):
            ((p * p).sum() * s).backward()
            before = (p._version, s._version)
            with lib.no_grad():
                p -= 0.1 * p.grad
                s -= 0.25 * s.grad
                p.grad.zero_()
                s.grad.zero_()
            bumps.append((p._version - before[0], s._version - before[1]))
        return p, s, bumps, p.is_leaf, name_of(p)

    p, _, bumps, leaf, name = f(tl)
    assert bumps == [(1, 1)] * 3 and leaf and name is None and p.requires_grad
    same_as_torch(f)


def test_inplace_operator_with_itself_and_by_zero():
    """x -= x, x *= x, x /= 0.0 and x /= zeros under no_grad: as torch, no warnings."""
    def f(lib):
        out = []
        for shape in ((), (3,)):
            a, b, c, d = (lib.full(shape, v) for v in (3.0, -3.0, 2.0, 0.0))
            with lib.no_grad():
                a -= a
                b *= b
                c /= 0.0
                d /= lib.zeros(shape)
            out += [a, b, c, d]
        return out

    with recorded() as log:
        r = f(tl)
    assert not log
    assert [x.item() for x in r[:3]] == [0.0, 9.0, np.inf] and np.isnan(r[3].item())
    same_as_torch(f, exact=True)


SAVED_THEN_CHANGED = {  # how y (saved by y * y) is changed under no_grad
    "y -= 1.0": lambda lib, y: y.__isub__(1.0),
    "y -= ones": lambda lib, y: y.__isub__(lib.ones(3)),
    "y[0:2] -= 1.0": lambda lib, y: y[0:2].__isub__(1.0),
    "y[0] -= 1.0 (0-d view)": lambda lib, y: y[0].__isub__(1.0),
    "y.detach() *= 2.0": lambda lib, y: y.detach().__imul__(2.0),
    "y.detach()[1] /= 2.0": lambda lib, y: y.detach()[1].__itruediv__(2.0),
}


@pytest.mark.parametrize("change", list(SAVED_THEN_CHANGED))
def test_inplace_under_no_grad_is_seen_by_backward(change):
    """A saved tensor changed by x op= y under no_grad (itself, a view, a detached alias): backward
    raises torch's error about the in-place change."""
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        out = (y * y).sum()
        with lib.no_grad():
            SAVED_THEN_CHANGED[change](lib, y)
        out.backward()
        return x.grad

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        f(tl)
    same_as_torch(f, match="modified by an inplace operation")


def test_inplace_through_data_is_not_tracked():
    """y.data op= ... under no_grad: .data has a counter of its own, so backward does not object."""
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        out = (y * y).sum()
        d = y.data
        with lib.no_grad():
            d -= 1.0
        out.backward()
        return x.grad, y._version, d._version

    grad, yv, dv = f(tl)
    assert grad.tolist() == [0.0, 2.0, 4.0] and (yv, dv) == (0, 1)
    same_as_torch(f, exact=True)


def test_inplace_on_an_expanded_tensor_raises():
    """x = ones(3).expand(2, 3); x -= 1.0 under no_grad: a RuntimeError, as torch."""
    def f(lib):
        x = lib.ones(3).expand(2, 3)
        with lib.no_grad():
            x -= 1.0
        return x

    with pytest.raises(RuntimeError):
        f(tl)
    same_as_torch(f)


OVERLAPPING = {"x -= x.t()": lambda x: operator.isub(x, x.t()),
               "x[1:] -= x[:-1]": lambda x: operator.isub(x[1:], x[:-1]),
               "x -= x[0]": lambda x: operator.isub(x, x[0]),
               "x.add_(x[0, 0])": lambda x: x.add_(x[0, 0]),
               "x.copy_(x.t())": lambda x: x.copy_(x.t()),
               "x[0].copy_(x[0, 0])": lambda x: x[0].copy_(x[0, 0]),
               "x.clamp_(min=x.t())": lambda x: x.clamp_(min=x.t())}


@pytest.mark.parametrize("case", list(OVERLAPPING))
def test_inplace_with_a_partially_overlapping_operand_raises_as_torch(case):
    """An operand that partially overlaps the written tensor: torch refuses (RuntimeError 'some
    elements of the input tensor and the written-to tensor refer to a single memory location').
    (Not x[:, 1:] *= x[:, :-1]: torch does not detect that overlap and its result depends on its loop order.)"""
    def f(lib):
        x = lib.arange(9.0).reshape(3, 3)
        with lib.no_grad():
            OVERLAPPING[case](x)
        return x

    same_as_torch(f, match="refer to a single memory location")


ALLOWED_OVERLAPS = {"x -= x": lambda x: operator.isub(x, x),
                    "x[0] -= x[1]": lambda x: operator.isub(x[0], x[1]),
                    "x[:, 0] -= x[:, 1] (not dense: torch does not judge)": lambda x: operator.isub(x[:, 0], x[:, 1]),
                    "x -= x.view(9).view(3, 3)": lambda x: operator.isub(x, x.view(9).view(3, 3)),
                    "x.view(9, 1) += x.view(9)[:, None] (size-1 strides)": lambda x: operator.iadd(x.view(9, 1),
                                                                                                  x.view(9)[:, None]),
                    "x[:] = x[0, 0]": lambda x: x.__setitem__(slice(None), x[0, 0]),
                    "x[0] = x[0, 0]": lambda x: x.__setitem__(0, x[0, 0]),
                    "x[x > 3] = x[0, 1]": lambda x: x.__setitem__(x > 3, x[0, 1]),
                    "x.fill_(x[1, 1])": lambda x: x.fill_(x[1, 1]),
                    "x.masked_fill_(x > 3, x[0, 1])": lambda x: x.masked_fill_(x > 3, x[0, 1])}


@pytest.mark.parametrize("case", list(ALLOWED_OVERLAPS))
def test_inplace_overlaps_torch_allows(case):
    """The same memory element for element, disjoint parts, layouts torch does not judge, and a 0-d
    value torch reads as a number: no error, torch's values."""
    def f(lib):
        x = lib.arange(9.0).reshape(3, 3)
        with lib.no_grad():
            ALLOWED_OVERLAPS[case](x)
        return x

    same_as_torch(f, exact=True)


def test_inplace_on_a_leaf_says_leaf_before_overlap():
    """A leaf that requires grad, changed in place with an overlapping operand: torch's leaf error."""
    def f(lib):
        w = lib.ones(3, 3, requires_grad=True)
        w.add_(w.t())

    same_as_torch(f, match="leaf Variable that requires grad")


# ================================================================================================
# 3. The engine: leaves accumulated without a visit of their own
# ================================================================================================
def test_accumulation_over_two_backward_calls():
    """Two backward calls (retain_graph) add up in .grad, and a held .grad is updated in place."""
    def f(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor(0.5, requires_grad=True)
        y = (a * b).sum() + (a ** 2).sum()
        y.backward(retain_graph=True)
        first = a.grad
        first_values = a.grad.clone()
        y.backward()
        return first_values, a.grad, b.grad, a.grad is first

    first, ga, gb, same = f(tl)
    assert first.tolist() == [2.5, 4.5, 6.5] and ga.tolist() == [5.0, 9.0, 13.0] and gb.item() == 12.0
    assert same
    same_as_torch(f)


@pytest.mark.parametrize("expr", ["x + x", "x * x", "x * 2 + x * 3", "x - x", "(x * x) * x", "x / x"])
def test_leaf_used_twice_in_one_expression(expr):
    """A leaf reached along two edges of one node (or two nodes) gets the sum."""
    def f(lib):
        x = lib.tensor([1.0, -2.0, 4.0], requires_grad=True)
        ev(expr, x=x).sum().backward()
        return x.grad

    grads = {"x + x": [2, 2, 2], "x * x": [2, -4, 8], "x * 2 + x * 3": [5, 5, 5], "x - x": [0, 0, 0],
             "(x * x) * x": [3, 12, 48], "x / x": [0, 0, 0]}
    np.testing.assert_allclose(f(tl).numpy(), grads[expr], atol=1e-7)
    same_as_torch(f)


def test_leaf_used_by_two_branches():
    """x feeds sin and exp branches joined later; a second leaf feeds one branch only."""
    def f(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = lib.tensor([2.0, 3.0, 4.0], requires_grad=True)
        h1 = (x * w).sin()
        h2 = x.exp() * 2
        (h1 * h2).sum().backward()
        return x.grad, w.grad

    gx, gw = f(tl)
    x, w = np.array([0.5, -1.0, 2.0]), np.array([2.0, 3.0, 4.0])
    np.testing.assert_allclose(gx.numpy(), w * np.cos(x * w) * 2 * np.exp(x) + np.sin(x * w) * 2 * np.exp(x),
                               rtol=1e-5)
    np.testing.assert_allclose(gw.numpy(), x * np.cos(x * w) * 2 * np.exp(x), rtol=1e-5)
    same_as_torch(f)


@pytest.mark.parametrize("expr", ["a + b", "b + a", "a - b", "a + b * 1", "(a + b).clone()"])
def test_two_leaves_getting_one_gradient_get_distinct_tensors(expr):
    """y = a + b: the gradient flowing to a and b is one tensor; their .grads must not share it."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        ev(expr, a=a, b=b).sum().backward()
        distinct = a.grad is not b.grad
        a.grad.add_(100.0)
        after_a = b.grad.clone()
        b.grad.mul_(-1.0)
        return distinct, a.grad, after_a, b.grad

    distinct, ga, gb_after_a, _ = f(tl)
    assert distinct
    assert ga.tolist() == [101.0, 101.0]
    assert abs(gb_after_a).tolist() == [1.0, 1.0]
    same_as_torch(f, exact=True)


def test_leaf_and_retained_non_leaf_getting_one_gradient_get_distinct_tensors():
    """y = a + h, h a non-leaf with retain_grad: a.grad and h.grad are independent tensors."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        h = c * 2
        h.retain_grad()
        (a + h).backward(lib.tensor([1.0, -1.0]))
        a.grad.add_(100.0)
        h_after = h.grad.clone()
        h.grad.mul_(7.0)
        return a.grad, h_after, h.grad, c.grad

    ga, h_after, gh, gc = f(tl)
    assert ga.tolist() == [101.0, 99.0] and h_after.tolist() == [1.0, -1.0]
    assert gh.tolist() == [7.0, -7.0] and gc.tolist() == [2.0, -2.0]
    same_as_torch(f, exact=True)


@pytest.mark.parametrize("expr", ["a + b", "a.clone()", "a * 1", "a", "a - b * 2"])
def test_gradient_given_to_backward_is_not_taken_as_grad(expr):
    """y.backward(G): changing G afterwards does not change any .grad."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        G = lib.tensor([0.5, -0.5])
        ev(expr, a=a, b=b).backward(G)
        G.mul_(10.0)
        return a.grad, b.grad, G

    ga, _, _ = f(tl)
    assert ga.tolist() == [0.5, -0.5]
    same_as_torch(f, exact=True)


def test_gradient_given_to_backward_through_views_is_not_taken_as_grad():
    """y a view of a, y.backward(G): a.grad is not a view of G. (torch 2.13 keeps a view of G
    here, so that G.mul_(10) changes a.grad: no comparison with torch.)"""
    for view in (lambda a: a.view(2, 1).view(2), lambda a: a.t(), lambda a: a[:]):
        a = tl.tensor([1.0, 2.0], requires_grad=True)
        G = tl.tensor([0.5, -0.5])
        view(a).backward(G)
        G.mul_(10.0)
        assert a.grad.tolist() == [0.5, -0.5]
        assert not np.shares_memory(a.grad.numpy(), G.numpy())


def test_gradient_held_by_a_hook_is_not_taken_as_grad():
    """A hook on h = a.clone() keeps the gradient that also reaches a: a.grad must be a copy."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        h = a.clone()
        h.register_hook(kept.append)
        (h * 1.0).sum().backward()
        kept[0].add_(50.0)
        return a.grad, kept[0]

    ga, kept = f(tl)
    assert ga.tolist() == [1.0, 1.0] and kept.tolist() == [51.0, 51.0]
    same_as_torch(f, exact=True)


def no_grad_for_second(lib):
    class Scale(lib.autograd.Function):
        """x * 2; a (unused) gets no gradient."""

        @staticmethod
        def forward(ctx, x, a):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    return Scale


def test_leaf_that_no_gradient_reaches():
    """A custom Function returns None for a: a.grad stays None (or unchanged); x gets its gradient."""
    def f(lib):
        Scale = no_grad_for_second(lib)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = lib.tensor([5.0, 6.0], requires_grad=True)
        b = lib.tensor([5.0, 6.0], requires_grad=True)
        Scale.apply(x, a).sum().backward()
        first = a.grad
        b.grad = lib.tensor([1.0, 1.0])
        Scale.apply(x, b).sum().backward()
        c = lib.tensor([1.0, 1.0], requires_grad=True)
        (Scale.apply(x, c) + c).sum().backward()  # None along one edge, a gradient along the other
        return first, a.grad, b.grad, c.grad, x.grad

    first, ga, gb, gc, gx = f(tl)
    assert first is None and ga is None
    assert gb.tolist() == [1.0, 1.0] and gc.tolist() == [1.0, 1.0] and gx.tolist() == [6.0, 6.0]
    same_as_torch(f, exact=True)


def test_hooks_of_a_leaf_that_no_gradient_reaches_run_as_in_torch():
    """torch still runs a leaf's tensor hook (with None) and its post-accumulate hook when its
    node gets no gradient from a custom Function."""
    def f(lib):
        Scale = no_grad_for_second(lib)
        events = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = lib.tensor([5.0, 6.0], requires_grad=True)
        a.register_hook(lambda g: events.append(("hook", g)))
        a.register_post_accumulate_grad_hook(lambda p: events.append(("post", p.grad)))
        Scale.apply(x, a).sum().backward()
        return events, a.grad

    same_as_torch(f)


def test_leaf_hooks_run_in_torchs_order():
    """Tensor hooks (in registration order, a returned value replacing the gradient), then the
    accumulation, then post-accumulate hooks; a leaf's retain_grad changes nothing; a hookless leaf
    beside it is accumulated as usual."""
    def f(lib):
        events = []
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)  # no hooks
        a.retain_grad()
        a.register_hook(lambda g: events.append(("a hook 1", g.tolist(), a.grad)))
        a.register_hook(lambda g: (events.append(("a hook 2", g.tolist())), g * 10)[1])
        a.register_hook(lambda g: events.append(("a hook 3", g.tolist())))
        a.register_post_accumulate_grad_hook(lambda p: events.append(("a post", p.grad.tolist())))
        h = a * b
        h.register_hook(lambda g: events.append(("h hook", g.tolist(), a.grad, b.grad)))
        h.retain_grad()
        (h * 2).sum().backward()
        events.append(("end", a.grad.tolist(), b.grad.tolist(), h.grad.tolist()))
        (a * b).sum().backward()  # a second round accumulates
        return events, a.grad, b.grad

    events, ga, gb = f(tl)
    assert [e[0] for e in events] == ["h hook", "a hook 1", "a hook 2", "a hook 3", "a post", "end",
                                      "a hook 1", "a hook 2", "a hook 3", "a post"]
    assert events[4] == ("a post", [60.0, 80.0])
    assert ga.tolist() == [90.0, 120.0] and gb.tolist() == [3.0, 6.0]
    same_as_torch(f)


def test_node_hooks_on_a_leafs_accumulator_still_run():
    """Pre- and post-hooks registered on a leaf's AccumulateGrad node run, as in torch."""
    def f(lib):
        events = []
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a * 3
        acc = y.grad_fn.next_functions[0][0]
        acc.register_prehook(lambda go: (events.append(("pre", go[0].tolist())), (go[0] + 1,))[1])
        acc.register_hook(lambda gi, go: events.append(("post", len(gi), go[0].tolist())))
        y.sum().backward()
        return events, a.grad, acc.name()

    events, ga, name = f(tl)
    assert events == [("pre", [3.0, 3.0]), ("post", 0, [4.0, 4.0])] and ga.tolist() == [4.0, 4.0]
    assert name == "torch::autograd::AccumulateGrad"
    same_as_torch(f)


def test_autograd_grad_does_not_touch_grad():
    """torch.autograd.grad(y, [a]) returns the gradient; .grad of a (and of other leaves) is left alone."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        y = (a * b).sum()
        (ga,) = lib.autograd.grad(y, [a], retain_graph=True)
        untouched = (a.grad, b.grad)
        y.backward(retain_graph=True)
        before = a.grad.clone()
        (ga2, gb2) = lib.autograd.grad(y * 2, [a, b])
        ga2.add_(100.0)
        return ga, untouched, before, a.grad, b.grad, ga2, gb2

    ga, untouched, before, after, gb, _, _ = f(tl)
    assert ga.tolist() == [3.0, 4.0] and untouched == (None, None)
    assert before.tolist() == after.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]
    same_as_torch(f, exact=True)


def test_create_graph_gives_a_grad_with_history():
    """backward(create_graph=True): .grad has a grad_fn, and double backward works."""
    def f(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        (a ** 3 * b).sum().backward(create_graph=True)
        first = (a.grad.detach().clone(), b.grad.detach().clone())
        recorded_ = (a.grad.grad_fn is not None, a.grad.requires_grad, b.grad.grad_fn is not None)
        (gga,) = lib.autograd.grad(a.grad.sum(), [a], retain_graph=True)
        a.grad.sum().backward()  # 3a^2 b accumulates its own gradient into a.grad and b.grad
        return first, recorded_, gga, a.grad.detach(), b.grad.detach()

    (ga, gb), rec, gga, ga2, gb2 = f(tl)
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    assert rec == (True, True, True)
    np.testing.assert_allclose(ga.numpy(), 3 * a**2 * b)
    np.testing.assert_allclose(gb.numpy(), a**3)
    np.testing.assert_allclose(gga.numpy(), 6 * a * b)
    np.testing.assert_allclose(ga2.numpy(), 3 * a**2 * b + 6 * a * b)
    np.testing.assert_allclose(gb2.numpy(), a**3 + 3 * a**2)
    same_as_torch(f)


def test_leaf_grads_from_broadcasting_nodes_are_writable():
    """Gradients from sum, mean and expand are broadcast arrays: .grad must still be writable and
    accumulate."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        a.sum().backward()
        a.grad.add_(1.0)
        a.mean().backward()
        b = lib.tensor(3.0, requires_grad=True)
        b.expand(4).sum().backward()
        b.grad.mul_(2.0)
        c = lib.tensor([1.0, 2.0], requires_grad=True)
        c.expand(3, 2).sum().backward()
        c.grad.mul_(2.0)
        c.expand(3, 2).sum().backward()
        return a.grad, b.grad, c.grad

    ga, gb, gc = f(tl)
    assert ga.tolist() == [2.5, 2.5] and gb.item() == 8.0 and gc.tolist() == [9.0, 9.0]
    same_as_torch(f, exact=True)


def test_backward_of_several_roots_including_a_leaf():
    """autograd.backward([y, a], ...) with a a leaf that y also reaches; a leaf given twice."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.backward([(a * 2).sum(), a], [lib.tensor(1.0), lib.tensor([0.5, 0.25])])
        b = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.backward([b, b], [lib.tensor([0.5, 0.25]), lib.tensor([1.0, 1.0])])
        return a.grad, b.grad

    ga, gb = f(tl)
    assert ga.tolist() == [2.5, 2.25] and gb.tolist() == [1.5, 1.25]
    same_as_torch(f, exact=True)


def test_backward_with_inputs_accumulates_only_those():
    """backward(inputs=[a]): only a.grad is set; b (a hookless leaf of the same graph) is left alone."""
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        first = b.grad
        (a + b).sum().backward(inputs=[b, a])
        return first, a.grad, b.grad

    first, ga, gb = f(tl)
    assert first is None and ga.tolist() == [4.0, 5.0] and gb.tolist() == [1.0, 1.0]
    same_as_torch(f, exact=True)


# ================================================================================================
# 4. The gradient of a 0-d factor: one dot product
# ================================================================================================
def scalar_factor_program(lib, x_np, dtype, order, upstream, w_dtype=None):
    w = lib.tensor(0.75, dtype=dt(lib, w_dtype or dtype), requires_grad=True)
    x = lib.tensor(x_np, dtype=dt(lib, dtype))
    p = w * x if order == "w * x" else x * w
    if upstream == "sum":
        p.sum().backward()
    else:
        c = lib.tensor(np.linspace(-1.0, 2.0, x_np.size).reshape(x_np.shape), dtype=dt(lib, dtype))
        (p * c).sum().backward()
    return w.grad


RTOL = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-12}


@pytest.mark.parametrize("upstream", ["sum", "weighted"])
@pytest.mark.parametrize("order", ["w * x", "x * w"])
@pytest.mark.parametrize("shape", [(2000,), (64, 32)], ids=["2000", "64x32"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_grad_of_a_zero_d_factor(dtype, shape, order, upstream):
    """w.grad = sum(g * x), w 0-d: torch's value (float16 at float16 tolerance)."""
    x_np = np.random.default_rng(1).uniform(0.5, 1.5, shape)
    g = np.ones(shape) if upstream == "sum" else np.linspace(-1.0, 2.0, x_np.size).reshape(shape)
    expected = np.sum(g.astype(dtype).astype(np.float64) * x_np.astype(dtype).astype(np.float64))
    gw = scalar_factor_program(tl, x_np, dtype, order, upstream)
    assert gw.shape == () and gw.dtype == dt(tl, dtype) and gw.grad_fn is None
    np.testing.assert_allclose(gw.item(), expected, rtol=RTOL[dtype])
    same_as_torch(lambda lib: scalar_factor_program(lib, x_np, dtype, order, upstream), rtol=RTOL[dtype])


def transposed(a):
    return a.T if isinstance(a, np.ndarray) else a.t()


NON_CONTIGUOUS = {  # (the same view of a tensor and of an array)
    "transposed": transposed,
    "strided": lambda base: base[:, ::2],
    "transposed strided": lambda base: transposed(base[::2]),
}


@pytest.mark.parametrize("layout", list(NON_CONTIGUOUS))
@pytest.mark.parametrize("order", ["w * x", "x * w"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_of_a_zero_d_factor_of_a_non_contiguous_tensor(dtype, order, layout):
    """x a transposed or strided view (and a non-contiguous upstream gradient): torch's w.grad."""
    base_np = np.random.default_rng(2).uniform(-1.0, 1.0, (48, 40))

    def f(lib):
        w = lib.tensor(-1.25, dtype=dt(lib, dtype), requires_grad=True)
        x = NON_CONTIGUOUS[layout](lib.tensor(base_np, dtype=dt(lib, dtype)))
        c = NON_CONTIGUOUS[layout](lib.tensor(base_np[::-1].copy() + 2.0, dtype=dt(lib, dtype)))
        p = w * x if order == "w * x" else x * w
        (p * c).sum().backward()
        return w.grad

    x = NON_CONTIGUOUS[layout](base_np)
    c = NON_CONTIGUOUS[layout](base_np[::-1].copy() + 2.0)
    np.testing.assert_allclose(f(tl).item(), np.sum(c * x), rtol=RTOL[dtype])
    same_as_torch(f, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32"), ("float32", "int64"),
                                    ("float16", "float32"), ("float64", "float16")])
def test_grad_of_a_zero_d_factor_of_another_dtype(dtypes):
    """w 0-d of one dtype, x of another: w.grad has w's dtype and torch's value."""
    w_dtype, x_dtype = dtypes

    def f(lib):
        w = lib.tensor(0.5, dtype=dt(lib, w_dtype), requires_grad=True)
        x = lib.arange(1, 101).to(dt(lib, x_dtype))
        (w * x).sum().backward()
        (x * w * 2).sum().backward()
        return w.grad

    gw = f(tl)
    assert gw.dtype == dt(tl, w_dtype)
    # (3 * 5050 exactly, but a float16 product sums in float16)
    assert gw.item() == pytest.approx(3 * 5050.0, rel=1e-2 if "float16" in dtypes else 0)
    same_as_torch(f, rtol=1e-2 if "float16" in dtypes else None)


@pytest.mark.parametrize("order", ["w * x", "x * w"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_of_a_zero_d_factor_with_create_graph(dtype, order):
    """create_graph=True (the recorded path): w.grad has a grad_fn, and its gradient w.r.t. x is torch's."""
    x_np = np.random.default_rng(3).uniform(-1.0, 1.0, (16, 8))

    def f(lib):
        w = lib.tensor(1.5, dtype=dt(lib, dtype), requires_grad=True)
        x = lib.tensor(x_np, dtype=dt(lib, dtype), requires_grad=True)
        p = w * x if order == "w * x" else x * w
        (p * p).sum().backward(create_graph=True)  # w.grad = 2 w sum(x^2)
        has_history = w.grad.grad_fn is not None
        (gx,) = lib.autograd.grad(w.grad.sum(), [x])  # 4 w x
        return has_history, w.grad.detach(), gx, x.grad.detach()

    has_history, gw, gx, _ = f(tl)
    assert has_history
    np.testing.assert_allclose(gw.item(), 2 * 1.5 * np.sum(x_np**2), rtol=RTOL[dtype])
    np.testing.assert_allclose(gx.numpy(), 4 * 1.5 * x_np, rtol=RTOL[dtype])
    same_as_torch(f, rtol=RTOL[dtype])


def test_zero_d_factors_both_requiring_grad():
    """w 0-d and x requiring grad, and two 0-d factors: both gradients as torch."""
    def f(lib):
        w = lib.tensor(2.0, requires_grad=True)
        v = lib.tensor(-3.0, requires_grad=True)
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        (w * x * v).sum().backward()
        (w * v).backward()
        return w.grad, v.grad, x.grad

    gw, gv, gx = f(tl)
    assert gw.item() == -30.0 - 3.0 and gv.item() == 20.0 + 2.0 and gx.tolist() == [[-6.0, -6.0], [-6.0, -6.0]]
    same_as_torch(f, exact=True)


# ================================================================================================
# 5. relu's backward: g where the mask is set, +0.0 elsewhere (bits when unrecorded, where() recorded)
# ================================================================================================
X_RELU = [-3.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 4.0]
INF, NAN = float("inf"), float("nan")
RELU_GRADS = {
    "finite": [1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0],
    "inf where negative": [INF, -INF, NAN, 1.0, 2.0, 3.0, 4.0, 5.0],
    "inf where positive": [1.0, 2.0, 3.0, 4.0, INF, -INF, NAN, 5.0],
    "inf everywhere": [INF, -INF, NAN, NAN, INF, -INF, NAN, INF],
    "nan only": [NAN, 1.0, 1.0, 1.0, 1.0, 1.0, NAN, 1.0],
}


def relu_grad(lib, x, g, dtype):
    xt = lib.tensor(x, dtype=dt(lib, dtype), requires_grad=True)
    xt.relu().backward(lib.tensor(g, dtype=dt(lib, dtype)))
    return xt.grad


@pytest.mark.parametrize("case", list(RELU_GRADS))
@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_backward_with_inf_and_nan(dtype, case):
    """0 where x <= 0 whatever g is there (inf, nan); g itself (inf, nan) where x > 0."""
    g = RELU_GRADS[case]
    with recorded() as log:
        grad = relu_grad(tl, X_RELU, g, dtype)
    assert not log
    assert grad.dtype == dt(tl, dtype)
    expected = np.where(np.array(X_RELU) > 0, np.array(g), 0.0).astype(dtype)
    np.testing.assert_array_equal(grad.numpy(), expected)
    same_as_torch(lambda lib: relu_grad(lib, X_RELU, g, dtype), exact=True)


@pytest.mark.parametrize("dtype, huge", [("float32", 1e30), ("float32", 3e38), ("float64", 1e200),
                                         ("float64", 1e308), ("float16", 300.0), ("float16", 65504.0)])
def test_relu_backward_with_a_huge_finite_gradient(dtype, huge):
    """g.g overflows though every g is finite: the gradient is still exact."""
    g = [huge, -huge, huge, 1.0, huge, -huge, 2.0, huge]
    grad = relu_grad(tl, X_RELU, g, dtype)
    expected = np.where(np.array(X_RELU) > 0, np.array(g), 0.0).astype(dtype)
    np.testing.assert_array_equal(grad.numpy(), expected)
    same_as_torch(lambda lib: relu_grad(lib, X_RELU, g, dtype), exact=True)


@pytest.mark.parametrize("case", ["finite", "inf", "huge"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_backward_with_a_non_contiguous_gradient(dtype, case):
    """The incoming gradient a transposed, strided view: torch's values."""
    rng = np.random.default_rng(4)
    x = rng.uniform(-1.0, 1.0, (6, 10))
    g_base = rng.uniform(-2.0, 2.0, (10, 12))
    if case == "inf":
        g_base[::3, ::2] = INF
        g_base[1, 4] = NAN
    elif case == "huge":
        g_base[::2] = 1e30 if dtype == "float32" else (1e200 if dtype == "float64" else 300.0)

    def f(lib):
        xt = lib.tensor(x, dtype=dt(lib, dtype), requires_grad=True)
        g = lib.tensor(g_base, dtype=dt(lib, dtype))[:, ::2].t()  # (6, 10), non-contiguous
        xt.relu().backward(g)
        return xt.grad

    expected = np.where(x > 0, g_base[:, ::2].T.astype(dtype), 0).astype(dtype)
    np.testing.assert_array_equal(f(tl).numpy(), expected)
    same_as_torch(f, exact=True)


@pytest.mark.parametrize("case", ["finite", "with inf"])
@pytest.mark.parametrize("recorded", [False, True], ids=["unrecorded (bits)", "create_graph (where)"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_backward_zeros_are_positive_as_in_torch(dtype, recorded, case):
    """Where x <= 0 torch's gradient is +0.0 even for a negative g (threshold_backward writes 0),
    on both of mask_grad's paths."""
    g = [-1.0] * (len(X_RELU) - 1) + ([-2.0] if case == "finite" else [-INF])

    def grad(lib):
        xt = lib.tensor(X_RELU, dtype=dt(lib, dtype), requires_grad=True)
        (gx,) = lib.autograd.grad(xt.relu(), xt, lib.tensor(g, dtype=dt(lib, dtype)), create_graph=recorded)
        return gx.detach().numpy()

    ours = grad(tl)
    torch = pytest.importorskip("torch")
    ref = grad(torch)
    np.testing.assert_array_equal(np.signbit(ref), np.array(X_RELU) > 0)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(ref))
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_backward_of_0d_and_empty_tensors(dtype):
    """0-d inputs (with inf, nan or finite g) and empty inputs: torch's gradients."""
    def f(lib):
        out = []
        for x, g in ((2.0, INF), (-2.0, INF), (-1.0, NAN), (0.5, 3.0), (-0.5, 3.0)):
            out.append(relu_grad(lib, x, g, dtype))
        e = lib.zeros(0, 3, dtype=dt(lib, dtype), requires_grad=True)
        e.relu().backward(lib.zeros(0, 3, dtype=dt(lib, dtype)))
        return out, e.grad

    grads, empty = f(tl)
    assert [g.item() for g in grads[:2]] == [INF, 0.0] and grads[2].item() == 0.0
    assert empty.shape == (0, 3)
    same_as_torch(f, exact=True)


def test_clamp_backward_with_inf_gradient():
    """clamp shares mask_grad: 0 outside [min, max] even where g is inf or nan."""
    def f(lib):
        x = lib.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
        x.clamp(-1.0, 1.0).backward(lib.tensor([INF, NAN, -INF, 1e30, NAN]))
        return x.grad

    np.testing.assert_array_equal(f(tl).numpy(), np.array([0.0, NAN, -INF, 1e30, 0.0], dtype=np.float32))
    same_as_torch(f, exact=True)


# ================================================================================================
# 6. A bias gradient: summed over leading dims into memory of its own
# ================================================================================================
BIAS_SHAPES = {"(256,)": (256,), "(1, 256)": (1, 256), "(64, 1)": (64, 1), "0-d": (), "(64, 256)": (64, 256),
               "(1, 1)": (1, 1)}


def bias_program(lib, shape, rounds=1):
    rng = np.random.default_rng(5)
    x = lib.tensor(rng.uniform(-1.0, 1.0, (64, 256)), dtype=lib.float32, requires_grad=True)
    b = lib.tensor(rng.uniform(-1.0, 1.0, shape), dtype=lib.float32, requires_grad=True)
    c = lib.tensor(np.linspace(-1.0, 1.0, 64 * 256).reshape(64, 256), dtype=lib.float32)
    h = x + b
    h.retain_grad()
    y = (h * c).sum() + (x + b).sum()
    for i in range(rounds):
        y.backward(retain_graph=i + 1 < rounds)
    return x, b, c, h


@pytest.mark.parametrize("shape", list(BIAS_SHAPES))
def test_bias_gradient_values(shape):
    """b.grad for (x + b) programs, b broadcast along leading or kept dims: torch's values."""
    shape = BIAS_SHAPES[shape]
    _, b, _, _ = bias_program(tl, shape)
    g = np.linspace(-1.0, 1.0, 64 * 256).reshape(64, 256) + 1.0
    lead = 2 - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1)
    expected = g.sum(axis=axes).reshape(shape) if axes else g
    assert b.grad.shape == shape and b.grad.dtype == tl.float32
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-5, atol=1e-3)
    same_as_torch(lambda lib: bias_program(lib, shape)[1].grad, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("shape", list(BIAS_SHAPES))
def test_bias_gradient_owns_its_memory(shape):
    """Changing b.grad in place changes nothing else: not x.grad, h.grad, c or the graph's values."""
    shape = BIAS_SHAPES[shape]

    def f(lib):
        x, b, c, h = bias_program(lib, shape)
        seen = [t.detach().clone() for t in (x.grad, h.grad, c, h)]
        with lib.no_grad():
            b.grad.add_(1000.0)
        changed = [not bool((t.detach() == s).all()) for t, s in zip((x.grad, h.grad, c, h), seen)]
        with lib.no_grad():
            x.grad.mul_(0.0)  # and the other way around
        return changed, b.grad, x.grad

    changed, gb, gx = f(tl)
    assert changed == [False, False, False, False]
    assert not np.shares_memory(gb.numpy(), gx.numpy())
    same_as_torch(f, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("shape", list(BIAS_SHAPES))
def test_bias_gradient_accumulates_over_two_backward_calls(shape):
    """Two backward calls: b.grad is twice one call's (and x.grad too)."""
    shape = BIAS_SHAPES[shape]
    _, once, _, _ = bias_program(tl, shape)
    x, twice, _, _ = bias_program(tl, shape, rounds=2)
    np.testing.assert_allclose(twice.grad.numpy(), 2 * once.grad.numpy(), rtol=1e-6)
    c = np.linspace(-1.0, 1.0, 64 * 256).reshape(64, 256).astype(np.float32)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * (c + np.float32(1.0)))
    same_as_torch(lambda lib: tuple(t.grad for t in bias_program(lib, shape, rounds=2)[:2]), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("rows", [64, 1024])
def test_float16_bias_gradient_as_torch(rows):
    """float16: b.grad sums `rows` values; torch accumulates in float32, so its sum is within float16
    rounding of the exact one."""
    rng = np.random.default_rng(7)
    c_np = rng.uniform(0.0, 1.0, (rows, 256)).astype(np.float16)

    def f(lib):
        x = lib.zeros(rows, 256, dtype=lib.float16, requires_grad=True)
        b = lib.zeros(256, dtype=lib.float16, requires_grad=True)
        ((x + b) * lib.tensor(c_np)).sum().backward()
        return b.grad

    np.testing.assert_allclose(f(tl).numpy(), c_np.astype(np.float64).sum(0), rtol=1e-3)
    same_as_torch(f)


def test_bias_gradients_of_two_layers_and_a_shared_bias():
    """A bias used by two layers sums both; biases of two layers are independent tensors."""
    def f(lib):
        rng = np.random.default_rng(6)
        x = lib.tensor(rng.uniform(-1.0, 1.0, (8, 4)), dtype=lib.float32)
        w1 = lib.tensor(rng.uniform(-1.0, 1.0, (4, 5)), dtype=lib.float32, requires_grad=True)
        b1 = lib.zeros(5, requires_grad=True)
        b2 = lib.zeros(5, requires_grad=True)
        h = (x @ w1 + b1).relu()
        y = (h + b2).sum() + (h * 2 + b2).sum() + (x @ w1 + b1).sum()
        y.backward()
        with lib.no_grad():
            b2.grad.add_(1.0)
        return b1.grad, b2.grad, w1.grad

    _, gb2, _ = f(tl)
    assert gb2.tolist() == [17.0] * 5
    same_as_torch(f, rtol=1e-5, atol=1e-5)


# ================================================================================================
# Review findings: accuracy of long dot products, float16 with numbers and float16 sums, hooks
# ================================================================================================
@pytest.mark.parametrize("n", [2000, 1_000_000])
def test_gradient_of_a_scalar_factor_is_as_accurate_as_torchs(n):
    """A long float32 dot product loses digits in BLAS's running sums: beyond a few thousand
    elements the product is summed pairwise (w.grad within 1e-6 of torch's, not 2e-4)."""
    def f(lib):
        w = lib.tensor(0.5, requires_grad=True)
        x = lib.full((n,), 0.1)
        (w * x).sum().backward()
        return w.grad

    exact = n * float(np.float32(0.1))
    assert abs(f(tl).item() - exact) / exact < 1e-6
    same_as_torch(f, rtol=1e-6)


def test_sum_to_float16_casts_the_elements_first():
    """sum(dtype=float16) of a float32 tensor: torch casts each element to float16, then sums in float32."""
    def f(lib):
        return lib.full((1000,), 1 + 2**-11 + 2**-20).sum(dtype=lib.float16)

    assert f(tl).item() == 1001.0
    same_as_torch(f, exact=True)


FLOAT16_WITH_NUMBERS = {
    "t * 1.00048": lambda t: t * 1.00048,
    "t * 100000 (no overflow)": lambda t: t * 100000,
    "t / 0.1": lambda t: t / 0.1,
    "t // 0.3": lambda t: t // 0.3,
    "t ** 2.5": lambda t: t**2.5,
    "2.5 ** (t / 1000)": lambda t: 2.5 ** (t / 1000),
    "2 / t": lambda t: 2 / t,
    "0.1 - t (number rounded to float16)": lambda t: 0.1 - t,
    "t + 0.1 (number rounded to float16)": lambda t: t + 0.1,
    "t % 0.3 (number rounded to float16)": lambda t: t % 0.3,
}


@pytest.mark.parametrize("case", list(FLOAT16_WITH_NUMBERS))
@pytest.mark.parametrize("grad", [False, True])
def test_float16_with_a_number_as_torch(case, grad):
    """torch computes float16 * / // ** with a Python number in float32, rounding the result once;
    + - % round the number to float16 first."""
    def f(lib):
        t = lib.tensor([1000.0, 1e-3, 3.0, 0.1], dtype=lib.float16, requires_grad=grad)
        return FLOAT16_WITH_NUMBERS[case](t)

    same_as_torch(f, exact=True)


def test_a_node_prehook_cannot_replace_a_missing_gradient():
    """A node pre-hook that returns a tensor where no gradient arrived: torch's error."""
    def f(lib):
        class NoGradForA(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return None, g

        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        h = a * 2
        h.grad_fn.register_prehook(lambda grads: (lib.ones(2),))
        NoGradForA.apply(h, b).sum().backward()

    same_as_torch(f, match="can't replace a None gradient")


@pytest.mark.parametrize("op", ["*=", "/=", "+=", "-="])
def test_float16_inplace_with_a_number_as_torch(op):
    """x *= 1.00048 on float16 under no_grad: the number in float32 for * and /, as torch."""
    def f(lib):
        x = lib.tensor([1000.0, 3.0, 0.1], dtype=lib.float16)
        with lib.no_grad():
            {"*=": operator.imul, "/=": operator.itruediv, "+=": operator.iadd, "-=": operator.isub}[op](x, 1.00048)
        return x

    same_as_torch(f, exact=True)


POST_HOOK_ARITY = {"x ** 2": lambda x: x**2, "2 - x": lambda x: 2 - x, "x * 2": lambda x: x * 2,
                   "2 ** x": lambda x: 2**x, "x + 1": lambda x: x + 1, "x * y": lambda x: x * (x + 1)}


@pytest.mark.parametrize("case", list(POST_HOOK_ARITY))
def test_post_hook_grad_inputs_have_torchs_slots(case):
    """A node's post-hook sees one grad_input per input torch's node has: a Python number operand
    has a slot only where next_functions lists it (x * 2: two; x ** 2: one). What it returns is used."""
    def f(lib):
        x = lib.ones(2, requires_grad=True)
        y = POST_HOOK_ARITY[case](x)
        seen = []

        def hook(grad_inputs, grad_outputs):
            seen.append([g is None for g in grad_inputs])
            return tuple(None if g is None else g * 3 for g in grad_inputs)

        y.grad_fn.register_hook(hook)
        y.sum().backward()
        return seen, x.grad

    same_as_torch(f)


@pytest.mark.parametrize("expr", ["t == 2**70", "t < -2**63 - 1", "t.sub(1.0, alpha=2**70)",
                                  "t.add(t, alpha=2**64)", "t == 2**63"])
def test_huge_ints_in_comparisons_and_alpha_as_torch(expr):
    """A Python int outside the 64-bit range raises OverflowError in comparisons and alpha= too."""
    def f(lib):
        t = lib.ones(2)
        return eval(expr, {"t": t})

    same_as_torch(f)
