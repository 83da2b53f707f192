"""The nn layers, one topic file each. A new layer: a Module subclass in its topic file (a thin
module over its ``nn.functional`` op, with torch's parameter names, ``reset_parameters`` and
``extra_repr``), imported here and named in ``nn/__init__.py``."""

from .activation import *  # (every activation: activation.__all__)
from .batchnorm import *  # (the spatial layers: each file's __all__)
from .channelshuffle import *
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *
from .distance import *
from .dropout import *
from .flatten import Flatten, Unflatten
from .fold import *
from .instancenorm import *
from .linear import Bilinear, Identity, LazyLinear, Linear
from .loss import *  # (every loss: loss.__all__)
from .module import Module
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import *
from .transformer import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import *

__all__ = [name for name, value in dict(globals()).items() if isinstance(value, type) and issubclass(value, Module)]
