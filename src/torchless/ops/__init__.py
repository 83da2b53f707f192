"""The op registry and its topic files.

Importing this package registers the core topic files (``CORE``); the others (linalg, nn, fft,
special, sorting, scatter, ...) register the first time one of their names is used (see _lazy.py).
"""

# registration order: the op registry, then the topic files, then what builds on them
# isort: off
from . import _core
from . import elementwise, reduction, shape, indexing, activation, compare, conversion  # noqa: F401
from . import pointwise, random, complex, stacking, copies  # noqa: F401
from . import inplace, operators  # noqa: F401
# isort: on
from ._core import OPS, sum_to  # noqa: F401

CORE = ("elementwise", "reduction", "shape", "indexing", "activation", "compare", "conversion", "pointwise", "random",
        "complex", "stacking", "copies", "inplace", "operators")

inplace.install()

from . import _lazy
from ._lazy import load, load_all, load_space  # noqa: F401

_lazy.install_stand_ins()


def __getattr__(name: str):
    # torch.ops.aten.<name>: ATen's internal ops that programs (and torch's OpInfos) call by name,
    # registered as "ops.aten.<name>"
    if name == "aten":
        load_space("ops.aten")
        aten = globals()["aten"] = __import__("types").SimpleNamespace(**_core.namespace("ops.aten"))
        return aten
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
