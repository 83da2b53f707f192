"""The nn layers, one topic file each. A new layer: a Module subclass in its topic file (a thin
module over its ``nn.functional`` op, with torch's parameter names, ``reset_parameters`` and
``extra_repr``), imported here and named in ``nn/__init__.py``."""

from .activation import *  # (every activation: activation.__all__)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, LazyLinear, Linear
from .loss import *  # (every loss: loss.__all__)
from .module import Module
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__all__ = [name for name, value in dict(globals()).items() if isinstance(value, type) and issubclass(value, Module)]
