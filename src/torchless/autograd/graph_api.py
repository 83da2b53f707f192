"""The rest of torch.autograd.graph: gradient edges, multi-tensor gradient hooks, version bumps."""

from __future__ import annotations

import threading
import weakref
from typing import Any, NamedTuple

from .._tensor import Tensor
from .engine import current_graph_task
from .graph import AccumulateGrad, edge_parts


class GradientEdge(NamedTuple):
    """Where a gradient goes in the graph: output ``output_nr`` of ``node``. Accepted wherever
    ``inputs=`` takes a tensor (autograd.grad, backward)."""

    node: Any
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge that ``tensor``'s gradient flows into: its grad_fn's output, or a leaf's
    AccumulateGrad node.

    >>> import torchless as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> torch.autograd.graph.get_gradient_edge(x * 2).node.name()
    'MulBackward0'
    """
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    node, nr = edge_parts(tensor._edge())
    return GradientEdge(node, nr)


def increment_version(tensor) -> None:
    """Bump the version counter of ``tensor`` (or of each tensor of an iterable), as an in-place
    change would: for data changed behind autograd's back, so that backward notices."""
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        t._bump()


class _MultiHandle:
    """The handle register_multi_grad_hook returns: ``remove()`` removes every hook it set."""

    def __init__(self, handles: tuple):
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all") -> _MultiHandle:
    """Call ``fn`` once per backward pass over gradients of several tensors.

    ``mode="all"``: ``fn(grads)``, one entry per tensor (None for those the pass does not reach),
    after the last of them is computed. ``mode="any"``: ``fn(grad)`` with the first gradient
    computed for any of them.

    >>> import torchless as torch
    >>> a, b = torch.ones(2, requires_grad=True), torch.ones(1, requires_grad=True)
    >>> seen = []
    >>> h = torch.autograd.graph.register_multi_grad_hook((a, b), lambda gs: seen.append(len(gs)))
    >>> (a.sum() * 2 + b.sum()).backward(); seen
    [2]
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    lock = threading.Lock()
    if mode == "any":
        fired = weakref.WeakKeyDictionary()  # graph tasks in which fn ran (dropped as each ends)

        def first_only(grad):
            task = current_graph_task()
            with lock:
                if task in fired:
                    return
                fired[task] = True
            fn(grad)

        return _MultiHandle(tuple(t.register_hook(first_only) for t in tensors if t.requires_grad))

    nodes = [edge_parts(t._edge())[0] for t in tensors]
    pending = weakref.WeakKeyDictionary()  # graph task -> [calls still expected, gradients so far]

    def make_hook(i: int):
        def hook(grad):
            task = current_graph_task()
            with lock:
                entry = pending.get(task)
                if entry is None:
                    expected = sum(1 for node in nodes if task is not None and _runs(task, node))
                    entry = pending[task] = [expected, [None] * len(tensors)]
                entry[1][i] = grad
                entry[0] -= 1
                done = entry[0] <= 0
                if done:
                    del pending[task]
            if done:
                fn(tuple(entry[1]))

        return hook

    return _MultiHandle(tuple(t.register_hook(make_hook(i)) for i, t in enumerate(tensors)))


def _runs(task, node) -> bool:
    # a leaf with inputs= only gets its gradient captured: it counts when it is one of the targets
    if node.__class__ is AccumulateGrad and task.needed is not None:
        return node in task.needed
    return task.will_execute(node)
