"""gradcheck and gradgradcheck: analytical gradients compared with central differences."""

from __future__ import annotations


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when the gradients disagree."""


def gradcheck(func, inputs, **kwargs):
    raise NotImplementedError


def gradgradcheck(func, inputs, grad_outputs=None, **kwargs):
    raise NotImplementedError
