"""torchless.special: torch.special's functions, filled from the op registry (see ops/)."""

from ..ops._core import namespace as _namespace

globals().update(_namespace("special"))
