"""torchless.nn: modules, parameters, initialisers and the functional form (``nn.functional``)."""

from . import functional, init, utils
from .modules import *  # (every layer: see modules/__init__.py)
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
