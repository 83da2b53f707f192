"""Activation checkpointing: trade compute for memory by not keeping what a piece of the forward
saves for backward, and running that piece again when backward needs it.

Two ways, as torch has them:

- ``use_reentrant=False`` (recommended): the forward runs normally, but every tensor it saves
  for backward is packed as a mere index (``saved_tensors_hooks``). The first time backward
  unpacks one, the function runs again (with the random state it first ran with) and its saved
  tensors, in the same order, stand in for the dropped ones. The graph is the ordinary graph, so
  ``autograd.grad``, closed-over parameters and partial use all work.
- ``use_reentrant=True``: the piece runs under ``no_grad`` inside a custom Function; its backward
  runs the piece again with grad on and backpropagates through that (a backward inside backward).
"""

from __future__ import annotations

import contextlib
import warnings

from .. import _grad_mode
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


def _rng_state(preserve: bool):
    from .. import get_rng_state
    return get_rng_state() if preserve else None


@contextlib.contextmanager
def _rng_restored(state):
    """Run with the random state ``state`` (if any), then put the current one back."""
    if state is None:
        yield
        return
    from .. import get_rng_state, set_rng_state
    now = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(now)


class _Recompute:
    """One checkpointed call: the function and its arguments, the indices handed out for its
    saved tensors, and (after the rerun) the tensors themselves."""

    def __init__(self, function, args, kwargs, rng):
        self.function, self.args, self.kwargs, self.rng = function, args, kwargs, rng
        self.count = 0
        self.values = None

    def pack(self, tensor):
        self.count += 1
        return self.count - 1

    def unpack(self, index):
        if self.values is None:
            self.values = []
            with _rng_restored(self.rng), _grad_mode.enable_grad(), \
                    saved_tensors_hooks(self._keep, lambda t: t):
                self.function(*self.args, **self.kwargs)
            if len(self.values) != self.count:
                raise RuntimeError(f"torch.utils.checkpoint: A different number of tensors was saved during the "
                                   f"original forward and recomputation.\nNumber of tensors saved during forward: "
                                   f"{self.count}\nNumber of tensors saved during recomputation: {len(self.values)}")
        return self.values[index]

    def _keep(self, tensor):
        self.values.append(tensor.detach() if tensor.grad_fn is not None else tensor)
        return tensor


class _CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        ctx.run_function = run_function
        ctx.rng = _rng_state(preserve_rng_state)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.tensor_indices = tensors
        ctx.inputs = [None if i in tensors else a for i, a in enumerate(args)]
        ctx.save_for_backward(*(args[i] for i in tensors))
        with _grad_mode.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        from ..autograd import backward
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        with _rng_restored(ctx.rng), _grad_mode.enable_grad():
            outputs = ctx.run_function(*inputs)
        outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *(a.grad if isinstance(a, Tensor) else None for a in inputs))


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, keeping none of its saved tensors for backward: they are
    recomputed when backward needs them. Gradients are the same as without checkpointing.

    >>> import torchless as torch
    >>> from torchless.utils.checkpoint import checkpoint
    >>> x = torch.tensor([0., 1.], requires_grad=True)
    >>> checkpoint(torch.sin, x, use_reentrant=False).sum().backward()
    >>> x.grad
    tensor([1.0000, 0.5403])
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _CheckpointFunction.apply(function, preserve_rng_state, *args)
    if not _grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    recompute = _Recompute(function, args, kwargs, _rng_state(preserve_rng_state))
    with saved_tensors_hooks(recompute.pack, recompute.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Run a Sequential (or a list of modules) as ``segments`` checkpointed chunks; the last
    chunk runs normally.

    >>> import torchless as torch
    >>> model = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Tanh(), torch.nn.Tanh())
    >>> x = torch.ones(2, requires_grad=True)
    >>> out = torch.utils.checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=False)
    >>> out.shape
    torch.Size([2])
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)

    def run(start, end):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
