"""``trace_backward``: watch the engine run backward, one line per node (a torchless extension;
torch has no such tool).

>>> import torchless as torch
>>> x = torch.tensor([1., 2.], requires_grad=True)
>>> with torch.autograd.trace_backward(timing=False):
...     (x * x).sum().backward()
SumBackward0  grad_out [] |1|  -> grad_in [2] |1.414|
MulBackward0  grad_out [2] |1.414|  -> grad_in [2] |2.236|, [2] |2.236|
AccumulateGrad  grad_out [2] |4.472|  -> grad_in (none)
"""

from __future__ import annotations

import contextlib
import sys
import time

from .. import _grad_mode
from . import recording
from .anomaly_mode import apply_checked

__all__ = ["trace_backward", "BackwardStep"]


class BackwardStep:
    """What one node did in backward: its name, ``grad_out`` and ``grad_in`` ((shape, norm) of
    each gradient arriving at its outputs and sent to its inputs; None where there was none), its
    hook count and the seconds it took."""

    __slots__ = ("name", "grad_out", "grad_in", "hooks", "seconds")

    def __init__(self, name, grad_out, grad_in, hooks, seconds):
        self.name, self.grad_out, self.grad_in, self.hooks, self.seconds = name, grad_out, grad_in, hooks, seconds

    def __repr__(self) -> str:
        return f"BackwardStep({self.line()!r})"

    def line(self, timing: bool = True) -> str:
        def show(items):
            return ", ".join("None" if g is None else f"{list(g[0])} |{g[1]:.4g}|" for g in items) or "(none)"
        text = f"{self.name}  grad_out {show(self.grad_out)}  -> grad_in {show(self.grad_in)}"
        if self.hooks:
            text += f"  hooks {self.hooks}"
        return text + (f"  {self.seconds * 1e3:.3f} ms" if timing else "")


def _summary(g):
    if g is None:
        return None
    with _grad_mode.no_grad():
        data = g._data
        norm = float((abs(data) ** 2).sum() ** 0.5) if data.size else 0.0
    return tuple(data.shape), norm


class _Tracer:
    def __init__(self, file, records, break_on, timing):
        self.file, self.records, self.break_on, self.timing = file, records, break_on, timing

    def run(self, node, grads_out, anomaly: bool, check_nan: bool):
        name = node.name().rsplit("::", 1)[-1]
        start = time.perf_counter()
        if self.break_on is not None and name == self.break_on:
            import pdb  # noqa: T100 - break_on's whole point
            grads_in = pdb.Pdb().runcall(node._apply, grads_out)
        elif anomaly:
            grads_in = apply_checked(node, grads_out, check_nan)
        else:
            grads_in = node._apply(grads_out)
        seconds = time.perf_counter() - start
        hooks = sum(len(t) for t in (node._hooks or {}).values() if isinstance(t, dict))
        step = BackwardStep(name, [_summary(g) for g in grads_out],
                            [_summary(g) for g in (grads_in if name != "AccumulateGrad" else ())], hooks, seconds)
        if self.records is not None:
            self.records.append(step)
        if self.file is not False:
            print(step.line(self.timing), file=self.file if self.file is not None else sys.stdout)
        return grads_in


@contextlib.contextmanager
def trace_backward(file=None, records=None, break_on: str | None = None, timing: bool = True):
    """Print each node as backward runs it: its name, the shapes and norms of the gradients in and
    out, the hooks it has and the time it took. ``file``: where to print (a file object; False:
    nowhere); ``records``: a list that gets a ``BackwardStep`` per node; ``break_on``: a node name
    (``"MulBackward0"``) whose backward runs under pdb."""
    before = recording.get("trace")
    recording.update(trace=_Tracer(file, records, break_on, timing))
    try:
        yield records
    finally:
        recording.update(trace=before)
