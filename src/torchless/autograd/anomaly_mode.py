"""Anomaly mode: nodes remember the forward call that made them, and backward reports it.

While it is on, each recorded node keeps the traceback of its forward call (in
``node.metadata["traceback_"]``); an error raised while backward runs a node is preceded by a
warning that shows that traceback, and (``check_nan``) a node returning NaN gradients raises.
Off, it costs the op nothing but the recording state's ``is None`` check (recording.py), and the
engine one flag check per node.
"""

from __future__ import annotations

import functools
import os
import traceback
import warnings

from ..backend import np
from . import recording

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on."""
    return recording.get("anomaly")


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks backward's results for NaN (True unless set otherwise)."""
    return recording.get("check_nan")


class detect_anomaly:
    """Turn anomaly mode on inside a ``with`` block (or a decorated function).

    >>> import warnings, torchless as torch
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with torch.autograd.detect_anomaly():
    ...         torch.is_anomaly_enabled()
    True
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = bool(check_nan)
        self._prev = []
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self._prev.append((recording.get("anomaly"), recording.get("check_nan")))
        recording.update(anomaly=True, check_nan=self.check_nan)

    def __exit__(self, *exc):
        anomaly, check_nan = self._prev.pop()
        recording.update(anomaly=anomaly, check_nan=check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Set anomaly mode at once (as a plain call), or for a ``with`` block, after which the
    previous mode comes back."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (recording.get("anomaly"), recording.get("check_nan"))
        recording.update(anomaly=bool(mode), check_nan=bool(check_nan))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        anomaly, check_nan = self._prev
        recording.update(anomaly=anomaly, check_nan=check_nan)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled: switch anomaly mode on or off."""
    recording.update(anomaly=bool(enabled), check_nan=bool(check_nan))


def keep_traceback(node) -> None:
    """Store the forward call's traceback on ``node``, without torchless's own frames."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PACKAGE)]
    node.metadata["traceback_"] = traceback.format_list(frames)


def apply_checked(node, grads_out, check_nan: bool):
    """``node._apply(grads_out)`` under anomaly mode: an error is preceded by a warning showing the
    forward traceback; with ``check_nan``, a NaN in a returned gradient is an error."""
    try:
        grads_in = node._apply(grads_out)
        if check_nan:
            for i, g in enumerate(grads_in):
                if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
    except Exception:
        _warn_error(node)
        raise
    return grads_in


def _warn_error(node) -> None:
    hooks = node._hooks
    stack = hooks.get("metadata", {}).get("traceback_") if hooks is not None else None
    if stack is None:
        warnings.warn(
            "Error detected in " + node.name() + ". No forward pass information available. Enable detect anomaly "
            "during forward pass for more information.",
            stacklevel=4,
        )
        return
    warnings.warn(
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n" + "".join(stack),
        stacklevel=4,
    )
