"""Differential tests: torchless._printing.format_tensor must equal repr() of the same torch tensor."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_SRC = pathlib.Path(__file__).resolve().parents[1] / "src"


def _load_printing():
    """Import torchless._printing; load the file directly if the package itself does not import."""
    if str(_SRC) not in sys.path:
        sys.path.insert(0, str(_SRC))
    try:
        from torchless import _printing

        return _printing
    except Exception:  # noqa: BLE001 - the rest of the package may be mid-rewrite
        spec = importlib.util.spec_from_file_location(
            "_torchless_printing", _SRC / "torchless" / "_printing.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


P = _load_printing()

DTYPE_NAMES = {
    np.dtype(np.float16): "float16",
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "bool",
}


@pytest.fixture(autouse=True)
def _reset_options():
    """Every test starts and ends with default options in both libraries."""
    P.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    default_dtype = torch.get_default_dtype()
    yield
    P.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(default_dtype)


def set_both(**kwargs: Any) -> None:
    P.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def default_float_name() -> str:
    return str(torch.get_default_dtype()).removeprefix("torch.")


def ours(arr: np.ndarray, suffixes: list[str] | None = None) -> str:
    return P.format_tensor(arr, DTYPE_NAMES[arr.dtype], default_float_name(), suffixes or [])


def to_torch(arr: np.ndarray):
    """A torch tensor with the same dtype and values (np.array also turns NumPy scalars into 0-d arrays)."""
    return torch.from_numpy(np.array(arr, copy=True))


def theirs(arr: np.ndarray) -> str:
    return repr(to_torch(arr))


def assert_same(arr: np.ndarray) -> None:
    arr = np.asarray(arr)
    expected = theirs(arr)
    got = ours(arr)
    assert got == expected, f"\n--- torch ---\n{expected}\n--- ours ---\n{got}"


rng = np.random.default_rng(0)
nan, inf = np.nan, np.inf

CASES = {
    "float_integral": np.float32([1, 2, 3]),
    "float_mixed": np.float32([1.0, 2.5]),
    "float_sci_ratio": np.float32([1e-5, 1e3]),
    "float_sci_large": np.float32([1e9, 2.0]),
    "float_sci_small": np.float32([1e-5, 2e-5]),
    "float_big_ints_not_sci": np.float32([12345678, 1]),
    "float_big_ints_sci": np.float64([1e8 + 1, 1e5 + 1]),
    "float_huge_exponent": np.float64([1e300, 1e-300, -2.5]),
    "float_nan_inf": np.float32([nan, inf, -inf, 1.5]),
    "float_only_nonfinite": np.float32([nan, inf, -inf]),
    "float_neg_zero": np.float32([-0.0, 0.0, 1.0]),
    "float_neg_zero_frac": np.float32([-0.0, 0.5]),
    "float_zeros": np.zeros(4, np.float32),
    "float_neg_mixed": np.float32([-1.5, 22.25, -333.125]),
    "float_rounding_ties": np.float64([1.03125, 2.00005, 0.99999]),
    "float_round_up_width": np.float32([9.99999, 0.5]),
    "float_sci_nan": np.float32([1e-7, nan, -inf, 0]),
    "float_0d": np.float32(3),
    "float_0d_frac": np.float32(2.5),
    "float_0d_nan": np.float32(nan),
    "float_0d_neg_zero": np.float32(-0.0),
    "float_0d_sci": np.float64(1.5e-9),
    "float64": np.float64([1, 2]),
    "float64_frac": np.float64([0.1, 0.2]),
    "float16": np.float16([0.1, 65504, -3]),
    "float16_sci": np.float16([6e-5, 1000]),
    "float16_0d": np.float16(1.5),
    "bool": np.array([True, False]),
    "bool_all_true": np.array([True, True]),
    "bool_2d": np.array([[True, False], [False, False]]),
    "bool_0d": np.array(True),
    "int64": np.int64([1, -20, 300]),
    "int64_0d": np.int64(7),
    "int32": np.int32([1, 2, 3]),
    "int16": np.int16([-32768, 32767]),
    "int8": np.int8([-128, 5]),
    "uint8": np.uint8([0, 255, 7]),
    "int_extreme": np.int64([np.iinfo(np.int64).min, np.iinfo(np.int64).max]),
    "int_wrap": np.arange(100, dtype=np.int64) * 1001,
    "float_wrap": np.linspace(-3, 3, 57).astype(np.float32),
    "float_wrap_sci": np.logspace(-8, 8, 40).astype(np.float64),
    "bool_wrap": np.arange(50) % 3 == 0,
    "matrix": np.arange(12, dtype=np.float32).reshape(3, 4) / 4,
    "matrix_wide": rng.standard_normal((3, 30)).astype(np.float32),
    "tensor3d": np.arange(24, dtype=np.int64).reshape(2, 3, 4),
    "tensor4d": rng.standard_normal((2, 2, 2, 3)),
    "tensor5d": np.arange(32, dtype=np.int16).reshape(2, 2, 2, 2, 2),
    "single_elem_nested": np.float32([[[5]]]),
    "summary_1d": np.arange(2000, dtype=np.float32),
    "summary_1d_int": np.arange(1001, dtype=np.int64),
    "summary_2d": np.arange(2000, dtype=np.float32).reshape(40, 50) / 7,
    "summary_2d_few_rows": np.arange(1200, dtype=np.int32).reshape(2, 600),
    "summary_2d_few_cols": np.arange(1200, dtype=np.int32).reshape(600, 2),
    "summary_3d": rng.standard_normal((10, 11, 12)).astype(np.float32),
    "summary_4d": np.arange(4096, dtype=np.uint8).reshape(8, 8, 8, 8),
    "summary_hides_outlier": np.concatenate([np.ones(600), [1e9], np.ones(600)]).astype(np.float32),
    "summary_bool": np.arange(3000).reshape(30, 100) % 2 == 0,
    "threshold_exact": np.arange(1000, dtype=np.float32),
    "empty": np.zeros(0, np.float32),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_2d_trailing": np.zeros((2, 0), np.float32),
    "empty_3d": np.zeros((2, 0, 4), np.float32),
    "empty_int32": np.zeros(0, np.int32),
    "empty_int64": np.zeros(0, np.int64),
    "empty_bool_2d": np.zeros((0, 3), np.bool_),
    "empty_float64": np.zeros((3, 0), np.float64),
    "empty_float16": np.zeros(0, np.float16),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name: str) -> None:
    assert_same(CASES[name])


OPTION_SETS = {
    "precision2": {"precision": 2},
    "precision0": {"precision": 0},
    "precision8": {"precision": 8},
    "sci_on": {"sci_mode": True},
    "sci_off": {"sci_mode": False},
    "profile_full": {"profile": "full"},
    "profile_short": {"profile": "short"},
    "threshold5": {"threshold": 5},
    "threshold5_edge1": {"threshold": 5, "edgeitems": 1},
    "edge0": {"edgeitems": 0},
    "edge0_threshold5": {"edgeitems": 0, "threshold": 5},
    "linewidth20": {"linewidth": 20},
    "linewidth200": {"linewidth": 200},
    "linewidth1": {"linewidth": 1},
}


@pytest.mark.parametrize("opts", list(OPTION_SETS))
@pytest.mark.parametrize(
    "name",
    [
        "float_mixed",
        "float_integral",
        "float_sci_ratio",
        "float_nan_inf",
        "float_neg_zero",
        "float_0d_frac",
        "int32",
        "bool_wrap",
        "matrix_wide",
        "tensor3d",
        "summary_2d",
        "summary_1d_int",
        "empty_2d",
    ],
)
def test_matches_torch_with_options(name: str, opts: str) -> None:
    set_both(**OPTION_SETS[opts])
    assert_same(CASES[name])


def test_profile_full_prints_everything() -> None:
    set_both(profile="full")
    arr = np.arange(1500, dtype=np.float32).reshape(30, 50)
    text = ours(arr)
    assert "..." not in text
    assert text == theirs(arr)


def test_default_dtype_float64() -> None:
    torch.set_default_dtype(torch.float64)
    for arr in (
        np.float32([1.0, 2.5]),
        np.float64([1.0, 2.5]),
        np.zeros(0, np.float32),
        np.zeros(0, np.float64),
    ):
        assert_same(arr)


def test_get_and_set_printoptions_roundtrip() -> None:
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    set_both(precision=3, threshold=10, edgeitems=1, linewidth=50, sci_mode=True)
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    saved = P.get_printoptions()
    P.set_printoptions(profile="short")  # sci_mode resets to None, as in torch
    torch.set_printoptions(profile="short")
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    P.set_printoptions(**saved)
    assert P.get_printoptions() == saved


def test_printoptions_context_manager_restores() -> None:
    before = P.get_printoptions()
    with P.printoptions(precision=1, sci_mode=False):
        assert P.get_printoptions()["precision"] == 1
        assert P.format_tensor(np.float32([1.25]), "float32", "float32", []) == "tensor([1.2])"
    assert P.get_printoptions() == before


def test_module_name() -> None:
    text = P.format_tensor(np.float64([1, 2]), "float64", "float32", [], module="torchless")
    assert text == "tensor([1., 2.], dtype=torchless.float64)"


# --- suffixes: compare with tensors that really carry requires_grad / grad_fn -------------------

SUFFIX_CASES = {
    "scalar": np.float32(2.5),
    "vector": np.float32([1.0, 2.5]),
    "float64": np.float64([1.0, 2.0]),
    "float16": np.float16([1.0, 2.0]),
    "matrix": rng.standard_normal((4, 9)).astype(np.float32),
    "long_last_line": rng.standard_normal((3, 8)).astype(np.float32) * 1000,
    "wraps_exactly": np.float32([1.5] * 9),
    "summary": np.arange(2000, dtype=np.float64).reshape(40, 50),
    "empty": np.zeros((0, 2), np.float32),
    "empty64": np.zeros(0, np.float64),
}


@pytest.mark.parametrize("name", list(SUFFIX_CASES))
@pytest.mark.parametrize("kind", ["requires_grad", "grad_fn"])
def test_suffixes_match_torch(name: str, kind: str) -> None:
    arr = SUFFIX_CASES[name]
    leaf = to_torch(arr).requires_grad_(True)
    if kind == "requires_grad":
        tensor, suffix = leaf, "requires_grad=True"
    else:
        tensor, suffix = leaf.view_as(leaf), "grad_fn=<ViewBackward0>"
    assert ours(arr, [suffix]) == repr(tensor)


@pytest.mark.parametrize("linewidth", [10, 30, 40, 44, 45, 46, 80])
def test_suffix_wrapping_matches_torch(linewidth: int) -> None:
    set_both(linewidth=linewidth)
    for arr in (np.float64([1.5, 2.5, 3.5]), np.float16([[1, 2], [3, 4]]), np.float32(1.25)):
        leaf = to_torch(arr).requires_grad_(True)
        assert ours(arr, ["grad_fn=<ViewBackward0>"]) == repr(leaf.view_as(leaf))


def test_str_equals_repr_for_torch() -> None:
    # The caller uses format_tensor for both str() and repr(); torch agrees.
    t = torch.tensor([[1.0, 2.5], [3.0, 4.0]])
    assert str(t) == repr(t)


# --- property test over random shapes, dtypes, magnitudes and options ---------------------------

_FLOAT_DTYPES = [np.float16, np.float32, np.float64]
_INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8]


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    ndim = draw(st.integers(0, 4))
    max_side = {0: 1, 1: 40, 2: 12, 3: 7, 4: 5}[ndim]
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=ndim, max_size=ndim)))
    if draw(st.booleans()) and ndim:
        # occasionally big enough to be summarised with the default threshold
        shape = (draw(st.integers(1, 3)),) * (ndim - 1) + (draw(st.integers(300, 1200)),)
    size = int(np.prod(shape))
    seed = draw(st.integers(0, 2**32 - 1))
    gen = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["float", "int", "bool"]))
    if kind == "bool":
        return gen.random(size).reshape(shape) < draw(st.floats(0, 1))
    if kind == "int":
        dtype = draw(st.sampled_from(_INT_DTYPES))
        info = np.iinfo(dtype)
        span = draw(st.sampled_from([10, 1000, None]))
        low, high = (info.min, info.max) if span is None else (max(info.min, -span), min(info.max, span))
        return gen.integers(low, high, size=size, endpoint=True, dtype=dtype).reshape(shape)
    dtype = draw(st.sampled_from(_FLOAT_DTYPES))
    low_exp = draw(st.integers(-12, 10))
    high_exp = low_exp + draw(st.integers(0, 8))
    values = gen.standard_normal(size) * 10.0 ** gen.uniform(low_exp, high_exp, size)
    if draw(st.booleans()):
        values = np.round(values)  # integral floats
    if draw(st.booleans()) and size:
        specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
        mask = gen.random(size) < 0.2
        values[mask] = gen.choice(specials, size=int(mask.sum()))
    with np.errstate(over="ignore"):
        return values.astype(dtype).reshape(shape)


options = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 8),
        "threshold": st.sampled_from([0, 5, 50, 1000]),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(10, 150),
        "sci_mode": st.sampled_from([None, True, False]),
        "profile": st.sampled_from(["default", "short", "full"]),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arr=arrays(), opts=options, grad=st.booleans())
def test_random_tensors_match_torch(arr: np.ndarray, opts: dict[str, Any], grad: bool) -> None:
    set_both(**opts)
    try:
        if grad and arr.dtype.kind == "f":
            leaf = to_torch(arr).requires_grad_(True)
            assert ours(arr, ["requires_grad=True"]) == repr(leaf)
        else:
            assert_same(arr)
    finally:
        set_both(profile="default")
