"""trace_backward: one record per node the engine runs, in order, with the gradients' shapes and
norms; the gradients themselves unchanged; nothing traced outside the block."""

from __future__ import annotations

import io
import math

import pytest

import torchless as torch
from torchless.autograd import trace_backward


def _run():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0, 3.0], requires_grad=True)
    (x * w).tanh().sum().backward()
    return x.grad, w.grad


def test_records_every_node_in_order_with_gradient_norms():
    records = []
    with trace_backward(file=False, records=records):
        gx, gw = _run()
    assert [r.name for r in records] == ["SumBackward0", "TanhBackward0", "MulBackward0", "AccumulateGrad",
                                         "AccumulateGrad"]
    tanh = records[1]
    assert tanh.grad_out[0][0] == (2,) and math.isclose(tanh.grad_out[0][1], math.sqrt(2), rel_tol=1e-6)
    assert all(r.seconds >= 0 for r in records)
    plain_x, plain_w = _run()
    assert torch.equal(gx, plain_x) and torch.equal(gw, plain_w)


def test_prints_one_line_per_node_to_a_file():
    out = io.StringIO()
    with trace_backward(file=out, timing=False):
        _run()
    lines = out.getvalue().splitlines()
    assert lines[0] == "SumBackward0  grad_out [] |1|  -> grad_in [2] |1.414|"
    assert len(lines) == 5 and lines[-1].startswith("AccumulateGrad")


def test_nothing_is_traced_outside_the_block():
    records = []
    with trace_backward(file=False, records=records):
        pass
    _run()
    assert records == []


def test_break_on_runs_the_named_node_under_pdb(monkeypatch):
    seen = []

    def runcall(self, fn, *args):
        seen.append(fn.__self__.name())
        return fn(*args)

    monkeypatch.setattr("pdb.Pdb.runcall", runcall)
    with trace_backward(file=False, break_on="TanhBackward0"):
        _run()
    assert seen == ["TanhBackward0"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_trace_with_anomaly_mode_still_checks_nan():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly(), trace_backward(file=False):
        y = x.sqrt()
        with pytest.raises(RuntimeError, match="returned nan"):
            (y * 0).sum().backward()
