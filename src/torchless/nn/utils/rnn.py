"""Variable-length sequences for the recurrent layers: PackedSequence and its helpers.

A packed sequence keeps only the real steps of a batch of sequences sorted by length, longest
first: its ``data`` holds, time step by time step, the rows of the sequences still running
(``batch_sizes[t]`` of them at step t). Packing and unpacking are indexing ops, so gradients
flow through them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import NamedTuple

from ... import _creation
from ..._tensor import Tensor
from ...backend import np

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """(data, batch_sizes, sorted_indices, unsorted_indices); what RNN, LSTM and GRU take and give
    back for variable-length input. Build it with pack_padded_sequence or pack_sequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(*fields): data is the tuple of them
            data, batch_sizes = data[0], data[1]
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self, *args, **kwargs):
        return self

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=_dtype("float64"))

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def half(self):
        return self.to(dtype=_dtype("float16"))

    def long(self):
        return self.to(dtype=_dtype("int64"))

    def int(self):
        return self.to(dtype=_dtype("int32"))

    def short(self):
        return self.to(dtype=_dtype("int16"))

    def char(self):
        return self.to(dtype=_dtype("int8"))

    def byte(self):
        return self.to(dtype=_dtype("uint8"))

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _dtype(name):
    import torchless

    return getattr(torchless, name)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return _creation.tensor(out)


def _lengths_tensor(lengths) -> Tensor:
    if isinstance(lengths, Tensor):
        return lengths.to(dtype=_dtype("int64"))
    return _creation.tensor(np.asarray(lengths, dtype=np.int64).reshape(-1))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True):
    """Pack a padded batch (T, B, *) ((B, T, *) when batch_first) of sequences of ``lengths``.

    >>> import torchless as torch
    >>> from torchless.nn.utils.rnn import pack_padded_sequence
    >>> pack_padded_sequence(torch.tensor([[1, 4], [2, 5], [3, 0]]), [3, 2]).batch_sizes
    tensor([2, 2, 1])
    """
    lengths = _lengths_tensor(lengths)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = lengths.sort(descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    lens = lengths._data.tolist()
    if lengths.dim() != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                           f"{lengths.device} {lengths.dtype} tensor")
    if len(lens) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                           f"(batch_size={input.shape[1]})")
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if any(a < b for a, b in itertools.pairwise(lens)):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    T, B = (lens[0] if lens else 0), input.shape[1]
    steps = np.arange(T)
    batch_sizes = (np.asarray(lens)[None, :] > steps[:, None]).sum(1).astype(np.int64)
    rows = np.concatenate([np.arange(n) + t * B for t, n in enumerate(batch_sizes.tolist())] or [np.zeros(0, int)])
    data = input[:T].reshape(T * B, *input.shape[2:])[_creation.tensor(rows.astype(np.int64))]
    return PackedSequence(data, _creation.tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple:
    """Undo pack_padded_sequence: the padded batch and the sequences' lengths (a LongTensor)."""
    batch_sizes = sequence.batch_sizes._data.tolist()
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    data = sequence.data
    B = batch_sizes[0] if batch_sizes else 0
    where = np.full(max_len * B, data.shape[0], dtype=np.int64)  # padded row -> packed row (or padding)
    start = 0
    for t, n in enumerate(batch_sizes):
        where[t * B:t * B + n] = np.arange(start, start + n)
        start += n
    fill = _creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    rows = _cat([data, fill])
    padded = rows[_creation.tensor(where)].reshape(max_len, B, *data.shape[1:])
    lengths = np.zeros(B, dtype=np.int64)
    for n in batch_sizes:
        lengths[:n] += 1
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = _creation.tensor(lengths)
    if sequence.unsorted_indices is not None:
        return (padded.index_select(0 if batch_first else 1, sequence.unsorted_indices),
                lengths[sequence.unsorted_indices])
    return padded, lengths


def _cat(tensors, dim=0):
    from ...ops.shape import cat

    return cat(tensors, dim)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths (L_i, *) into one (T, B, *) tensor, padded with
    ``padding_value`` on ``padding_side``.

    >>> import torchless as torch
    >>> from torchless.nn.utils.rnn import pad_sequence
    >>> pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], batch_first=True)
    tensor([[1, 2],
            [3, 0]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    T = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = T - s.shape[0]
        if missing:
            fill = _creation.full((missing, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = _cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    from ...ops.shape import stack

    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list:
    """The sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)  # (in place, as torch does it)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True):
    """Pack a list of sequences (L_i, *) (longest first unless enforce_sorted=False)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences) -> list:
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
