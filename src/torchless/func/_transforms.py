"""Function transforms over the eager reverse-mode engine: grad, vjp, jvp, jacrev, jacfwd, hessian.

How transforms nest without levels: a transform differentiates with respect to a *fresh alias*
of each input, never the input itself. An input that already requires grad (the caller's, or an
outer transform's alias) is aliased by ``view_as``, so the result stays differentiable through it;
one that does not is aliased by a new leaf. Every inner gradient is taken with
``create_graph=True``, so an outer transform can differentiate through it, and is taken with respect
to the inner alias only, so a closed-over outer value is never mistaken for the inner variable
(``grad(lambda x: x * grad(lambda y: x * y)(x))`` gives ``2x``, as torch.func does).
On the way out, a result whose graph reaches no leaf but this transform's own fresh ones is
detached: the caller sees plain tensors unless something outside still needs the graph.

Forward mode (jvp, jacfwd, linearize) uses the double-vjp trick: ``jvp(t) = d/du <vjp(u), t>``,
since a vjp is linear in its cotangent ``u``. It needs only reverse mode, so it nests like the rest.
"""

from __future__ import annotations

import functools

from .. import _grad_mode
from .._tensor import Tensor
from ..autograd import api as _api
from ..autograd.graph import AccumulateGrad, edge_node
from . import _batched
from ._batched import BatchedTensor
from ._pytree import tree_flatten, tree_unflatten

_TENSORS = (Tensor, BatchedTensor)


# ---- entering and leaving a transform --------------------------------------------------------------
def _check_leaf(t):
    if not isinstance(t, _TENSORS):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")  # noqa: TRY004 (as torch)
    return t


def _track(t: Tensor) -> Tensor:
    """A fresh alias of ``t`` to differentiate with respect to (see the module docstring)."""
    _check_leaf(t)
    if not t.dtype.is_floating_point and not t.dtype.is_complex:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_()


def _grad(outputs, inputs, grad_outputs):
    """``autograd.grad`` with ``create_graph``, of plain or batched values (inside vmap, each batch
    element's gradient from one backward pass over the physical tensors)."""
    if any(x.__class__ is BatchedTensor for x in (*outputs, *inputs)):
        return _batched.autograd_grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=True,
                                      allow_unused=True)
    return _api.grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=True, allow_unused=True)


class _Scope:
    """One transform's call: its fresh leaves, and whether the caller had grad mode on."""

    def __init__(self):
        self.fresh = set()  # ids of the fresh leaves, kept alive by ``leaves`` so no id is reused
        self.leaves = []
        self.grad_was_enabled = _grad_mode._grad_enabled.get()

    def track(self, t: Tensor) -> Tensor:
        # inside vmap each batch element differentiates its own copy: the physical tensor is aliased
        physical, tower = _batched.peel(_batched.materialize(_check_leaf(t)))
        alias = _track(physical)
        if alias.grad_fn is None:
            self.new_leaf(alias)
        return _batched.rebuild(alias, tower)

    def fresh_zeros_like(self, t):
        """A new leaf of zeros shaped like ``t`` (batched like it inside vmap)."""
        from .. import zeros_like
        physical, tower = _batched.peel(t)
        return _batched.rebuild(self.new_leaf(zeros_like(physical.detach()).requires_grad_()), tower)

    def new_leaf(self, t: Tensor) -> Tensor:
        self.fresh.add(id(t))
        self.leaves.append(t)
        return t

    def _reaches_outside(self, t: Tensor, inside: set) -> bool:
        """Whether ``t``'s graph reaches a leaf other than this scope's own (``inside``: nodes
        already known not to, shared across one ``release``)."""
        if t.grad_fn is None:
            return id(t) not in self.fresh
        stack, seen = [t.grad_fn], {t.grad_fn}
        while stack:
            node = stack.pop()
            if isinstance(node, AccumulateGrad):
                if id(node.variable) not in self.fresh:
                    return True
                continue
            for e in node._next:
                if e:
                    child = edge_node(e)
                    if child not in seen and child not in inside:
                        seen.add(child)
                        stack.append(child)
        inside |= seen
        return False

    def release(self, tree):
        """``tree`` with each tensor detached unless the caller's graph still reaches it."""
        inside = set()

        def leave(x):
            if x.__class__ is BatchedTensor:
                physical, tower = _batched.peel(x)
                return _batched.rebuild(leave(physical), tower)
            if not isinstance(x, Tensor) or not x.requires_grad:
                return x
            if self.grad_was_enabled and self._reaches_outside(x, inside):
                return x
            return x.detach()
        leaves, spec = tree_flatten(tree)
        return tree_unflatten([leave(x) for x in leaves], spec)


def _zeros_like(t: Tensor) -> Tensor:
    from .. import zeros_like
    return zeros_like(t.detach())


def _vjp_flat(outs, ins, cotangents) -> list:
    """Gradients of ``sum <out, cotangent>`` for each input (zeros where an input is unused)."""
    pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    grads = [None] * len(ins)
    if pairs:
        grads = _grad([o for o, _ in pairs], ins, [c for _, c in pairs])
    return [_zeros_like(t) if g is None else g for g, t in zip(grads, ins)]


class _Linearized:
    """The double-vjp trick on a recorded graph: ``jvp(t) = d/du <vjp(u), t>`` for each output."""

    def __init__(self, outs, ins, scope: _Scope):
        self.outs = outs
        self.live = [i for i, o in enumerate(outs) if o.requires_grad]
        self.u = [scope.fresh_zeros_like(outs[i]) for i in self.live]
        grads = [None] * len(ins)
        if self.live:
            grads = _grad([outs[i] for i in self.live], ins, self.u)
        # (a vjp is linear in u, so it depends on u unless the graph drops the gradient altogether)
        self.pairs = [(g, j) for j, g in enumerate(grads) if g is not None and g.requires_grad]

    def __call__(self, tangents, strict: bool = False) -> list:
        res = [None] * len(self.u)
        if self.pairs and self.u:
            res = _grad([g for g, _ in self.pairs], self.u, [tangents[j] for _, j in self.pairs])
        out = [None] * len(self.outs)
        for k, i in enumerate(self.live):
            out[i] = res[k]
        if strict and any(t is None for t in out):
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. "
                               "This is not allowed with strict=True.")
        return [_zeros_like(o) if t is None else t for t, o in zip(out, self.outs)]


# ---- argument handling -----------------------------------------------------------------------------
def _check_argnums(argnums, n: int):
    if isinstance(argnums, int):
        if not -n <= argnums < n:
            raise RuntimeError(f"Got argnum={argnums}, but only {n} positional inputs")
        return argnums % n
    if not isinstance(argnums, tuple) or not all(isinstance(a, int) for a in argnums):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not argnums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(_check_argnums(a, n) for a in argnums)


def _enter_args(scope: _Scope, args: tuple, argnums):
    """(args with the differentiated ones aliased, their flat aliases, the spec of their tree)."""
    argnums = _check_argnums(argnums, len(args))
    primals = args[argnums] if isinstance(argnums, int) else tuple(args[a] for a in argnums)
    flat, spec = tree_flatten(primals)
    tracked = [scope.track(_check_leaf(t)) for t in flat]
    new = tree_unflatten(tracked, spec)
    args = list(args)
    if isinstance(argnums, int):
        args[argnums] = new
    else:
        for a, sub in zip(argnums, new):
            args[a] = sub
    return tuple(args), tracked, spec


def _split_aux(out, api: str):
    if not isinstance(out, tuple) or len(out) != 2:
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def _flat_outputs(out, api: str):
    flat, spec = tree_flatten(out)
    for o in flat:
        if not isinstance(o, _TENSORS):
            raise RuntimeError(  # noqa: TRY004 (as torch)
                f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")
    return flat, spec


# ---- reverse mode ----------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """Like ``grad``, but the function's value comes back too: ``(grad, value)`` or
    ``(grad, (value, aux))``.

    >>> import torchless as torch
    >>> torch.func.grad_and_value(lambda x: (x ** 2).sum())(torch.tensor([1., 2.]))
    (tensor([2., 4.]), tensor(5.))
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        scope = _Scope()
        with _grad_mode.enable_grad():
            args, tracked, spec = _enter_args(scope, args, argnums)
            out = _batched.dispatching(func)(*args, **kwargs)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, "grad_and_value(f)(*args)")
            if not isinstance(out, _TENSORS):
                raise RuntimeError(  # noqa: TRY004 (as torch)
                    f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            grads = _vjp_flat([out], tracked, [None])
        grads = scope.release(tree_unflatten(grads, spec))
        value = scope.release(out if not has_aux else (out, aux))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of a scalar function with respect to argument ``argnums`` (an int or a tuple).

    >>> import torchless as torch
    >>> torch.func.grad(lambda x: x.sin().sum())(torch.tensor(0.))
    tensor(1.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` gives one gradient tree per primal.

    >>> import torchless as torch
    >>> out, vjp_fn = torch.func.vjp(torch.sin, torch.tensor([0.]))
    >>> vjp_fn(torch.tensor([2.]))
    (tensor([2.]),)
    """
    scope = _Scope()
    with _grad_mode.enable_grad():
        args, tracked, spec = _enter_args(scope, primals, tuple(range(len(primals)))) if primals else ((), [], None)
        out = _batched.dispatching(func)(*args)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp(f, *primals)")
        flat_out, out_spec = _flat_outputs(out, "vjp(f, *primals)")

    def vjp_fn(cotangents):
        flat_cot, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {cot_spec.pprint()}, primal output: {out_spec.pprint()}")
        with _grad_mode.enable_grad():
            for i, (c, o) in enumerate(zip(flat_cot, flat_out)):
                if tuple(c.shape) != tuple(o.shape):
                    raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and "
                                       f"output[{i}] has a shape of {o.shape}.")
            grads = _vjp_flat(flat_out, tracked, flat_cot)
        return scope.release(tree_unflatten(grads, spec)) if primals else ()

    result = (scope.release(out), vjp_fn)
    return result + (scope.release(aux),) if has_aux else result


def _assemble(rows_or_cols, flat_out, tracked, in_spec, out_spec, reverse: bool):
    """Jacobian blocks ``out.shape + in.shape``, nested as the output tree of input trees."""
    from .. import stack, zeros
    blocks = []
    offset = 0
    for o in flat_out:
        n = o.numel()
        per_in = []
        for j, t in enumerate(tracked):
            shape = tuple(o.shape) + tuple(t.shape)
            if reverse:
                rows = rows_or_cols[j][offset:offset + n]
                block = stack(rows).reshape(shape) if rows else zeros(shape, dtype=t.dtype)
            else:
                cols = [c[len(blocks)] for c in rows_or_cols[j]]
                if cols:
                    block = stack(cols, dim=-1).reshape(shape)
                else:
                    block = zeros(shape, dtype=o.dtype)
            per_in.append(block)
        blocks.append(tree_unflatten(per_in, in_spec))
        offset += n
    return tree_unflatten(blocks, out_spec)


def _check_chunk_size(chunk_size, api):
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"{api}: `chunk_size` should be greater than 0.")


def _jacrev_by_rows(func, argnums, has_aux):
    """The Jacobian one vjp at a time (for functions that vmap cannot run: data-dependent control
    flow, random ops)."""

    def wrapper(*args):
        scope = _Scope()
        with _grad_mode.enable_grad():
            args, tracked, in_spec = _enter_args(scope, args, argnums)
            out = _batched.dispatching(func)(*args)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, "vjp(f, *primals)")
            flat_out, out_spec = _flat_outputs(out, "vjp(f, *primals)")
            rows = [[] for _ in tracked]
            for o in flat_out:
                flat_o = o.reshape(-1)
                for k in range(o.numel()):
                    if o.requires_grad:
                        grads = _vjp_flat([flat_o[k]], tracked, [None])
                    else:
                        grads = [_zeros_like(t) for t in tracked]
                    for j, g in enumerate(grads):
                        rows[j].append(g)
            jac = _assemble(rows, flat_out, tracked, in_spec, out_spec, reverse=True)
        jac = scope.release(jac)
        return (jac, scope.release(aux)) if has_aux else jac
    return wrapper


# ---- forward mode (by the double-vjp trick, see the module docstring) -------------------------------
def _check_jvp_args(primals, tangents):
    if not isinstance(primals, tuple):
        raise RuntimeError(  # noqa: TRY004 (as torch)
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
            "call f(*primals).")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. "
                           f"Got primals with structure {p_spec} and tangents with structure {t_spec}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"jvp(f, primals, tangents): Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, _TENSORS):
                raise RuntimeError(  # noqa: TRY004 (as torch)
                    f"jvp(f, primals, tangents): Expected {name} to only contain Tensors, got {type(x)}")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the "
                               f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} while "
                               f"the given forward gradient is of size {list(t.shape)}.")
    return flat_t


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, output-shaped.

    >>> import torchless as torch
    >>> torch.func.jvp(torch.sin, (torch.tensor([0.]),), (torch.tensor([3.]),))
    (tensor([0.]), tensor([3.]))
    """
    flat_t = _check_jvp_args(primals, tangents)
    scope = _Scope()
    with _grad_mode.enable_grad():
        args, tracked, _ = _enter_args(scope, primals, tuple(range(len(primals))))
        out = _batched.dispatching(func)(*args)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "jvp(f, primals, tangents)")
        flat_out, out_spec = _flat_outputs(out, "jvp(f, primals, tangents)")
        tangent_out = _Linearized(flat_out, tracked, scope)(flat_t, strict)
    result = (scope.release(out), scope.release(tree_unflatten(tangent_out, out_spec)))
    return result + (scope.release(aux),) if has_aux else result


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` reuses the recorded graph for each call.

    >>> import torchless as torch
    >>> out, jvp_fn = torch.func.linearize(torch.sin, torch.tensor([0.]))
    >>> jvp_fn(torch.tensor([2.]))
    tensor([2.])
    """
    scope = _Scope()
    with _grad_mode.enable_grad():
        args, tracked, _ = _enter_args(scope, primals, tuple(range(len(primals)))) if primals else ((), [], None)
        out = _batched.dispatching(func)(*args)
        flat_out, out_spec = _flat_outputs(out, "linearize(f, *primals)")
        lin = _Linearized(flat_out, tracked, scope)

    p_spec = tree_flatten(primals)[1]
    flat_p = tree_flatten(primals)[0]

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the primals {p_spec}")
        for i, (p, t) in enumerate(zip(flat_p, flat_t)):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree doesn't match the shape "
                                   f"{p.shape} of the corresponding primal.")
        with _grad_mode.enable_grad():
            tangent_out = lin(flat_t)
        return scope.release(tree_unflatten(tangent_out, out_spec))

    return scope.release(out), jvp_fn


def _jacfwd_by_columns(func, argnums, has_aux):
    """The Jacobian one jvp at a time (for functions that vmap cannot run)."""

    def wrapper(*args):
        from .. import zeros_like
        scope = _Scope()
        with _grad_mode.enable_grad():
            args, tracked, in_spec = _enter_args(scope, args, argnums)
            out = _batched.dispatching(func)(*args)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, "jvp(f, primals, tangents)")
            flat_out, out_spec = _flat_outputs(out, "jvp(f, primals, tangents)")
            lin = _Linearized(flat_out, tracked, scope)
            basis = [zeros_like(t.detach()) for t in tracked]
            cols = [[] for _ in tracked]
            for j, t in enumerate(tracked):
                for k in range(t.numel()):
                    e = zeros_like(t.detach()).reshape(-1)
                    e[k] = 1
                    tangents = list(basis)
                    tangents[j] = e.reshape(t.shape)
                    cols[j].append([c.reshape(-1) for c in lin(tangents)])
            jac = _assemble(cols, flat_out, tracked, in_spec, out_spec, reverse=False)
        jac = scope.release(jac)
        return (jac, scope.release(aux)) if has_aux else jac
    return wrapper


# ---- Jacobians: one batched vjp (or jvp) over a basis, as vmap runs it ------------------------------
def _vmap_cannot_run(err: RuntimeError) -> bool:
    return str(err).startswith("vmap:")


def _with_primals(func, args, argnums):
    """``func`` as a function of the differentiated arguments only, the others fixed."""
    argnums = _check_argnums(argnums, len(args))
    nums = (argnums,) if isinstance(argnums, int) else argnums

    def of_primals(*primals):
        full = list(args)
        for a, p in zip(nums, primals):
            full[a] = p
        return _batched.dispatching(func)(*full)

    return of_primals, tuple(args[a] for a in nums), isinstance(argnums, int)


def _basis(trees) -> tuple:
    """One basis vector per element of the tensors of ``trees``: for each tensor, a stack
    ``(n, *tensor.shape)`` whose row b is the b-th unit vector of all of them concatenated."""
    from .. import eye
    flat, spec = tree_flatten(trees)
    total = sum(t.numel() for t in flat)
    unit = eye(total, dtype=flat[0].dtype) if flat else None
    rows, offset = [], 0
    for t in flat:
        rows.append(unit[:, offset:offset + t.numel()].reshape(total, *t.shape))
        offset += t.numel()
    return tree_unflatten(rows, spec), total


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy: bool = False):
    """The Jacobian by reverse mode: one vjp per output element, all of them in one batched pass;
    block ``[out][in]`` has shape ``out.shape + in.shape``.

    >>> import torchless as torch
    >>> torch.func.jacrev(lambda x: x ** 2)(torch.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    _check_chunk_size(chunk_size, "jacrev")
    by_rows = _jacrev_by_rows(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args):
        from ._vmap import vmap
        of_primals, primals, single = _with_primals(func, args, argnums)
        with _grad_mode.enable_grad():
            for p in tree_flatten(primals)[0]:
                _track(p)  # (the argument checks, before anything runs)
            out = of_primals(*primals)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp(f, *primals)")
        flat_out, out_spec = _flat_outputs(out, "vjp(f, *primals)")
        basis, total = _basis(flat_out)

        def row(cotangents):
            _, vjp_fn = vjp(lambda *p: of_primals(*p)[0] if has_aux else of_primals(*p), *primals)
            return vjp_fn(tree_unflatten(cotangents, out_spec))

        flat_in, in_spec = tree_flatten(primals[0] if single else primals)
        try:
            rows = tree_flatten(vmap(row, chunk_size=chunk_size)(basis))[0] if total else [None] * len(flat_in)
        except RuntimeError as err:
            if not _vmap_cannot_run(err):
                raise
            return by_rows(*args)
        blocks, offset = [], 0
        for o in flat_out:  # rows[j]: (total, *in_j.shape), the outputs' elements one after another
            per_in = [_zeros_like(o).reshape(-1, 1).expand(o.numel(), p.numel()).reshape(*o.shape, *p.shape)
                      if g is None else g[offset:offset + o.numel()].reshape(*o.shape, *p.shape)
                      for g, p in zip(rows, flat_in)]
            blocks.append(tree_unflatten(per_in, in_spec))
            offset += o.numel()
        jac = tree_unflatten(blocks, out_spec)
        return (jac, aux) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian by forward mode: one jvp per input element, all of them in one batched pass;
    the same blocks as ``jacrev``.

    >>> import torchless as torch
    >>> torch.func.jacfwd(lambda x: x ** 2)(torch.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    by_columns = _jacfwd_by_columns(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args):
        from ._vmap import vmap
        of_primals, primals, single = _with_primals(func, args, argnums)
        flat_in, in_spec = tree_flatten(primals[0] if single else primals)
        for p in flat_in:
            _track(p)
        basis, _ = _basis(primals)

        def column(tangents):
            return jvp(of_primals, primals, tangents, has_aux=has_aux)[1:]

        try:
            result = vmap(column, randomness=randomness)(basis)
        except RuntimeError as err:
            if not _vmap_cannot_run(err):
                raise
            return by_columns(*args)
        cols, aux = result[0], (result[1] if has_aux else None)
        if has_aux:  # (the same for every column: the first one's)
            aux = tree_unflatten([a[0] if isinstance(a, _TENSORS) else a for a in tree_flatten(aux)[0]],
                                 tree_flatten(aux)[1])
        flat_cols, out_spec = tree_flatten(cols)
        blocks = []
        for c in flat_cols:  # c: (total, *out.shape)
            out_dims = c.dim() - 1
            per_in, offset = [], 0
            for p in flat_in:
                block = c[offset:offset + p.numel()].reshape(*p.shape, *c.shape[1:])
                block = block.permute(*range(p.dim(), p.dim() + out_dims), *range(p.dim()))
                per_in.append(block.contiguous())
                offset += p.numel()
            blocks.append(tree_unflatten(per_in, in_spec))
        jac = tree_unflatten(blocks, out_spec)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """The Hessian, as ``jacfwd(jacrev(func, argnums), argnums)``.

    >>> import torchless as torch
    >>> torch.func.hessian(lambda x: (x ** 3).sum())(torch.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
