"""torchless.nn.functional: torch.nn.functional's functions, filled from the op registry (see ops/nn/)."""

from ..ops import load_space as _load_space
from ..ops._core import namespace as _namespace

_load_space("nn.functional")
globals().update(_namespace("nn.functional"))
