"""Shared test setup: every test starts from torchless's (and torch's) global defaults."""

from __future__ import annotations

import pathlib
import sys

import pytest

_SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))


def _reset(lib) -> None:
    lib.set_default_dtype(lib.float32)
    lib.set_printoptions(profile="default")
    lib.set_grad_enabled(True)


@pytest.fixture(autouse=True)
def _global_defaults():
    """Restore the default dtype, print options and grad mode around each test."""
    libs = []
    for name in ("torchless", "torch"):
        try:
            libs.append(__import__(name))
        except Exception:  # noqa: BLE001, S112 - torch is optional; torchless may be mid-rewrite
            continue
    for lib in libs:
        _reset(lib)
    yield
    for lib in libs:
        _reset(lib)
