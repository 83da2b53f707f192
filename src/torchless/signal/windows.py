"""torchless.signal.windows: torch.signal.windows's functions, filled from the op registry (see ops/windows.py)."""

from ..ops._core import namespace as _namespace

globals().update(_namespace("signal.windows"))
