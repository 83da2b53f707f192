"""torchless.nn.functional: torch.nn.functional's functions, filled from the op registry (see ops/nn/)."""

from ..ops._core import namespace as _namespace

globals().update(_namespace("nn.functional"))
