"""A linter for custom ``autograd.Function``s, run as they run (a torchless extension).

Inside ``lint_functions()`` (or with the environment variable ``TORCHLESS_LINT=1``) each Function
call is checked, and every finding is a ``FunctionLintWarning`` naming the code, the Function and
the line of its ``forward`` or ``backward``:

=====  ==========================================================================================
TL001  a tensor stored as a ctx attribute instead of through ``save_for_backward``: it is not
       checked for in-place changes, lives as long as the graph even after backward, and, when it
       requires grad, double backward silently goes wrong through it
TL002  forward returns an input (or memory of an input) without ``mark_dirty``
TL003  ``save_for_backward`` called twice: only the last call's tensors are kept
TL004  backward returns a different number of gradients than forward has inputs
TL005  backward returns a gradient whose shape or dtype differs from its input's
TL006  backward modifies a grad_output in place
TL007  forward returns an integer or bool tensor not marked ``mark_non_differentiable``
=====  ==========================================================================================
"""

from __future__ import annotations

import functools
import inspect
import os
import warnings

import numpy as np

from .._tensor import Tensor
from . import recording

__all__ = ["lint_functions", "FunctionLintWarning", "CODES"]

CODES = {
    "TL001": "tensor stored as a ctx attribute",
    "TL002": "input returned without mark_dirty",
    "TL003": "save_for_backward called twice",
    "TL004": "wrong number of gradients",
    "TL005": "gradient of the wrong shape or dtype",
    "TL006": "grad_output modified in place",
    "TL007": "integer output not marked non-differentiable",
}

# what the Function machinery itself keeps on a ctx
_OWN = frozenset({"needs_input_grad", "_will_backward", "_to_save", "_dirty", "_non_differentiable", "_next",
                  "_arg_meta", "saved_for_forward", "materialize_grads", "_lint"})


class FunctionLintWarning(UserWarning):
    """A finding of the Function linter."""


class lint_functions:
    """Check custom Functions as they run (context manager or decorator)."""

    def __enter__(self):
        self._before = recording.get("lint")
        recording.update(lint=True)
        return self

    def __exit__(self, *exc):
        recording.update(lint=self._before)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with lint_functions():
                return fn(*args, **kwargs)
        return wrapper


def _where(fn) -> str:
    fn = inspect.unwrap(getattr(fn, "__func__", fn))
    try:
        return f"{inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    except (OSError, TypeError):
        return "<unknown>"


def _warn(code: str, cls, method: str, detail: str) -> None:
    fn = getattr(cls, method, None)
    warnings.warn(f"{code} {cls.__name__}.{method} ({_where(fn)}): {detail}", FunctionLintWarning, stacklevel=4)


def check_save_twice(ctx) -> None:
    """Called by save_for_backward when the ctx already saved something."""
    _warn("TL003", ctx._forward_cls, "forward", "save_for_backward was called twice; only the tensors of the last "
          "call are kept: save them all in one call")


def check_forward(cls, ctx, args, outputs) -> None:
    for key, value in vars(ctx).items():
        if key not in _OWN and isinstance(value, Tensor):
            trap = (" It requires grad: a double backward through it does not see how it was computed."
                    if value.requires_grad else "")
            _warn("TL001", cls, "forward", f"tensor stored as ctx.{key} instead of through save_for_backward: it "
                  "is not checked for in-place changes and stays alive with the graph after backward." + trap)
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_differentiable}
    inputs = [a for a in args if isinstance(a, Tensor)]
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            continue
        if id(out) not in dirty:
            for j, a in enumerate(inputs):
                if out is a or np.shares_memory(out._data, a._data):
                    _warn("TL002", cls, "forward", f"output {i} is input {j} or shares its memory, without "
                          "mark_dirty: return a new tensor (x.clone()) or, if forward changed the input in place, "
                          "call ctx.mark_dirty on it")
                    break
        if out._data.dtype.kind in "biu" and id(out) not in non_diff:
            _warn("TL007", cls, "forward", f"output {i} is a {out.dtype} tensor, which has no gradient: declare it "
                  "with ctx.mark_non_differentiable")


def run_backward(ctx, grads, run):
    """``run(grads)`` (the user's backward), checked: TL004, TL005, TL006."""
    cls = ctx._forward_cls
    versions = [g._version if isinstance(g, Tensor) else None for g in grads]
    result = run(grads)
    result = result if isinstance(result, tuple) else (result,)
    for i, (g, v) in enumerate(zip(grads, versions)):
        if v is not None and g._version != v:
            _warn("TL006", cls, "backward", f"grad_output {i} was modified in place: it may be shared with other "
                  "nodes; compute a new tensor instead")
    metas = ctx._arg_meta
    if len(result) != len(metas):
        _warn("TL004", cls, "backward", f"returned {len(result)} gradients for {len(metas)} forward inputs "
              f"(needs_input_grad={ctx.needs_input_grad})")
    for i, (g, meta) in enumerate(zip(result, metas)):
        if isinstance(g, Tensor) and meta is not None and (g._data.shape != meta[0] or g._data.dtype != meta[1]):
            _warn("TL005", cls, "backward", f"gradient {i} has shape {list(g._data.shape)} and dtype {g._data.dtype}, "
                  f"its input shape {list(meta[0])} and dtype {meta[1]} (needs_input_grad[{i}]="
                  f"{ctx.needs_input_grad[i]})")
    return result


if os.environ.get("TORCHLESS_LINT", "") not in ("", "0"):
    recording.update(lint=True)
