"""torchless: PyTorch's autograd, rebuilt in Python over NumPy.

    import torchless as torch
"""

__version__ = "0.1.0"

import warnings as _warnings

# torch computes log(0), 1/0, asin(2) ... silently (inf, nan); NumPy warns. Silence NumPy's
# floating-point warnings raised from inside torchless only: filters cost nothing until a
# warning is actually raised, unlike an errstate around every operation.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"torchless(\.|$)")

# load order, grouped by topic
# isort: off
from ._dtype import (bool, cdouble, cfloat, channels_last, channels_last_3d, complex64, complex128,
                     contiguous_format, double, dtype, float, float16, float32, float64, get_default_dtype, half,
                     int, int8, int16, int32, int64, layout, long, memory_format, preserve_format, promote_types,
                     set_default_dtype, short, sparse_coo, strided, uint8)
from ._device import device
from ._grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                         set_grad_enabled)
from ._tensor import Size, Tensor
from . import ops as _ops
from .ops._core import namespace as _namespace
from ._creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, initial_seed,
                        linspace, logspace, manual_seed, normal, ones, ones_like, rand, rand_like, randint,
                        randint_like, randn, randn_like, randperm, seed, tensor, zeros, zeros_like)
from ._generator import Generator, default_generator, get_rng_state, set_rng_state
from ._printing import get_printoptions, set_printoptions
from . import autograd
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .ops.shape import broadcast_shapes, broadcast_tensors
from .ops.compare import bitwise_not
from .ops.complex import imag, is_conj, is_neg, view_as_real
# isort: on

# every registered op with a functional form: torchless.exp, torchless.sum, ...
globals().update(_namespace(""))
from . import random, return_types
from ._legacy import TYPED as _TYPED
from ._legacy import set_default_tensor_type, typename
from ._runtime import (
    are_deterministic_algorithms_enabled,
    backends,
    finfo,
    get_default_device,
    get_num_interop_threads,
    get_num_threads,
    iinfo,
    is_deterministic_algorithms_warn_only_enabled,
    is_nonzero,
    is_storage,
    set_default_device,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)

globals().update(_TYPED)  # FloatTensor, LongTensor, ...: legacy constructors and isinstance checks


def is_tensor(obj) -> "builtins.bool":
    """Whether ``obj`` is a torchless Tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> "builtins.int":
    return input.numel()


def result_type(tensor1, tensor2):
    from ._dtype import FROM_NP, result_np_dtype

    return FROM_NP[result_np_dtype((tensor1, tensor2))]


def can_cast(from_, to) -> "builtins.bool":
    """Whether torch's casting rules allow ``from_`` -> ``to``: never to a lower category
    (floating -> integer -> bool)."""
    return from_._category <= to._category


def is_floating_point(input) -> "builtins.bool":
    return input.is_floating_point()


def cuda_is_available() -> "builtins.bool":
    return False


class cuda:  # torch.cuda: no GPU backend yet
    @staticmethod
    def is_available() -> "builtins.bool":
        return False

    @staticmethod
    def device_count() -> "builtins.int":
        return 0


class accelerator:  # torch.accelerator: what a CPU-only torch answers (tutorials pick their device by it)
    @staticmethod
    def is_available() -> "builtins.bool":
        return False

    @staticmethod
    def current_accelerator(check_available: "builtins.bool" = False) -> None:
        return None

    @staticmethod
    def device_count() -> "builtins.int":
        return 0


# namespaces that load on first use (``torchless.linalg``), as do the ops of the topic files
# that are not core (``torchless.sort``: see ops/_lazy.py)
_SUBMODULES = ("fft", "func", "linalg", "masked", "nn", "optim", "serialization", "signal", "special", "utils")
_FROM_SUBMODULES = {"save": "serialization", "load": "serialization", "vmap": "func"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return __import__("importlib").import_module(f"{__name__}.{name}")
    if name in _FROM_SUBMODULES:
        value = globals()[name] = getattr(__getattr__(_FROM_SUBMODULES[name]), name)
        return value
    return _ops._lazy.function("", name, globals())


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_FROM_SUBMODULES) | _ops._lazy.names(""))


import builtins  # for the annotations above: bool/int/float in this module are dtypes
