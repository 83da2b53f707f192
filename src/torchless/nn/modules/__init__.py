"""The nn layers, one topic file each (torch's file names: conv.py, pooling.py, ...).

Adding a layer:

1. In its topic file, a ``Module`` subclass over its ``nn.functional`` op: torch's constructor
   signature, parameter and buffer names and shapes (``Parameter(empty(...))`` then
   ``reset_parameters()`` drawing from ``nn.init`` in torch's order, so a seeded layer gets
   torch's values), ``forward``, and ``extra_repr`` returning torch's text. List it in the file's
   ``__all__``.
2. Import it here (``from .conv import *``); ``__all__`` below, and so ``torchless.nn``, picks up
   every Module subclass imported.
3. Test it against torch's module_db in two lines (tests/module_db_harness.py)::

       from module_db_harness import module_db_test
       test_module_db = module_db_test(["nn.Conv2d"])
"""

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
