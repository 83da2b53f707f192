"""``vmap``: run a function written for one example over a batch of them, as one batched computation.

The inputs' mapped dimensions become ``BatchedTensor``s of a new level (func/_batched.py); the
function runs once, each operation through its batching rule (func/_rules.py); the outputs' batch
dimensions are moved to ``out_dims``.
"""

from __future__ import annotations

import functools

from .._tensor import Tensor
from . import _batched
from ._batched import BatchedTensor


# ---- a small pytree: tuples, lists, dicts and named tuples of leaves --------------------------------------
def tree_flatten(tree):
    """``(leaves, spec)``: the leaves in order and what it takes to rebuild ``tree`` from them."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        parts = [tree_flatten(x) for x in tree]
        return [leaf for p in parts for leaf in p[0]], ("namedtuple", type(tree), [p[1] for p in parts])
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(x) for x in tree]
        return [leaf for p in parts for leaf in p[0]], (type(tree), None, [p[1] for p in parts])
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [tree_flatten(tree[k]) for k in keys]
        return [leaf for p in parts for leaf in p[0]], (dict, keys, [p[1] for p in parts])
    return [tree], None


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, extra, children = s
        values = [build(c) for c in children]
        if kind == "namedtuple":
            return extra(*values)
        if kind is dict:
            return dict(zip(extra, values))
        return kind(values)

    return build(spec)


def _broadcast_dims(dims, tree, what: str, fname: str):
    """One dim per leaf of ``tree``: ``dims`` is one for all of it, or a tree of the same shape
    (a prefix of it: a dim stands for the whole subtree it meets)."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(tree_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(tree):
        return [d for sub_d, sub_t in zip(dims, tree) for d in _broadcast_dims(sub_d, sub_t, what, fname)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in _broadcast_dims(dims[k], tree[k], what, fname)]
    raise ValueError(f"vmap({fname}, {what}={dims}, ...)(<inputs>): {what} is not compatible with the structure of "
                     f"`inputs`.")


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` over a batch: each input is split along its ``in_dims`` entry (None: shared by all
    batch elements), ``func`` runs on one logical example, and the outputs are stacked along
    ``out_dims``. ``randomness``: "error" (random ops raise), "different" (each element its own
    draw) or "same" (one draw for all). ``chunk_size`` runs the batch in chunks of that size.

    >>> import torchless as torch
    >>> torch.func.vmap(torch.dot)(torch.ones(3, 2), torch.arange(6.0).reshape(3, 2))
    tensor([1., 5., 9.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def batched(*args, **kwargs):
        return _run(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return batched


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _run(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    fname = _name(func)
    if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
        raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially "
                         f"nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if isinstance(in_dims, tuple) and len(in_dims) != len(args):
        raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {len(in_dims)} entries but inputs has "
                         f"{len(args)}.")
    leaves, spec = tree_flatten(list(args))
    dims = _broadcast_dims(list(in_dims) if isinstance(in_dims, tuple) else in_dims, list(args), "in_dims", fname)
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(x, (Tensor, BatchedTensor)):
            raise ValueError(  # noqa: TRY004 (torch's type)
                f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                             f"input is of type {type(x)}. We cannot vmap over non-Tensor arguments, please use None "
                             "as the respective in_dim")
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that "
                             f"input is a Tensor of dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim < "
                             f"{n}.")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): Got in_dims={in_dims} but none of the inputs "
                         "are batched: at least one input must be batched (an in_dim that is not None).")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    size = sizes[0]
    if chunk_size is not None and chunk_size < size:
        return _run_chunks(func, in_dims, out_dims, randomness, chunk_size, leaves, dims, spec, kwargs, size)
    return _run_once(func, out_dims, randomness, leaves, dims, spec, kwargs, size)


def _run_once(func, out_dims, randomness, leaves, dims, spec, kwargs, size):
    stack = _batched.levels()
    level = stack[-1][0] + 1 if stack else 1
    inputs = [x if d is None else BatchedTensor(x, d % x.dim(), level) for x, d in zip(leaves, dims)]
    stack.append((level, randomness, size))
    _batched.install()
    try:
        out = _batched.dispatching(func)(*tree_unflatten(inputs, spec), **kwargs)
    finally:
        _batched.uninstall()
        stack.pop()
    return _outputs(func, out, out_dims, level, size)


def _outputs(func, out, out_dims, level, size):
    fname = _name(func)
    leaves, spec = tree_flatten(out)
    dims = _broadcast_dims(out_dims, out, "out_dims", fname)
    results = []
    for x, d in zip(leaves, dims):
        v, bdim = _batched.unwrap(x, level)
        if bdim is not None:
            if d is None:
                raise ValueError(f"vmap({fname}, ...): `{fname}` can not return a BatchedTensor when out_dim is None")
            results.append(v.movedim(bdim, d % v.dim()))
        elif isinstance(x, (Tensor, BatchedTensor)):
            if d is None:
                results.append(x)
            else:  # (an output that does not depend on the batch: the same for every element)
                d = d % (x.dim() + 1)
                results.append(x.unsqueeze(d).expand(*x.shape[:d], size, *x.shape[d:]))
        elif d is None:
            results.append(x)
        else:
            raise ValueError(f"vmap({fname}, ...): `{fname}` must only return Tensors, got type {type(x)}. Did you mean "
                             "to set out_dims= to None for output?")
    return tree_unflatten(results, spec)


def _run_chunks(func, in_dims, out_dims, randomness, chunk_size, leaves, dims, spec, kwargs, size):
    from ..ops.shape import cat

    outs = []
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        chunk = [x if d is None else x.narrow(d, start, n) for x, d in zip(leaves, dims)]
        outs.append(_run_once(func, out_dims, randomness, chunk, dims, spec, kwargs, n))
    flat = [tree_flatten(o) for o in outs]
    odims = _broadcast_dims(out_dims, outs[0], "out_dims", _name(func))
    merged = [parts[0] if d is None else cat(list(parts), d) for d, parts in zip(odims, zip(*(f[0] for f in flat)))]
    return tree_unflatten(merged, flat[0][1])
