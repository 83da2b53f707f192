"""DataLoader: batches of a dataset, in the order of a sampler, loaded in this process or in worker
processes. Random draws (the workers' base seed, a shuffle's seed) come from torch's streams in
torch's order, so that a seeded program sees the same batches as with torch."""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import random
import traceback

from ._collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class WorkerInfo:
    """What a worker process knows of itself: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, key, value):
        raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__)
        return f"{self.__class__.__name__}({fields})"


_worker_info = None  # set in a worker process only


def get_worker_info():
    """This worker's WorkerInfo, or None in the main process."""
    return _worker_info


class _InfiniteConstantSampler(Sampler):
    """The 'indices' of an iterable dataset: None, forever."""

    def __iter__(self):
        return itertools.repeat(None)


# ---- fetching one batch ---------------------------------------------------------------------------
class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        # a TensorDataset batched by default_collate is its tensors indexed by the batch's indices
        # (the same values as stacking the samples, in one indexing per tensor)
        self.rows = auto_collation and type(dataset) is TensorDataset and collate_fn is default_collate

    def fetch(self, index):
        if self.rows:
            return [t[index] for t in self.dataset.tensors]
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def _fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableFetcher if kind == "iterable" else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


class DataLoader:
    """Iterate over ``dataset`` in batches.

    >>> import torchless as torch
    >>> from torchless.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(torch.arange(5.0), torch.arange(5))
    >>> [x.tolist() for x, y in DataLoader(ds, batch_size=2)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device, self.timeout = pin_memory, pin_memory_device, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.in_order = in_order
        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            for option, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {option} option, but "
                                     f"got {option}={value}")
        else:
            self._dataset_kind = "map"
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._IterableDataset_len_called = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            n = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


def _base_seed(generator) -> int:
    """The seed the workers' seeds derive from, drawn as torch draws it (one int64 per iterator)."""
    from ..._creation import empty
    from ..._dtype import int64

    return int(empty((), dtype=int64).random_(generator=generator).item())


class _SingleProcessIter:
    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        self._base_seed = _base_seed(loader.generator)
        self._fetcher = _fetcher(loader._dataset_kind, loader.dataset, loader._auto_collation, loader.collate_fn,
                                 loader.drop_last)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        index = next(self._sampler_iter)
        data = self._fetcher.fetch(index)
        self._num_yielded += 1
        return data


# ---- worker processes -----------------------------------------------------------------------------
class _WorkerDone:
    """Sent by a worker whose iterable dataset ran out."""

    def __init__(self, worker_id: int):
        self.worker_id = worker_id


class _WorkerError:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, exc: BaseException, worker_id: int):
        self.exc_type = type(exc)
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\nOriginal "
                        + "".join(traceback.format_exception(exc)))

    def reraise(self):
        try:
            err = self.exc_type(self.message)
        except Exception:  # noqa: BLE001 (an exception type that takes other arguments)
            err = RuntimeError(self.message)
        raise err


def _worker_loop(kind, dataset, index_queue, result_queue, done_event, auto_collation, collate_fn, drop_last,
                 base_seed, init_fn, worker_id, num_workers):
    """A worker: seed as torch's workers seed, then fetch the batches asked of it until told to stop."""
    global _worker_info
    try:
        import numpy

        from ... import _creation

        seed = base_seed + worker_id
        random.seed(seed)
        _creation.manual_seed(seed)
        numpy.random.seed(numpy.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0])
                          .generate_state(4))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        failure = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception as exc:  # noqa: BLE001 (any error is the main process's to raise)
            failure = _WorkerError(exc, worker_id)
        exhausted = False
        while True:
            task = index_queue.get()
            if task is None:  # (shut down)
                break
            if isinstance(task, _Reset):
                result_queue.put((task, None))
                exhausted = False
                if kind == "iterable":
                    fetcher = _fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if done_event.is_set() or exhausted:
                continue
            idx, index = task
            if failure is not None:
                data, failure = failure, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, exhausted = _WorkerDone(worker_id), kind == "iterable"
                except Exception as exc:  # noqa: BLE001 (any error is the main process's to raise)
                    data = _WorkerError(exc, worker_id)
            result_queue.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        result_queue.cancel_join_thread()
        result_queue.close()


class _Reset:
    """Asks a persistent worker to start a new epoch."""


class _MultiProcessIter:
    """Batches from ``num_workers`` processes: each index batch goes to the workers in turn, at most
    ``prefetch_factor`` per worker outstanding, and batches are yielded in sampler order."""

    _STATUS_CHECK = 5.0  # seconds between checks that the workers are still alive

    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._sampler_iter = iter(loader._index_sampler)
        self._base_seed = _base_seed(loader.generator)
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._done_event = context.Event()
        self._result_queue = context.Queue()
        self._index_queues, self._workers = [], []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            w = context.Process(target=_worker_loop, daemon=True, args=(
                loader._dataset_kind, loader.dataset, index_queue, self._result_queue, self._done_event,
                loader._auto_collation, loader.collate_fn, loader.drop_last, self._base_seed, loader.worker_init_fn,
                worker_id, self._num_workers))
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._shutdown = False
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        if not first:
            self._sampler_iter = iter(self._loader._index_sampler)
            for q in self._index_queues:  # (persistent workers: a new epoch; wait until each is ready)
                q.put(_Reset())
            waiting = self._num_workers
            while waiting:
                _, data = self._get()
                if data is None:
                    waiting -= 1
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}  # task index -> (worker id,) while pending, (worker id, data) once in
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def _try_put_index(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next worker still running
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _get(self):
        """The next (task, data) from any worker, watching the timeout and the workers' health."""
        waited = 0.0
        while True:
            step = self._timeout if self._timeout > 0 else self._STATUS_CHECK
            try:
                return self._result_queue.get(timeout=step)
            except queue.Empty:
                waited += step
                if self._timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                                       "unexpectedly") from None

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:  # skip tasks of workers that ran out
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:  # already arrived
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get()
            if isinstance(data, _WorkerDone):  # (its task, and those still queued to it, are skipped above)
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, _WorkerError):
            self._shutdown_workers()
            data.reraise()
        return data

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=5.0)
            if w.is_alive():
                w.terminate()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001, S110 (at interpreter exit the queues may be gone already)
            pass
