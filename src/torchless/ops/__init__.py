"""The op registry and its topic files. Importing this package registers every op."""

# registration order: the op registry, then the topic files, then what builds on them
# isort: off
from . import _core
from . import elementwise, reduction, shape, indexing, linalg, activation, compare, conversion  # noqa: F401
from . import pointwise, special, sorting, scan, statistics, scatter, random, complex, fft, nn  # noqa: F401
from . import windows, calculus, masked  # noqa: F401
from . import stacking, copies  # noqa: F401
from . import inplace, operators  # noqa: F401
# isort: on
from ._core import OPS, sum_to  # noqa: F401

inplace.install()

# torch.ops.aten.<name>: ATen's internal ops that programs (and torch's OpInfos) call by name,
# registered as "ops.aten.<name>"
aten = __import__("types").SimpleNamespace(**_core.namespace("ops.aten"))
