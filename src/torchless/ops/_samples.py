"""Sample-input specs for the tests generated from the op registry (resolved in tests/opinfo.py)."""


class T:
    """A random float64 tensor of ``shape`` with values in [lo, hi) (and sign flipped when ``signed``)."""

    __slots__ = ("shape", "lo", "hi", "requires_grad")

    def __init__(self, *shape, lo=-2.0, hi=2.0, requires_grad=True):
        self.shape, self.lo, self.hi, self.requires_grad = shape, lo, hi, requires_grad

    def __repr__(self):
        return f"T{self.shape}"


class I:
    """A fixed integer (index) tensor."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __repr__(self):
        return f"I({self.values})"


class C:
    """A random complex128 tensor of ``shape`` (real and imaginary parts standard normal), passed
    as data: it never requires grad (for ops whose input must be complex, such as istft)."""

    __slots__ = ("shape",)

    def __init__(self, *shape):
        self.shape = shape

    def __repr__(self):
        return f"C{self.shape}"


class B:
    """A fixed boolean (mask) tensor."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __repr__(self):
        return f"B({self.values})"


POS = (0.5, 2.0)  # domain of log, sqrt, ...
UNIT = (-0.9, 0.9)  # domain of asin, acos
