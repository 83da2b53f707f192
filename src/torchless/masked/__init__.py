"""torchless.masked: torch.masked's reductions and normalisations, filled from the op registry
(see ops/masked.py), and the mask helpers torch's tests call."""

from ..ops import load_space as _load_space
from ..ops._core import namespace as _namespace
from ..ops.masked import _input_mask, _output_mask  # noqa: F401

_load_space("masked")
globals().update(_namespace("masked"))
