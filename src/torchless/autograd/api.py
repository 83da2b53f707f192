"""``backward`` and ``grad``: check the user's request, then hand it to the engine."""

from __future__ import annotations

from .._tensor import Size, Tensor, _wrap
from ..backend import np
from .engine import run_backward
from .graph import AccumulateGrad, accumulate_grad, make_edge
from .graph_api import GradientEdge


def _input_edge(t):
    """The edge of an ``inputs=`` entry: a tensor's, or a GradientEdge as given."""
    return make_edge(t.node, t.output_nr) if isinstance(t, GradientEdge) else t._edge()


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, (Tensor, GradientEdge)):
        return (x,)
    return tuple(x)


def _ones_like(out: Tensor) -> Tensor:
    """The implicit gradient of a scalar output."""
    d = out._data
    return _wrap(np.array(1, dtype=d.dtype) if d.ndim == 0 else np.ones(d.shape, dtype=d.dtype), None)


def _root_grads(outputs, grad_outputs, create_graph):
    """One gradient per output: the given ones checked, ones for scalar outputs."""
    if len(grad_outputs) not in (0, len(outputs)):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} grad_outputs and "
            f"{len(outputs)} outputs"
        )
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__}")
        g = grad_outputs[i] if grad_outputs else None
        if not out._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind != "f":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
                )
            g = _ones_like(out)
        elif not isinstance(g, Tensor):
            g = _wrap(np.asarray(g, dtype=out._data.dtype), None)
        else:
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)!r} and output[{i}] "
                    f"has a shape of {Size(out._data.shape)!r}."
                )
            if g._data.dtype is not out._data.dtype:  # torch casts the given gradient to the output's dtype
                g = g.to(out.dtype)
            if not create_graph and g._rg:
                g = g.detach()
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or of ``inputs``).

    >>> import torchless as torch
    >>> x = torch.tensor([1., 2.], requires_grad=True)
    >>> torch.autograd.backward((x * x).sum()); x.grad
    tensor([2., 4.])
    """
    outputs = _as_tuple(tensors)
    grads = _root_grads(outputs, _as_tuple(grad_tensors if grad_tensors is not None else grad_variables),
                        create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    edges = [out._edge() for out in outputs]
    if inputs is not None and not isinstance(inputs, Tensor) and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    inputs = _as_tuple(inputs)
    if not inputs:
        run_backward(edges, grads, retain_graph, create_graph)
        return
    for t in inputs:
        if not isinstance(t, GradientEdge) and (not isinstance(t, Tensor) or not t._rg):
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault(_input_edge(t), i)
    captured = run_backward(edges, grads, retain_graph, create_graph, capture)
    from .._grad_mode import set_grad_enabled

    with set_grad_enabled(create_graph):
        for i, t in enumerate(inputs):
            g = captured[capture[_input_edge(t)]]
            if g is None:
                continue
            if isinstance(t, GradientEdge):  # (a leaf's accumulator takes it; another node, nothing)
                if t.node.__class__ is AccumulateGrad:
                    accumulate_grad(t.node.variable, g)
            elif t.grad_fn is None:
                accumulate_grad(t, g)
            else:
                t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    >>> import torchless as torch
    >>> x = torch.tensor(3., requires_grad=True)
    >>> torch.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    if is_grads_batched:
        return _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                              materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    for t in ins:
        if isinstance(t, GradientEdge):
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _root_grads(outs, _as_tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    capture = {}
    slots = []
    for t in ins:
        e = _input_edge(t)
        slots.append(capture.setdefault(e, len(capture)))
    captured = run_backward([o._edge() for o in outs], grads, retain_graph, create_graph, capture)
    result = []
    for i, (t, slot) in enumerate(zip(ins, slots)):
        g = captured[slot]
        if isinstance(t, GradientEdge):
            pass  # (the gradient as it reaches the edge)
        elif g is None:
            if materialize_grads:
                g = _wrap(np.zeros(t._data.shape, dtype=t._data.dtype), None)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif g._data.dtype is not t._data.dtype:
            g = g.to(t.dtype)
        result.append(g)
    return tuple(result)


def _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``grad(..., is_grads_batched=True)``: the first dimension of each grad_output indexes a batch of
    cotangents; each gradient gets the same leading dimension. One backward per cotangent, over a
    graph kept until the last one."""
    from .. import stack

    outs = _as_tuple(outputs)
    cotangents = _as_tuple(grad_outputs)
    if len(cotangents) != len(outs) or any(c is None for c in cotangents):
        raise RuntimeError("is_grads_batched=True needs a batched grad_output for every output")
    sizes = {c.shape[0] if c.dim() else None for c in cotangents}
    if len(sizes) != 1 or None in sizes:
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                           "the batch dimension; every grad_output needs one, of the same size")
    size = sizes.pop()
    rows = [grad(outs, inputs, [c[i] for c in cotangents], retain_graph=True if i < size - 1 else retain_graph,
                 create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads)
            for i in range(size)]
    return tuple(None if column[0] is None else stack(column) for column in zip(*rows))


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Compute the gradient of this tensor with respect to the graph's leaves (see autograd.backward)."""
    d = self._data
    if gradient is None and inputs is None and self.grad_fn is not None and d.size == 1 and d.dtype.kind == "f":
        # loss.backward(), the common case: straight to the engine
        run_backward([make_edge(self.grad_fn, self._output_nr)], [_ones_like(self)],
                     create_graph if retain_graph is None else retain_graph, create_graph)
        return
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


Tensor.backward = _tensor_backward
