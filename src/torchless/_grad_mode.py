"""Grad mode: whether operations record the graph. One ContextVar, so each thread has its own."""

import functools
import inspect
from contextvars import ContextVar

_grad_enabled = ContextVar("torchless_grad_enabled", default=True)
_inference = ContextVar("torchless_inference_mode", default=False)

is_grad_enabled = _grad_enabled.get


def is_inference_mode_enabled() -> bool:
    return _inference.get()


class _Mode:
    """Base of the grad-mode context managers. Each also decorates a function (or a generator,
    whose every step then runs in the mode), with or without parentheses."""

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and cls._takes_no_args:
            return cls()(args[0])  # used as @no_grad, without parentheses
        return super().__new__(cls)

    _takes_no_args = True

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    value = gen.send(None)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:  # noqa: BLE001 (handed on to the generator)
                        with self.clone():
                            value = gen.throw(exc)
                    else:
                        with self.clone():
                            try:
                                value = gen.send(sent)
                            except StopIteration as stop:
                                return stop.value
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def __enter__(self):
        self._tokens.append(self._set())

    def __exit__(self, *exc):
        self._reset(self._tokens.pop())


class no_grad(_Mode):
    """Turn graph recording off inside a ``with`` block or a decorated function.

    >>> import torchless as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, *args):
        self._tokens = []

    def _set(self):
        return _grad_enabled.set(False)

    def _reset(self, token):
        _grad_enabled.reset(token)


class enable_grad(no_grad):
    """Turn graph recording on inside a ``with`` block or a decorated function."""

    def _set(self):
        return _grad_enabled.set(True)


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode``: as a function call, a context manager or a decorator."""

    _takes_no_args = False

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _grad_enabled.get()
        self._tokens = []
        _grad_enabled.set(self.mode)  # takes effect at once when called as a plain function

    def __call__(self, fn):
        _grad_enabled.set(self._prev)  # used as a decorator: only the decorated calls change mode
        return super().__call__(fn)

    def clone(self):
        prev = _grad_enabled.get()
        clone = set_grad_enabled(self.mode)
        _grad_enabled.set(prev)
        return clone

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

    def _set(self):
        return (_grad_enabled.set(not self.mode), _inference.set(self.mode))

    def _reset(self, tokens):
        grad_token, inf_token = tokens
        _inference.reset(inf_token)
        _grad_enabled.reset(grad_token)
