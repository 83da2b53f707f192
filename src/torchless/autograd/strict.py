"""Strict mode: in-place hazards caught at the line that mutates (a torchless extension).

PyTorch notices that a tensor saved for backward was changed in place only when backward runs
(the version-counter error), far from the line that changed it, and never when the change went
through NumPy (``t.numpy()[0] = 1``). Inside ``strict()`` (or with ``TORCHLESS_STRICT=1``) every
array a node saves for backward is made read-only while the graph holds it: an in-place tensor op
on it raises at once, naming the node that saved it and the forward line that made that node; a
write through ``.numpy()`` raises NumPy's read-only error at the writing line. The arrays become
writable again when backward frees the node (without ``retain_graph``) or the graph is dropped.
Strict mode also runs the Function linter (lint.py). Outside it, nothing changes.
"""

from __future__ import annotations

import functools
import os
import weakref

from . import recording

__all__ = ["strict"]

# id(array) -> [array, how many nodes hold it, (node name, forward line) of the first]: the one
# registry strict mode needs, because locks outlive the block that made them
_LOCKED: dict = {}


class strict:
    """Write-lock what the graph saves for backward, and lint custom Functions (context manager
    or decorator)."""

    def __enter__(self):
        self._before = (recording.get("strict"), recording.get("lint"))
        recording.update(strict=True, lint=True)
        return self

    def __exit__(self, *exc):
        recording.update(strict=self._before[0], lint=self._before[1])

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with strict():
                return fn(*args, **kwargs)
        return wrapper


def _roots(array):
    """The array and the array that owns its memory (a write through either changes it)."""
    yield array
    base = array
    while getattr(base, "base", None) is not None and hasattr(base.base, "flags"):
        base = base.base
    if base is not array:
        yield base


def _saved_arrays(node) -> list:
    arrays = []
    saved = node._saved
    if saved.__class__ is tuple:
        for v in saved:
            data = getattr(v, "_data", None)
            if data is None and isinstance(v, tuple) and v and hasattr(v[0], "flags"):
                data = v[0]  # (a Function's own output, kept as its array)
            if data is not None:
                arrays.append(data)
    out = node._out
    if out.__class__ is tuple and out and hasattr(out[0], "flags"):
        arrays.append(out[0])
    return arrays


def lock(node) -> None:
    """Make what ``node`` saved read-only until backward frees it or the node is dropped."""
    from .anomaly_mode import _user_line

    locked = []
    where = None
    for array in _saved_arrays(node):
        for a in _roots(array):
            entry = _LOCKED.get(id(a))
            if entry is not None:
                entry[1] += 1
            elif a.flags.writeable:
                if where is None:
                    where = (node.name(), _user_line())
                a.flags.writeable = False
                _LOCKED[id(a)] = [a, 1, where]
            else:
                continue
            locked.append(id(a))
    if locked:
        hooks = node._hooks
        if hooks is None:
            hooks = node._hooks = {}
        hooks["strict"] = weakref.finalize(node, _unlock, locked)


def _unlock(ids) -> None:
    for key in ids:
        entry = _LOCKED.get(key)
        if entry is None:
            continue
        entry[1] -= 1
        if entry[1] == 0:
            del _LOCKED[key]
            try:
                entry[0].flags.writeable = True
            except ValueError:  # (memory it does not own, read-only to begin with)
                pass


def release(node) -> None:
    """Backward freed ``node``: its arrays may be written again."""
    node._hooks.pop("strict")()


def owner(array):
    """(node name, forward line) of the node that locked ``array`` (or its memory), else None."""
    for a in _roots(array):
        entry = _LOCKED.get(id(a))
        if entry is not None:
            return entry[2]
    return None


if os.environ.get("TORCHLESS_STRICT", "") not in ("", "0"):
    recording.update(strict=True, lint=True)
