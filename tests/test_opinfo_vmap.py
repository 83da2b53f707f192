"""vmap over PyTorch's OpInfo database (tests/opinfo_vmap.py): every OpInfo's samples, batched, give
torch's per-element results, through a batching rule or the per-element fallback."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")

from opinfo_db import database, op_id
from opinfo_gaps import GAPS
from opinfo_vmap import run_op

MAX_SAMPLES = 2


def _param(op):
    name = op_id(op)
    # (the OpInfos that fail without vmap are listed, with their reasons, in tests/opinfo_gaps.py)
    marks = [pytest.mark.skip(reason=f"fails without vmap: {GAPS[name]}")] if name in GAPS else []
    return pytest.param(op, id=name, marks=marks)


@pytest.mark.parametrize("op", [_param(op) for op in database()])
def test_vmap_opinfo(op):
    status, detail = run_op(op, MAX_SAMPLES)
    assert status in ("rule", "fallback", "n/a"), f"{op_id(op)}: {status}: {detail}"
