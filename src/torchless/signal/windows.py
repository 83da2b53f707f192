"""torchless.signal.windows: torch.signal.windows's functions, filled from the op registry (see ops/windows.py)."""

from ..ops import load_space as _load_space
from ..ops._core import namespace as _namespace

_load_space("signal.windows")
globals().update(_namespace("signal.windows"))
