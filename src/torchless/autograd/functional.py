"""``torch.autograd.functional``: vjp, jvp, jacobian, hessian, vhp, hvp of a function of tensors.

Inputs and outputs are a Tensor or a tuple of Tensors; each result mirrors that choice (a Jacobian
of tuple outputs and tuple inputs is a tuple of tuples, ``[out][in]``). Each call works on fresh
copies of the inputs: ``view_as`` of one that requires grad when ``create_graph=True`` (so the
result is differentiable through it), a new leaf otherwise; without ``create_graph`` results are
detached. Forward products (``jvp``, ``hvp``, ``strategy="forward-mode"``) use the double backward
trick: a vjp is linear in its cotangent ``u``, so ``J v = d/du <vjp(u), v>``.
``vectorize=True`` gives the same results, computed one row at a time (no vmap here).
"""

from __future__ import annotations

from .._grad_mode import _grad_enabled, enable_grad, set_grad_enabled
from .._tensor import Tensor
from .api import grad as _grad


# ---- the shared plumbing ---------------------------------------------------------------------------
def _as_tuple(inp, arg_name: str, fn_name: str):
    """(whether ``inp`` was a tuple, ``inp`` as a tuple), checking it holds only Tensors."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the {where} has type {type(el)}.")
    return is_tuple, items


def _unpack(res, is_tuple):
    return res if is_tuple else res[0]


def _unpack2(res, outs_tuple, ins_tuple):
    if not ins_tuple:
        res = tuple(r[0] for r in res)
    return res if outs_tuple else res[0]


def _preprocess(inputs, create_graph: bool, need_graph: bool):
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in inputs)


def _postprocess(res, create_graph: bool):
    if create_graph:
        return res
    return tuple(r.detach() if isinstance(r, Tensor) else _postprocess(r, False) for r in res)


def _validate_v(v, other, other_is_tuple):
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.size() != b.size():
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.size()} but got {a.size()}.")


_NOT_REQUIRING = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
                "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
               "and that the hessian depends on the inputs.",
}


def _check_requires_grad(tensors, kind: str, strict: bool) -> None:
    """In strict mode, every one of ``tensors`` must exist and require grad."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_NOT_REQUIRING[kind].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; all None when none does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                  "mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str):
    """Zeros for the missing gradients, or the strict-mode error naming which one is missing."""
    from .. import zeros_like
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _single_element_v(inputs, fn_name_is_output: bool):
    if fn_name_is_output:
        raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                           "with a single element.")
    raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single Tensor "
                       "with a single element.")


# ---- the public functions --------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``.

    >>> import torchless as torch
    >>> torch.autograd.functional.vjp(lambda x: x ** 2, torch.tensor([1., 2.]), torch.tensor([1., 1.]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    with enable_grad():
        ins_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            v = _preprocess(_as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            _validate_v(v, outputs, outs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            _single_element_v(outputs, True)
    with set_grad_enabled(create_graph or _grad_enabled.get()):
        res = _fill_in_zeros(_autograd_grad(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return (_unpack(_postprocess(outputs, create_graph), outs_tuple),
            _unpack(_postprocess(res, create_graph), ins_tuple))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``, by the double backward trick.

    >>> import torchless as torch
    >>> torch.autograd.functional.jvp(lambda x: x ** 2, torch.tensor([1., 2.]), torch.tensor([1., 1.]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    from .. import zeros_like
    with enable_grad():
        ins_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _preprocess(_as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            _validate_v(v, inputs, ins_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            _single_element_v(inputs, False)
        outs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # the vjp is linear in u, so u's value (zero) never reaches the result
        u = tuple(zeros_like(o.detach()).requires_grad_() for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, u, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or _grad_enabled.get()):
        res = _autograd_grad(grad_inputs, u, v, create_graph)
        res = _fill_in_zeros(res, outputs, strict, create_graph, "back_trick")
    return (_unpack(_postprocess(outputs, create_graph), outs_tuple),
            _unpack(_postprocess(res, create_graph), ins_tuple))


def _jacobian_forward(func, inputs, vectorize: bool, differentiable: bool):
    """Column by column: one jvp per input element. Like torch's forward mode, the result is a list
    of lists ``[out][in]`` (a tuple where only the inputs were not a tuple), differentiable
    where the inputs require grad (``differentiable``)."""
    from .. import stack, zeros, zeros_like
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    ins_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    differentiable = differentiable or any(t.requires_grad for t in inputs)
    columns, outs_tuple, outputs = [], None, None
    for j, inp in enumerate(inputs):
        for k in range(inp.numel()):
            e = zeros_like(inp.detach()).reshape(-1)
            e[k] = 1
            v = tuple(e.reshape(inp.shape) if i == j else zeros_like(t.detach()) for i, t in enumerate(inputs))
            out, col = jvp(func, inputs, v, create_graph=differentiable)
            outs_tuple, outputs = isinstance(out, tuple), (out if isinstance(out, tuple) else (out,))
            columns.append((j, col if isinstance(col, tuple) else (col,)))
    if outputs is None:  # every input is empty: run once for the output shapes
        outs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
    res = []
    for i, out in enumerate(outputs):
        row = []
        for j, inp in enumerate(inputs):
            cols = [c[i].reshape(-1) for jj, c in columns if jj == j]
            shape = tuple(out.shape) + tuple(inp.shape)
            row.append(stack(cols, dim=-1).reshape(shape) if cols and out.numel() else zeros(shape, dtype=out.dtype))
        res.append(row)
    if not ins_tuple:
        res = tuple(r[0] for r in res)
    return res if outs_tuple else res[0]


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: block ``[out][in]`` has shape ``out.shape + in.shape``.

    >>> import torchless as torch
    >>> torch.autograd.functional.jacobian(lambda x: x ** 2, torch.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _jacobian(func, inputs, create_graph, strict, vectorize, strategy, differentiable=False)


def _jacobian(func, inputs, create_graph, strict, vectorize, strategy, differentiable: bool):
    from .. import stack, zeros, zeros_like
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torchless.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torchless.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        return _jacobian_forward(func, inputs, vectorize, differentiable)
    with enable_grad():
        ins_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torchless.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        res = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                vj = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(vj, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{j}. This is not allowed in strict mode.")
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                           "This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            res.append(tuple(stack(r).reshape(tuple(out.shape) + tuple(inp.shape)) if r
                             else zeros(tuple(out.shape) + tuple(inp.shape), dtype=inp.dtype)
                             for r, inp in zip(rows, inputs)))
        return _unpack2(_postprocess(tuple(res), create_graph), outs_tuple, ins_tuple)


def _single_output(func, strict: bool, fn_name: str):
    def checked(*inputs):
        out = func(*inputs)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn_name)
        _check_requires_grad(outs, "outputs", strict)
        if is_tuple or not isinstance(out, Tensor):
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single "
                               "element")
        return out
    return checked


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient.

    >>> import torchless as torch
    >>> torch.autograd.functional.hessian(lambda x: (x ** 3).sum(), torch.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    ins_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    scalar = _single_output(func, strict, "hessian")

    def squeezed(*inp):
        return scalar(*inp).squeeze()

    def jac_func(*inp):
        jac = jacobian(squeezed, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    # torch's forward-over-reverse Hessian requires grad even for plain inputs: so does this one
    res = _jacobian(jac_func, inputs, create_graph, strict, vectorize, outer_jacobian_strategy, differentiable=True)
    return _unpack2(res, ins_tuple, ins_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``.

    >>> import torchless as torch
    >>> torch.autograd.functional.vhp(lambda x: (x ** 3).sum(), torch.tensor([1., 2.]), torch.tensor([1., 1.]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double backward trick.

    >>> import torchless as torch
    >>> torch.autograd.functional.hvp(lambda x: (x ** 3).sum(), torch.tensor([1., 2.]), torch.tensor([1., 1.]))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn_name: str):
    from .. import zeros_like
    with enable_grad():
        ins_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _preprocess(_as_tuple(v, "v", fn_name)[1], create_graph, need_graph=False)
            _validate_v(v, inputs, ins_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            _single_element_v(inputs, False)
        out = _single_output(func, strict, fn_name)(*inputs)
        jac = _autograd_grad((out,), inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        if fn_name == "hvp":
            # H is symmetric, but autograd gives v^T H; go through u to get H v (see the module docstring)
            u = tuple(zeros_like(t.detach()).requires_grad_() for t in inputs)
            double_back = _autograd_grad(jac, inputs, u, create_graph=True)
            _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or _grad_enabled.get()):
        if fn_name == "hvp":
            res = _fill_in_zeros(_autograd_grad(double_back, u, v, create_graph), inputs, strict, create_graph,
                                 "double_back_trick")
        else:
            res = _fill_in_zeros(_autograd_grad(jac, inputs, v, create_graph), inputs, strict, create_graph,
                                 "double_back")
    return (_postprocess((out,), create_graph)[0], _unpack(_postprocess(res, create_graph), ins_tuple))


__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]
