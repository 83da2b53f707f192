"""torch.return_types: the named tuples that ops like ``max(dim)``, ``sort`` and ``linalg.slogdet`` return.

Each is a tuple subclass with named fields, printed as torch prints it::

    torch.return_types.sort(
    values=tensor([1., 2.]),
    indices=tensor([1, 0]))
"""

from __future__ import annotations

from collections import namedtuple


def _repr(self) -> str:
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{fields})"


def make(name: str, fields: str):
    """A return type ``name`` with the space-separated ``fields``, published in this module
    (``torchless.return_types.<name>``). Made once per name."""
    existing = globals().get(name)
    if existing is not None:
        return existing
    cls = namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    cls.__repr__ = _repr
    globals()[name] = cls
    return cls
