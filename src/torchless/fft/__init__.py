"""torchless.fft: torch.fft's functions, filled from the op registry (see ops/)."""

from ..ops import load_space as _load_space
from ..ops._core import namespace as _namespace

_load_space("fft")
globals().update(_namespace("fft"))
