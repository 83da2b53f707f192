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

    def __init__(self, check_nan: bool = True, *, forward: bool = False, check_inf: bool = False):
        # forward, check_inf: torchless extensions (torch checks backward only, for NaN only):
        # stop at the first op whose forward output (or backward gradient) is not finite
        self.check_nan = bool(check_nan)
        self.forward, self.check_inf = bool(forward), bool(check_inf)
        self._prev = []
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self._prev.append({f: recording.get(f) for f in ("anomaly", "check_nan", "forward", "check_inf")})
        recording.update(anomaly=True, check_nan=self.check_nan, forward=self.forward, check_inf=self.check_inf)

    def __exit__(self, *exc):
        recording.update(**self._prev.pop())

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
            check_inf = recording.get("check_inf")
            for i, g in enumerate(grads_in):
                if g is not None and g._data.dtype.kind in "fc":
                    if np.isnan(g._data).any():
                        raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
                    if check_inf and np.isinf(g._data).any():
                        raise RuntimeError(f"Function '{node.name()}' returned inf values in its {i}th output.")
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


def _user_line() -> str:
    """``file:line: code`` of the innermost frame outside torchless (the user's forward call)."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PACKAGE)]
    if not frames:
        return "<unknown>"
    f = frames[-1]
    return f"{f.filename}:{f.lineno}: {f.line}"


def check_forward(node, out, check_nan: bool, check_inf: bool) -> None:
    """Raise where a forward output first stops being finite (anomaly mode with forward=True),
    naming the op, its operands and the elements that produced it."""
    data = out._data
    if data.dtype.kind not in "fc" or not (check_nan or check_inf):
        return
    bad = np.isnan(data) if not check_inf else ~np.isfinite(data)
    if check_inf and not check_nan:
        bad &= ~np.isnan(data)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if data.ndim else ()
    value = data[index].item()
    operands = [t for t in (node._saved if node._saved.__class__ is tuple else ())
                if hasattr(t, "_data")]
    described = []
    for i, t in enumerate(operands):
        d = t._data
        text = f"input {i}: {list(d.shape)} {d.dtype}"
        try:
            text += f", {np.broadcast_to(d, data.shape)[index].item()!r} there"
        except ValueError:
            pass
        described.append(text)
    detail = f" ({'; '.join(described)})" if described else ""
    raise RuntimeError(f"Anomaly in forward: {node.name()} produced {value!r} at index {index}{detail}, "
                       f"in {_user_line()}")
