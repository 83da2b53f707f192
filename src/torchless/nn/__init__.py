"""torchless.nn: for now its functional form (``torchless.nn.functional``); modules come later."""

from . import functional  # noqa: F401
