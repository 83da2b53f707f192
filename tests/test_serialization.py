"""torchless.save / torchless.load in PyTorch's file format: torch reads what torchless writes,
torchless reads what torch writes (zip and legacy formats), and a weights-only load runs no code."""

from __future__ import annotations

import collections
import io
import os
import pickle

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64",
          "complex128"]


def sample(lib):
    """The same nested object in either library: views that share memory, every dtype, numbers."""
    base = lib.arange(12.0).reshape(3, 4)
    tensors = collections.OrderedDict(
        base=base, row=base[1], column=base[:, 2], transposed=base.t(), scalar=lib.tensor(2.5),
        empty=lib.zeros(0, 3), grad=lib.ones(2, requires_grad=True))
    for name in DTYPES:
        tensors[name] = lib.tensor(np.arange(-2, 4).astype(name).reshape(2, 3))
    return {"tensors": tensors, "epoch": 7, "history": [0.5, 0.25], "name": "run", "dtype": lib.float64,
            "pair": (lib.tensor([1, 2]), None)}


def _same(a, b):
    if isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, (torch.Tensor, torchless.Tensor)):
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, (torch.dtype, torchless.dtype)):
        assert str(a) == str(b)
    else:
        assert a == b


def test_torch_reads_what_torchless_writes(tmp_path):
    path = tmp_path / "checkpoint.pt"
    torchless.save(sample(torchless), path)
    loaded = torch.load(path)
    _same(sample(torch), loaded)
    t = loaded["tensors"]
    assert t["row"].untyped_storage().data_ptr() == t["base"].untyped_storage().data_ptr()
    assert (t["row"].storage_offset(), t["column"].stride(), t["transposed"].stride()) == (4, (4,), (1, 4))
    t["base"][1, 0] = 100.0  # (views share one storage after loading)
    assert t["row"][0].item() == 100.0


def test_torchless_reads_what_torch_writes(tmp_path):
    path = tmp_path / "checkpoint.pt"
    torch.save(sample(torch), path)
    loaded = torchless.load(path)
    _same(sample(torchless), loaded)
    t = loaded["tensors"]
    assert (t["row"].storage_offset(), t["transposed"].stride()) == (4, (1, 4))
    t["base"][1, 0] = 100.0
    assert t["row"][0].item() == 100.0 and t["transposed"][0, 1].item() == 100.0


def test_file_objects_and_module_state_dicts():
    torch.manual_seed(0)
    state = torch.nn.Linear(3, 2).state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    loaded = torchless.load(buf)
    assert list(loaded) == ["weight", "bias"] and loaded._metadata == state._metadata
    out = io.BytesIO()
    torchless.save(loaded, out)
    out.seek(0)
    again = torch.load(out)
    assert again._metadata == state._metadata
    for k in state:
        assert torch.equal(again[k], state[k])


def test_entries_are_aligned_for_memory_mapping(tmp_path):
    import struct
    import zipfile

    path = tmp_path / "aligned.pt"
    torchless.save({"a": torchless.ones(5), "b": torchless.zeros(3, dtype=torchless.int64)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["aligned/.format_version", "aligned/.storage_alignment", "aligned/byteorder",
                                         "aligned/data.pkl", "aligned/data/0", "aligned/data/1", "aligned/version"]
        for info in zf.infolist():
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
    mapped = torch.load(path, mmap=True)
    assert mapped["a"].tolist() == [1.0] * 5


def test_mmap_load(tmp_path):
    path = tmp_path / "big.pt"
    torch.save({"w": torch.arange(1000.0)}, path)
    w = torchless.load(path, mmap=True)["w"]
    assert isinstance(w._data.base, np.memmap) or isinstance(w._data, np.memmap)
    assert w.sum().item() == sum(range(1000))


def test_legacy_format(tmp_path):
    path = tmp_path / "legacy.pt"
    a = torch.arange(6.0).reshape(2, 3)
    torch.save({"a": a, "row": a[1], "n": 1}, path, _use_new_zipfile_serialization=False)
    loaded = torchless.load(path)
    assert loaded["a"].tolist() == a.tolist() and loaded["row"].tolist() == [3.0, 4.0, 5.0] and loaded["n"] == 1


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_weights_only_refuses_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"a": _Exploit(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: GLOBAL (posix|nt)\.system"):
        torchless.load(path)
    assert not marker.exists()


def test_weights_only_false_loads_full_pickles(tmp_path):
    path = tmp_path / "full.pt"
    torch.save({"when": collections.Counter("aab")}, path)
    with pytest.raises(pickle.UnpicklingError):
        torchless.load(path)
    assert torchless.load(path, weights_only=False)["when"] == collections.Counter("aab")


def test_map_location_other_than_cpu_is_refused(tmp_path):
    path = tmp_path / "x.pt"
    torchless.save(torchless.ones(1), path)
    assert torchless.load(path, map_location="cpu").tolist() == [1.0]
    with pytest.raises(RuntimeError, match="only the CPU"):
        torchless.load(path, map_location="cuda:0")
