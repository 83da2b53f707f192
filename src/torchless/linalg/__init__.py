"""torchless.linalg: torch.linalg's functions, filled from the op registry (see ops/)."""

from ..ops import load_space as _load_space
from ..ops._core import namespace as _namespace

_load_space("linalg")
globals().update(_namespace("linalg"))

from ..ops.linalg import LinAlgError  # noqa: F401  (torch.linalg.LinAlgError)
