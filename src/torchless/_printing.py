"""Tensor printing that reproduces PyTorch's ``repr(tensor)`` output character for character.

The layout rules follow what ``torch`` (2.x) prints for dense CPU tensors:

* one :class:`_Formatter` per tensor decides a common notation (integer-valued
  floats ``2.``, fixed point ``2.5000`` or scientific ``2.5000e+03``) and a common
  column width from the values that will actually be shown;
* the nested-bracket layout puts ``dim - 1`` newlines between sub-tensors and
  wraps 1-d rows at ``linewidth``;
* tensors with more than ``threshold`` elements are summarised with ``...``,
  keeping ``edgeitems`` entries at each end of every dimension;
* trailing fields (``size=``, ``dtype=``, ``grad_fn=`` ...) go after the data and
  move to a new line when they would overflow ``linewidth``.

Everything here is a pure function of NumPy data plus the module-level print
options, so it has no dependency on the rest of torchless.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["format_tensor", "get_printoptions", "printoptions", "set_printoptions"]


class _PrintOptions:
    """The global print options (the counterpart of ``torch._tensor_str.PRINT_OPTS``)."""

    __slots__ = ("edgeitems", "linewidth", "precision", "sci_mode", "threshold")

    def __init__(self) -> None:
        self.precision: int = 4
        self.threshold: float = 1000
        self.edgeitems: int = 3
        self.linewidth: int = 80
        self.sci_mode: bool | None = None


# Option names in the order torch's get_printoptions() lists them.
_OPTION_NAMES = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

# profile name -> (precision, threshold, edgeitems, linewidth), as in torch.
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}

PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the print options; same arguments and semantics as ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") is applied first, then the explicit
    arguments override it. As in torch, ``sci_mode`` is always assigned, so calling
    this without ``sci_mode`` resets it to automatic (``None``).
    """
    opts = PRINT_OPTS
    if profile is not None and profile in _PROFILES:  # torch silently ignores unknown profiles
        opts.precision, opts.threshold, opts.edgeitems, opts.linewidth = _PROFILES[profile]
    if precision is not None:
        opts.precision = precision
    if threshold is not None:
        opts.threshold = threshold
    if edgeitems is not None:
        opts.edgeitems = edgeitems
    if linewidth is not None:
        opts.linewidth = linewidth
    opts.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current options as a dict that can be passed back to :func:`set_printoptions`."""
    return {name: getattr(PRINT_OPTS, name) for name in _OPTION_NAMES}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (arguments as for :func:`set_printoptions`)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Chooses the notation and column width shared by every element of one tensor."""

    __slots__ = ("floating", "int_mode", "precision", "sci_mode", "width")

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        """``values`` is the flat array of the elements that will be displayed."""
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self.precision = PRINT_OPTS.precision

        if not floating:
            if values.size:
                # str() length is monotone in the value for a fixed sign, so the
                # extremes give the widest entry (True/False for bool included).
                extremes = (values.min().item(), values.max().item())
                self.width = max(self.width, *(len(str(v)) for v in extremes))
            return

        # Only non-zero finite values decide the notation: zeros, nan and inf are
        # printed in whatever notation the other values need.
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        magnitude = np.abs(shown).astype(np.float64)  # float16 would overflow the ratio below
        smallest, largest = float(magnitude.min()), float(magnitude.max())

        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        # The formatted length grows with |value| for fixed-point output, and for
        # scientific output it depends on the sign and on how many digits the
        # exponent has, which is largest at one of the extremes. So formatting the
        # smallest and largest value of each sign is enough to find the width.
        candidates: list[float] = []
        for side in (shown[shown > 0], shown[shown < 0]):
            if side.size:
                candidates += [float(side.min()), float(side.max())]
        if self.sci_mode:
            spec, extra = f".{self.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "." that marks a float
        else:
            spec, extra = f".{self.precision}f", 0
        self.width = max(self.width, max(len(format(v, spec)) + extra for v in candidates))

    def format(self, value: Any) -> str:
        """Format one Python scalar, right-aligned to the shared width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{self.precision}e")
        elif self.int_mode:
            text = format(value, ".0f")
            if math.isfinite(value):
                text += "."
        else:
            text = format(value, f".{self.precision}f")
        return text.rjust(self.width)


class _ComplexFormatter:
    """torch's layout of complex elements: the real and the imaginary parts each get a formatter
    of their own, decided from the parts shown; ``re+imj`` (the sign of the imaginary part
    stands in for the plus)."""

    __slots__ = ("imag", "real", "width")

    def __init__(self, values: np.ndarray) -> None:
        self.real = _Formatter(values.real, floating=True)
        self.imag = _Formatter(values.imag, floating=True)
        self.width = self.real.width + self.imag.width + 1  # (and one for the "j")

    def format(self, value: Any) -> str:
        value = complex(value)
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized_values(arr: np.ndarray, edgeitems: int) -> np.ndarray:
    """Flat array of the elements a summarised print shows (input of the formatter)."""
    if arr.ndim == 0:
        return arr.reshape(-1)
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edgeitems:
            # Note arr[-0:] is the whole array; torch behaves the same for edgeitems=0.
            return np.concatenate((arr[:edgeitems], arr[-edgeitems:]))
        return arr
    if not edgeitems:
        return arr[:0].reshape(-1)
    if arr.shape[0] > 2 * edgeitems:
        rows = list(range(edgeitems)) + list(range(arr.shape[0] - edgeitems, arr.shape[0]))
    else:
        rows = list(range(arr.shape[0]))
    pieces = [_summarized_values(arr[i], edgeitems) for i in rows]
    return np.concatenate(pieces) if pieces else arr[:0].reshape(-1)


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter | _ComplexFormatter) -> str:
    """Format a 1-d array, wrapping so each line fits in ``linewidth``."""
    edgeitems = PRINT_OPTS.edgeitems
    element_length = fmt.width + 2  # the ", " separator counts towards each element
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    if summarize and not edgeitems:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edgeitems:
        data = (
            [fmt.format(v) for v in arr[:edgeitems].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in arr[-edgeitems:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in arr.tolist()]

    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter | _ComplexFormatter) -> str:
    """Format an array of any rank; ``indent`` is the column of its opening bracket."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)

    edgeitems = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edgeitems:
        slices = (
            [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(edgeitems)]
            + ["..."]
            + [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edgeitems, n)]
        )
    else:
        slices = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    # Higher-rank blocks are separated by more blank lines: dim - 1 newlines.
    separator = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(slices) + "]"


def _data_str(arr: np.ndarray, indent: int) -> str:
    """Format the data of a non-empty array (the part between the parentheses)."""
    summarize = arr.size > PRINT_OPTS.threshold
    shown = _summarized_values(arr, PRINT_OPTS.edgeitems) if summarize else arr.reshape(-1)
    kind = arr.dtype.kind
    fmt = _ComplexFormatter(shown) if kind == "c" else _Formatter(shown, floating=kind == "f")
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    """Append ``, suffix`` fields and the closing parenthesis, wrapping at ``linewidth``."""
    parts = [text]
    # torch's own measure of the last line (it is two more than the real length
    # when there is no newline); kept as is so wrapping happens at the same point.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    arr: np.ndarray,
    dtype_name: str,
    default_float_name: str,
    suffixes: Sequence[str],
    prefix: str = "tensor(",
    *,
    module: str = "torch",
) -> str:
    """Return the text torch would print for a dense CPU tensor holding ``arr``.

    Args:
        arr: the tensor data, any shape (0-d and empty included).
        dtype_name: torch-style dtype name without the module, e.g. ``"float32"``.
        default_float_name: the current default float dtype name, e.g. ``"float32"``.
        suffixes: already formatted trailing fields such as ``"requires_grad=True"``
            or ``"grad_fn=<MulBackward0>"``. They follow ``size=``/``dtype=``, except
            ``device=...`` fields, which torch puts first.
        prefix: text before the data (single line); its length sets the indentation.
        module: module name used in ``dtype=<module>.<dtype_name>``.
    """
    arr = np.asarray(arr)
    indent = len(prefix)
    dtype_field = f"dtype={module}.{dtype_name}"
    fields = [s for s in suffixes if s.startswith("device=")]

    if arr.size == 0:
        # Like NumPy, the shape is shown unless it is (0,); the dtype is shown even
        # for int64/bool because there are no elements to infer it from.
        if arr.ndim != 1:
            fields.append(f"size={tuple(arr.shape)}")
        if dtype_name != default_float_name:
            fields.append(dtype_field)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            fields.append(f"size={tuple(arr.shape)}")
        default_complex = "complex128" if default_float_name == "float64" else "complex64"
        if dtype_name not in (default_float_name, default_complex, "int64", "bool"):
            fields.append(dtype_field)
        body = _data_str(arr, indent)

    fields.extend(s for s in suffixes if not s.startswith("device="))
    return _add_suffixes(prefix + body, fields, indent)
