"""describe() and holders(): what a graph keeps for backward, and what keeps an array alive."""

from __future__ import annotations

import shutil

import pytest

import torchless as torch
from torchless.autograd.graph import describe, holders


class LeakySquare(torch.autograd.Function):
    """Stores tensors as ctx attributes instead of save_for_backward (a common memory bug)."""

    @staticmethod
    def forward(ctx, x):
        out = x * x
        ctx.result, ctx.inp = out, x
        return out

    @staticmethod
    def backward(ctx, g):
        return 2 * ctx.inp * g


def _graph():
    x = torch.randn(4, 3, requires_grad=True)
    w = torch.randn(3, 2)
    y = LeakySquare.apply(x.exp())
    return x, y, (y @ w).tanh().sum()


def test_describe_lists_nodes_saved_tensors_and_total_bytes():
    _, _, z = _graph()
    d = describe(z)
    names = [n.name for n in d.nodes]
    assert names == ["SumBackward0", "TanhBackward0", "MmBackward0", "LeakySquareBackward", "ExpBackward0",
                     "AccumulateGrad"]
    tanh = d.nodes[1].saved[0]
    assert (tanh.slot, tanh.shape, tanh.dtype, tanh.nbytes, tanh.version) == ("result", (4, 2), "float32", 32, 0)
    assert [s.slot for s in d.nodes[3].saved] == ["ctx.result", "ctx.inp"]
    # exp's result and ctx.inp are one array: counted once
    assert d.total_bytes == 32 + 24 + 48 + 48
    assert str(d).splitlines()[0] == "graph keeps 152 B for backward (6 nodes)"


def test_describe_shows_what_backward_freed_and_what_ctx_attributes_keep():
    _, _, z = _graph()
    z.backward()
    d = describe(z)
    assert [s.state for s in d.nodes[1].saved] == ["freed"]
    assert d.total_bytes == 96  # only the ctx attributes survive backward


def test_describe_dot_and_mermaid():
    _, _, z = _graph()
    dot = describe(z, format="dot")
    assert dot.startswith("digraph autograd {") and "fillcolor=palegreen" in dot and "fillcolor=lightblue" in dot
    assert "n0 -> n1;" in dot
    mermaid = describe(z, format="mermaid")
    assert mermaid.splitlines()[0] == "graph TD" and 'n5["AccumulateGrad [4, 3]"]' in mermaid
    with pytest.raises(ValueError, match="format"):
        describe(z, format="png")


def test_describe_counts_hooks():
    x = torch.ones(2, requires_grad=True)
    y = x.exp()
    y.grad_fn.register_hook(lambda gi, go: None)
    assert "[1 hook]" in describe(y).splitlines()[1]


def test_holders_names_saved_slots_ctx_attributes_and_cycles():
    x, y, _ = _graph()
    assert holders(y) == ["LeakySquareBackward: ctx.result (a reference cycle: the ctx holds its own output)"]
    e = x.exp()
    m = e * torch.ones(3, requires_grad=True)  # keeps e for the gradient of its other operand
    assert sorted(holders(e)) == ["ExpBackward0: result", "MulBackward0: saved 0"]
    del m


def test_holders_finds_grad_slots():
    x = torch.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    assert holders(x.grad) == ["the .grad of a [2] tensor"]


def test_to_svg_without_graphviz_names_the_extra():
    _, _, z = _graph()
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="graphviz"):
            describe(z).to_svg()
        return
    if shutil.which("dot") is None:
        pytest.skip("the graphviz package is installed but Graphviz's dot program is not")
    svg = describe(z).to_svg()
    assert "<svg" in svg and "LeakySquareBackward" in svg and "AccumulateGrad" in svg
