"""PyTorch's OpInfo database against torchless: one test per OpInfo that runs on the CPU in float64.

Each runs every sample through every stage torch supports for it (tests/opinfo_db.py). The ones
listed in tests/opinfo_gaps.py, with their reasons, are expected to fail (strictly: one that
starts passing must come off the list). The samples per OpInfo are a seeded subset of at most
``OPINFO_MAX_SAMPLES`` (8 by default, so the suite fits CI's time; ``OPINFO_MAX_SAMPLES=all``
runs every sample, as ``python tests/opinfo_coverage.py`` does).
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")

from opinfo_db import database, op_id, run_op
from opinfo_gaps import GAPS

_CAP = os.environ.get("OPINFO_MAX_SAMPLES", "8")
MAX_SAMPLES = None if _CAP == "all" else int(_CAP)
OPS = database()


def _param(op):
    name = op_id(op)
    marks = [pytest.mark.xfail(reason=GAPS[name], strict=True)] if name in GAPS else []
    return pytest.param(op, id=name, marks=marks)


@pytest.mark.parametrize("op", [_param(op) for op in OPS])
def test_opinfo(op):
    outcome = run_op(op, MAX_SAMPLES)
    assert outcome.status == "pass", f"{op_id(op)}: {outcome.status}: {outcome.reason}"


def test_gap_list_names_real_opinfos():
    """Every entry of the gap list is an OpInfo of the database (no stale names)."""
    names = {op_id(op) for op in OPS}
    assert sorted(set(GAPS) - names) == []
