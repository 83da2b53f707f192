"""nn.functional embedding ops (registered as "nn.functional.<name>"; see ops/_core.py): embedding,
embedding_bag, one_hot, and the linear maps linear and bilinear."""

from __future__ import annotations

from ..._tensor import Tensor, _wrap
from ...backend import np
from .._core import Op, add_reduce, nary, register, unary
from .._samples import I


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


def _check_indices(idx, n):
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_np_name(idx.dtype)} instead (while checking arguments for "
                           "embedding)")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")


def _np_name(dt):
    from ..._dtype import FROM_NP

    return FROM_NP[dt].name.capitalize() + "Tensor"


def _padding_index(padding_idx, n):
    if padding_idx is None:
        return None
    if padding_idx > 0 and padding_idx >= n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if padding_idx < 0:
        if padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx += n
    return padding_idx


def _renorm_(weight: Tensor, idx, max_norm, norm_type):
    """Rescale, in place and unrecorded, the rows of ``weight`` that ``idx`` selects and whose
    ``norm_type``-norm exceeds ``max_norm`` (as torch's embedding_renorm_)."""
    rows = np.unique(idx)
    w = weight._data
    sel = w[rows]
    norms = np.sum(np.abs(sel) ** norm_type, axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] = sel[big] * scale[:, None].astype(w.dtype)
        weight._bump()


class EmbeddingBackward0(Op):
    """embedding: weight's gradient is g added back at the selected rows (none for padding_idx,
    divided by each index's count with scale_grad_by_freq)"""

    saves_operands = False

    @staticmethod
    def forward(w, idx, padding_idx, scale_grad_by_freq):
        return w[idx]

    def backward(self, g):
        idx, padding_idx, scale = self._params
        n, d = self.shapes[0]
        flat = idx.reshape(-1).astype(np.int64)
        g2 = g.reshape(flat.size, d)
        factor = np.ones(flat.size, g._data.dtype)
        if scale:
            counts = np.bincount(flat, minlength=n)
            factor = factor / counts[flat]
        if padding_idx is not None:
            factor = np.where(flat == padding_idx, 0, factor).astype(g._data.dtype)
        g2 = g2 * _const(factor[:, None])
        zeros = _const(np.zeros((n, d), g._data.dtype))
        return (zeros.scatter_add(0, _const(np.broadcast_to(flat[:, None], (flat.size, d)).copy()), g2),)


@register("nn.functional.embedding")
def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` that ``input`` indexes (``weight[input]``).

    >>> import torchless as torch
    >>> torch.nn.functional.embedding(torch.tensor([1]), torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
    tensor([[2., 3.]])
    """
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight._data.shape[0]
    pad = _padding_index(padding_idx, n)
    idx = input._data
    _check_indices(idx, n)
    if max_norm is not None:
        _renorm_(weight, idx.reshape(-1), max_norm, norm_type)
    return unary(EmbeddingBackward0, weight, idx, pad, scale_grad_by_freq)


register("embedding", method=False)(
    lambda weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False: embedding(
        input, weight, padding_idx if padding_idx != -1 else None, None, 2.0, scale_grad_by_freq, sparse))


@register("nn.functional.embedding_bag")
def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sums, means or maxima of bags of embeddings: the rows of each 2-D input row, or of each
    slice of a 1-D input that ``offsets`` starts."""
    if weight._data.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight._data.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on the Pytorch GitHub.")
    idx = input._data
    n_rows = weight._data.shape[0]
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        b, length = idx.shape
        starts = np.arange(b) * length
        ends = starts + length
        flat = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets._data.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = offsets._data.astype(np.int64)
        flat = idx
        if include_last_offset:
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], idx.size)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    _check_indices(flat, n_rows)
    pad = _padding_index(padding_idx, n_rows)
    if max_norm is not None:
        _renorm_(weight, flat, max_norm, norm_type)
    b = starts.size
    lengths = np.maximum(ends - starts, 0)
    width = int(lengths.max()) if b else 0
    # the bags as a (b, width) table of positions into flat, with a mask of the real entries
    pos = starts[:, None] + np.arange(width)[None, :]
    mask = np.arange(width)[None, :] < lengths[:, None]
    pos = np.where(mask, pos, 0)
    table = flat[pos] if flat.size else np.zeros(pos.shape, np.int64)
    if pad is not None:
        mask = mask & (table != pad)
    table = table.astype(np.int64)
    scale = np.ones(table.shape, weight._data.dtype)
    if scale_grad_by_freq and mode != "max":  # (each index's gradient divided by its count in the input)
        counts = np.bincount(flat.reshape(-1).astype(np.int64), minlength=n_rows)
        scale = (scale / counts[table]).astype(weight._data.dtype)
    psw_flat = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    return nary(EmbeddingBagBackward0, (weight, psw_flat), table, mask, pos, mode, scale)


class EmbeddingBagBackward0(Op):
    """embedding_bag: each bag's gradient goes back to its rows (times the sample weight, over the
    count for "mean", to the maximal row per column for "max"); a sample weight's gradient is
    g . weight[row]"""

    @staticmethod
    def forward(w, psw, table, mask, pos, mode, scale):
        b, width = table.shape
        if width == 0:
            return np.zeros((b, w.shape[1]), w.dtype)
        rows = w[table]  # (b, width, d)
        if mode == "max":
            big = np.where(mask[:, :, None], rows, -np.inf).max(1)
            return np.where(mask.any(1)[:, None], big, 0).astype(w.dtype, copy=False)
        coef = mask.astype(w.dtype)
        if psw is not None:
            coef = coef * psw[pos]
        out = add_reduce(rows * coef[:, :, None], 1)
        if mode == "mean":
            out = out / np.maximum(mask.sum(1), 1)[:, None]
        return out.astype(w.dtype, copy=False)

    def backward(self, g):
        w, psw = self.saved
        table, mask, pos, mode, scale = self._params
        b, width = table.shape
        n, d = w.shape
        dt = g._data.dtype
        gw = gp = None
        if self.needs(0):
            zeros = _const(np.zeros((n, d), dt))
            if mode == "max":
                wd = w._data
                best = np.where(mask[:, :, None], wd[table], -np.inf).argmax(1)  # (b, d): the slot per column
                rows = np.take_along_axis(table, best, 1) if width else np.zeros((b, d), np.int64)
                keep = _const(mask.any(1)[:, None].astype(dt))
                gw = zeros.scatter_add(0, _const(rows), g * keep)
            else:
                coef = _const((mask * scale).astype(dt))
                if psw is not None:
                    coef = coef * psw.index_select(0, _const(pos.reshape(-1))).reshape(b, width)
                if mode == "mean":
                    coef = coef / _const(np.maximum(mask.sum(1), 1)[:, None].astype(dt))
                contrib = (g.unsqueeze(1) * coef.unsqueeze(2)).reshape(b * width, d)
                idx = _const(np.broadcast_to(table.reshape(-1, 1), (b * width, d)).copy())
                gw = zeros.scatter_add(0, idx, contrib)
        if self.needs(1):
            rows = w.index_select(0, _const(table.reshape(-1))).reshape(b, width, d)
            per_slot = (g.unsqueeze(1) * rows).sum(2) * _const(mask.astype(dt))
            gp = _const(np.zeros(tuple(psw.shape), dt)).scatter_add(0, _const(pos.reshape(-1)),
                                                                    per_slot.reshape(-1))
        return gw, gp


@register("nn.functional.one_hot", differentiable=False, samples=[(I([0, 2, 1]),), (I([[1, 0], [3, 2]]), 5)])
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """A (*, num_classes) int64 tensor with a 1 at each class index."""
    t = tensor._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((t[..., None] == np.arange(num_classes)).astype(np.int64), None)


@register("nn.functional.linear")
def linear(input: Tensor, weight: Tensor, bias=None) -> Tensor:
    """``input @ weight.T + bias``"""
    if input.ndim == 2 and weight.ndim == 2 and bias is not None:
        return bias.addmm(input, weight.t())
    out = input.matmul(weight.t())
    return out + bias if bias is not None else out


@register("nn.functional.bilinear")
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias=None) -> Tensor:
    """``out[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``"""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    # (1, B, I) @ (O, I, J) -> (O, B, J); times x2 and summed over J -> (O, B)
    out = (x1.unsqueeze(0).matmul(weight) * x2.unsqueeze(0)).sum(2).t()
    if bias is not None:
        out = out + bias
    return out.reshape(lead + (weight.shape[0],))


register("bilinear", method=False)(bilinear)
