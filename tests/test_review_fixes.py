"""Review fixes: tensor(data) read as torch reads it; no NumPy warnings out of mean/var/std (and
torch's own degrees-of-freedom warning); nodes whose rule needs no operand backward twice.

Each test pins torchless's values first (it runs without torch), then compares with torch.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from torch_compare import assert_same, same_as_torch

import torchless as tl

F32, F64 = np.float32, np.float64


@contextlib.contextmanager
def recorded():
    """Record every warning, under the filter torchless installs (NumPy floating-point
    RuntimeWarnings raised from torchless's own modules are ignored)."""
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"torchless(\.|$)")
        yield log


def messages(log, category=Warning):
    return [str(w.message) for w in log if issubclass(w.category, category)]


def check(t, values, dtype, shape=None):
    assert str(t.dtype) == f"torch.{dtype}", t.dtype
    assert tuple(t.shape) == (np.shape(values) if shape is None else shape)
    np.testing.assert_array_equal(t.numpy(), np.asarray(values, dtype=dtype).reshape(t.shape))


# ---- 1. tensor(data) ---------------------------------------------------------------------------
def test_tensor_of_a_list_of_grad_tensors_takes_their_values():
    x = tl.ones(2, requires_grad=True)
    with recorded() as log:
        t = tl.tensor([(x * i).sum() for i in range(3)])
    check(t, [0.0, 2.0, 4.0], "float32")
    assert not t.requires_grad and t.grad_fn is None
    assert messages(log, UserWarning) == [
        ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
         "Consider using tensor.detach() first.")]

    def f(torch):
        x = torch.ones(2, requires_grad=True)
        return torch.tensor([(x * i).sum() for i in range(3)])

    same_as_torch(f, exact=True)


def test_one_element_tensors_in_a_list_are_scalars():
    check(tl.tensor([tl.tensor([1.0]), tl.tensor([2.0])]), [1.0, 2.0], "float32")
    check(tl.tensor([tl.tensor([[1.0]]), tl.tensor(2.0)]), [1.0, 2.0], "float32")
    check(tl.tensor([[tl.tensor([1.0])], [tl.tensor([2.0])]]), [[1.0], [2.0]], "float32")
    check(tl.tensor([[1.0, 2.0], tl.tensor([3.0, 4.0])]), [[1.0, 2.0], [3.0, 4.0]], "float32")  # a later row
    for bad in ([tl.tensor([1.0, 2.0])], [tl.tensor([1.0, 2.0]), tl.tensor([3.0, 4.0])], [tl.tensor([])]):
        with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
            tl.tensor(bad)
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        tl.tensor([tl.tensor(1.5)], dtype=tl.int64)

    def f(torch):
        return (torch.tensor([torch.tensor([1.0]), torch.tensor([2.0])]),
                torch.tensor([torch.tensor([[1.0]]), torch.tensor(2.0)]),
                torch.tensor([[torch.tensor([1.0])], [torch.tensor([2.0])]]),
                torch.tensor([[1.0, 2.0], torch.tensor([3.0, 4.0])]),
                torch.tensor([torch.tensor([1.5])], dtype=torch.float64))

    same_as_torch(f, exact=True)
    for bad in ("[torch.tensor([1., 2.])]", "[torch.tensor([])]", "[torch.tensor(1.5)], dtype=torch.int64",
                "[torch.tensor([3., 4.]), [1., 2.]]"):
        same_as_torch(lambda torch, bad=bad: eval(f"torch.tensor({bad})", {"torch": torch}))


# (data, expected dtype, expected values); `t` builds a 0-d tensor of a dtype
DTYPE_CASES = {
    "f64 and f32 tensors": (lambda lib, t: [t(1.5, "float64"), t(2.0, "float32")], "float64", [1.5, 2.0]),
    "f32 and f64 tensors": (lambda lib, t: [t(1.5, "float32"), t(2.0, "float64")], "float64", [1.5, 2.0]),
    "int32 tensors": (lambda lib, t: [t(1, "int32"), t(2, "int32")], "int32", [1, 2]),
    "int32 tensor and int": (lambda lib, t: [t(1, "int32"), 2], "int64", [1, 2]),
    "int32 tensor and float": (lambda lib, t: [t(1, "int32"), 2.5], "float32", [1.0, 2.5]),
    "f16 tensor and float": (lambda lib, t: [t(1, "float16"), 2.5], "float32", [1.0, 2.5]),
    "f16 tensor and int64 tensor": (lambda lib, t: [t(1, "float16"), t(3, "int64")], "float16", [1.0, 3.0]),
    "uint8 and int8 tensors": (lambda lib, t: [t(200, "uint8"), t(-1, "int8")], "int16", [200, -1]),
    "bool tensor and bool": (lambda lib, t: [t(True, "bool"), False], "bool", [True, False]),
    "bool tensor and int": (lambda lib, t: [t(True, "bool"), 2], "int64", [1, 2]),
    "np.float64 and float": (lambda lib, t: [np.float64(1.5), 2.0], "float64", [1.5, 2.0]),
    "int and np.float16": (lambda lib, t: [1, np.float16(2)], "float16", [1.0, 2.0]),
    "np.float16 and float": (lambda lib, t: [np.float16(1), 2.5], "float32", [1.0, 2.5]),
    "np.float32 and int": (lambda lib, t: [np.float32(1.5), 2], "float32", [1.5, 2.0]),
    "np.int32 and int": (lambda lib, t: [np.int32(1), 2], "int64", [1, 2]),
    "np.int32 only": (lambda lib, t: [np.int32(1), np.int32(2)], "int32", [1, 2]),
    "np.int8 and np.uint8": (lambda lib, t: [np.int8(-1), np.uint8(2)], "int16", [-1, 2]),
    "np.uint8 and bool": (lambda lib, t: [np.uint8(1), True], "uint8", [1, 1]),
    "np.bool_ and bool": (lambda lib, t: [np.bool_(True), True], "bool", [True, True]),
    "int64 tensor and np.float16": (lambda lib, t: [t(3, "int64"), np.float16(2)], "float16", [3.0, 2.0]),
    "nested": (lambda lib, t: [[t(1, "int16")], [t(1.5, "float64")]], "float64", [[1.0], [1.5]]),
    "empty row and ints": (lambda lib, t: [[], [1]], "float32", np.zeros((2, 0))),
}


@pytest.mark.parametrize("case", list(DTYPE_CASES))
def test_tensor_dtype_is_promoted_over_the_elements(case):
    make, dtype, values = DTYPE_CASES[case]

    def f(lib):
        return lib.tensor(make(lib, lambda v, d: lib.tensor(v, dtype=getattr(lib, d))))

    check(f(tl), values, dtype)
    same_as_torch(f, exact=True)


def test_tensor_dtype_promotion_follows_the_default_dtype():
    tl.set_default_dtype(tl.float64)
    check(tl.tensor([np.float32(1.5), 2.0]), [1.5, 2.0], "float64")
    check(tl.tensor([1, np.float16(2)]), [1.0, 2.0], "float16")
    check(tl.tensor([tl.tensor(1.5, dtype=tl.float32), 2.0]), [1.5, 2.0], "float64")

    def f(torch):
        torch.set_default_dtype(torch.float64)
        try:
            return (torch.tensor([np.float32(1.5), 2.0]), torch.tensor([1, np.float16(2)]),
                    torch.tensor([torch.tensor(1.5, dtype=torch.float32), 2.0]))
        finally:
            torch.set_default_dtype(torch.float32)

    same_as_torch(f, exact=True)


def test_tensor_and_as_tensor_of_a_range():
    check(tl.tensor(range(3)), [0, 1, 2], "int64")
    check(tl.as_tensor(range(3)), [0, 1, 2], "int64")
    check(tl.tensor(range(10, 0, -3)), [10, 7, 4, 1], "int64")
    check(tl.tensor(range(0)), [], "float32")
    check(tl.tensor([range(2), range(2)]), [[0, 1], [0, 1]], "int64")
    check(tl.tensor(range(1, 4), dtype=tl.float64), [1.0, 2.0, 3.0], "float64")
    check(tl.as_tensor(range(3), dtype=tl.float32), [0.0, 1.0, 2.0], "float32")

    def f(torch):
        return (torch.tensor(range(3)), torch.as_tensor(range(3)), torch.tensor(range(10, 0, -3)),
                torch.tensor(range(0)), torch.tensor([range(2), range(2)]),
                torch.tensor(range(1, 4), dtype=torch.float64), torch.as_tensor(range(3), dtype=torch.float32))

    same_as_torch(f, exact=True)


def test_tensor_of_a_list_of_arrays():
    with recorded() as log:
        t = tl.tensor([np.array([1.5]), np.array([2.0])])
    check(t, [[1.5], [2.0]], "float64")
    assert messages(log, UserWarning) == [
        ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting the list to "
         "a single numpy.ndarray with numpy.array() before converting to a tensor.")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(tl.tensor([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]), [[1, 2], [3, 4]],
              "int32")
        check(tl.tensor([np.array([1, 2]), [1.5, 2.0]]), [[1.0, 2.0], [1.5, 2.0]], "float32")
        check(tl.tensor([2.0, np.array(1.5)]), [2.0, 1.5], "float64")  # a 0-d array where a number is due
        check(tl.tensor([np.zeros((0, 3))]), np.zeros((1, 0)), "float64")
        with pytest.raises(TypeError, match="len\\(\\) of unsized object"):
            tl.tensor([np.array(1.5), 2.0])  # (torch looks for the length of the first element)
        with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 \\(got 1\\)"):
            tl.tensor([np.array([1.5, 2.0]), np.array([1.0])])

    cases = ("[np.array([1.5]), np.array([2.])]", "[np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]",
             "[np.array([1, 2]), [1.5, 2.]]", "[2., np.array(1.5)]", "[np.zeros((0, 3))]", "[np.array(1.5), 2.]",
             "[np.array([1.5, 2.]), np.array([1.])]", "[np.array([1.5])], dtype=torch.int64")
    for case in cases:
        same_as_torch(lambda torch, case=case: eval(f"torch.tensor({case})", {"torch": torch, "np": np}), exact=True)


BAD_DATA = {  # data -> (the error, its message)
    "[[1, 2], [3]]": (ValueError, "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    "['a']": (ValueError, "too many dimensions 'str'"),
    "[None]": (RuntimeError, "Could not infer dtype of NoneType"),
    "[[1, 2], 3]": (TypeError, "not a sequence"),
    "[1, 'a']": (TypeError, "new\\(\\): invalid data type 'str'"),
    "[[1, 2], [None]]": (RuntimeError, "Could not infer dtype of NoneType"),  # (the dtype is read first)
    "[object()]": (RuntimeError, "Could not infer dtype of object"),
    "{1: 2}": (RuntimeError, "Could not infer dtype of dict"),
    "(i for i in range(3))": (RuntimeError, "Could not infer dtype of generator"),
    "[None], dtype=torch.float32": (TypeError, "must be real number, not NoneType"),
    "[2 ** 63]": (ValueError, "Overflow when unpacking long long"),
    "2 ** 63": (ValueError, "Overflow when unpacking long long"),
    "[300], dtype=torch.uint8": (RuntimeError, "value cannot be converted to type uint8 without overflow"),
    "[2 ** 40], dtype=torch.int32": (RuntimeError, "value cannot be converted to type int32 without overflow"),
    "[1e10], dtype=torch.int32": (RuntimeError, "value cannot be converted to type int32 without overflow"),
    "[float('nan')], dtype=torch.int64": (RuntimeError, "value cannot be converted to type int64 without overflow"),
    "[np.float32(1.5)], dtype=torch.int64": (TypeError, "'numpy.float32' object cannot be interpreted as an integer"),
}


@pytest.mark.parametrize("data", list(BAD_DATA))
def test_tensor_bad_data_raises_as_torch(data):
    error, match = BAD_DATA[data]
    with pytest.raises(error, match=match):
        eval(f"torch.tensor({data})", {"torch": tl, "np": np})
    same_as_torch(lambda torch: eval(f"torch.tensor({data})", {"torch": torch, "np": np}), match=match)


def test_tensor_converts_numbers_as_torch():
    check(tl.tensor([-1], dtype=tl.uint8), [255], "uint8")  # (wraps around, as in C)
    check(tl.tensor(-1, dtype=tl.uint8), 255, "uint8")
    check(tl.tensor([1.7, -1.7], dtype=tl.int32), [1, -1], "int32")
    check(tl.tensor([np.float64(2.5)], dtype=tl.int64), [2], "int64")
    check(tl.tensor([0.5, 0.0, 2], dtype=tl.bool), [True, False, True], "bool")
    check(tl.tensor([2**64, 1.0]), [2.0**64, 1.0], "float32")
    check(tl.tensor([1e40]), [np.inf], "float32")

    def f(torch):
        return (torch.tensor([-1], dtype=torch.uint8), torch.tensor(-1, dtype=torch.uint8),
                torch.tensor([1.7, -1.7], dtype=torch.int32), torch.tensor([np.float64(2.5)], dtype=torch.int64),
                torch.tensor([0.5, 0.0, 2], dtype=torch.bool), torch.tensor([2**64, 1.0]), torch.tensor([1e40]))

    same_as_torch(f, exact=True)


def test_tensor_of_a_tensor_warns_to_clone():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    for make, name in ((lambda: tl.tensor(x), "torch.tensor"), (lambda: x.new_tensor(x), "tensor.new_tensor")):
        with recorded() as log:
            t = make()
        check(t, [1.0, 2.0], "float32")
        assert not t.requires_grad
        assert messages(log) == [
            ("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
             f"sourceTensor.detach().clone().requires_grad_(True), rather than {name}(sourceTensor).")]
        assert log[0].filename == __file__  # (pointing at the caller)
    with recorded() as log:
        tl.as_tensor(x)
        tl.tensor([1.0])
    assert not log

    torch = pytest.importorskip("torch")
    y = torch.tensor([1.0, 2.0], requires_grad=True)
    for make in (lambda: torch.tensor(y), lambda: y.new_tensor(y)):
        with warnings.catch_warnings(record=True) as ref:
            warnings.simplefilter("always")
            make()
        assert [m.split(", rather")[0] for m in messages(ref)] == [
            ("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
             "sourceTensor.detach().clone().requires_grad_(True)")]


# ---- 2. mean, var, std: no NumPy warnings; torch's degrees-of-freedom warning -------------------
def empty_selection_mean(lib):
    x = lib.tensor([1.0, 2.0])
    return x[x > 5].mean()


def grad_of(reduction, x):
    reduction(x).sum().backward()
    return x.grad


QUIET = {  # name -> (snippet, expected values)
    "empty selection mean": (empty_selection_mean, np.nan),
    "mean over an empty dim": (lambda lib: lib.zeros(0, 3).mean(0), [np.nan] * 3),
    "mean over a full dim of an empty tensor": (lambda lib: lib.zeros(0, 3).mean(1), np.zeros(0)),
    "mean of nothing": (lambda lib: lib.zeros(0, 3).mean(), np.nan),
    "mean of inf and -inf": (lambda lib: lib.tensor([np.inf, -np.inf]).mean(), np.nan),
    "std with inf": (lambda lib: lib.tensor([1.0, np.inf]).std(), np.nan),
    "float16 var past the range": (lambda lib: lib.tensor([60000.0, -60000.0], dtype=lib.float16).var(), np.inf),
    "float16 mean of a large sum": (lambda lib: lib.full((1000,), 100.0, dtype=lib.float16).mean(), 100.0),
    "mean backward of nothing": (lambda lib: grad_of(lib.mean, lib.zeros(0, requires_grad=True)), np.zeros(0)),
}


@pytest.mark.parametrize("case", list(QUIET))
def test_mean_var_std_raise_no_numpy_warnings(case):
    fn, expected = QUIET[case]
    with recorded() as log:
        out = fn(tl)
    assert messages(log) == []
    np.testing.assert_array_equal(out.numpy(), np.asarray(expected, dtype=out.numpy().dtype))

    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as ref:
        warnings.simplefilter("always")
        expected_torch = fn(torch)
    assert messages(ref) == []
    assert_same(out, expected_torch)


DOF = {  # name -> (snippet, expected values, the function named in the warning)
    "var of one element": (lambda lib: lib.tensor([1.0]).var(), np.nan, "var"),
    "std of one element": (lambda lib: lib.tensor([1.0]).std(), np.nan, "std"),
    "var of a 0-d tensor": (lambda lib: lib.tensor(3.0).var(), np.nan, "var"),
    "var of nothing": (lambda lib: lib.zeros(0).var(), np.nan, "var"),
    "std of nothing, correction 0": (lambda lib: lib.zeros(0).std(correction=0), np.nan, "std"),
    "var over a dim of one": (lambda lib: lib.ones(3, 1).var(1), [np.nan] * 3, "var"),
    "std over a dim of one": (lambda lib: lib.ones(3, 1).std(1), [np.nan] * 3, "std"),
    "var, correction = n": (lambda lib: lib.tensor([1.0, 2.0]).var(correction=2), np.inf, "var"),
    "std, correction > n": (lambda lib: lib.tensor([1.0, 2.0]).std(correction=3), np.inf, "std"),
    "var over an empty dim": (lambda lib: lib.zeros(0, 3).var(0), [np.nan] * 3, "var"),
    "var of an empty tensor over a full dim": (lambda lib: lib.zeros(0, 3).var(1, correction=0), np.zeros(0),
                                               "var"),
    "var backward of one element": (lambda lib: grad_of(lib.var, lib.ones(1, requires_grad=True)), [np.nan], "var"),
}


@pytest.mark.parametrize("case", list(DOF))
def test_var_std_warn_as_torch_when_no_degrees_of_freedom_are_left(case):
    fn, expected, name = DOF[case]
    with recorded() as log:
        out = fn(tl)
    assert messages(log) == [
        (f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
         "(input numel divided by output numel).")]
    assert log[0].filename == __file__ and issubclass(log[0].category, UserWarning)
    np.testing.assert_array_equal(out.numpy(), np.asarray(expected, dtype=np.float32))

    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as ref:
        warnings.simplefilter("always")
        expected_torch = fn(torch)
    assert [m.split(" (Triggered internally")[0] for m in messages(ref)] == messages(log)
    assert_same(out, expected_torch)


@pytest.mark.parametrize("snippet", ["tensor([1, 2]).var()", "tensor([1, 2]).std(0)", "tensor([True]).var()",
                                     "var(torch.tensor([1, 2], dtype=torch.uint8))"])
def test_var_std_refuse_integer_tensors(snippet):
    match = "std and var only support floating point and complex dtypes"
    with recorded() as log, pytest.raises(RuntimeError, match=match):
        eval(f"torch.{snippet}", {"torch": tl})
    assert not log  # (the dtype is checked before the degrees of freedom)
    same_as_torch(lambda torch: eval(f"torch.{snippet}", {"torch": torch}), match=match)


def test_var_std_keep_numpy_values():
    a = np.random.default_rng(0).standard_normal((4, 5)) * 3 + 1
    for dtype in (F32, F64):
        x = tl.from_numpy(a.astype(dtype))
        with recorded() as log:
            np.testing.assert_array_equal(x.mean(1).numpy(), np.mean(a.astype(dtype), axis=1))
            np.testing.assert_array_equal(x.var(0).numpy(), np.var(a.astype(dtype), axis=0, ddof=1))
            np.testing.assert_array_equal(x.std((0, 1), correction=0).numpy(), np.std(a.astype(dtype), ddof=0))
            np.testing.assert_array_equal(x.var(1, correction=1.5, keepdim=True).numpy(),
                                          np.var(a.astype(dtype), axis=1, ddof=1.5, keepdims=True))
        assert not log

    def f(torch):
        x = torch.tensor(a)
        h = torch.tensor([0.1, 0.2, 0.3, 1.7], dtype=torch.float16)
        return (x.mean(1), x.var(0), x.std((0, 1), correction=0), x.var(1, correction=1.5, keepdim=True),
                h.mean(), h.var(), h.std())

    same_as_torch(f)


# ---- 3. a node whose rule reads no operand saves none: it backwards twice ---------------------
TWICE = {  # name -> (op, the gradient after two backwards)
    "neg": (lambda lib, x: -x, [-2.0, -2.0]),
    "torch.neg": (lambda lib, x: lib.neg(x), [-2.0, -2.0]),
    "sign": (lambda lib, x: x.sign(), [0.0, 0.0]),
    "floor": (lambda lib, x: x.floor(), [0.0, 0.0]),
    "ceil": (lambda lib, x: x.ceil(), [0.0, 0.0]),
    "trunc": (lambda lib, x: x.trunc(), [0.0, 0.0]),
    "fix": (lambda lib, x: x.fix(), [0.0, 0.0]),
    "round": (lambda lib, x: x.round(), [0.0, 0.0]),
    "round with decimals": (lambda lib, x: x.round(decimals=1), [0.0, 0.0]),
    "lerp, number weight": (lambda lib, x: lib.lerp(x, lib.zeros(2), 0.25), [1.5, 1.5]),
    "lerp, number weight, end": (lambda lib, x: lib.lerp(lib.zeros(2), x, 0.25), [0.5, 0.5]),
    "remainder by a number": (lambda lib, x: x % 2, [2.0, 2.0]),
    "add": (lambda lib, x: x + 1, [2.0, 2.0]),
}


@pytest.mark.parametrize("case", list(TWICE))
def test_backward_twice_without_retain_graph(case):
    op, expected = TWICE[case]

    def f(lib):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        y = op(lib, x).sum()
        y.backward()
        y.backward()
        return x.grad

    check(f(tl), expected, "float32")
    same_as_torch(f, exact=True)


def test_backward_twice_still_fails_where_torch_saves():
    def f(lib):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        y = lib.lerp(x, lib.zeros(2), lib.tensor(0.25)).sum()  # (a tensor weight: x and y saved)
        y.backward()
        y.backward()

    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        f(tl)
    same_as_torch(f, match="backward through the graph a second time")


def test_rounding_gradient_is_zeros_like_grad():
    def f(lib):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        g = lib.tensor([np.inf, np.nan])
        out = []
        for op in (lambda x: x.sign(), lambda x: x.floor(), lambda x: x.ceil(), lambda x: x.trunc(),
                   lambda x: x.round(), lambda x: x.round(decimals=1)):
            (gx,) = lib.autograd.grad(op(x), x, g)
            out.append(gx)
        return out

    for gx in f(tl):
        check(gx, [0.0, 0.0], "float32")
    same_as_torch(f, exact=True)


def test_lerp_with_a_number_weight_has_two_inputs():
    def f(lib):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        y = lib.lerp(x, lib.zeros(2), 0.25)
        return y.grad_fn.name(), [fn is None for fn, _ in y.grad_fn.next_functions], y

    name, inputs, y = f(tl)
    assert name == "LerpBackward0" and inputs == [False, True]
    check(y.detach(), [1.125, -1.875], "float32")
    same_as_torch(f, exact=True)
