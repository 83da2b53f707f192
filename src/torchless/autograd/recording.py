"""What the graph records besides the operation itself: saved-tensor hooks and anomaly mode.

Both live in one ContextVar, ``None`` unless some of it is on, so that recording an op costs a
single ``is None`` check when neither is in use (ops/_core.py). The value is an immutable
``Recording``; a context manager replaces it on entry and, on exit, puts back only the field it
changed (so that ``set_detect_anomaly(True)`` called inside a hooks block outlives the block).
"""

from __future__ import annotations

from contextvars import ContextVar

_recording = ContextVar("torchless_recording", default=None)
current = _recording.get


class Recording:
    """``hooks``: the innermost (pack, unpack) pair or None; ``disabled``: the error message of
    the innermost disable_saved_tensors_hooks or None; ``mutation``: the active
    allow_mutation_on_saved_tensors context or None; ``anomaly`` and ``check_nan``: anomaly mode;
    ``trace``: the tracer of trace_backward (trace.py) or None; ``lint``: the Function linter
    (lint.py) is on; ``forward``, ``check_inf``: anomaly mode's torchless extensions (check each
    op's forward output; count infinities as anomalies too); ``strict``: strict mode (strict.py);
    ``dual``: the dual levels of forward-mode AD (forward_ad.py) or None."""

    __slots__ = ("hooks", "disabled", "mutation", "anomaly", "check_nan", "trace", "lint", "forward", "check_inf",
                 "strict", "dual")
    FIELDS = __slots__
    DEFAULTS = (None, None, None, False, True, None, False, False, False, False, None)

    def __init__(self, hooks=None, disabled=None, mutation=None, anomaly=False, check_nan=True, trace=None,
                 lint=False, forward=False, check_inf=False, strict=False, dual=None):
        self.hooks, self.disabled, self.mutation = hooks, disabled, mutation
        self.anomaly, self.check_nan, self.trace, self.lint = anomaly, check_nan, trace, lint
        self.forward, self.check_inf, self.strict, self.dual = forward, check_inf, strict, dual


def get(field: str):
    """The current value of one field."""
    state = _recording.get()
    if state is None:
        return Recording.DEFAULTS[Recording.FIELDS.index(field)]
    return getattr(state, field)


def update(**fields) -> None:
    """Set some fields, keeping the others; all at their defaults, the state is None again."""
    state = _recording.get()
    values = [fields.get(f, Recording.DEFAULTS[i] if state is None else getattr(state, f))
              for i, f in enumerate(Recording.FIELDS)]
    _recording.set(None if tuple(values) == Recording.DEFAULTS else Recording(*values))


def on_record(node, reverse: bool = True, out=None) -> None:
    """Called for each node recorded while the state is not None: keep the forward traceback
    (anomaly mode) and pack the node's saved tensors (saved-tensor hooks). ``reverse``: pack the
    operands last to first, as torch's built-in ops save them."""
    state = _recording.get()
    if state.anomaly:
        from .anomaly_mode import check_forward, keep_traceback

        keep_traceback(node)
        if state.forward and out is not None:
            check_forward(node, out, state.check_nan, state.check_inf)
    if state.hooks is not None:
        if state.disabled is not None:
            raise RuntimeError(state.disabled)
        from .saved_hooks import pack_node

        pack_node(node, state.hooks, reverse)
    if state.strict:
        from .strict import lock

        lock(node)
