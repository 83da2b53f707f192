"""Pooling: max, average, adaptive, power-average (lp), fractional max pooling, and max_unpool.

Average pools are linear and act on each spatial dim on its own: one small matrix per dim
(spatial.py's ``Resample``) averages the windows, and its transpose is the derivative.
Max pools find each window's largest element once, as an index into the input plane (the
windows are a strided view of the padded input, or gathered when their sizes vary), and then
take the elements at those indices: a gather whose derivative adds ``g`` back at the same
indices, whose derivative in turn is the gather again.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...backend import np
from .._core import Op, register, unary
from .._samples import POS, I, T
from .conv import pad_array, windows
from .spatial import _named, resample


# ---- gathers by flat index within each plane --------------------------------------------------
def _flat(a, nd):
    return a.reshape(a.shape[: a.ndim - nd] + (math.prod(a.shape[a.ndim - nd :]),))


class TakeFlat(Op):
    """out[..., i] = x[..., idx[..., i]] over the last ``nd`` dims flattened: d/dx = g added back at idx"""

    saves_operands = False

    @staticmethod
    def forward(x, idx, nd, unique, values=None):
        if values is not None:  # (max pooling has them already: no second pass over x)
            return values
        return x.reshape(-1)[_global(idx, math.prod(x.shape[x.ndim - nd :]), nd)]

    def backward(self, g):
        idx, nd, unique = self._params[:3]
        return (unary(PutFlat, g, idx, self.shapes[0][-nd:], unique),)


def _global(idx, size, nd):
    """Flat indices within each plane (N, C, *out) as indices into the whole flattened array."""
    head = idx.shape[: idx.ndim - nd]
    rows = math.prod(head)
    offsets = (np.arange(rows, dtype=np.int64) * size).reshape(head + (1,) * nd)
    return idx + offsets


class PutFlat(Op):
    """zeros of the plane shape with g added at idx (the adjoint of TakeFlat): d/dg = gg[idx]"""

    saves_operands = False

    @staticmethod
    def forward(g, idx, plane, unique):
        head = idx.shape[: idx.ndim - len(plane)]
        size = math.prod(plane)
        flat = _global(idx, size, len(plane)).reshape(-1)
        if unique:  # no index twice (windows that do not overlap): a plain assignment
            out = np.zeros(math.prod(head) * size, dtype=g.dtype)
            out[flat] = g.reshape(-1)
        else:
            out = np.bincount(flat, weights=g.reshape(-1), minlength=math.prod(head) * size).astype(g.dtype)
        return out.reshape(head + tuple(plane))

    def backward(self, gg):
        idx, plane, unique = self._params
        return (unary(TakeFlat, gg, idx, len(plane), unique),)


def take_flat(cls, x: Tensor, idx, nd: int, unique: bool = False) -> Tensor:
    return unary(cls, x, idx, nd, unique)


# ---- shapes and argument checks -----------------------------------------------------------------
def _tuple(v, nd, name, fn):
    if v is None:
        return None
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of {nd} ints")
    return v


def _out_size(n, k, s, p, d, ceil_mode):
    """torch's pooling output size along one dim."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _batched(input, nd, fn):
    dims = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}[nd]
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {dims} (batch mode) tensor expected for input")
    if any(s == 0 for s in input.shape[input.ndim - nd - 1 :]):
        raise RuntimeError(f"Expected {dims} (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(input.shape)}")
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _pool_args(input, nd, kernel_size, stride, padding, dilation, ceil_mode, fn, effective):
    kernel = _tuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, "stride", fn)
    padding, dilation = _tuple(padding, nd, "padding", fn), _tuple(dilation, nd, "dilation", fn)
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_hw(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got {_hw(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {_hw(dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")

    size = input.shape[2:]
    out = tuple(_out_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(size, kernel, stride, padding,
                                                                            dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[1:]))}). Calculated output size: "
                           f"({'x'.join(map(str, (input.shape[1],) + out))}). Output size is too small")
    return kernel, stride, padding, dilation, out


def _hw(v):
    names = ("kH", "kW") if len(v) == 2 else (("kW",) if len(v) == 1 else ("kT", "kH", "kW"))
    return " ".join(f"{a}: {b}" for a, b in zip(names, v))


# ---- max pooling --------------------------------------------------------------------------------
def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_indices(x, kernel, stride, padding, dilation, out):
    """Flat index (within each plane of ``x``) of every window's largest element, and the
    largest elements: torch's choice, the first one, a NaN counting as largest (the last NaN),
    a window of nothing but the lowest value pointing at its first real element. One pass per
    kernel offset over all windows."""
    nd = len(kernel)
    size = x.shape[2:]
    pads = [(p, max((o - 1) * s + d * (k - 1) + 1 - n - p, 0))
            for n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out)]
    lowest = _lowest(x.dtype)
    win = windows(pad_array(x, pads, lowest), kernel, stride, dilation)
    win = win[(Ellipsis,) + tuple(slice(0, o) for o in out) + (slice(None),) * nd]
    steps = [math.prod(size[d + 1 :]) for d in range(nd)]
    starts = [(np.arange(o) * s - p).reshape((o,) + (1,) * (nd - 1 - d))
              for d, (o, s, p) in enumerate(zip(out, stride, padding))]
    origin = sum(st * step for st, step in zip(starts, steps))  # each window's first element (maybe padding)
    offsets = list(np.ndindex(*kernel))
    shifts = [sum(k * d * step for k, d, step in zip(offs, dilation, steps)) for offs in offsets]
    if len(offsets) <= 16:  # the windows' elements, one contiguous plane per kernel offset
        planes = np.stack([win[(Ellipsis,) + offs] for offs in offsets])
        best = planes.max(0)  # (NaN propagates, as torch's max does)
    else:
        planes = [win[(Ellipsis,) + offs] for offs in offsets]
        best = planes[0].copy()
        for plane in planes[1:]:
            np.maximum(best, plane, out=best)
    # which kernel offset holds the max, the first one winning: the count of leading offsets that
    # do not hold it (plain boolean passes; a masked copy per offset would be 30x slower), counted
    # in bytes where they suffice (3x faster than in intp)
    missed = planes[0] != best
    code = missed.astype(np.uint8 if len(offsets) <= 256 else np.intp)
    for plane in planes[1:-1]:
        missed &= plane != best
        code += missed
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():
            for j in range(len(offsets)):
                np.copyto(code, j, where=nan & np.isnan(planes[j]))
    idx = np.array(shifts, dtype=np.int64).take(code)
    idx += origin
    if any(p for p, _ in pads):
        low = best == lowest
        if low.any():  # all lowest: torch points at the window's first real element
            first = sum((st + np.maximum(-(st // d), 0) * d) * step for st, d, step in zip(starts, dilation, steps))
            idx = np.where(low, first, idx)
    return idx, best


def _gather_max_indices(x, positions):
    """Like _max_indices, for windows given per dim as position lists ``positions[d]`` (out_d, L_d)."""
    nd = len(positions)
    index = [slice(None), slice(None)]
    for d, pos in enumerate(positions):
        index.append(pos.reshape((1,) * (2 * d) + pos.shape + (1,) * (2 * (nd - d - 1))))
    g = x[tuple(index)]  # (N, C, o0, L0, o1, L1, ...)
    perm = (0, 1) + tuple(2 + 2 * d for d in range(nd)) + tuple(3 + 2 * d for d in range(nd))
    out = tuple(p.shape[0] for p in positions)
    arg = g.transpose(perm).reshape(x.shape[:2] + out + (math.prod(p.shape[1] for p in positions),)).argmax(-1)
    offsets = np.unravel_index(arg, tuple(p.shape[1] for p in positions))
    idx = np.zeros(arg.shape, dtype=np.int64)
    for d, (n, pos) in enumerate(zip(x.shape[2:], positions)):
        o = np.arange(pos.shape[0]).reshape((-1,) + (1,) * (nd - 1 - d))
        idx = idx * n + pos[o, offsets[d]]
    return idx


def _take_named(name):
    return type(name, (TakeFlat,), {"__slots__": (), "__doc__": TakeFlat.__doc__})


_MAX_OPS = {nd: _take_named(f"MaxPool{nd}DWithIndicesBackward0") for nd in (2, 3)}
_ADAPTIVE_MAX_OPS = {nd: _take_named(f"AdaptiveMaxPool{nd}DBackward0") for nd in (2, 3)}
_FRACTIONAL_OPS = {nd: _take_named(f"FractionalMaxPool{nd}DBackward0") for nd in (2, 3)}


def _max_pool(nd, fn, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _batched(input, nd, fn)
    kernel, stride, padding, dilation, out = _pool_args(x, nd, kernel_size, stride, padding, dilation, ceil_mode,
                                                        fn, True)
    idx, best = _max_indices(x._data, kernel, stride, padding, dilation, out)
    unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    values = unary(_MAX_OPS[nd], x, idx, nd, unique, best)
    if values.grad_fn is not None:  # (a recorded node keeps no second reference to the values)
        values.grad_fn._params = values.grad_fn._params[:-1] + (None,)
    return _finish_max(values, idx, unbatched, return_indices)


def _finish_max(values, idx, unbatched, return_indices):
    from ..._creation import from_numpy

    if unbatched:
        values, idx = values.squeeze(0), idx[0]
    if return_indices:
        return values, from_numpy(np.ascontiguousarray(idx))
    return values


def _as_2d(fn, input, *args, **kwargs):
    """A 1-d pool through its 2-d version: (N, C, L) seen as (N, C, 1, L)."""
    out = fn(input.unsqueeze(-2), *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(o.squeeze(-2) for o in out)
    return out.squeeze(-2)


@register("nn.functional.max_pool1d")
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """The largest element of each window of ``input`` (N, C, L) or (C, L).

    >>> import torchless as torch
    >>> torch.nn.functional.max_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[3., 2.]]])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _tuple(kernel_size, 1, "kernel_size", "max_pool1d")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 1, "stride", "max_pool1d")
    return _as_2d(max_pool2d, input, (1,) + k, (1,) + s, (0,) + _tuple(padding, 1, "padding", "max_pool1d"),
                  (1,) + _tuple(dilation, 1, "dilation", "max_pool1d"), ceil_mode, return_indices)


@register("nn.functional.max_pool2d")
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """The largest element of each window of ``input`` (N, C, H, W) or (C, H, W); with
    ``return_indices`` also where it is (a flat index into each H x W plane)."""
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@register("nn.functional.max_pool3d")
def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """The largest element of each window of ``input`` (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _with_indices(fn):
    def pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
        return fn(input, kernel_size, stride, padding, dilation, ceil_mode, True)

    pool.__name__ = fn.__name__ + "_with_indices"
    pool.__doc__ = f"``{fn.__name__}`` returning (values, indices)."
    return pool


for _f in (max_pool1d, max_pool2d, max_pool3d):
    register(_f.__name__, method=False)(_f)
register("nn.functional.max_pool1d_with_indices", samples=[(T(2, 3, 8), 2)])(_with_indices(max_pool1d))
register("nn.functional.max_pool2d_with_indices", samples=[(T(2, 3, 6, 5), 3, 2, 1)])(_with_indices(max_pool2d))
register("nn.functional.max_pool3d_with_indices", samples=[(T(1, 2, 4, 4, 3), 2)])(_with_indices(max_pool3d))
register("max_pool1d_with_indices", method=False, samples=[(T(2, 3, 8), 3, 2)])(_with_indices(max_pool1d))


class MaxPool2DWithIndicesBackwardBackward0(Op):
    """max_pool2d's input gradient: grad_output added back at ``indices`` (the input only gives
    the shape): d/dgrad_output = gg taken at indices, d/dinput = 0"""

    saves_operands = False

    @staticmethod
    def forward(g, x, idx):
        return PutFlat.forward(g, idx, x.shape[-2:], False)

    def backward(self, gg):
        from ..._creation import zeros

        (idx,) = self._params
        gx = zeros(self.shapes[1], dtype=gg.dtype) if self.needs(1) else None
        return (unary(TakeFlat, gg, idx, 2, False) if self.needs(0) else None), gx


def max_pool2d_with_indices_backward(grad_output: Tensor, input: Tensor, kernel_size, stride, padding, dilation,
                                     ceil_mode: bool, indices: Tensor) -> Tensor:
    """The gradient of max_pool2d with respect to its input: ``grad_output`` added back at ``indices``
    (torch.ops.aten.max_pool2d_with_indices_backward)."""
    from .._core import nary

    return nary(MaxPool2DWithIndicesBackwardBackward0, (grad_output, input), indices._data)


max_pool2d_with_indices_backward.default = max_pool2d_with_indices_backward
register("ops.aten.max_pool2d_with_indices_backward", samples=[
    (T(1, 1, 2, 2), T(1, 1, 4, 4), [2, 2], [2, 2], [0, 0], [1, 1], False, I([[[[0, 3], [8, 15]]]]))])(
    max_pool2d_with_indices_backward)


# ---- adaptive and fractional max pooling -------------------------------------------------------
def _adaptive_positions(n, out):
    """Window positions (out, L) of adaptive pooling: [floor(o n / out), ceil((o+1) n / out)), the
    shorter windows padded with their last position (a repeat changes no max)."""
    o = np.arange(out)
    start, end = (o * n) // out, ((o + 1) * n + out - 1) // out
    length = int((end - start).max()) if out else 0
    return np.minimum(start[:, None] + np.arange(length), end[:, None] - 1)


def _output_size(output_size, nd, shape, fn):
    if isinstance(output_size, int):
        sizes = (output_size,) * nd
    else:
        sizes = tuple(output_size)
        if len(sizes) != nd:
            raise RuntimeError(f"{fn}: internal error: output_size.size() must be {nd}")
    return tuple(n if s is None else int(s) for s, n in zip(sizes, shape))


def _adaptive_check(input, nd, fn, avg=False):
    if input.ndim not in (nd + 1, nd + 2):
        dims = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}[nd]
        raise RuntimeError(f"{fn}(): Expected {dims} tensor, but got {list(input.shape)}")
    for i in range(input.ndim - nd if avg else (1 if input.ndim == nd + 2 else 0), input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {i} being empty")


def _adaptive_max(nd, fn, input, output_size, return_indices):
    _adaptive_check(input, nd, fn)
    x, unbatched = _batched(input, nd, fn) if input.ndim == nd + 1 else (input, False)
    sizes = _output_size(output_size, nd, x.shape[2:], fn)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{fn}(): Expected output_size to be non-negative, got {list(sizes)}")
    idx = _gather_max_indices(x._data, [_adaptive_positions(n, o) for n, o in zip(x.shape[2:], sizes)])
    values = take_flat(_ADAPTIVE_MAX_OPS[max(nd, 2)], x, idx, nd, False)
    return _finish_max(values, idx, unbatched, return_indices)


@register("nn.functional.adaptive_max_pool1d")
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) to ``output_size`` windows of (nearly) equal size."""
    _adaptive_check(input, 1, "adaptive_max_pool1d")
    size = _output_size(output_size, 1, input.shape[-1:], "adaptive_max_pool1d")
    return _as_2d(adaptive_max_pool2d, input, (1,) + size, return_indices)


@register("nn.functional.adaptive_max_pool2d")
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (None keeps a size)."""
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, return_indices)


@register("nn.functional.adaptive_max_pool3d")
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size`` (None keeps a size)."""
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, return_indices)


def _fractional_starts(sample, n, k, out):
    """torch's pseudo-random window starts along one dim, from one uniform sample per plane."""
    sample = np.asarray(sample)
    if out == 1:
        return np.full(sample.shape + (1,), n - k, dtype=np.int64)
    alpha = sample.dtype.type(n - k) / sample.dtype.type(out - 1)
    i = np.arange(out - 1, dtype=sample.dtype)
    starts = ((i + sample[..., None]) * alpha).astype(np.int64) - (sample[..., None] * alpha).astype(np.int64)
    last = np.full(sample.shape + (1,), n - k, dtype=np.int64)
    return np.concatenate([starts, last], axis=-1)


def _fractional(nd, fn, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)
    kernel = _tuple(kernel_size, nd, "kernel_size", fn)
    if output_size is None:
        if isinstance(output_ratio, (int, float)) and nd == 2:
            raise TypeError(f"object of type '{type(output_ratio).__name__}' has no len()")  # (as torch's)
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        output_size = tuple(int(n * r) for n, r in zip(x.shape[2:], ratio))
    sizes = _tuple(output_size, nd, "output_size", fn)
    for n, k, o in zip(x.shape[2:], kernel, sizes):
        if o + k - 1 > n:
            raise RuntimeError(f"{fn}(): pool size {k} too large relative to input size {n} and output size {o}")
    n_, c = x.shape[:2]
    if _random_samples is None:
        from ..._creation import rand

        _random_samples = rand(n_, c, nd, dtype=x.dtype)
    samples = _random_samples._data
    if samples.ndim != 3 or samples.shape[0] < n_:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {samples.shape[2]}.")
    samples = samples[:n_]  # (torch reads the first rows of a larger sample batch)
    # (torch's sample 0 is for the last dim in 2-d, for the first in 3-d)
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_fractional_starts(samples[:, :, j], n, k, o) for j, n, k, o in
              zip(order, x.shape[2:], kernel, sizes)]
    # windows differ per plane: gather with per-plane positions (N, C, out, k)
    xd = x._data
    index = [np.arange(n_).reshape((n_, 1) + (1,) * (2 * nd)), np.arange(c).reshape((1, c) + (1,) * (2 * nd))]
    positions = []
    for d, (st, k) in enumerate(zip(starts, kernel)):
        pos = st[..., None] + np.arange(k)  # (N, C, out, k)
        positions.append(pos)
        index.append(pos.reshape(pos.shape[:2] + (1,) * (2 * d) + pos.shape[2:] + (1,) * (2 * (nd - d - 1))))
    g = xd[tuple(index)]  # (N, C, o0, k0, o1, k1, ...)
    perm = (0, 1) + tuple(2 + 2 * d for d in range(nd)) + tuple(3 + 2 * d for d in range(nd))
    arg = g.transpose(perm).reshape((n_, c) + sizes + (math.prod(kernel),)).argmax(-1)
    offsets = np.unravel_index(arg, kernel)
    idx = np.zeros(arg.shape, dtype=np.int64)
    for d, (n, st) in enumerate(zip(x.shape[2:], starts)):
        shape = (n_, c) + (1,) * d + (sizes[d],) + (1,) * (nd - d - 1)
        idx = idx * n + st.reshape(shape) + offsets[d]
    values = take_flat(_FRACTIONAL_OPS[nd], x, idx, nd, False)
    return _finish_max(values, idx, unbatched, return_indices)


@register("nn.functional.fractional_max_pool2d")
def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Max pooling over pseudo-randomly placed windows, to ``output_size`` (or input size times ``output_ratio``)."""
    return _fractional(2, "fractional_max_pool2d", input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


@register("nn.functional.fractional_max_pool3d")
def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """The 3-d fractional max pooling (see fractional_max_pool2d)."""
    return _fractional(3, "fractional_max_pool3d", input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


# ---- max_unpool ---------------------------------------------------------------------------------
class MaxUnpoolBackward(Op):
    """max_unpool: zeros with x put at indices; d/dx = g taken at indices"""

    saves_operands = False

    @staticmethod
    def forward(x, idx, plane):
        lead = x.shape[:2]
        size = math.prod(plane)
        fi = idx.reshape(lead + (math.prod(idx.shape[2:]),))
        if fi.size and (fi.min() < 0 or fi.max() >= size):
            bad = fi[(fi < 0) | (fi >= size)][0]
            raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                               f"{'x'.join(map(str, plane))}")
        out = np.zeros(lead + (size,), dtype=x.dtype)
        np.put_along_axis(out, fi, x.reshape(fi.shape), -1)
        return out.reshape(lead + tuple(plane))

    def backward(self, g):
        idx, plane = self._params
        return (unary(TakeFlat, g, idx, len(plane), False),)


_UNPOOL_OPS = {nd: type(f"MaxUnpool{nd}DBackward0", (MaxUnpoolBackward,), {"__slots__": ()}) for nd in (1, 2, 3)}


def _max_unpool(nd, fn, input, indices, kernel_size, stride, padding, output_size):
    kernel = _tuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None else _tuple(stride, nd, "stride", fn)
    padding = _tuple(padding, nd, "padding", fn)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    idx = indices._data[None] if unbatched else indices._data
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, padding, kernel))
    if output_size is None:
        plane = default
    else:
        plane = tuple(int(s) for s in output_size)[-nd:]
        if len(tuple(output_size)) not in (nd, nd + 2) and len(tuple(output_size)) != nd + 1:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(tuple(output_size))}'")
        for n, d, s in zip(plane, default, stride):
            if not d - s < n < d + s:
                raise ValueError(f"invalid output_size \"{list(plane)}\" (dim 0 must be between {d - s} and "
                                 f"{d + s})")
    if idx.shape != x._data.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(x.shape)}) but "
                           f"got indices tensor with shape: {list(indices.shape)}")
    out = unary(_UNPOOL_OPS[nd], x, idx, plane)
    return out.squeeze(0) if unbatched else out


@register("nn.functional.max_unpool1d")
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: zeros with each value put back at its index (via max_unpool2d)."""
    k = _tuple(kernel_size, 1, "kernel_size", "max_unpool1d")
    s = k if stride is None else _tuple(stride, 1, "stride", "max_unpool1d")
    p = _tuple(padding, 1, "padding", "max_unpool1d")
    size = None
    if output_size is not None:
        size = tuple(output_size)
        if len(size) not in (1, 2, 3):
            raise ValueError(f"output_size should be a sequence containing 1 or 3 elements, but it has a length of "
                             f"'{len(size)}'")
        size = (1, size[-1])
    return _max_unpool(2, "max_unpool1d", input.unsqueeze(-2), indices.unsqueeze(-2), (1,) + k, (1,) + s,
                       (0,) + p, size).squeeze(-2)


@register("nn.functional.max_unpool2d")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: zeros with each value put back at its index.

    >>> import torchless as torch
    >>> F = torch.nn.functional
    >>> out, idx = F.max_pool2d(torch.tensor([[[[1., 2.], [4., 3.]]]]), 2, return_indices=True)
    >>> F.max_unpool2d(out, idx, 2)
    tensor([[[[0., 0.],
              [4., 0.]]]])
    """
    return _max_unpool(2, "max_unpool2d", input, indices, kernel_size, stride, padding, output_size)


@register("nn.functional.max_unpool3d")
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: zeros with each value put back at its index."""
    return _max_unpool(3, "max_unpool3d", input, indices, kernel_size, stride, padding, output_size)


# ---- average pooling: one matrix per dim --------------------------------------------------------
def _window_matrix(n, out, k, s, p, count_include_pad):
    """(out, n) 0/1 matrix whose row o picks the window o*s - p ... o*s - p + k - 1 (within the input),
    and each window's divisor (its size, padding counted or not)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    lo, hi = np.maximum(start, 0), np.minimum(end, n)
    j = np.arange(n)
    inside = (j >= lo[:, None]) & (j < hi[:, None])
    count = (end - start) if count_include_pad else np.maximum(hi - lo, 1)
    return inside, count


_AVG_OPS = {nd: _named(f"AvgPool{nd}DBackward0") for nd in (2, 3)}
_ADAPTIVE_AVG_OPS = {nd: _named(f"AdaptiveAvgPool{nd}DBackward0") for nd in (2, 3)}


def _avg_pool(nd, fn, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched = _batched(input, nd, fn)
    kernel, stride, padding, _, out = _pool_args(x, nd, kernel_size, stride, padding, 1, ceil_mode, fn, False)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    windows_, counts = zip(*[_window_matrix(n, o, k, s, p, count_include_pad)
                             for n, k, s, p, o in zip(x.shape[2:], kernel, stride, padding, out)])
    if x._data.dtype.kind not in "fc":  # integers: sums divided with truncation, as torch's integer pooling
        return _int_avg(x, windows_, counts, divisor_override, unbatched)
    maps = []
    for i, (m, count) in enumerate(zip(windows_, counts)):
        m = m / count[:, None] if divisor_override is None else m.astype(np.float64)
        if i == 0 and divisor_override is not None:
            m = m / divisor_override
        maps.append((2 + i, "win", m))
    y = resample(_AVG_OPS[nd], x, maps)
    return y.squeeze(0) if unbatched else y


def _int_avg(x, windows_, counts, divisor_override, unbatched):
    from ..._creation import from_numpy

    if x._data.dtype.kind == "b":
        raise RuntimeError(f"\"avg_pool{len(counts)}d\" not implemented for 'Bool'")
    total = x._data
    for i, m in enumerate(windows_):
        total = np.moveaxis(np.tensordot(m.astype(total.dtype), total, axes=(1, 2 + i)), 0, 2 + i)
    div = divisor_override
    if div is None:
        div = counts[0]
        for c in counts[1:]:
            div = np.multiply.outer(div, c)
    out = np.sign(total) * (np.abs(total) // div)  # (C++ integer division: toward zero)
    t = from_numpy(np.ascontiguousarray(out.astype(x._data.dtype)))
    return t.squeeze(0) if unbatched else t


def _int_name(x):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        x._data.dtype.name, x._data.dtype.name)


@register("nn.functional.avg_pool1d")
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window of ``input`` (N, C, L) or (C, L).

    >>> import torchless as torch
    >>> torch.nn.functional.avg_pool1d(torch.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[2., 1.]]])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _tuple(kernel_size, 1, "kernel_size", "avg_pool1d")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 1, "stride", "avg_pool1d")
    return _as_2d(avg_pool2d, input, (1,) + k, (1,) + s, (0,) + _tuple(padding, 1, "padding", "avg_pool1d"),
                  ceil_mode, count_include_pad)


@register("nn.functional.avg_pool2d")
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of each window of ``input`` (N, C, H, W) or (C, H, W) (padding counted unless
    ``count_include_pad`` is False; ``divisor_override`` replaces the window size)."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


@register("nn.functional.avg_pool3d")
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """The mean of each window of ``input`` (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


register("avg_pool1d", method=False)(avg_pool1d)


def _adaptive_matrix(n, out):
    o = np.arange(out)
    start, end = (o * n) // out, ((o + 1) * n + out - 1) // out
    j = np.arange(n)
    return ((j >= start[:, None]) & (j < end[:, None])) / (end - start)[:, None]


def _adaptive_avg(nd, fn, input, output_size):
    _adaptive_check(input, nd, fn, True)
    lead = input.ndim - nd
    sizes = _output_size(output_size, nd, input.shape[lead:], fn)
    maps = [(lead + i, "win", _adaptive_matrix(n, o)) for i, (n, o) in enumerate(zip(input.shape[lead:], sizes))]
    return resample(_ADAPTIVE_AVG_OPS[max(nd, 2)], input, maps)


@register("nn.functional.adaptive_avg_pool1d")
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to ``output_size`` windows of (nearly) equal size."""
    _adaptive_check(input, 1, "adaptive_avg_pool1d", True)
    size = _output_size(output_size, 1, input.shape[-1:], "adaptive_avg_pool1d")
    return _as_2d(adaptive_avg_pool2d, input, (1,) + size)


@register("nn.functional.adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (None keeps a size).

    >>> import torchless as torch
    >>> torch.nn.functional.adaptive_avg_pool2d(torch.arange(4.).reshape(1, 2, 2), 1)
    tensor([[[1.5000]]])
    """
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


@register("nn.functional.adaptive_avg_pool3d")
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size`` (None keeps a size)."""
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


register("adaptive_avg_pool1d", method=False)(adaptive_avg_pool1d)
register("adaptive_max_pool1d", method=False)(adaptive_max_pool1d)


# ---- power-average pooling ----------------------------------------------------------------------
def _lp(avg, nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _tuple(kernel_size, nd, "kernel_size", "lp_pool")
    if norm_type in (math.inf, -math.inf):  # the largest (or smallest) magnitude
        mx = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
        return mx(input.abs(), kernel, stride, 0, 1, ceil_mode) if norm_type > 0 else \
            -mx(-input.abs(), kernel, stride, 0, 1, ceil_mode)
    out = avg(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(kernel)).pow(1.0 / norm_type)


@register("nn.functional.lp_pool1d", samples=[(T(2, 3, 8, lo=POS[0], hi=POS[1]), 2, 3),
                                                 (T(2, 3, 7, lo=POS[0], hi=POS[1]), 3.0, 2, 2, True)])
def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window: ``(sum x**p) ** (1/p)`` over windows of (N, C, L)."""
    return _lp(avg_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


@register("nn.functional.lp_pool2d", samples=[(T(2, 3, 6, 5, lo=POS[0], hi=POS[1]), 2.0, 2)])
def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window: ``(sum x**p) ** (1/p)`` over windows of (N, C, H, W)."""
    return _lp(avg_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


@register("nn.functional.lp_pool3d", samples=[(T(1, 2, 4, 4, 3, lo=POS[0], hi=POS[1]), 2, 2)])
def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window: ``(sum x**p) ** (1/p)`` over windows of (N, C, D, H, W)."""
    return _lp(avg_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)
