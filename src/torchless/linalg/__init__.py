"""torchless.linalg: torch.linalg's functions, filled from the op registry (see ops/)."""

from ..ops._core import namespace as _namespace

globals().update(_namespace("linalg"))

from ..ops.linalg import LinAlgError  # noqa: F401  (torch.linalg.LinAlgError)
