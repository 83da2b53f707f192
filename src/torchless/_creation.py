"""Making tensors: tensor, as_tensor, from_numpy, zeros, ones, full, arange, rand, ..."""

from __future__ import annotations

import math as _math

from . import _dtype
from ._device import as_device
from ._grad_mode import _inference
from ._tensor import Tensor, _wrap
from .backend import np

_RNG = [np.random.default_rng()]  # the generator that manual_seed resets


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


def _infer_np(data):
    """The NumPy array for nested Python data, with torch's dtype inference."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)  # NumPy values keep their dtype
    if isinstance(data, (list, tuple)):
        flat = _flatten(data)
        if any(isinstance(v, Tensor) for v in flat):
            data = _nested_tensors_to_lists(data)
        for v in flat:
            if isinstance(v, str):
                raise ValueError(f"too many dimensions '{type(v).__name__}'")  # noqa: TRY004  (torch's error)
            if v is None or not isinstance(v, (int, float, bool, complex, np.generic, Tensor)):
                raise RuntimeError(f"Could not infer dtype of {type(v).__name__}")
        if not flat:
            return np.array(data, dtype=_dtype.DEFAULT.float.np)
        if all(isinstance(v, np.generic) for v in flat):
            return np.array(data)
        if all(isinstance(v, (bool, np.bool_)) for v in flat):
            return np.array(data, dtype=np.bool_)
        if all(isinstance(v, (int, bool, np.integer)) for v in flat):
            return np.array(data, dtype=np.int64)
        return np.array(data, dtype=_dtype.DEFAULT.float.np)
    if isinstance(data, bool):
        return np.array(data, dtype=np.bool_)
    if isinstance(data, int):
        return np.array(data, dtype=np.int64)
    if isinstance(data, float):
        return np.array(data, dtype=_dtype.DEFAULT.float.np)
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _flatten(data):
    out, stack = [], [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor):
            out.append(v.item() if v._data.size == 1 else v)
        else:
            out.append(v)
    return out


def _nested_tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, (list, tuple)):
        return [_nested_tensors_to_lists(v) for v in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    >>> tensor([1., 2.])
    tensor([1., 2.])
    >>> tensor([[1, 2]]).dtype
    torch.int64
    """
    if dtype is not None and not isinstance(data, (Tensor, np.ndarray)):
        # straight to the requested dtype: a detour through float32 would lose precision
        arr = np.array(_nested_tensors_to_lists(data), dtype=dtype.np)
    else:
        arr = np.array(_infer_np(data), dtype=_np_dtype(dtype), copy=True)
    if arr.dtype.kind not in "biuf":
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
    return tensor(data, dtype=dtype, device=device)


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


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included).

    Computed as torch does, so float32 results match it bit for bit: the first half counts up
    from ``start``, the second half down from ``end``, each point one fused multiply-add.
    """
    d = _float_or(dtype)
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
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
    d = _float_or(dtype)
    data = np.power(base, np.linspace(start, end, steps, dtype=np.float64)).astype(d)
    return _finish(data, requires_grad, device)


def manual_seed(seed: int):
    """Reset the random generator (rand, randn, randint, randperm) to ``seed``."""
    _RNG[0] = np.random.default_rng(int(seed))
    return _RNG[0]


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    return 0


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples from [0, 1)."""
    d = _float_or(dtype)
    return _finish(_RNG[0].random(_size(size)).astype(d), requires_grad, device)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples."""
    d = _float_or(dtype)
    return _finish(_RNG[0].standard_normal(_size(size)).astype(d), requires_grad, device)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform integers from [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _finish(_RNG[0].integers(low, high, size=tuple(size)).astype(_np_dtype(dtype, np.int64)), requires_grad,
                   device)


def randperm(n, *, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """A random permutation of 0..n-1."""
    return _finish(_RNG[0].permutation(n).astype(_np_dtype(dtype, np.int64)), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        like = mean if isinstance(mean, Tensor) else std
        return _finish((_RNG[0].standard_normal(shape) * s + m).astype(like._data.dtype), requires_grad, device)
    return _finish((_RNG[0].standard_normal(tuple(size)) * std + mean).astype(_float_or(dtype)), requires_grad, device)


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
rand_like = _like(rand, "rand_like", "Uniform samples of ``input``'s shape and dtype.", floating_only=True)
randn_like = _like(randn, "randn_like", "Normal samples of ``input``'s shape and dtype.", floating_only=True)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype."""
    d = dtype if dtype is not None else input.dtype
    return full(input._data.shape, fill_value, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    d = dtype if dtype is not None else input.dtype
    return randint(low, high, input._data.shape, dtype=d, device=device)


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
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
