"""Runtime queries and settings a program written for torch calls: ``finfo``/``iinfo``, thread
counts, deterministic algorithms, ``torch.backends``. torchless computes on NumPy in one process,
so most settings are accepted and reported back rather than acted on."""

from __future__ import annotations

import types

from . import _dtype
from .backend import np


class finfo:
    """Machine limits of a floating point dtype (``torch.finfo(torch.float32).eps``)."""

    def __init__(self, type=None):
        dt = type or _dtype.get_default_dtype()
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{dt}'")
        info = np.finfo(dt.np)
        self.bits, self.dtype = info.bits, str(dt).split(".")[1] if not dt.is_complex else str(dt.to_real())[6:]
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (``torch.iinfo(torch.int8).max``)."""

    def __init__(self, type):
        if type.is_floating_point or type.is_complex:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type}'")
        if type.np.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = np.iinfo(type.np)
        self.bits = type.itemsize * 8
        self.min, self.max = int(info.min), int(info.max)
        self.dtype = str(type).split(".")[1]

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


_SETTINGS = {"num_threads": 1, "num_interop_threads": 1, "deterministic": False, "warn_only": False}


def set_num_threads(n: int) -> None:
    """Accepted for torch's API; NumPy's BLAS takes its thread count from the environment."""
    if int(n) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _SETTINGS["num_threads"] = int(n)


def get_num_threads() -> int:
    return _SETTINGS["num_threads"]


def set_num_interop_threads(n: int) -> None:
    _SETTINGS["num_interop_threads"] = int(n)


def get_num_interop_threads() -> int:
    return _SETTINGS["num_interop_threads"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """torchless's CPU algorithms are deterministic already; the flag is kept for queries."""
    _SETTINGS["deterministic"], _SETTINGS["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _SETTINGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _SETTINGS["warn_only"]


def set_default_device(device) -> None:
    """``torch.set_default_device``: None or the CPU is accepted (tensors are made there anyway);
    any other device is checked as a ``device=`` argument, which raises where it is unusable."""
    from ._device import as_device

    as_device(device)


def get_default_device():
    from ._device import CPU

    return CPU


def is_storage(obj) -> bool:
    """torchless has no separate storage objects."""
    return False


def is_nonzero(input) -> bool:
    """The truth of a one-element tensor (torch's error for any other size)."""
    if input._data.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input._data.size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0])


# torch.backends: flags programs read or set (cuDNN and MPS are never available here)
backends = types.SimpleNamespace(
    cudnn=types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                                is_available=lambda: False, version=lambda: None),
    mps=types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False),
    cuda=types.SimpleNamespace(is_built=lambda: False,
                               matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)),
    mkldnn=types.SimpleNamespace(enabled=True, is_available=lambda: False),
    openmp=types.SimpleNamespace(is_available=lambda: False),
)
