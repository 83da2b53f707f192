"""Run the same snippet with torchless and with torch (the spec) and compare what comes back.

``same_as_torch(f)`` calls ``f(torchless)`` and ``f(torch)``: both must return equal results
(tensors by dtype, shape, requires_grad and values; containers item by item) or raise the same
builtin exception type. Tests using it skip where torch is not installed.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import torchless as tl

# default tolerances by dtype, when a test gives none
TOLERANCE = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-12}


def _torch():
    return pytest.importorskip("torch")


def _is_tensor(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "dtype") and hasattr(x, "grad_fn")


def _builtin_type(exc: BaseException) -> type:
    """The first builtin exception class of ``exc``'s type (torch errors subclass builtins)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return type(exc)


def assert_same(ours, ref, *, rtol=None, atol=None, exact=False, path="result") -> None:
    """Recursively compare a torchless result with torch's: tensors by dtype, shape,
    requires_grad and values; containers item by item; numbers by value."""
    if _is_tensor(ref):
        assert isinstance(ours, tl.Tensor), f"{path}: expected a Tensor, got {type(ours).__name__}: {ours!r}"
        assert str(ours.dtype) == str(ref.dtype), f"{path}: dtype {ours.dtype} != torch's {ref.dtype}"
        assert tuple(ours.shape) == tuple(ref.shape), (
            f"{path}: shape {tuple(ours.shape)} != torch's {tuple(ref.shape)}"
        )
        assert ours.requires_grad == ref.requires_grad, (
            f"{path}: requires_grad {ours.requires_grad} != torch's"
        )
        a, b = ours.detach().numpy(), ref.detach().resolve_conj().resolve_neg().numpy(force=True)  # (force: a ZeroTensor grad)
        if exact or b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=path)
        else:
            default = TOLERANCE.get(b.dtype.name, 1e-12)
            r = default if rtol is None else max(rtol, default)
            np.testing.assert_allclose(a, b, rtol=r, atol=r if atol is None else atol, equal_nan=True,
                                       err_msg=path)
    elif isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{path}: expected a sequence, got {ours!r}"
        assert type(ours).__name__ == type(ref).__name__ or isinstance(ours, type(ref)), (
            f"{path}: {type(ours).__name__} != torch's {type(ref).__name__}"
        )
        assert len(ours) == len(ref), f"{path}: length {len(ours)} != torch's {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, rtol=rtol, atol=atol, exact=exact, path=f"{path}[{i}]")
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and set(ours) == set(ref), f"{path}: {ours!r} != {ref!r}"
        for k in ref:
            assert_same(ours[k], ref[k], rtol=rtol, atol=atol, exact=exact, path=f"{path}[{k!r}]")
    elif isinstance(ref, float) and not isinstance(ref, bool):
        assert type(ours) is float, f"{path}: {ours!r} is not a float like torch's {ref!r}"
        rel = 1e-6 if rtol is None else rtol
        assert ours == pytest.approx(ref, rel=rel, abs=atol or 0.0, nan_ok=True), f"{path}: {ours!r} != {ref!r}"
    elif ref is None or isinstance(ref, (bool, int, str)):
        assert type(ours) is type(ref) and ours == ref, f"{path}: {ours!r} != torch's {ref!r}"
    else:  # dtypes, devices, sizes...
        assert str(ours) == str(ref), f"{path}: {ours!r} != torch's {ref!r}"


def _outcome(fn, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, fn(lib)
    except Exception as e:  # noqa: BLE001
        return False, e


def same_as_torch(fn, *, match: str | None = None, **kw):
    """Run ``fn(torchless)`` and ``fn(torch)``; both must return equal results or raise the same
    kind of exception (whose messages both match ``match``, a regex, when given)."""
    torch = _torch()
    ok_ref, ref = _outcome(fn, torch)
    ok_ours, ours = _outcome(fn, tl)
    if not ok_ref:
        assert not ok_ours, f"torch raised {type(ref).__name__}: {ref}; torchless returned {ours!r}"
        assert _builtin_type(ours) is _builtin_type(ref), (
            f"torchless raised {type(ours).__name__}: {ours}\n    torch raised {type(ref).__name__}: {ref}"
        )
        if match is not None:
            assert re.search(match, str(ref)), f"torch's message does not match {match!r}: {ref}"
            assert re.search(match, str(ours)), f"torchless's message does not match {match!r}: {ours}"
        return ours, ref
    if not ok_ours:
        raise ours
    assert_same(ours, ref, **kw)
    return ours, ref


def raises_like_torch(fn, match: str):
    """Both libraries raise the same builtin exception type, and both messages match ``match``."""
    ours, ref = same_as_torch(fn, match=match)
    assert isinstance(ref, Exception), f"torch did not raise: {ref!r}"
    return ours


