"""Grad mode: whether operations record the graph. One ContextVar, so each thread has its own."""

import functools
from contextvars import ContextVar

_grad_enabled = ContextVar("torchless_grad_enabled", default=True)
_inference = ContextVar("torchless_inference_mode", default=False)

is_grad_enabled = _grad_enabled.get


def is_inference_mode_enabled() -> bool:
    return _inference.get()


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_Mode):
    """Turn graph recording off inside a ``with`` block or a decorated function.

    >>> import torchless as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # used as @no_grad, without parentheses

    def __init__(self, orig_func=None):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(False))

    def __exit__(self, *exc):
        _grad_enabled.reset(self._tokens.pop())


class enable_grad(_Mode):
    """Turn graph recording on inside a ``with`` block or a decorated function."""

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(True))

    def __exit__(self, *exc):
        _grad_enabled.reset(self._tokens.pop())


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode``: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _grad_enabled.get()
        _grad_enabled.set(self.mode)  # takes effect when called as a plain function

    def clone(self):
        return set_grad_enabled(self.mode)

    def __enter__(self):
        _grad_enabled.set(self.mode)

    def __exit__(self, *exc):
        _grad_enabled.set(self._prev)


class inference_mode(_Mode):
    """Like no_grad, and also marks the block as inference (``is_inference_mode_enabled()``)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self._tokens = []

    def clone(self):
        return inference_mode(self.mode)

    def __enter__(self):
        self._tokens.append((_grad_enabled.set(not self.mode), _inference.set(self.mode)))

    def __exit__(self, *exc):
        grad_token, inf_token = self._tokens.pop()
        _inference.reset(inf_token)
        _grad_enabled.reset(grad_token)
