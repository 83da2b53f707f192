"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d, all one op (``ConvolutionBackward0``).

A convolution is im2col and a matrix product: a strided view of the padded input holds every
window (``windows``), one copy lays the windows out as columns, and BLAS multiplies them by the
weight. A transposed convolution is the same product the other way round followed by col2im
(``col2im``: the columns added back into place, one strided add per kernel offset).

The two are each other's derivative: a convolution's input gradient is a transposed
convolution of ``g`` by the same weight, and its weight gradient is a convolution of the input
by ``g`` (batch and channels swapped, stride and dilation swapped). The rules call
``convolution`` itself, so they are recorded when ``create_graph`` asks: double backward
(and any higher order) comes for free.
"""

from __future__ import annotations

import math

from ..._grad_mode import _grad_enabled
from ..._tensor import Tensor
from ...backend import np
from .._core import Op, nary, register
from .._samples import T

_as_strided = np.lib.stride_tricks.as_strided


# ---- the array kernels (shared with pool.py and spatial.py) -----------------------------------
def windows(x, kernel, stride, dilation):
    """The view ``(N, C, *out, *kernel)`` of ``x`` ``(N, C, *size)``:
    ``view[n, c, i, k] = x[n, c, i*stride + k*dilation]`` (per spatial dim). No copy."""
    size = x.shape[2:]
    out = tuple(max((n - d * (k - 1) - 1) // s + 1, 0) for n, k, s, d in zip(size, kernel, stride, dilation))
    st = x.strides
    strides = st[:2] + tuple(a * s for a, s in zip(st[2:], stride)) + tuple(a * d for a, d in zip(st[2:], dilation))
    return _as_strided(x, x.shape[:2] + out + tuple(kernel), strides, writeable=False)


def col2im(cols, size, stride, dilation):
    """The adjoint of ``windows``: ``cols`` ``(N, C, *kernel, *positions)`` added into zeros
    ``(N, C, *size)``, one strided add per kernel offset."""
    nd = len(size)
    kernel, positions = cols.shape[2 : 2 + nd], cols.shape[2 + nd :]
    out = np.zeros(cols.shape[:2] + tuple(size), dtype=cols.dtype)
    for k in np.ndindex(*kernel):
        place = tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(k, dilation, stride, positions))
        out[(Ellipsis,) + place] += cols[(slice(None), slice(None)) + k]
    return out


def pad_array(x, padding, value=0):
    """``x`` with ``padding[i]`` (before, after) added to spatial dim i (dims 2...)."""
    if not any(a or b for a, b in padding):
        return x
    shape = x.shape[:2] + tuple(n + a + b for n, (a, b) in zip(x.shape[2:], padding))
    out = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + n) for n, (a, _) in zip(x.shape[2:], padding))] = x
    return out


def _columns(x, kernel, stride, padding, dilation, groups, out=None):
    """im2col: the windows of x (N, C, *size) as columns (groups, C/groups * K, N * L), one copy
    (and the number of window positions along each dim; ``out`` cuts them to that many)."""
    nd = x.ndim - 2
    win = windows(pad_array(x, [(p, p) for p in padding]), kernel, stride, dilation)  # (N, C, *out, *k)
    if out is not None and tuple(out) != win.shape[2 : 2 + nd]:
        win = win[(slice(None), slice(None)) + tuple(slice(0, o) for o in out)]
    out = win.shape[2 : 2 + nd]
    n, c = x.shape[:2]
    perm = (1,) + tuple(range(2 + nd, 2 + 2 * nd)) + (0,) + tuple(range(2, 2 + nd))
    cols = np.ascontiguousarray(win.transpose(perm))  # (C, *k, N, *out)
    return cols.reshape(groups, c // groups * math.prod(kernel), n * math.prod(out)), out


def _conv(x, w, stride, padding, dilation, groups, keep=None):
    """Convolution (cross-correlation, as torch's) of x (N, C, *size) by w (O, C/groups, *k)
    (its columns left in ``keep``, a dict, for the weight gradient to reuse)."""
    cols, out = _columns(x, w.shape[2:], stride, padding, dilation, groups)
    if keep is not None:
        keep["cols"] = cols
    o, n = w.shape[0], x.shape[0]
    ck = cols.shape[1]
    y = np.matmul(w.reshape(groups, o // groups, ck), cols) if groups > 1 else w.reshape(o, ck) @ cols[0]
    # (groups, O/groups, N * L): one GEMM per group
    return np.ascontiguousarray(y.reshape(o, n, math.prod(out)).swapaxes(0, 1)).reshape((n, o) + out)


def _conv_weight(x, g, kernel, stride, padding, dilation, groups, cols=None):
    """d/dw of conv(x, w) for the output gradient g (N, O, *out): gw[o, c, k] = sum over n, i of
    x_padded[n, c, i*stride + k*dilation] g[n, o, i], one GEMM per group with x's columns."""
    if cols is None:
        cols, _ = _columns(x, kernel, stride, padding, dilation, groups, g.shape[2:])
    n, o = g.shape[:2]
    positions = math.prod(g.shape[2:])
    gm = np.ascontiguousarray(g.reshape(n, o, positions).swapaxes(0, 1)).reshape(groups, o // groups, n * positions)
    gw = np.matmul(gm, cols.transpose(0, 2, 1)) if groups > 1 else gm[0] @ cols[0].T  # (groups, O/g, C/g * K)
    return gw.reshape((o, x.shape[1] // groups) + tuple(kernel))


def _conv_transpose(x, w, stride, padding, dilation, groups, output_padding):
    """Transposed convolution of x (N, C, *size) by w (C, O/groups, *k): the adjoint of ``_conv``."""
    n, c = x.shape[:2]
    size, kernel = x.shape[2:], w.shape[2:]
    cg, og, k = c // groups, w.shape[1], math.prod(kernel)
    full = tuple((m - 1) * s + d * (kk - 1) + 1 + op
                 for m, s, d, kk, op in zip(size, stride, dilation, kernel, output_padding))
    if all(s == 1 for s in stride):
        out = _col2im_flat(x, w, full, dilation, groups)
    else:
        wt = w.reshape(groups, cg, og * k).transpose(0, 2, 1)  # (groups, og*k, cg)
        cols = np.matmul(wt, x.reshape(n, groups, cg, math.prod(size)))  # (N, groups, og*k, L)
        out = col2im(cols.reshape((n, groups * og) + kernel + size), full, stride, dilation)
    if any(padding):
        out = np.ascontiguousarray(out[(Ellipsis,) + tuple(slice(p, f - p) for p, f in zip(padding, full))])
    return out


def _col2im_flat(x, w, full, dilation, groups):
    """The stride-1 transposed convolution on flattened planes: x is laid on the output's grid
    (zeros after each row), so that each kernel offset adds one GEMM's result, shifted, to whole
    planes at once (long contiguous runs; no columns K times the input's size are ever held)."""
    n, c = x.shape[:2]
    size, kernel = x.shape[2:], w.shape[2:]
    cg, og = c // groups, w.shape[1]
    grown = pad_array(x, [(0, 0)] + [(0, f - m) for f, m in zip(full[1:], size[1:])])
    plane = math.prod(grown.shape[2:])
    xt = np.ascontiguousarray(grown.reshape(n, c, plane).swapaxes(0, 1))  # (C, N, plane)
    steps = [math.prod(full[d + 1 :]) for d in range(len(full))]
    total = math.prod(full)
    out = np.zeros((groups * og, n, total + steps[0]), dtype=np.result_type(x, w))
    nd = len(kernel)
    wt = np.ascontiguousarray(w.transpose(tuple(range(2, 2 + nd)) + (1, 0)))  # (*k, og, C): BLAS-ready blocks
    for gi in range(groups):
        xg = xt[gi * cg : (gi + 1) * cg].reshape(cg, n * plane)
        rows = out[gi * og : (gi + 1) * og]
        for offs in np.ndindex(*kernel):
            start = sum(f * d * st for f, d, st in zip(offs, dilation, steps))
            rows[:, :, start : start + plane] += (wt[offs][:, gi * cg : (gi + 1) * cg] @ xg).reshape(og, n, plane)
    out = out[:, :, :total].swapaxes(0, 1)
    return np.ascontiguousarray(out).reshape((n, groups * og) + tuple(full))


# ---- the op -------------------------------------------------------------------------------------
class ConvolutionBackward0(Op):
    """convolution: d/dx = conv_transpose(g, w), d/dw = conv(x, g) (batch and channels swapped),
    d/db = g summed over all but the channel dim; for a transposed convolution the other way round"""

    save_when = ((1,), (0,), ())

    @staticmethod
    def forward(x, w, b, stride, padding, dilation, transposed, output_padding, groups, keep):
        if transposed:
            out = _conv_transpose(x, w, stride, padding, dilation, groups, output_padding)
        else:
            out = _conv(x, w, stride, padding, dilation, groups, keep)
        if b is not None:
            out += b.reshape((-1,) + (1,) * (out.ndim - 2))
        return out

    def backward(self, g):
        x, w, _ = self.saved
        stride, padding, dilation, transposed, _, groups, keep = self._params
        sx, sw, _ = self.shapes
        gx = gw = gb = None
        if self.needs(0):
            if transposed:
                gx = _crop(convolution(g, w, None, stride, padding, dilation, False, (0,) * len(stride), groups), sx)
            else:
                gx = convolution(g, w, None, stride, padding, dilation, True,
                                 _fill(sx[2:], g.shape[2:], sw[2:], stride, padding, dilation), groups)
        if self.needs(1):
            cols = keep.pop("cols", None) if keep else None  # (the forward's columns, used once)
            gw = (_weight_grad(g, x, sw, stride, padding, dilation, groups) if transposed
                  else _weight_grad(x, g, sw, stride, padding, dilation, groups, cols))
        if self.needs(2):
            gb = g.sum((0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


def _fill(size, out, kernel, stride, padding, dilation):
    """The output_padding that makes a transposed convolution of ``out`` come back to ``size``."""
    return tuple(n + 2 * p - d * (k - 1) - 1 - (o - 1) * s
                 for n, o, k, s, p, d in zip(size, out, kernel, stride, padding, dilation))


def _crop(t: Tensor, shape) -> Tensor:
    """``t`` cut down to ``shape`` (its leading part along each dim)."""
    for d, n in enumerate(shape):
        if t.shape[d] != n:
            t = t.narrow(d, 0, n)
    return t


class ConvolutionBackwardWeight(Op):
    """the weight gradient of a convolution, gw = W(x, g), bilinear: d/dx = conv_transpose(g, gg),
    d/dg = conv(x, gg)"""

    save_when = ((1,), (0,))

    @staticmethod
    def forward(x, g, kernel, stride, padding, dilation, groups, cols):
        return _conv_weight(x, g, kernel, stride, padding, dilation, groups, cols)

    def backward(self, gg):
        x, g = self.saved
        kernel, stride, padding, dilation, groups, _ = self._params
        sx, sg = self.shapes
        nd = len(kernel)
        gx = gg_ = None
        if self.needs(0):
            gx = convolution(g, gg, None, stride, padding, dilation, True,
                             _fill(sx[2:], sg[2:], kernel, stride, padding, dilation), groups)
        if self.needs(1):
            gg_ = _crop(convolution(x, gg, None, stride, padding, dilation, False, (0,) * nd, groups), sg)
        return gx, gg_


def _weight_grad(x, g, wshape, stride, padding, dilation, groups, cols=None):
    """d/dw of conv(x, w): gw[o, c, k] = sum over n, i of x_padded[n, c, i*stride + k*dilation] g[n, o, i]."""
    gw = nary(ConvolutionBackwardWeight, (x, g), tuple(wshape[2:]), stride, padding, dilation, groups, cols)
    if cols is not None and gw.grad_fn is not None:
        gw.grad_fn._params = gw.grad_fn._params[:-1] + (None,)  # (a recorded node keeps no columns alive)
    return gw


# ---- argument checks and the public functions --------------------------------------------------
def _tuple(v, nd, name):
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(v)}")
    return v


def _dtype_name(a):
    return {"float64": "double", "float32": "float", "float16": "Half", "int64": "long"}.get(a.dtype.name, a.dtype.name)


def _scalar_name(a):
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int"}.get(
        a.dtype.name, a.dtype.name)


def _check(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    xs, ws = x._data.shape, w._data.shape
    nd = len(ws) - 2
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(ws)}] instead")
    cin = ws[0] if transposed else ws[1] * groups
    if xs[1] != cin:
        head = f"Given transposed=1, weight of size {list(ws)}" if transposed else \
            f"Given groups={groups}, weight of size {list(ws)}"
        raise RuntimeError(f"{head}, expected input{list(xs)} to have {cin} channels, but got {xs[1]} channels "
                           "instead")
    if b is not None:
        cout = ws[1] * groups if transposed else ws[0]
        if b._data.shape != (cout,):
            raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {cout} "
                               f"elements, but got bias of size {list(b._data.shape)} instead")
        if b._data.dtype != x._data.dtype:
            raise RuntimeError(f"Input type ({_dtype_name(x._data)}) and bias type ({_dtype_name(b._data)}) should "
                               "be the same")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(x._data)} but found {_scalar_name(w._data)}")
    if x._data.dtype.kind == "b":
        raise RuntimeError("\"slow_conv2d_cpu\" not implemented for 'Bool'")
    size = xs[2:]
    if transposed:
        for name, op in (("output_padding", output_padding),):
            if any(o >= s and o >= d for o, s, d in zip(op, stride, dilation)):
                dims = ("height", "width") if nd == 2 else (("width",) if nd == 1 else ("depth", "height", "width"))
                raise RuntimeError(
                    "output padding must be smaller than either stride or dilation, but got "
                    + " ".join(f"{name}_{d}: {v}" for d, v in zip(dims, op)) + " "
                    + " ".join(f"stride_{d}: {v}" for d, v in zip(dims, stride)) + " "
                    + " ".join(f"dilation_{d}: {v}" for d, v in zip(dims, dilation)))
        out = [(n - 1) * s - 2 * p + d * (k - 1) + 1 + op
               for n, s, p, d, k, op in zip(size, stride, padding, dilation, ws[2:], output_padding)]
        if any(o <= 0 for o in out):
            raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). Calculated output "
                               f"size per channel: ({' x '.join(map(str, out))}). Output size is too small")
    else:
        padded = [n + 2 * p for n, p in zip(size, padding)]
        eff = [d * (k - 1) + 1 for d, k in zip(dilation, ws[2:])]
        if any(e > m for e, m in zip(eff, padded)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                               f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual "
                               "input size")


@register("convolution", method=False, samples=[
    (T(1, 2, 5, 5), T(3, 2, 3, 3), T(3), [1, 1], [1, 1], [1, 1], False, [0, 0], 1),
    (T(1, 2, 4, 4), T(2, 3, 3, 3), None, [2, 2], [1, 1], [1, 1], True, [1, 1], 1)])
def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, transposed: bool,
                output_padding, groups: int) -> Tensor:
    """torch.convolution: every convolution's one primitive (no argument checks; see conv2d).

    >>> import torchless as torch
    >>> torch.convolution(torch.ones(1, 1, 3), torch.ones(1, 1, 2), None, (1,), (0,), (1,), False, (0,), 1)
    tensor([[[2., 2.]]])
    """
    nd = weight.ndim - 2
    return nary(ConvolutionBackward0, (input, weight, bias), _tuple(stride, nd, "stride"),
                _tuple(padding, nd, "padding"), _tuple(dilation, nd, "dilation"), bool(transposed),
                _tuple(output_padding, nd, "output_padding"), int(groups), None)


def _batched(input, nd, name):
    n = input.ndim
    if n not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(input.shape)}")
    return input.unsqueeze(0) if n == nd + 1 else input, n == nd + 1


def _conv_nd(nd, name, input, weight, bias, stride, padding, dilation, groups):
    input, unbatched = _batched(input, nd, name)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions; expected {nd + 2}-D weight for {name}, "
                           f"got {weight.ndim}-D weight of size {list(weight.shape)}")
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    kernel = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            padding = tuple(t // 2 for t in total)
            if any(t % 2 for t in total):  # odd total: the extra zero goes after, as torch puts it
                from .spatial import pad

                extra = []
                for t in reversed(total):
                    extra += [0, t % 2]
                input = pad(input, extra)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, nd, "padding")
    zeros = (0,) * nd
    _check(input, weight, bias, stride, padding, dilation, False, zeros, groups)
    # the weight gradient reuses the forward's columns (one im2col copy fewer per step)
    keep = {} if weight.requires_grad and _grad_enabled.get() else None
    out = nary(ConvolutionBackward0, (input, weight, bias), stride, padding, dilation, False, zeros, int(groups),
               keep)
    return out.squeeze(0) if unbatched else out


def _conv_transpose_nd(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    input, unbatched = _batched(input, nd, name)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions; expected {nd + 2}-D weight for {name}, "
                           f"got {weight.ndim}-D weight of size {list(weight.shape)}")
    args = (_tuple(stride, nd, "stride"), _tuple(padding, nd, "padding"), _tuple(dilation, nd, "dilation"), True,
            _tuple(output_padding, nd, "output_padding"), int(groups))
    _check(input, weight, bias, *args)
    out = nary(ConvolutionBackward0, (input, weight, bias), *args, None)
    return out.squeeze(0) if unbatched else out


@register("nn.functional.conv1d")
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-d convolution of ``input`` (N, C, L) or (C, L) by ``weight`` (O, C/groups, k).

    >>> import torchless as torch
    >>> torch.nn.functional.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 3), padding=1)
    tensor([[[2., 3., 3., 2.]]])
    """
    return _conv_nd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


@register("nn.functional.conv2d")
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-d convolution of ``input`` (N, C, H, W) or (C, H, W) by ``weight`` (O, C/groups, kh, kw);
    ``padding`` a number, a pair, "valid" or "same"."""
    return _conv_nd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


@register("nn.functional.conv3d")
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-d convolution of ``input`` (N, C, D, H, W) or (C, D, H, W) by ``weight`` (O, C/groups, kd, kh, kw)."""
    return _conv_nd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


@register("nn.functional.conv_transpose1d")
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-d convolution ("deconvolution") of ``input`` (N, C, L) by ``weight`` (C, O/groups, k).

    >>> import torchless as torch
    >>> torch.nn.functional.conv_transpose1d(torch.ones(1, 1, 2), torch.ones(1, 1, 2))
    tensor([[[1., 2., 1.]]])
    """
    return _conv_transpose_nd(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


@register("nn.functional.conv_transpose2d")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-d convolution of ``input`` (N, C, H, W) by ``weight`` (C, O/groups, kh, kw)."""
    return _conv_transpose_nd(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


@register("nn.functional.conv_transpose3d")
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-d convolution of ``input`` (N, C, D, H, W) by ``weight`` (C, O/groups, kd, kh, kw)."""
    return _conv_transpose_nd(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


for _f in (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d):
    register(_f.__name__, method=False)(_f)
