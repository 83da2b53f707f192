"""Run a PyTorch program with torchless standing in for torch: only the import changes.

    .venv/bin/python examples/with_torchless.py examples/nn_polynomial.py

Installs ``torchless`` as ``torch`` (``import torch``, ``import torch.nn as nn``,
``from torch.utils.data import DataLoader`` all resolve to torchless's modules), then runs
the program as ``__main__``. Run the program directly to get PyTorch's output to compare.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import torch.X` -> the module torchless.X."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("torch.") and importlib.util.find_spec("torchless" + fullname[5:]) is not None:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("torchless" + spec.name[5:])

    def exec_module(self, module):
        pass


def install() -> None:
    """Make `import torch` (and its submodules) import torchless."""
    import torchless

    for name in list(sys.modules):  # submodules torchless has already loaded
        if name == "torchless" or name.startswith("torchless."):
            sys.modules["torch" + name[len("torchless"):]] = sys.modules[name]
    sys.modules["torch"] = torchless
    sys.meta_path.insert(0, _TorchAlias())


if __name__ == "__main__":
    program = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    install()
    runpy.run_path(program, run_name="__main__")
