"""The reverse-mode engine: run the recorded graph backwards.

No recursion: the graph is walked with an explicit stack to count, for each node, how many
edges lead into it; a node runs once, when gradients have arrived along all of them. The
engine knows nothing about particular operations: it only calls ``Node._apply``.
"""

from __future__ import annotations

from collections import deque
from contextvars import ContextVar

from .._grad_mode import _grad_enabled
from .anomaly_mode import apply_checked
from .graph import AccumulateGrad, accumulate_grad, edge_node, edge_parts, make_edge
from .recording import current as _recording


class GraphTask:
    """One run of the engine, as hooks see it (``current_graph_task()``): its roots, and with
    ``inputs=`` the nodes that lead to them."""

    __slots__ = ("roots", "needed", "_nodes", "__weakref__")

    def __init__(self, roots, needed):
        self.roots, self.needed, self._nodes = roots, needed, None

    def will_execute(self, node) -> bool:
        """Whether this run reaches ``node`` (and runs it)."""
        if self.needed is not None:
            return node in self.needed
        if self._nodes is None:
            self._nodes = set(self.roots) | set(_count_dependencies(self.roots))
        return node in self._nodes


_graph_task = ContextVar("torchless_graph_task", default=None)
current_graph_task = _graph_task.get  # None outside backward


def _count_dependencies(roots):
    """Edges into each node reachable from ``roots`` (iteratively, for graphs of any depth)."""
    deps = {}
    stack = list(roots)
    # a node is expanded once: when first counted (roots: up front)
    root_set = set(roots) if len(roots) > 1 else roots
    while stack:
        node = stack.pop()
        for e in node._next:
            if e:
                child = e if type(e) is not tuple else e[0]
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    if child not in root_set:
                        stack.append(child)
    return deps


def _needed(roots, targets) -> set:
    """Nodes from which some target is reachable: the only ones worth running for ``inputs=``."""
    needed = set()
    done = set()
    stack = [(n, False) for n in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node in targets or any(e and edge_node(e) in needed for e in node._next):
                needed.add(node)
            continue
        if node in done:
            continue
        done.add(node)
        stack.append((node, True))
        for e in node._next:
            if e and edge_node(e) not in done:
                stack.append((edge_node(e), False))
    return needed


def run_backward(edges, grads, retain_graph: bool, create_graph: bool, capture=None):
    """Propagate ``grads`` (one per root edge, see graph.make_edge) back through the graph.

    Without ``capture`` every reachable node runs and leaves accumulate into ``.grad``.
    With ``capture`` (a dict ``{edge: slot}``, edges as make_edge gives them) only the nodes on
    a path to those edges run, and the gradient arriving at each is returned in a list by slot.
    """
    roots = []
    buffers = {}
    for e, g in zip(edges, grads):
        node, nr = edge_parts(e)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            roots.append(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    deps = _count_dependencies(roots)
    needed = captured = None
    if capture is not None:
        captured = [None] * (max(capture.values()) + 1 if capture else 0)
        needed = _needed(roots, {edge_node(e) for e in capture})

    state = _recording()
    anomaly = state is not None and state.anomaly  # (read once: the loop checks a local)
    check_nan = anomaly and state.check_nan
    tracer = state.trace if state is not None else None
    plain = not anomaly and tracer is None

    # deques: a list that keeps filling and emptying reallocates its memory every time
    ready = deque([n for n in roots if n not in deps])
    pop_ready, push_ready = ready.pop, ready.append
    pop_buffer, get_buffer = buffers.pop, buffers.get
    leaves = deque()  # leaves made ready by the node just run
    token = _grad_enabled.set(create_graph)
    task_token = _graph_task.set(GraphTask(roots, needed))
    try:
        while ready:
            node = pop_ready()
            grads_out = pop_buffer(node, None)
            if grads_out is None:
                grads_out = [None] * node.n_outputs
            hooks = node._hooks
            # a leaf's tensor hooks live on the tensor
            is_leaf = node.__class__ is AccumulateGrad
            has_hooks = hooks is not None or (is_leaf and node.variable._extra is not None)
            if needed is not None:
                # torch captures a non-leaf's gradient before its tensor hooks run, a leaf's after
                if not is_leaf:
                    _capture(node, grads_out, capture, captured)
                if has_hooks:
                    grads_out = _run_pre_hooks(node, hooks, grads_out)
                if is_leaf:
                    _capture(node, grads_out, capture, captured)
                if not any(e and edge_node(e) in needed for e in node._next):
                    continue
            elif has_hooks:
                grads_out = _run_pre_hooks(node, hooks, grads_out)
            edges = node._next
            if is_leaf or grads_out[0] is not None or node.runs_without_grads or any(
                    g is not None for g in grads_out):
                # (a leaf with nothing to add still runs its post-accumulate hooks, as in torch)
                if plain:
                    grads_in = node._apply(grads_out)
                elif tracer is None:
                    grads_in = apply_checked(node, grads_out, check_nan)
                else:
                    grads_in = tracer.run(node, grads_out, anomaly, check_nan)
            else:  # nothing arrived: the inputs get nothing either
                grads_in = (None,) * len(edges)
            if hooks is not None and "post" in hooks:
                grads_in = _run_post_hooks(node, hooks["post"], grads_in, grads_out)
            if not retain_graph and (node._saved or node._out is not None):
                node._release()
            for e, g in zip(edges, grads_in):
                if not e:  # None (no gradient wanted) or False (a Python number operand)
                    continue
                if type(e) is tuple:  # (an edge to output nr > 0 of a node)
                    child, nr = e
                else:
                    child, nr = e, 0
                if needed is not None and child not in needed:
                    continue
                if g is not None:
                    buf = get_buffer(child)
                    if buf is None:
                        if child.n_outputs == 1:
                            buffers[child] = [g]
                        else:
                            buf = buffers[child] = [None] * child.n_outputs
                            buf[nr] = g
                    else:
                        old = buf[nr]
                        buf[nr] = g if old is None else old + g
                d = deps[child] - 1
                if d:
                    deps[child] = d
                else:
                    del deps[child]
                    if type(child) is AccumulateGrad and child._hooks is None and needed is None and plain:
                        leaves.append(child)  # accumulated below, without a visit of its own
                    else:
                        push_ready(child)
            # the buffers hold the gradients now: drop this loop's own references, so that a
            # leaf can tell when it is a gradient's only holder (see graph._exclusive)
            g = grads_in = grads_out = None
            if leaves:
                for leaf in leaves:
                    var = leaf.variable
                    if var._extra is None:  # no tensor hooks: nothing to run before or after
                        buf = pop_buffer(leaf, None)  # (held in a list, as _apply's gradients are)
                        if buf is not None:  # (None: no gradient arrived)
                            accumulate_grad(var, buf[0])
                    else:
                        push_ready(leaf)
                leaves.clear()
                buf = None
    finally:
        _graph_task.reset(task_token)
        _grad_enabled.reset(token)
    return captured


def _capture(node, grads_out, capture, captured):
    for nr in range(node.n_outputs):
        slot = capture.get(make_edge(node, nr))
        if slot is not None:
            captured[slot] = grads_out[nr]


def _run_pre_hooks(node, hooks, grads_out):
    """Tensor hooks (Tensor.register_hook; retain_grad last), then the node's pre-hooks."""
    leaf_hooks = node._tensor_hooks(0) if node.__class__ is AccumulateGrad else None
    if hooks is None and not leaf_hooks:
        return grads_out
    hooks = hooks or {}
    grads_out = list(grads_out)
    for nr in range(node.n_outputs):
        tables = (leaf_hooks,) if leaf_hooks else (hooks.get(("tensor", nr)),)
        for table in tables:
            if table:  # (called with None where no gradient arrived, as torch does)
                for fn in tuple(table.values()):
                    r = fn(grads_out[nr])
                    if r is not None:
                        if grads_out[nr] is None:
                            raise RuntimeError("can't replace a None gradient with a non-None value")
                        grads_out[nr] = r
        retain = hooks.get(("retain", nr))
        if retain and grads_out[nr] is not None:
            for fn in tuple(retain.values()):
                fn(grads_out[nr])
    pre = hooks.get("pre")
    if pre:
        for fn in tuple(pre.values()):
            r = fn(tuple(grads_out))
            if r is not None:
                if any(old is None and new is not None for old, new in zip(grads_out, r)):
                    raise RuntimeError("can't replace a None gradient with a non-None value")
                grads_out = list(r)
    return grads_out


def _run_post_hooks(node, post, grads_in, grads_out):
    """The node's post-hooks: ``fn(grad_inputs, grad_outputs)`` may return new grad_inputs.
    (A Python number operand has its slot in grad_inputs only where next_functions lists it.)"""
    grads_in = tuple(grads_in)
    shown = None if node.lists_number_operands else [i for i, e in enumerate(node._next) if e is not False]
    for fn in tuple(post.values()):
        r = fn(grads_in if shown is None else tuple(grads_in[i] for i in shown), tuple(grads_out))
        if r is not None:
            if shown is None:
                grads_in = tuple(r)
            else:
                full = list(grads_in)
                for i, g in zip(shown, r):
                    full[i] = g
                grads_in = tuple(full)
    return grads_in
