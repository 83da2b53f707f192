"""What a graph holds, for people debugging memory: ``describe(t)`` lists every node behind ``t``
with the tensors it keeps for backward (shape, dtype, bytes, version, or freed) and the bytes the
whole graph keeps alive, as text, DOT or Mermaid; ``holders(t)`` says what keeps ``t``'s array alive.
These are torchless extensions (PyTorch has neither), reached as ``torchless.autograd.graph.describe``
and ``torchless.autograd.graph.holders``.
"""

from __future__ import annotations

import gc

import numpy as np

from .._tensor import Tensor
from .graph import _FREED, AccumulateGrad, Node, edge_node

__all__ = ["describe", "holders", "GraphDescription"]


class Saved:
    """One value a node keeps for backward: ``slot`` ("saved 0", "result", "ctx.weight", ...),
    shape, dtype, bytes, version, ``state`` ("held", "freed", "packed by saved-tensor hooks")."""

    __slots__ = ("slot", "shape", "dtype", "nbytes", "version", "state", "array_id")

    def __init__(self, slot, shape=(), dtype="", nbytes=0, version=None, state="held", array_id=None):
        self.slot, self.shape, self.dtype, self.nbytes = slot, shape, dtype, nbytes
        self.version, self.state, self.array_id = version, state, array_id

    def __str__(self) -> str:
        if self.state != "held":
            return f"{self.slot}: {self.state}"
        version = "" if self.version is None else f", version {self.version}"
        return f"{self.slot}: {list(self.shape)} {self.dtype}, {_size(self.nbytes)}{version}"


class NodeInfo:
    """A node: name, ``kind`` ("leaf", "function" for a custom Function, "op"), what it saved, its
    hook count, ``inputs`` (the indices of the nodes it sends gradients to), a leaf's shape."""

    __slots__ = ("name", "kind", "saved", "hooks", "inputs", "leaf_shape")

    def __init__(self, name, kind, saved=None, leaf_shape=None):
        self.name, self.kind, self.saved, self.leaf_shape = name, kind, saved if saved is not None else [], leaf_shape
        self.hooks, self.inputs = 0, []


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
    return f"{n:.1f} GiB"


def _array_item(slot, data, version=None) -> Saved:
    return Saved(slot, tuple(data.shape), str(data.dtype), data.nbytes, version, "held", id(data))


def _tensor_item(slot, t) -> Saved:
    vc = t._vc
    return _array_item(slot, t._data, vc[0] if vc else 0)


def _saved_items(node: Node) -> list:
    items = []
    saved = node._saved
    if saved is _FREED:
        items.append(Saved("saved", state="freed"))
    elif saved.__class__ is tuple:
        for i, v in enumerate(saved):
            if isinstance(v, Tensor):
                items.append(_tensor_item(f"saved {i}", v))
            elif isinstance(v, tuple) and v and isinstance(v[0], np.ndarray):  # a Function's own output
                items.append(_array_item(f"saved {i} (output)", v[0], v[1][0] if v[1] else 0))
    elif saved is not None and hasattr(saved, "items"):
        items.append(Saved(f"saved ({len(saved.items)})", state="packed by saved-tensor hooks"))
    out = node._out
    if out is _FREED:
        items.append(Saved("result", state="freed"))
    elif out.__class__ is tuple and out:
        if isinstance(out[0], np.ndarray):
            items.append(_array_item("result", out[0], out[1][0] if out[1] else 0))
        else:
            for i, part in enumerate(out):
                if isinstance(part, tuple) and part and isinstance(part[0], np.ndarray):
                    items.append(_array_item(f"result {i}", part[0]))
    for key, value in getattr(node, "__dict__", {}).items():  # a custom Function's ctx attributes
        if isinstance(value, Tensor):
            items.append(_tensor_item(f"ctx.{key}", value))
    return items


def _walk(roots) -> list:
    """The nodes reachable from ``roots``, each once, in the order a depth-first walk meets them."""
    from .function import BackwardCFunction
    index, infos, order = {}, [], []
    stack = [r for r in reversed(roots) if r is not None]
    while stack:
        node = stack.pop()
        if node in index:
            continue
        index[node] = len(order)
        order.append(node)
        for e in reversed(node._next):
            if e:
                child = edge_node(e)
                if child not in index:
                    stack.append(child)
    for node in order:
        if isinstance(node, AccumulateGrad):
            info = NodeInfo("AccumulateGrad", "leaf", leaf_shape=tuple(node.variable.shape))
        else:
            kind = "function" if isinstance(node, BackwardCFunction) else "op"
            info = NodeInfo(node.name(), kind, _saved_items(node))
        info.hooks = sum(len(table) for table in (node._hooks or {}).values() if isinstance(table, dict))
        info.inputs = [index[edge_node(e)] for e in node._next if e]
        infos.append(info)
    return infos


class GraphDescription(str):
    """The description as text (this string); ``nodes``, ``total_bytes``, ``dot``, ``mermaid`` and
    ``to_svg()`` give the rest; Jupyter shows it as a picture."""

    nodes: list
    total_bytes: int

    def __new__(cls, text: str, nodes: list, total_bytes: int):
        self = super().__new__(cls, text)
        self.nodes, self.total_bytes = nodes, total_bytes
        return self

    @property
    def dot(self) -> str:
        return _dot(self.nodes, self.total_bytes)

    @property
    def mermaid(self) -> str:
        return _mermaid(self.nodes)

    def to_svg(self) -> str:
        """The DOT picture rendered by the ``graphviz`` package (``pip install torchless[graph]``)."""
        try:
            import graphviz
        except ImportError as err:
            raise ImportError("describe(...).to_svg() needs the graphviz package: pip install torchless[graph] "
                              "(and Graphviz's `dot` program); the DOT text is in .dot") from err
        return graphviz.Source(self.dot).pipe(format="svg").decode()

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_html_(self) -> str:
        try:
            return self.to_svg()
        except Exception:  # noqa: BLE001 - a notebook falls back to the text
            return "<pre>" + str(self).replace("&", "&amp;").replace("<", "&lt;") + "</pre>"


def _label(info: NodeInfo) -> str:
    if info.kind == "leaf":
        return f"AccumulateGrad {list(info.leaf_shape)}"
    held = sum(s.nbytes for s in info.saved if s.state == "held")
    return info.name + (f" ({_size(held)} saved)" if held else "")


_COLOURS = {"leaf": "lightblue", "function": "palegreen", "saver": "orange", "op": "white"}


def _colour(info: NodeInfo) -> str:
    if info.kind in ("leaf", "function"):
        return _COLOURS[info.kind]
    return _COLOURS["saver"] if any(s.state == "held" for s in info.saved) else _COLOURS["op"]


def _dot(nodes, total_bytes) -> str:
    lines = ["digraph autograd {", "  node [shape=box, style=filled, fontname=monospace];",
             f'  label="graph keeps {_size(total_bytes)} for backward";']
    for i, info in enumerate(nodes):
        detail = "\\n".join(str(s) for s in info.saved)
        text = _label(info) + ("\\n" + detail if detail else "")
        lines.append(f'  n{i} [label="{text}", fillcolor={_colour(info)}];')
    for i, info in enumerate(nodes):
        for j in info.inputs:
            lines.append(f"  n{i} -> n{j};")
    lines.append("}")
    return "\n".join(lines)


def _mermaid(nodes) -> str:
    lines = ["graph TD"]
    for i, info in enumerate(nodes):
        lines.append(f'  n{i}["{_label(info)}"]')
    for i, info in enumerate(nodes):
        for j in info.inputs:
            lines.append(f"  n{i} --> n{j}")
    return "\n".join(lines)


def describe(t, format: str = "text"):
    """The graph behind ``t`` (a tensor or a list of them): every node, what it keeps for backward,
    and the bytes the graph keeps alive (each array counted once).

    >>> import torchless as torch
    >>> x, y = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    >>> print(torch.autograd.graph.describe((x * y).sum()))
    graph keeps 24 B for backward (4 nodes)
    SumBackward0
    MulBackward0  <- saved 0: [3] float32, 12 B, version 0; saved 1: [3] float32, 12 B, version 0
    AccumulateGrad  [3]
    AccumulateGrad  [3]
    """
    tensors = [t] if isinstance(t, Tensor) else list(t)
    nodes = _walk([x.grad_fn for x in tensors])
    seen, total = set(), 0
    for info in nodes:
        for s in info.saved:
            if s.state == "held" and s.array_id not in seen:
                seen.add(s.array_id)
                total += s.nbytes
    if format == "dot":
        return _dot(nodes, total)
    if format == "mermaid":
        return _mermaid(nodes)
    if format != "text":
        raise ValueError(f"describe: format must be 'text', 'dot' or 'mermaid', got {format!r}")
    lines = [f"graph keeps {_size(total)} for backward ({len(nodes)} nodes)"]
    for info in nodes:
        if info.kind == "leaf":
            line = f"AccumulateGrad  {list(info.leaf_shape)}"
        else:
            line = info.name + ("  <- " + "; ".join(str(s) for s in info.saved) if info.saved else "")
        if info.hooks:
            line += f"  [{info.hooks} hook{'s' if info.hooks > 1 else ''}]"
        lines.append(line)
    return GraphDescription("\n".join(lines), nodes, total)


def holders(t: Tensor) -> list:
    """What keeps ``t``'s array alive: graph nodes' saved slots, custom Functions' ctx attributes
    (flagging a ctx that holds its own output: a reference cycle), and ``.grad`` slots.

    >>> import torchless as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> y = x.exp()
    >>> torch.autograd.graph.holders(x)
    []
    >>> torch.autograd.graph.holders(y)
    ['ExpBackward0: result']
    """
    from .function import BackwardCFunction
    data = t._data
    found = []
    carriers = [r for r in gc.get_referrers(data) if isinstance(r, Tensor)]
    for r in gc.get_referrers(data):  # kept as an array: a node's result, or a Function's own output
        if not isinstance(r, tuple):
            continue
        for holder in gc.get_referrers(r):
            if isinstance(holder, Node) and holder._out is r:
                found.append(f"{holder.name()}: result")
            elif isinstance(holder, tuple):
                for owner in gc.get_referrers(holder):
                    if isinstance(owner, BackwardCFunction) and owner._saved is holder:
                        found.append(f"{owner.name()}: saved {holder.index(r)} (its own output)")
    # (an instance dict does not always lead back to its object through gc: look the ctxs up)
    ctx_of = {id(o.__dict__): o for o in gc.get_objects() if issubclass(type(o), BackwardCFunction)}
    for x in carriers:
        for r in gc.get_referrers(x):
            if isinstance(r, tuple):
                for node in gc.get_referrers(r):
                    if isinstance(node, Node) and node._saved is r:
                        found.append(f"{node.name()}: saved {r.index(x)}")
            elif isinstance(r, dict):
                owner = ctx_of.get(id(r))
                if owner is not None:
                    key = next(k for k, v in r.items() if v is x)
                    cycle = " (a reference cycle: the ctx holds its own output)" if x.grad_fn is owner else ""
                    found.append(f"{owner.name()}: ctx.{key}{cycle}")
            elif isinstance(r, Tensor) and r._grad is x:
                found.append(f"the .grad of a {list(r.shape)} tensor")
    return found
