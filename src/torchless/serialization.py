"""``save`` and ``load`` in PyTorch's own file format, so that torch reads what torchless writes and
torchless reads what torch writes.

The format (what ``torch.save`` writes): a zip archive whose entries sit in one folder (``<name>/``):
``data.pkl`` is the object pickled (protocol 2) with each tensor reduced to
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` and each
storage a persistent id ``("storage", torch.<Type>Storage, key, "cpu", numel)`` whose bytes are the
entry ``data/<key>``; beside it ``byteorder``, ``version`` and a few markers. Entries are stored
uncompressed, their data aligned to 64 bytes (so that they can be memory-mapped). Tensors that share
memory share one storage, in the file and after loading.

``load`` unpickles with ``weights_only=True`` by default: only tensors, storages, containers,
numbers, strings and the few classes torch admits are built, so a crafted file cannot run code.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import zipfile
from typing import ClassVar

from . import _dtype
from ._tensor import Tensor, _wrap
from .backend import np

ALIGNMENT = 64
_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the legacy (pre-1.6, non-zip) format's first pickle
_LEGACY_PROTOCOL = 1001

# torch's storage classes by dtype (the names its files use)
_STORAGE = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage", "int64": "LongStorage",
            "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
            "bool": "BoolStorage", "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}
_STORAGE_DTYPE = {name: getattr(_dtype, dt) for dt, name in _STORAGE.items()}


# ---- writing ----------------------------------------------------------------------------------------
class _Global:
    """A global of another library (``torch._utils._rebuild_tensor_v2``), written by name: the
    file names torch's functions without torchless importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # (pickle wants a reduce function to be callable)
        raise TypeError(f"{self.module}.{self.name} is only written to files")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = collections.OrderedDict


class _Pickler(pickle._Pickler):
    """Pickles tensors as torch does, their memory recorded in ``self.storages``."""

    dispatch: ClassVar[dict] = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = {}  # key -> flat array

    def _save_global_by_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = _save_global_by_name
    # torch pickles its dtypes by name (torch.float32)
    dispatch[_dtype.dtype] = lambda self, obj: self._save_global_by_name(_Global("torch", obj.name))

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _Global("torch", _STORAGE[obj.array.dtype.name]), obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        from .ops.copies import storage_of

        data = t._data
        if data.dtype.name not in _STORAGE:
            raise pickle.PicklingError(f"cannot save a tensor of dtype {t.dtype}")
        flat, offset = storage_of(data)
        itemsize = data.itemsize
        strides = tuple(s // itemsize for s in data.strides)
        if any(s < 0 or s * itemsize != b for s, b in zip(strides, data.strides)):
            flat, offset = np.ascontiguousarray(data).reshape(-1), 0  # (a layout torch cannot hold)
            strides = tuple(s // itemsize for s in np.ascontiguousarray(data).strides)
        address = (flat.__array_interface__["data"][0], flat.dtype.name, flat.size)
        storage = self.storages.get(address)
        if storage is None:
            storage = self.storages[address] = _Storage(str(len(self.storages)), flat)
        args = (storage, offset, tuple(data.shape), strides, bool(t.requires_grad), _ORDERED_DICT())
        if _is_parameter(t):
            plain = _wrap(data, None)
            return _REBUILD_PARAMETER, (plain, bool(t.requires_grad), _ORDERED_DICT())
        return _REBUILD_TENSOR, args


class _Storage:
    __slots__ = ("key", "array")

    def __init__(self, key: str, array):
        self.key, self.array = key, array


def _is_parameter(t) -> bool:
    return type(t).__name__ == "Parameter" and type(t) is not Tensor


def _archive_name(f) -> str:
    """The folder inside the archive: the file's name without its extension, as torch names it."""
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return stem or "archive"
    return "archive"


def _aligned_write(zf: zipfile.ZipFile, name: str, payload: bytes) -> None:
    """Write one stored (uncompressed) entry whose data starts on a 64-byte boundary, padding the
    local header's extra field as torch's writer does ("FB" records)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode())
    pad = (-(start + 4)) % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, payload)


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True) -> None:
    """Write ``obj`` (tensors, state dicts, containers, numbers) to ``f`` (a path or a binary file)
    in PyTorch's format: ``torch.load`` reads it.

    >>> import io, torchless as torch
    >>> buf = io.BytesIO(); torch.save({"w": torch.ones(2)}, buf); _ = buf.seek(0)
    >>> torch.load(buf)
    {'w': tensor([1., 1.])}
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("torchless writes only the zip format (torch's default since 1.6)")
    out = io.BytesIO()
    pickler = _Pickler(out)
    pickler.dump(obj)
    prefix = _archive_name(f)
    with _opened(f, "wb") as target, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        _aligned_write(zf, f"{prefix}/data.pkl", out.getvalue())
        _aligned_write(zf, f"{prefix}/.format_version", b"1")
        _aligned_write(zf, f"{prefix}/.storage_alignment", str(ALIGNMENT).encode())
        _aligned_write(zf, f"{prefix}/byteorder", sys.byteorder.encode())
        for storage in sorted(pickler.storages.values(), key=lambda s: int(s.key)):
            _aligned_write(zf, f"{prefix}/data/{storage.key}", np.ascontiguousarray(storage.array).tobytes())
        _aligned_write(zf, f"{prefix}/version", b"3\n")


# ---- reading ----------------------------------------------------------------------------------------
def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    """A tensor viewing ``storage`` (a flat array) from ``storage_offset`` with ``size`` and ``stride``."""
    size, stride = tuple(size), tuple(stride)
    if _is_contiguous(size, stride):  # (a slice of the storage: the common case)
        count = int(np.prod(size)) if size else 1
        data = storage[storage_offset:storage_offset + count].reshape(size)
    else:
        itemsize = storage.itemsize
        data = np.lib.stride_tricks.as_strided(storage[storage_offset:], size, tuple(s * itemsize for s in stride))
    out = _wrap(data, None)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _is_contiguous(size, stride) -> bool:
    expected = 1
    for n, s in zip(reversed(size), reversed(stride)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


def _rebuild_parameter(data, requires_grad, backward_hooks=None, *state):
    try:
        from .nn import Parameter
    except ImportError:
        return data.detach().requires_grad_(requires_grad)
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks)


class _StorageType:
    """``torch.FloatStorage`` & co. as read from a file: the dtype of the storage's elements."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


def _dtype_global(name):
    return getattr(_dtype, name)


# what a weights-only load may build: (module, name) -> object
def _safe_globals() -> dict:
    from ._device import device

    table = {("collections", "OrderedDict"): collections.OrderedDict,
             ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
             ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
             ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
             ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
             ("torch", "device"): device,
             ("torch", "Size"): tuple,
             ("_codecs", "encode"): _codecs_encode,
             ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "bytearray"): bytearray,
             ("builtins", "slice"): slice, ("builtins", "complex"): complex}
    for name, dtype in _STORAGE_DTYPE.items():
        table[("torch", name)] = _StorageType(dtype)
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64",
                 "complex128"):
        table[("torch", name)] = getattr(_dtype, name)
    return table


def _codecs_encode(text, encoding="latin1"):
    return text.encode(encoding)


class _Unpickler(pickle.Unpickler):
    """Reads torch's pickles; weights_only refuses every global outside ``_safe_globals``."""

    def __init__(self, file, storage_reader, weights_only: bool):
        super().__init__(file, encoding="utf-8")
        self._read_storage = storage_reader
        self._weights_only = weights_only
        self._safe = _safe_globals()
        self._storages = {}

    def find_class(self, module, name):
        known = self._safe.get((module, name))
        if known is not None:
            return known
        if self._weights_only:
            raise pickle.UnpicklingError(
                "Weights only load failed. In PyTorch 2.6, we changed the default value of the `weights_only` "
                "argument in `torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
                "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if you got "
                f"the file from a trusted source.\nWeightsUnpickler error: Unsupported global: GLOBAL {module}.{name} "
                "was not an allowed global by default.")
        if module == "torch" or module.startswith("torch."):  # torch's classes: torchless's own, where it has them
            import importlib

            try:
                return getattr(importlib.import_module("torchless" + module[5:]), name)
            except (ImportError, AttributeError):
                pass
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key = pid[1], pid[2]
        dtype = storage_type.dtype if isinstance(storage_type, _StorageType) else _dtype.uint8
        array = self._storages.get(key)
        if array is None:
            array = self._storages[key] = self._read_storage(str(key), dtype.np, pid[4] if len(pid) > 4 else None)
        if len(pid) > 5 and pid[5] is not None:  # (legacy files: a view of a storage: (key, offset, size))
            _, offset, size = pid[5]
            return array[offset:offset + size]
        return array


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read an object that ``torch.save`` (or ``torchless.save``) wrote: a path or a binary file.

    ``weights_only`` (the default, as in torch) builds only tensors, containers and plain values;
    ``weights_only=False`` runs the whole pickle (only for files you trust). ``mmap=True`` maps the
    tensors' memory from the file instead of reading it. ``map_location`` may only name the CPU.
    """
    if weights_only is None:
        weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    _check_location(map_location)
    own = isinstance(f, (str, os.PathLike))
    with _opened(f, "rb") as handle:
        start = handle.tell()
        if zipfile.is_zipfile(handle):
            handle.seek(start)
            path = os.fspath(f) if own else None
            return _load_zip(handle, weights_only, path if mmap else None)
        handle.seek(start)
        if mmap:
            raise RuntimeError("mmap can only be used with files saved with `torch.save(_use_new_zipfile_serialization="
                               "True), please torch.save your checkpoint with this option in order to use mmap.")
        return _load_legacy(handle, weights_only)


def _opened(f, mode: str):
    """A path opened (and closed after), or a file object used as it is."""
    if isinstance(f, (str, os.PathLike)):
        return open(f, mode)
    return contextlib.nullcontext(f)


def _check_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    if str(map_location).split(":")[0] != "cpu":
        raise RuntimeError(f"torchless has only the CPU: cannot map storages to {map_location}")


def _load_zip(handle, weights_only: bool, mmap_path):
    with zipfile.ZipFile(handle) as zf:
        names = zf.namelist()
        pkl = next((n for n in names if n.endswith("data.pkl") and n.count("/") == 1), None)
        if pkl is None:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        prefix = pkl[: -len("data.pkl")]
        byteorder = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in names else "little"

        def read_storage(key, np_dtype, numel):
            name = f"{prefix}data/{key}"
            dt = np.dtype(np_dtype).newbyteorder("<" if byteorder == "little" else ">")
            if mmap_path is not None:
                info = zf.getinfo(name)
                array = np.memmap(mmap_path, dtype=dt, mode="c", offset=_data_offset(zf, info),
                                  shape=(info.file_size // dt.itemsize,))
            else:
                array = np.frombuffer(zf.read(name), dtype=dt).copy()
            return array.astype(np_dtype, copy=False) if dt != np.dtype(np_dtype) else array

        return _Unpickler(io.BytesIO(zf.read(pkl)), read_storage, weights_only).load()


def _data_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where an entry's bytes start in the file (after its local header and extra field)."""
    zf.fp.seek(info.header_offset)
    header = zf.fp.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_legacy(handle, weights_only: bool):
    """torch's format before 1.6: pickles of a magic number, a protocol number and system info,
    then the object, then the storage keys; then each storage's raw bytes after an 8-byte count."""
    restricted = pickle.Unpickler if not weights_only else _PlainUnpickler
    if restricted(handle).load() != _MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    if restricted(handle).load() != _LEGACY_PROTOCOL:
        raise RuntimeError("Invalid protocol version")
    restricted(handle).load()  # sys info
    pending = {}

    def read_storage(key, np_dtype, numel):
        array = np.empty(numel, dtype=np_dtype)
        pending[key] = array
        return array

    obj = _Unpickler(handle, read_storage, weights_only).load()
    keys = _PlainUnpickler(handle).load()
    for key in keys:
        count = struct.unpack("<q", handle.read(8))[0]
        array = pending[str(key)]
        array[:] = np.frombuffer(handle.read(count * array.itemsize), dtype=array.dtype)
    return obj


class _PlainUnpickler(pickle.Unpickler):
    """For the legacy format's headers: numbers, strings and dicts only."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"Unsupported global: GLOBAL {module}.{name} in a legacy file header")


__all__ = ["save", "load"]
