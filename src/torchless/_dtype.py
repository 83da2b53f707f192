"""dtypes with torch's names, and torch's type-promotion rules."""

from .backend import np


class dtype:
    """A tensor element type such as ``torchless.float32``; wraps a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize
        # torch promotes across categories bool < integer < floating < complex
        self._category = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[self.np.kind]

    @property
    def is_complex(self) -> bool:
        return self.np.kind == "c"

    def to_real(self) -> "dtype":
        """The real dtype of the same precision (complex64 -> float32); others map to themselves."""
        return FROM_NP[_REAL_OF.get(self.np, self.np)]

    def to_complex(self) -> "dtype":
        """The complex dtype of the same precision (float64 -> complex128). NumPy has no complex32,
        so float16 maps to complex64."""
        if self.np.kind == "c":
            return self
        if self.np.kind != "f":
            raise RuntimeError(f"to_complex is only supported for floating point types, got {self}")
        return FROM_NP[complex_of(self.np)]

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool = dtype("bool", np.bool_)
# (torch's complex32 / chalf has no NumPy counterpart: torchless does not have it)
complex64 = cfloat = dtype("complex64", np.complex64)
complex128 = cdouble = dtype("complex128", np.complex128)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128)
# NumPy dtype -> torchless dtype; the key is the NumPy dtype object itself (they are singletons)
FROM_NP = {d.np: d for d in ALL}


def from_np(np_dtype) -> dtype:
    try:
        return FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(f"torchless has no dtype for NumPy's {np_dtype}") from None


class memory_format:
    """A memory layout name such as ``torchless.contiguous_format`` (NumPy arrays are strided:
    torchless accepts the names and keeps its arrays' own layout)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


class layout:
    """A tensor layout name; torchless tensors are all ``torchless.strided`` (dense arrays)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")

contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

_C64, _C128 = np.dtype(np.complex64), np.dtype(np.complex128)
_REAL_OF = {_C64: np.dtype(np.float32), _C128: np.dtype(np.float64)}


def complex_of(np_dtype):
    """The complex NumPy dtype holding ``np_dtype``'s values: complex128 for float64 (or complex128),
    complex64 for the rest (float16 included: NumPy has no complex32)."""
    return _C128 if np_dtype.itemsize >= 8 and np_dtype.kind in "fc" else _C64


def default_complex():
    """The NumPy dtype of new complex tensors: the complex counterpart of the default float dtype."""
    return complex_of(DEFAULT.float.np)


class _Default:
    __slots__ = ("float",)


DEFAULT = _Default()
DEFAULT.float = float32


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (float32 unless changed).

    >>> get_default_dtype()
    torch.float32
    """
    return DEFAULT.float


def set_default_dtype(d: dtype) -> None:
    """Make ``d`` (a floating dtype) the dtype of new floating tensors."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    DEFAULT.float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, as torch decides it.

    >>> promote_types(int64, float16)
    torch.float16
    """
    return from_np(_promote_np(a.np, b.np))


_PROMOTED = {}


def _promote_np(a, b):
    """NumPy-dtype promotion by torch's table: a float beats any integer whatever its size."""
    key = (a, b)
    r = _PROMOTED.get(key)
    if r is None:
        ka, kb = a.kind, b.kind
        if (ka == "c") != (kb == "c"):  # complex and real: a complex wide enough for a float's values
            c, other = (a, b) if ka == "c" else (b, a)
            r = np.promote_types(c, other) if other.kind == "f" else c
        elif ka == "f" and kb != "f":
            r = a
        elif kb == "f" and ka != "f":
            r = b
        else:
            r = np.promote_types(a, b)
        r = _PROMOTED[key] = np.dtype(r)
    return r


def scalar_np_dtype(value):
    """The dtype torch gives a Python number taking part in an operation."""
    t = type(value)
    if t is builtins_bool or isinstance(value, np.bool_):
        return np.dtype(np.bool_)
    if t is builtins_int or isinstance(value, np.integer):
        return np.dtype(np.int64)
    if t is builtins_complex or isinstance(value, np.complexfloating):
        return default_complex()
    return DEFAULT.float.np


import builtins  # at the end: the module shadows bool/int/float with dtypes

builtins_bool, builtins_int, builtins_float, builtins_complex = (builtins.bool, builtins.int, builtins.float,
                                                                 builtins.complex)


def result_np_dtype(operands) -> "np.dtype":
    """torch.result_type over tensors (dimensioned or 0-d) and Python numbers.

    Dimensioned tensors decide within their category; a 0-d tensor or a number only
    changes the result when it is of a higher category (bool < integer < floating < complex).
    """
    dim = zero = wrapped = None
    for x in operands:
        a = getattr(x, "_data", None)
        if a is not None:
            if a.ndim:
                dim = a.dtype if dim is None else _promote_np(dim, a.dtype)
            else:
                zero = a.dtype if zero is None else _promote_np(zero, a.dtype)
        else:
            d = scalar_np_dtype(x)
            wrapped = d if wrapped is None else _promote_np(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    hk, lk = higher.kind, lower.kind
    if hk == "c":
        return higher
    if lk == "c":  # a complex of lower priority: floating keeps its precision, integers take lower's
        return complex_of(higher) if hk == "f" else lower
    if hk == "f":
        return higher
    if hk == "b" or lk == "f":
        return _promote_np(higher, lower)
    return higher
