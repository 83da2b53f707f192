"""``functional_call`` and ``stack_module_state``: modules as functions of their parameters.

Written over ``named_parameters`` / ``named_buffers`` and attribute paths, so any object with the
``nn.Module`` interface works; torchless has no ``nn.Module`` yet, hence the error below.
"""

from __future__ import annotations

import contextlib


def _require_module(module, api: str):
    if not (hasattr(module, "named_parameters") and hasattr(module, "named_buffers")):
        raise NotImplementedError(
            f"torchless.func.{api} needs an nn.Module (named_parameters / named_buffers), and torchless has "
            f"no torchless.nn.Module yet; got {type(module).__name__}"
        )


def _owner(module, path: str):
    *parents, name = path.split(".")
    for p in parents:
        module = getattr(module, p)
    return module, name


@contextlib.contextmanager
def _swapped(module, values: dict):
    """Temporarily set each dotted attribute of ``module`` to the given tensor."""
    saved = []
    try:
        for path, value in values.items():
            owner, name = _owner(module, path)
            table = next((d for d in (getattr(owner, "_parameters", None), getattr(owner, "_buffers", None))
                          if isinstance(d, dict) and name in d), None)
            if table is not None:
                saved.append((table, name, table[name], True))
                table[name] = value
            else:
                saved.append((owner, name, getattr(owner, name, None), False))
                object.__setattr__(owner, name, value)
        yield
    finally:
        for target, name, old, in_table in reversed(saved):
            if in_table:
                target[name] = old
            else:
                object.__setattr__(target, name, old)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """Call ``module`` with its parameters and buffers replaced by the given tensors."""
    _require_module(module, "functional_call")
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        values = dict(dicts)
    else:
        values = {}
        for d in dicts:
            for k, v in d.items():
                if k in values:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is ambiguous")
                values[k] = v
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(expected - set(values)), sorted(set(values) - expected)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, values):
        return module(*args, **(kwargs or {}))


def stack_module_state(models) -> tuple[dict, dict]:
    """Stack the parameters and buffers of same-shaped modules along a new leading dimension."""
    from .. import stack
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    for m in models:
        _require_module(m, "stack_module_state")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {n: stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_(p.requires_grad)
              for n, p in models[0].named_parameters()}
    buffers = {n: stack([dict(m.named_buffers())[n] for m in models]) for n, _ in models[0].named_buffers()}
    return params, buffers
