"""Anomaly mode, differential against torch: the switches, the warnings (texts' gist), the forward
traceback kept on nodes, the NaN check and its message."""

from __future__ import annotations

import re
import warnings

import pytest
from torch_compare import _torch, same_as_torch

import torchless as tl

ENABLED = "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for debugging."


def _run(lib, fn):
    """``fn(lib)``'s result or error, and the UserWarnings it gave (NumPy's RuntimeWarnings aside)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(lib)
        except Exception as e:  # noqa: BLE001
            result = (type(e).__name__, str(e))
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    return result, messages


def _gist(message: str) -> str:
    """A warning without torch's '(Triggered internally at ...)' tail."""
    return re.sub(r"\s*\(Triggered internally at .*\)$", "", message, flags=re.DOTALL)


def _both(fn):
    torch = _torch()
    return _run(tl, fn), _run(torch, fn)


def test_switches():
    def f(lib):
        out = [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
        with lib.autograd.detect_anomaly():
            out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
            with lib.autograd.detect_anomaly(check_nan=False):
                out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
            out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
        out.append(lib.is_anomaly_enabled())
        lib.autograd.set_detect_anomaly(True, check_nan=False)
        out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
        lib.autograd.set_detect_anomaly(False)
        out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
        with lib.autograd.set_detect_anomaly(True):
            out.append(lib.is_anomaly_enabled())
        out.append(lib.is_anomaly_enabled())
        return out

    (ours, w_ours), (ref, w_ref) = _both(f)
    assert ours == ref
    assert w_ours == w_ref == [ENABLED, ENABLED]  # set_detect_anomaly does not warn


def test_traceback_kept_only_in_anomaly_mode():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a.exp()
        outside = dict(y.grad_fn.metadata)
        with lib.autograd.detect_anomaly():
            z = a.exp()  # THE-FORWARD-LINE
        tb = z.grad_fn.metadata["traceback_"]
        return outside, type(tb).__name__, "THE-FORWARD-LINE" in tb[-1], "test_anomaly_mode.py" in tb[-1]

    (ours, _), (ref, _) = _both(f)
    assert ours == ref == ({}, "list", True, True)


def test_no_torchless_frames_in_the_traceback():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tl.autograd.detect_anomaly():
            a = tl.tensor([1.0, 2.0], requires_grad=True)
            z = (a * 2).sin().sum()
    for node in (z.grad_fn, z.grad_fn.next_functions[0][0]):
        assert not any("src/torchless" in frame for frame in node.metadata["traceback_"])


def test_nan_in_backward_raises_naming_the_node():
    def f(lib):
        a = lib.tensor([0.0, 2.0], requires_grad=True)
        with lib.autograd.detect_anomaly():
            y = (a / a).sum()
            y.backward()

    (ours, w_ours), (ref, w_ref) = _both(f)
    assert ours == ref == ("RuntimeError", "Function 'DivBackward0' returned nan values in its 1th output.")
    assert len(w_ours) == len(w_ref) == 2
    head = "Error detected in DivBackward0. Traceback of forward call that caused the error:\n"
    for w in (w_ours[1], w_ref[1]):
        assert w.startswith(head)
        assert "y = (a / a).sum()" in w
    assert _gist(w_ours[1]).splitlines()[1:] == _gist(w_ref[1]).splitlines()[1:]


def test_nan_check_off():
    def f(lib):
        a = lib.tensor([0.0, 2.0], requires_grad=True)
        with lib.autograd.detect_anomaly(check_nan=False):
            (a / a).sum().backward()
        return a.grad

    same_as_torch(f)


def test_nan_without_anomaly_mode_passes():
    def f(lib):
        a = lib.tensor([0.0, 2.0], requires_grad=True)
        (a / a).sum().backward()
        return a.grad

    same_as_torch(f)


def test_error_in_custom_backward_warns_with_forward_traceback():
    def f(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.detect_anomaly():
            y = Bad.apply(a).sum()  # THE-BAD-CALL
            y.backward()

    (ours, w_ours), (ref, w_ref) = _both(f)
    assert ours == ref == ("ValueError", "boom")
    for w in (w_ours, w_ref):
        assert w[0] == ENABLED
        assert w[1].startswith("Error detected in BadBackward. Traceback of forward call that caused the error:\n")
        assert "THE-BAD-CALL" in w[1]


def test_error_for_a_node_made_outside_anomaly_mode():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        y = (b * b).sum()
        b.add_(1)
        with lib.autograd.detect_anomaly():
            y.backward()

    (ours, w_ours), (ref, w_ref) = _both(f)
    assert ours[0] == ref[0] == "RuntimeError"
    assert "modified by an inplace operation" in ours[1]
    assert [_gist(w) for w in w_ours] == [_gist(w) for w in w_ref]


def test_values_unchanged_in_anomaly_mode():
    def f(lib):
        a = lib.tensor([0.5, 1.5, 2.5], requires_grad=True)
        with lib.autograd.detect_anomaly():
            y = (a.sin() * a.exp() / (a + 1)).tanh().sum()
            (g,) = lib.autograd.grad(y, a, create_graph=True)
            g.sum().backward()
        return y, g, a.grad

    same_as_torch(f)


def test_decorator_and_state_restored_after_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @tl.autograd.detect_anomaly()
        def inside():
            return tl.is_anomaly_enabled()

        assert inside() is True
        assert tl.is_anomaly_enabled() is False
        with pytest.raises(KeyError), tl.autograd.detect_anomaly(check_nan=False):
            raise KeyError
    assert tl.is_anomaly_enabled() is False
    assert tl.is_anomaly_check_nan_enabled() is True
    from torchless.autograd import recording

    assert recording.current() is None


def test_anomaly_state_is_per_thread():
    import threading

    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tl.autograd.detect_anomaly():
            t = threading.Thread(target=lambda: seen.append(tl.is_anomaly_enabled()))
            t.start()
            t.join()
    assert seen == [False]
