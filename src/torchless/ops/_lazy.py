"""Topic files that load on first use, so that ``import torchless`` stays quick.

``import torchless`` loads the core topic files (``CORE`` in ops/__init__.py). The others (linalg,
nn, fft, special, sorting, scatter, ...) load the first time one of their names is used:
- ``torchless.<name>``: the package's ``__getattr__`` calls ``function("", name)``;
- ``Tensor.<name>``: a ``_Pending`` stand-in in the class loads the file, which puts the real
  method in its place;
- a namespace package (``torchless.linalg``, ``torchless.special``, ...) loads every file that
  registers into it (``load_space``) when it is imported.

``_index.py`` says which file registers each name. It is generated from the registry:

    python -c "from torchless.ops import _lazy; _lazy.write_index()"   # tests/test_lazy_loading.py checks it
"""

from __future__ import annotations

import importlib
import sys

from .._tensor import Tensor
from . import _core, inplace
from ._index import FUNCTIONS, METHODS

PACKAGE = "torchless.ops"


def load(unit: str) -> None:
    """Load the topic file ``unit`` ("linalg", "sorting", ...) and what it registers."""
    module = f"{PACKAGE}.{unit}"
    if module in sys.modules:
        return
    for name, owner in METHODS.items():  # the file's methods replace the stand-ins as it registers
        if owner == unit and Tensor.__dict__.get(name).__class__ is _Pending:
            delattr(Tensor, name)
    importlib.import_module(module)
    inplace.install()


def load_all() -> None:
    """Load every topic file (for whatever walks the whole registry, such as the op tests)."""
    for unit in _units():
        load(unit)


def load_space(prefix: str) -> None:
    """Load the topic files that register functions into the namespace ``prefix`` ("linalg", ...)."""
    start = prefix + "."
    for key, unit in FUNCTIONS.items():
        if key.startswith(start):
            load(unit)


def function(space: str, name: str, module_globals: dict):
    """The public function ``name`` of namespace ``space`` ("" for torchless itself), loading its
    topic file; it is then kept in ``module_globals``, so this runs once per name."""
    key = f"{space}.{name}" if space else name
    unit = FUNCTIONS.get(key)
    if unit is not None:
        load(unit)
    elif not name.startswith("__"):
        load_all()  # (a name the index does not know yet: see test_lazy_loading.py)
    info = _core.OPS.get(key)
    if info is None or info.fn is None:
        where = f"torchless.{space}" if space else "torchless"
        raise AttributeError(f"module '{where}' has no attribute '{name}'")
    fn = module_globals[name] = info.fn
    return fn


def names(space: str) -> set:
    """The lazily loaded public names of namespace ``space`` (for ``dir()``)."""
    if not space:
        return {key for key in FUNCTIONS if "." not in key}
    start = space + "."
    return {key[len(start):] for key in FUNCTIONS if key.startswith(start) and "." not in key[len(start):]}


class _Pending:
    """Stands in for a Tensor method whose topic file has not loaded: the first look-up loads it."""

    __slots__ = ("name", "unit")

    def __init__(self, name: str, unit: str):
        self.name, self.unit = name, unit

    def __get__(self, obj, cls=None):
        load(self.unit)
        real = Tensor.__dict__.get(self.name, self)
        if real is self or real.__class__ is _Pending:  # (the index names a method the file lacks)
            raise AttributeError(f"'Tensor' object has no attribute '{self.name}'")
        return real.__get__(obj, cls) if hasattr(real, "__get__") else real


def install_stand_ins() -> None:
    """Put a stand-in in Tensor for every method of a topic file that has not loaded."""
    for name, unit in METHODS.items():
        if name not in Tensor.__dict__ and f"{PACKAGE}.{unit}" not in sys.modules:
            setattr(Tensor, name, _Pending(name, unit))
    Tensor.__getattr__ = _unknown_attribute


def _unknown_attribute(self, name: str):
    """Tensor's last resort for an attribute it lacks: a method that the index does not know yet
    loads with all the topic files (runs only for names Tensor does not have)."""
    if not name.startswith("_") and not all(f"{PACKAGE}.{unit}" in sys.modules for unit in _units()):
        load_all()
        if name in Tensor.__dict__:
            return getattr(self, name)
    raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


# ---- the index ------------------------------------------------------------------------------------
def _registered() -> tuple:
    """The registry's keys with a function, and Tensor's real (not stand-in) attributes."""
    keys = {key for key, info in _core.OPS.items() if info.fn is not None}
    attrs = {name for name, v in Tensor.__dict__.items() if v.__class__ is not _Pending}
    return keys, attrs


def _units() -> list:
    """The topic files (modules and packages of ops/) that are not core."""
    import pkgutil

    from . import CORE

    ops = sys.modules[PACKAGE]
    return sorted(m.name for m in pkgutil.iter_modules(ops.__path__)
                  if not m.name.startswith("_") and m.name not in CORE)


def _what(unit: str) -> str:
    """Run in a fresh interpreter: what loading ``unit`` alone adds, as ``repr((keys, attrs))``."""
    keys, attrs = _registered()
    importlib.import_module(f"{PACKAGE}.{unit}")
    inplace.install()
    keys2, attrs2 = _registered()
    return repr((sorted(keys2 - keys), sorted(attrs2 - attrs)))


def build_index() -> str:
    """The text of ``_index.py``, each name credited to the smallest topic file that registers it
    (loading ``masked`` also loads ``sorting``: sorting's names stay sorting's)."""
    import ast
    import subprocess

    added = {}
    for unit in _units():
        code = f"import torchless.ops._lazy as L; print(L._what({unit!r}))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        added[unit] = ast.literal_eval(out.strip().splitlines()[-1])
    size = {unit: len(k) + len(a) for unit, (k, a) in added.items()}
    functions, methods = {}, {}
    for unit in sorted(added, key=lambda u: (size[u], u)):
        keys, attrs = added[unit]
        for key in keys:
            functions.setdefault(key, unit)
        for attr in attrs:
            methods.setdefault(attr, unit)
    lines = ['"""Which topic file registers each lazily loaded name (generated: see ops/_lazy.py)."""',
             "", "# registry key -> topic file", "FUNCTIONS = {"]
    lines += [f"    {k!r}: {functions[k]!r}," for k in sorted(functions)]
    lines += ["}", "", "# Tensor attribute -> topic file", "METHODS = {"]
    lines += [f"    {k!r}: {methods[k]!r}," for k in sorted(methods)]
    lines += ["}", ""]
    return "\n".join(lines)


def write_index() -> None:
    """Rewrite ``_index.py`` from the registry."""
    import pathlib

    pathlib.Path(__file__).with_name("_index.py").write_text(build_index())
