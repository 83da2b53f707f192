"""Making tensors: tensor, as_tensor, from_numpy, zeros, ones, full, arange, rand, ..."""

from __future__ import annotations

import math as _math
import operator
import warnings

from . import _dtype
from . import _generator as _gen
from ._device import as_device
from ._generator import initial_seed, manual_seed, seed  # noqa: F401  (public here)
from ._grad_mode import _inference
from ._tensor import Tensor, _wrap
from .backend import np


def _np_dtype(dtype, fallback=None):
    if dtype is None:
        return fallback
    if isinstance(dtype, _dtype.dtype):
        return dtype.np
    raise TypeError(f"dtype must be a torchless dtype, not {type(dtype).__name__}")


def _finish(data, requires_grad=False, device=None) -> Tensor:
    as_device(device)
    t = _wrap(data, None)
    if _inference.get():
        t._extra = {"inference": True}
    if requires_grad:
        t.requires_grad = True  # checks the dtype
    return t


# ---- tensor(data): torch's reading of nested Python data -----------------------------------------
_SEQUENCES = (list, tuple, range)  # what torch walks into as a dimension (NumPy arrays too)
_PY_NUMBERS = frozenset((float, int, bool))
_INT64_RANGE = (-(2**63), 2**63 - 1)

COPY_WARNING = ("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                "sourceTensor.detach().clone().requires_grad_(True), rather than {}(sourceTensor).")
_ARRAYS_WARNING = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting the "
                   "list to a single numpy.ndarray with numpy.array() before converting to a tensor.")
_SCALAR_GRAD_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                        "Consider using tensor.detach() first.")


def _from_data(data, np_dtype, stacklevel):
    """A new array holding ``data`` (numbers, tensors, arrays, nested sequences of them), read as
    torch reads it, in ``np_dtype`` or else the dtype torch infers. Warns ``stacklevel`` frames up."""
    if isinstance(data, Tensor):
        return np.array(data._data, dtype=np_dtype, copy=True)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data, dtype=np_dtype, copy=True)  # NumPy values keep their dtype
    if np_dtype is None:  # the common scalars, kept short
        cls = data.__class__
        if cls is float:
            return np.array(data, dtype=_dtype.DEFAULT.float.np)
        if cls is bool:
            return np.array(data, dtype=np.bool_)
        if cls is int and _INT64_RANGE[0] <= data <= _INT64_RANGE[1]:
            return np.array(data, dtype=np.int64)
    shape = _shape_of(data)
    notes = set()  # what to warn about: "arrays", "grad"
    leaves, misfits, error = _walk(data, shape, notes)
    if np_dtype is None:
        np_dtype = _infer_dtype(leaves + misfits if misfits else leaves)
    if 0 in shape:  # nothing to store (nor to check: torch takes [[], [1]] as a 2x0 tensor)
        return np.empty(shape, dtype=np_dtype)
    if error is not None:
        raise error
    arr = _values(leaves, np.dtype(np_dtype), notes)
    if "arrays" in notes:
        warnings.warn(_ARRAYS_WARNING, UserWarning, stacklevel=stacklevel)
    if "grad" in notes:
        warnings.warn(_SCALAR_GRAD_WARNING, UserWarning, stacklevel=stacklevel)
    return arr.reshape(shape)


def _shape_of(data) -> tuple:
    """The shape, as torch finds it: the lengths along the first elements. A tensor is a leaf
    (a one-element one is taken as its value); a 0-d array has no length."""
    shape = []
    v = data
    while True:
        if isinstance(v, _SEQUENCES):
            n = len(v)
        elif isinstance(v, np.ndarray):
            if v.ndim == 0:
                raise TypeError("len() of unsized object")
            n = len(v)
        elif isinstance(v, str):  # (each character is a string again, down to torch's limit of dims)
            raise ValueError(f"too many dimensions '{type(v).__name__}'")  # noqa: TRY004  (torch's error)
        else:
            break
        shape.append(n)
        if n == 0:
            break
        v = v[0]
    return tuple(shape)


def _walk(data, shape, notes):
    """The elements at depth ``len(shape)``, in order; the other values met (where the shape
    does not hold, and empty sequences: still read for the dtype); and the error for the first
    misfit, as torch raises it. Past the first elements, a tensor may stand for dimensions too."""
    level, misfits, error = [data], [], None
    for dim, n in enumerate(shape):
        deeper = []
        for v in level:
            if isinstance(v, _SEQUENCES) or v.__class__ is np.ndarray and v.ndim or (
                    isinstance(v, Tensor) and v._data.ndim):
                if isinstance(v, Tensor):  # (its elements, as the 0-d tensors iterating it gives)
                    if v._rg:
                        notes.add("grad")
                    v = [_wrap(e, None) for e in v._data]
                elif v.__class__ is np.ndarray:
                    notes.add("arrays")  # (torch warns: that is slow)
                if len(v) == n:
                    if n:
                        deeper.extend(v)
                    else:  # (an empty one has a dtype too: the default, or an array's own)
                        misfits.append(v)
                    continue
                if error is None:
                    error = ValueError(f"expected sequence of length {n} at dim {dim} (got {len(v)})")
            elif error is None:
                error = TypeError("not a sequence")
            misfits.append(v)
        level = deeper
    return level, misfits, error


def _infer_dtype(values):
    """torch's dtype for a list of values: the promotion of theirs (a float is the default
    dtype, an int int64, a tensor or NumPy value its own dtype; a sequence that of its items)."""
    result = None
    for cls in dict.fromkeys(map(type, values)):  # (each type once, in order of appearance)
        if cls is float:
            found = (_dtype.DEFAULT.float.np,)
        elif cls is int:
            found = (np.dtype(np.int64),)
        elif cls is bool:
            found = (np.dtype(np.bool_),)
        else:
            found = _dtypes_of(cls, [v for v in values if v.__class__ is cls])
        for d in found:
            result = d if result is None else _dtype._promote_np(result, d)
    return _dtype.DEFAULT.float.np if result is None else result


def _dtypes_of(cls, values):
    if issubclass(cls, Tensor):
        return {v._data.dtype for v in values}
    if issubclass(cls, (np.ndarray, np.generic)):  # (before float: np.float64 is a float)
        return {v.dtype for v in values}
    if issubclass(cls, _SEQUENCES):  # an empty one counts as the default float dtype
        return {_infer_dtype(list(v)) if len(v) else _dtype.DEFAULT.float.np for v in values}
    if issubclass(cls, bool):
        return {np.dtype(np.bool_)}
    if issubclass(cls, int):
        return {np.dtype(np.int64)}
    if issubclass(cls, float):
        return {_dtype.DEFAULT.float.np}
    if issubclass(cls, complex):
        return {_dtype.default_complex()}
    if issubclass(cls, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{cls.__name__}'")
    raise RuntimeError(f"Could not infer dtype of {cls.__name__}")


def _values(leaves, np_dtype, notes):
    """The leaves (numbers, tensors, NumPy values) as an array of ``np_dtype``, each converted
    as torch converts it: to a float, or else to an integer (a float truncated, range-checked)."""
    kind = np_dtype.kind
    if not _PY_NUMBERS.issuperset(map(type, leaves)):
        leaves = [v if v.__class__ in _PY_NUMBERS else _scalar(v, kind, notes) for v in leaves]
    if kind in "fbc":
        return np.array(leaves, dtype=np_dtype)
    if any(isinstance(v, float) for v in leaves):
        lo, hi = _int_range(np_dtype)
        leaves = [_float_to_int(v, lo, hi, np_dtype) if isinstance(v, float) else v for v in leaves]
    try:
        arr = np.array(leaves, dtype=np.int64)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if np_dtype != np.int64:
        lo, hi = _int_range(np_dtype)
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise RuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")
        arr = arr.astype(np_dtype)  # (an unsigned dtype wraps negative values around, as in torch)
    return arr


def _scalar(v, kind, notes):
    """One leaf that is not a Python number, as a value NumPy converts as torch would."""
    if isinstance(v, Tensor):
        if v._rg:
            notes.add("grad")
        if kind in "fc":
            if v._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            return v._data.reshape(()).item()
        return operator.index(v)  # (refuses floating tensors, as torch)
    if isinstance(v, np.ndarray):
        notes.add("arrays")
        return float(v) if kind == "f" else complex(v) if kind == "c" else operator.index(v)
    if kind in "fc":
        if isinstance(v, (int, float, complex, np.number, np.bool_)):
            return v
        raise TypeError(f"must be real number, not {type(v).__name__}")
    if isinstance(v, float) or (kind == "b" and isinstance(v, np.bool_)):
        return v
    return operator.index(v)


def _int_range(np_dtype):
    """The integers torch stores in ``np_dtype``: an unsigned one takes down to -max too (they
    wrap around, as in C)."""
    info = np.iinfo(np_dtype)
    return (-int(info.max) if info.min == 0 else int(info.min)), int(info.max)


def _float_to_int(v, lo, hi, np_dtype):
    try:
        i = int(v)  # (truncates)
    except (ValueError, OverflowError):  # nan, inf
        i = None
    if i is None or not lo <= i <= hi:
        raise RuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")
    return i


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Tensors inside a list count as their (single) values, detached.

    >>> tensor([1., 2.])
    tensor([1., 2.])
    >>> tensor([[1, 2]]).dtype
    torch.int64
    """
    if isinstance(data, Tensor):
        warnings.warn(COPY_WARNING.format("torch.tensor"), UserWarning, stacklevel=2)
    return _tensor(data, dtype, device, requires_grad, 3)


def _tensor(data, dtype, device, requires_grad, stacklevel) -> Tensor:
    arr = _from_data(data, _np_dtype(dtype), stacklevel + 1)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"can't convert np.ndarray of type {arr.dtype}")
    return _finish(arr, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory when it already is an array or tensor of that dtype."""
    if isinstance(data, Tensor):
        if dtype is None or data._data.dtype is dtype.np:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray):
        arr = data if dtype is None else data.astype(dtype.np, copy=False)
        return _finish(arr, False, device)
    return _tensor(data, dtype, device, False, 3)


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_np(ndarray.dtype)
    return _wrap(ndarray, None)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _float_or(dtype):
    return _np_dtype(dtype, _dtype.DEFAULT.float.np)


def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """A tensor of zeros of the given size."""
    return _finish(np.zeros(_size(size), dtype=_float_or(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """A tensor of ones of the given size."""
    return _finish(np.ones(_size(size), dtype=_float_or(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None) -> Tensor:
    """An uninitialised tensor of the given size."""
    return _finish(np.empty(_size(size), dtype=_float_or(dtype)), requires_grad, device)


def _scalar_dtype(value):
    if isinstance(value, bool):
        return np.bool_
    if isinstance(value, int):
        return np.int64
    return _dtype.DEFAULT.float.np


# the C++ names of the dtypes, as torch's overflow message gives them
_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "int8_t", "int16": "int16_t",
           "int32": "int", "int64": "int64_t", "uint8": "uint8_t"}


def check_fits(value, np_dtype) -> None:
    """Raise as torch does for a Python number that a tensor of ``np_dtype`` cannot hold (NumPy
    would wrap it around or make it inf). torch takes an int of up to 64 bits, then checks the
    range; an unsigned dtype takes a negative int down to -max (it wraps around, as in C)."""
    if np_dtype.kind == "b" or isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, int):
        if value >= 2**64:
            raise OverflowError("int too big to convert")
        if value < -(2**63):
            raise OverflowError("can't convert negative int to unsigned")
    if np_dtype.kind == "f":
        if _math.isinf(value) or _math.isnan(value) or -np.finfo(np_dtype).max <= value <= np.finfo(np_dtype).max:
            return
    else:
        info = np.iinfo(np_dtype)
        low = -int(info.max) if info.min == 0 and isinstance(value, int) else int(info.min)
        if low <= value <= info.max:  # (False for nan)
            return
    raise RuntimeError(f"value cannot be converted to type {_C_NAME[np_dtype.name]} without overflow")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None) -> Tensor:
    """A tensor of the given size filled with ``fill_value``.

    >>> full((2,), 1.5)
    tensor([1.5000, 1.5000])
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _np_dtype(dtype, _scalar_dtype(fill_value))
    check_fits(fill_value, np.dtype(d))
    return _finish(np.full(_size((size,)) if not isinstance(size, int) else (size,), fill_value, dtype=d),
                   requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (n x m)."""
    return _finish(np.eye(n, m, dtype=_float_or(dtype)), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``.

    >>> arange(3)
    tensor([0, 1, 2])
    """
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    is_int = all(isinstance(v, int) for v in (start, end, step))
    d = _np_dtype(dtype, np.int64 if is_int else _dtype.DEFAULT.float.np)
    n = max(0, _math.ceil((end - start) / step))
    if is_int:
        data = (start + np.arange(n, dtype=np.int64) * step).astype(d)
    else:
        # as torch: the start in the result's dtype, the steps in double
        first = np.float64(d.type(start)) if d.kind == "f" else np.float64(start)
        data = (first + np.arange(n, dtype=np.float64) * step).astype(d)
    return _finish(data, requires_grad, device)


def _float_points(start: float, end: float, steps: int, d) -> np.ndarray:
    """torch's linspace kernel for a float dtype ``d`` (steps >= 2): the step computed in ``d``;
    the first half counts up from ``start``, the second down from ``end``, each point one fused
    multiply-add."""
    s, e = d.type(start), d.type(end)
    step = (e - s) / d.type(steps - 1)
    i = np.arange(steps, dtype=np.float64)
    up = i < steps // 2
    n = np.where(up, i, steps - 1 - i)
    if d == np.float64:
        from ._generator import fma

        return np.where(up, fma(n, float(step), float(s)), fma(n, -float(step), float(e)))
    # (float32 products are exact in double: one rounding, as a fused multiply-add)
    return np.where(up, float(s) + float(step) * n, float(e) - float(step) * n).astype(d)


_CPP_TYPES = {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _space_dtype(name: str, start, end, dtype):
    """The result dtype of linspace/logspace: complex (the default complex dtype) when an end is
    complex, and a dtype passed that cannot hold complex values is refused."""
    if not any(isinstance(v, complex) for v in (start, end)):
        return _float_or(dtype)
    if dtype is None:
        return _dtype.default_complex()
    if not dtype.is_complex:
        from .ops.random import _type_name

        raise RuntimeError(f"torch.{name}(): inferred dtype {_CPP_TYPES[np.dtype(_dtype.default_complex()).name]} "
                           f"can't be safely cast to passed dtype {_type_name(dtype.np)}")
    return dtype.np


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included).

    Computed as torch does, so float32 results match it bit for bit: the first half counts up
    from ``start``, the second half down from ``end``, each point one fused multiply-add.
    """
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    d = _space_dtype("linspace", start, end, dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if d.kind == "c":  # each part a real linspace, as torch computes them side by side
        part = _dtype.FROM_NP[np.dtype(d.type(0).real.dtype)]
        start, end = complex(start), complex(end)
        if steps == 1:
            return _finish(np.array([start], dtype=d), requires_grad, device)
        re = _float_points(start.real, end.real, steps, part.np)
        im = _float_points(start.imag, end.imag, steps, part.np)
        return _finish((re + 1j * im).astype(d), requires_grad, device)
    if steps > 1 and d.kind == "f" and d.itemsize >= 4:
        return _finish(_float_points(start, end, steps, d), requires_grad, device)
    if d.kind == "f":
        s, e = np.float64(d.type(start)), np.float64(d.type(end))
        step = np.float64(d.type((float(end) - float(start)) / (steps - 1))) if steps > 1 else 0.0
    else:  # integer results: the ends in that type, the points in double, then truncated
        s, e = np.float64(d.type(start)), np.float64(d.type(end))
        step = (e - s) / (steps - 1) if steps > 1 else 0.0
    if steps == 1:
        return _finish(np.array([start], dtype=d), requires_grad, device)
    i = np.arange(steps, dtype=np.float64)
    # float32 products are exact in double, so this rounds once, as a fused multiply-add does
    data = np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i))
    return _finish(data.astype(d), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    d = _space_dtype("logspace", start, end, dtype)
    if d.kind == "c":
        if steps < 0:
            raise RuntimeError("number of steps must be non-negative")
        exponents = linspace(start, end, steps, dtype=_dtype.complex128)._data
        return _finish(np.power(complex(base), exponents).astype(d), requires_grad, device)
    data = np.power(base, np.linspace(start, end, steps, dtype=np.float64)).astype(d)
    return _finish(data, requires_grad, device)


# ---- random tensors: torch's CPU generator, number for number (see _generator.py) ------------------
def _random_dtype(dtype, kernel: str):
    d = _float_or(dtype)
    if d.kind != "f":
        from .ops.random import _type_name

        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(d)}'")
    return d


def _random_size(size, kw) -> tuple:
    """The shape from ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    if kw:
        if set(kw) != {"size"} or size:
            raise TypeError(f"received an invalid combination of arguments - got {size}, {kw}")
        size = (kw["size"],)
    shape = _size(size)
    _check_size(shape)
    return shape


def _check_size(shape) -> None:
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")


def _layout_of(x: np.ndarray) -> np.ndarray:
    """The memory layout torch's ``empty_like`` gives for ``x`` (its own strides when its
    elements are dense, else C order): random fills follow it."""
    if x.flags.c_contiguous or x.ndim <= 1:
        return x
    from .ops.inplace import _dense

    return x if _dense(x) else np.empty(x.shape, x.dtype)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, layout=None, out=None,
         pin_memory=False, **kw) -> Tensor:
    """Uniform samples from [0, 1), as torch draws them (seed with ``manual_seed``).

    >>> _ = manual_seed(0)
    >>> rand(3)
    tensor([0.4963, 0.7682, 0.0885])
    """
    d, shape = _random_dtype(dtype, "check_uniform_bounds"), _random_size(size, kw)
    data = _gen.uniform(_gen._gen(generator), _math.prod(shape), d).reshape(shape)
    return _finish(data, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, layout=None, out=None,
          pin_memory=False, **kw) -> Tensor:
    """Standard normal samples, as torch draws them.

    >>> _ = manual_seed(0)
    >>> randn(3)
    tensor([ 1.5410, -0.2934, -2.1788])
    """
    d, shape = _random_dtype(dtype, "normal_kernel_cpu"), _random_size(size, kw)
    data = _gen.normal(_gen._gen(generator), _math.prod(shape), d).reshape(shape)
    return _finish(data, requires_grad, device)


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
            layout=None, out=None, pin_memory=False) -> Tensor:
    """Uniform integers from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    >>> _ = manual_seed(0)
    >>> randint(10, (4,))
    tensor([4, 9, 3, 0])
    """
    if size is None and low is not None:  # randint(high, size)
        low, high, size = 0, low, high
    if low is None:
        low = 0
    if size is None or high is None or isinstance(size, int):
        raise TypeError("randint() missing required argument 'size'")
    low, high = operator.index(low), operator.index(high)
    d, shape = _np_dtype(dtype, np.dtype(np.int64)), _size((size,))
    _check_size(shape)
    t = _finish(np.empty(shape, dtype=d), False, device)
    t.random_(low, high, generator=generator)
    if requires_grad:
        t.requires_grad = True
    return t


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, layout=None, out=None,
             pin_memory=False) -> Tensor:
    """A random permutation of 0..n-1, torch's shuffle.

    >>> _ = manual_seed(0)
    >>> randperm(4)
    tensor([0, 1, 3, 2])
    """
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    data = _gen.permutation(_gen._gen(generator), n).astype(_np_dtype(dtype, np.int64))
    return _finish(data, requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False) -> Tensor:
    """Normal samples: of ``size`` for number arguments, else of the broadcast shape of the tensor
    ones (differentiable: their gradient is zero, as in torch).

    >>> _ = manual_seed(0)
    >>> normal(2.0, 3.0, (2,))
    tensor([6.6230, 1.1197])
    """
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        from .ops.random import normal_tensor

        return normal_tensor(mean, std, generator)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments: size is missing")
    d, shape = _random_dtype(dtype, "normal_kernel_cpu"), _size((size,))
    _check_size(shape)
    t = _finish(np.empty(shape, dtype=d), False, device)
    t.normal_(mean, std, generator=generator)
    if requires_grad:
        t.requires_grad = True
    return t


# ---- the *_like forms ---------------------------------------------------------------------------
def _like(fn, name, doc, floating_only=False):
    def like(input, *args, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
        d = dtype if dtype is not None else input.dtype
        if floating_only and not d.is_floating_point:
            raise NotImplementedError(f"\"{name}\" not implemented for '{d.name.capitalize()}'")
        return fn(*args, input._data.shape, dtype=d, device=device, requires_grad=requires_grad) if args else fn(
            input._data.shape, dtype=d, device=device, requires_grad=requires_grad)

    like.__name__ = name
    like.__doc__ = doc
    return like


zeros_like = _like(zeros, "zeros_like", "Zeros of ``input``'s shape and dtype.")
ones_like = _like(ones, "ones_like", "Ones of ``input``'s shape and dtype.")
empty_like = _like(empty, "empty_like", "An uninitialised tensor of ``input``'s shape and dtype.")


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None) -> Tensor:
    """Uniform samples of ``input``'s shape and dtype (drawn in its memory order, as torch)."""
    d = _random_dtype(dtype or input.dtype, "check_uniform_bounds")
    t = _finish(np.empty(input._data.shape, dtype=d), False, device)
    t._data[...] = _uniform_like(input._data, d, generator)
    if requires_grad:
        t.requires_grad = True
    return t


def _uniform_like(x, d, generator):
    from .ops.random import _fill

    gen = _gen._gen(generator)
    return _fill(_layout_of(x), d, lambda n: _gen.uniform(gen, n, d))


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None) -> Tensor:
    """Normal samples of ``input``'s shape and dtype (drawn in its memory order, as torch)."""
    from .ops.random import _normal_array

    d = _random_dtype(dtype or input.dtype, "normal_kernel_cpu")
    t = _finish(_normal_array(_layout_of(input._data), d, 0.0, 1.0, _gen._gen(generator)), False, device)
    if requires_grad:
        t.requires_grad = True
    return t


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype."""
    d = dtype if dtype is not None else input.dtype
    return full(input._data.shape, fill_value, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, generator=None, dtype=None, device=None, requires_grad=False,
                 memory_format=None, layout=None) -> Tensor:
    """Integers from [low, high) (``randint_like(input, high)``: from [0, high)) of ``input``'s
    shape, in its dtype unless ``dtype`` is given."""
    if high is None:
        low, high = 0, low
    d = _np_dtype(dtype, input._data.dtype)
    t = _finish(np.empty(input._data.shape, dtype=d), False, device)
    t.random_(operator.index(low), operator.index(high), generator=generator)
    if requires_grad:
        t.requires_grad = True
    return t


def _new_factory(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return fn(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    return method


Tensor.new_zeros = _new_factory(zeros)
Tensor.new_ones = _new_factory(ones)
Tensor.new_empty = _new_factory(empty)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn(COPY_WARNING.format("tensor.new_tensor"), UserWarning, stacklevel=2)
    return _tensor(data, dtype or self.dtype, device, requires_grad, 3)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
