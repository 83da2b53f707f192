"""Turning a list of samples into a batch (``default_collate``) and a sample's NumPy arrays into
tensors (``default_convert``), by torch's rules."""

from __future__ import annotations

import collections.abc
import copy

from ..._tensor import Tensor
from ...backend import np

COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
CONVERT_ERROR = "default_convert: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _numeric_array(a) -> bool:
    return a.dtype.kind not in "SaUO"


def default_convert(data):
    """NumPy arrays (and scalars) to tensors, through containers; everything else as it is."""
    from ..._creation import as_tensor

    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return as_tensor(data) if _numeric_array(data) else data
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        return _same_kind(data, converted, lambda: converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        return _same_kind(data, converted, lambda: converted)
    return data


def _same_kind(original, values, fallback):
    """The container type of ``original`` rebuilt from ``values`` (a mutable one is copied and
    updated, so that its other attributes survive; a dict or list when it cannot be built)."""
    if isinstance(original, collections.abc.MutableMapping):
        clone = copy.copy(original)
        clone.update(values)
        return clone
    if isinstance(original, collections.abc.MutableSequence):
        clone = copy.copy(original)
        for i, v in enumerate(values):
            clone[i] = v
        return clone
    try:
        return type(original)(values)
    except TypeError:
        return fallback()


def default_collate(batch):
    """A batch of samples as one sample of batches: tensors and arrays stacked on a new first
    dimension, numbers made tensors (float64, int64), strings kept in a list, and containers
    (dicts, named tuples, sequences) collated element by element."""
    from ..._creation import as_tensor, tensor
    from ..._dtype import float64
    from ...ops.shape import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if not _numeric_array(elem):
            raise TypeError(COLLATE_ERROR.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        return _same_kind(elem, collated, lambda: collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        collated = [default_collate(samples) for samples in transposed]
        if isinstance(elem, tuple):
            return collated
        return _same_kind(elem, collated, lambda: collated)
    raise TypeError(COLLATE_ERROR.format(type(elem)))
