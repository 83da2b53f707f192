"""torchless.utils: data loading (``utils.data``) and activation checkpointing (``utils.checkpoint``)."""

from . import checkpoint, data  # noqa: F401
