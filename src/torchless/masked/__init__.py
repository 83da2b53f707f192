"""torchless.masked: torch.masked's reductions and normalisations, filled from the op registry
(see ops/masked.py), and the mask helpers torch's tests call."""

from ..ops._core import namespace as _namespace
from ..ops.masked import _input_mask, _output_mask  # noqa: F401

globals().update(_namespace("masked"))
