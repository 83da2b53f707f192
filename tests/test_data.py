"""torchless.utils.data against torch.utils.data: with the same seed, the same batches in the same
order (single process and worker processes), the same collation, splits and sampler draws."""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def batches(lib, epochs=2, size=23, **kwargs):
    """Every batch's labels over ``epochs``, then two draws of the global generator (did the loader
    take the same random numbers from it as torch's?)."""
    lib.manual_seed(0)
    ds = lib.utils.data.TensorDataset(lib.arange(float(size)), lib.arange(size))
    out = []
    for _ in range(epochs):
        for x, y in lib.utils.data.DataLoader(ds, **kwargs):
            assert x.dtype == lib.float32 and y.dtype == lib.int64
            out.append(y.tolist())
    out.append(lib.rand(2).tolist())
    return out


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_size": 5}, {"batch_size": 5, "shuffle": True}, {"batch_size": 5, "shuffle": True, "drop_last": True},
    {"batch_size": None, "shuffle": True}, {"batch_size": 4, "num_workers": 2},
    {"batch_size": 5, "shuffle": True, "num_workers": 2},
    {"batch_size": 3, "shuffle": True, "num_workers": 2, "persistent_workers": True, "prefetch_factor": 1},
], ids=str)
def test_same_batches_as_torch(kwargs):
    assert batches(torchless, **kwargs) == batches(torch, **kwargs)


def test_samplers_draw_as_torch():
    for make in (lambda lib, g: lib.utils.data.RandomSampler(range(10), replacement=True, num_samples=40, generator=g),
                 lambda lib, g: lib.utils.data.RandomSampler(range(7), num_samples=16, generator=g),
                 lambda lib, g: lib.utils.data.SubsetRandomSampler([3, 5, 8, 13], generator=g),
                 lambda lib, g: lib.utils.data.WeightedRandomSampler([0.1, 0.5, 2.0, 0.4], 12, generator=g),
                 lambda lib, g: lib.utils.data.WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 3, replacement=False,
                                                                     generator=g)):
        ref = list(make(torch, torch.Generator().manual_seed(3)))
        assert list(make(torchless, torchless.Generator().manual_seed(3))) == ref
    sampler = torchless.utils.data.BatchSampler(range(10), 4, drop_last=False)
    assert list(sampler) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(sampler) == 3


def test_random_split_as_torch():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.5, 0.5]):
        ref = [list(s.indices) for s in torch.utils.data.random_split(range(10), lengths,
                                                                     generator=torch.Generator().manual_seed(42))]
        out = [list(s.indices) for s in torchless.utils.data.random_split(
            range(10), lengths, generator=torchless.Generator().manual_seed(42))]
        assert out == ref
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        torchless.utils.data.random_split(range(10), [3, 3])


Point = collections.namedtuple("Point", "a b")


def test_default_collate_as_torch():
    for lib in (torch, torchless):
        batch = [{"x": np.ones(2, dtype=np.float32), "n": 1, "f": 2.5, "s": "a", "flag": True,
                  "p": Point(1, lib.tensor([1.0, 2.0])), "seq": [1, 2.0], "np": np.float64(3.0)}] * 3
        out = lib.utils.data.default_collate(batch)
        assert str(out["x"].dtype).endswith("float32") and out["x"].shape == (3, 2)
        assert str(out["n"].dtype).endswith("int64") and str(out["f"].dtype).endswith("float64")
        assert str(out["flag"].dtype).endswith("bool") and out["s"] == ["a", "a", "a"]
        assert isinstance(out["p"], Point) and out["p"].b.shape == (3, 2)
        assert isinstance(out["seq"], list) and str(out["seq"][1].dtype).endswith("float64")
        assert str(out["np"].dtype).endswith("float64")
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        torchless.utils.data.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        torchless.utils.data.default_collate([object()])


class Squares(torchless.utils.data.IterableDataset):
    """0², 1², ... n-1², each worker taking every num_workers-th one."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = torchless.utils.data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter([i * i for i in range(start, self.n, step)])


def test_iterable_dataset_split_across_workers():
    loader = torchless.utils.data.DataLoader(Squares(10), batch_size=2, num_workers=2)
    got = [b.tolist() for b in loader]
    assert sorted(x for b in got for x in b) == [i * i for i in range(10)]
    assert [b.tolist() for b in torchless.utils.data.DataLoader(Squares(5), batch_size=2)] == [[0, 1], [4, 9], [16]]


class WorkerSeeds(torchless.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = torchless.utils.data.get_worker_info()
        initialised = int(os.environ.get("TORCHLESS_TEST_WORKER_INIT", "-1"))
        return torchless.tensor([info.id, torchless.initial_seed() - info.seed, initialised])


def test_workers_are_seeded_and_named():
    def init(worker_id):  # (runs in the worker, before its first sample)
        os.environ["TORCHLESS_TEST_WORKER_INIT"] = str(worker_id)

    loader = torchless.utils.data.DataLoader(WorkerSeeds(), batch_size=1, num_workers=2, worker_init_fn=init)
    rows = [b.tolist()[0] for b in loader]
    # round robin over the workers; in each, torch.initial_seed() is the worker's seed; init ran there
    assert rows == [[0, 0, 0], [1, 0, 1], [0, 0, 0], [1, 0, 1]]


class Failing(torchless.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("no sample 2")
        return torchless.tensor(i)


def test_worker_error_is_raised_in_the_main_process():
    loader = torchless.utils.data.DataLoader(Failing(), batch_size=1, num_workers=2)
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(loader)


def test_option_errors_as_torch():
    ds = torchless.utils.data.TensorDataset(torchless.arange(4))
    DL = torchless.utils.data.DataLoader
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DL(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DL(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DL(ds, num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DL(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DL(Squares(3), shuffle=True)
    assert len(DL(ds, batch_size=3)) == 2 and len(DL(ds, batch_size=3, drop_last=True)) == 1
