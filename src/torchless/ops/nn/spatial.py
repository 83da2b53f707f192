"""Spatial resampling: pad, interpolate, grid_sample, affine_grid, unfold/fold, pixel and channel shuffle.

Most of these are linear maps that act on each spatial dim on its own: padding (reflect,
replicate, circular) and nearest interpolation pick input positions along each dim;
linear, bicubic and area interpolation, and average pooling (pool.py), weigh them with a
small matrix per dim. One op, ``Resample``, applies such per-dim maps; its derivative is the
same op with every map transposed, so every order of derivative comes for free.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...backend import np
from .._core import Op, nary, register, unary
from .._samples import T
from .conv import col2im, pad_array, windows


# ---- Resample: fixed linear maps along spatial dims ----------------------------------------------
def _along(x, axis, kind, m):
    """Map ``x`` along ``axis``: ``take`` picks positions ``m``, ``mat`` multiplies by the matrix ``m``;
    ``win`` too, but each output sees only the inputs its row weighs (pooling windows: a nan or inf
    stays in its own windows, where a matmul would spread it through the zero weights)."""
    if kind == "take":
        return np.take(x, m, axis=axis)
    m = m.astype(x.dtype, copy=False)
    if kind == "win" and not np.isfinite(x).all():
        xs = np.moveaxis(x, axis, -1)[..., None, :]
        out = np.zeros(xs.shape[:-2] + m.shape, dtype=np.result_type(x, m))
        return np.moveaxis(np.multiply(xs, m, out=out, where=m != 0).sum(-1), -1, axis)
    if axis == x.ndim - 1:
        return np.matmul(x, m.T)
    return np.moveaxis(np.tensordot(m, x, axes=(1, axis)), 0, axis)


def _transposed(kind, m, n):
    """The adjoint of one map: a pick of positions ``m`` out of ``n`` is the matrix that adds them back."""
    if kind == "take":
        onehot = np.zeros((n, len(m)))
        onehot[m, np.arange(len(m))] = 1.0
        return "mat", onehot
    return kind, m.T


class Resample(Op):
    """per-dim linear maps (axis, kind, map, input size): d/dx = g mapped back by the transposed maps"""

    saves_operands = False

    @staticmethod
    def forward(x, maps):
        for axis, kind, m, _ in maps:
            x = _along(x, axis, kind, m)
        return np.ascontiguousarray(x)

    def backward(self, g):
        (maps,) = self._params
        back = []
        for axis, kind, m, n in reversed(maps):
            k, mt = _transposed(kind, m, n)
            back.append((axis, k, mt, mt.shape[1]))
        return (unary(Resample, g, tuple(back)),)


def resample(cls, x: Tensor, maps) -> Tensor:
    """``x`` through the maps ``(axis, kind, map)`` (see Resample), recorded as op ``cls``."""
    shape = x.shape
    return unary(cls, x, tuple((a, k, m, shape[a]) for a, k, m in maps))


def _named(name):
    return type(name, (Resample,), {"__slots__": (), "__doc__": Resample.__doc__})


# ---- pad ----------------------------------------------------------------------------------------
class ConstantPadNdBackward0(Op):
    """constant_pad_nd: d/dx = g with the padding cut off (negative pads: zeros put back)"""

    saves_operands = False

    @staticmethod
    def forward(x, pads, value):
        nd = len(pads)
        lead = x.ndim - nd
        crop = tuple(slice(max(-a, 0), x.shape[lead + i] - max(-b, 0)) for i, (a, b) in enumerate(pads))
        x = x[(Ellipsis,) + crop] if nd else x
        grow = ((0, 0),) * lead + tuple((max(a, 0), max(b, 0)) for a, b in pads)
        if not any(a or b for a, b in grow):
            return x.copy()
        return np.pad(x, grow, constant_values=value)

    def backward(self, g):
        (pads, _) = self._params
        return (unary(ConstantPadNdBackward0, g, tuple((-a, -b) for a, b in pads), 0),)


def _pairs(pad):
    """torch's flat pad list (last dim first) as (before, after) pairs, first padded dim first."""
    pad = [int(p) for p in pad]
    return tuple((pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2))


@register("constant_pad_nd", method=False)
def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``value`` (negative pads cut).

    >>> import torchless as torch
    >>> torch.constant_pad_nd(torch.ones(2), (1, 2))
    tensor([0., 1., 1., 0., 0.])
    """
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad)))
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. "
                           f"Pad length is {len(pad)} while the input has {input.ndim} dimensions.")
    pairs = _pairs(pad)
    lead = input.ndim - len(pairs)
    for i, (a, b) in enumerate(pairs):
        n = input.shape[lead + i]
        if n + a + b < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {a} and {b} resulted in a negative "
                               f"output size, which is invalid. Check dimension {lead + i} of your input.")
    return unary(ConstantPadNdBackward0, input, pairs, value)


def _pad_positions(mode, n, a, b):
    """The input positions (along one dim of size n) that pad (a, b) in ``mode`` reads."""
    if mode == "circular":
        lo, hi = max(-a, 0), n - max(-b, 0)
        m = hi - lo
        j = np.arange(-max(a, 0), m + max(b, 0))
        return lo + np.mod(j, m) if m else j[:0]
    j = np.arange(-a, n + b)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    return np.clip(j, 0, n - 1)


_PAD_OPS = {(mode, nd): _named(f"{name}{nd}DBackward0") for mode, name in
            (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad"), ("circular", "CircularPad"))
            for nd in (1, 2, 3)}


@register("nn.functional.pad")
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input``: ``pad`` lists (before, after) amounts from the last dim backwards;
    ``mode`` constant (with ``value``), reflect, replicate or circular.

    >>> import torchless as torch
    >>> torch.nn.functional.pad(torch.tensor([[1., 2., 3.]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    nd = len(pad) // 2
    if input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    pairs = _pairs(pad)
    shape = input.shape
    lead = input.ndim - nd
    if mode != "circular" and (any(s == 0 for s in shape[1:lead]) or any(s == 0 for s in shape[lead:])):
        names = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}[nd]
        raise RuntimeError(f"Expected {names} (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    maps = []
    for i, (a, b) in enumerate(pairs):
        n = shape[lead + i]
        if mode == "reflect" and (a >= n or b >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({a}, {b}) at dimension {lead + i} of input {list(shape)}")
        if mode == "circular" and (a > n or b > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + a + b <= 0 and mode != "circular":
            dim = "DHW"[3 - nd + i] if nd > 1 else "W"
            raise RuntimeError(f"input ({dim}: {n}) is too small. Calculated output {dim}: {n + a + b}")
        if a or b:
            maps.append((lead + i, "take", _pad_positions(mode, n, a, b)))
    return resample(_PAD_OPS[mode, nd], input, maps)


# ---- interpolate ----------------------------------------------------------------------------------
_UPSAMPLE_OPS = {key: _named(name) for key, name in (
    (("nearest", 1), "UpsampleNearest1DBackward0"), (("nearest", 2), "UpsampleNearest2DBackward0"),
    (("nearest", 3), "UpsampleNearest3DBackward0"), (("nearest-exact", 1), "UpsampleNearestExact1DBackward0"),
    (("nearest-exact", 2), "UpsampleNearestExact2DBackward0"),
    (("nearest-exact", 3), "UpsampleNearestExact3DBackward0"), (("linear", 1), "UpsampleLinear1DBackward0"),
    (("bilinear", 2), "UpsampleBilinear2DBackward0"), (("bicubic", 2), "UpsampleBicubic2DBackward0"),
    (("trilinear", 3), "UpsampleTrilinear3DBackward0"), (("bilinear-aa", 2), "UpsampleBilinear2DAaBackward0"),
    (("bicubic-aa", 2), "UpsampleBicubic2DAaBackward0"), (("lanczos-aa", 2), "UpsampleLanczos2DAaBackward0"))}


def _scale(n_in, n_out, align_corners, scale):
    """torch's input step per output step along one dim."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest_positions(n_in, n_out, scale, exact):
    if n_out == n_in:
        return np.arange(n_out)
    step = np.float32(1.0 / scale if scale is not None and scale > 0 else n_in / n_out)  # (float, as torch)
    j = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(j * step).astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, align_corners, scale):
    step = _scale(n_in, n_out, align_corners, scale)
    j = np.arange(n_out, dtype=np.float64)
    src = step * j if align_corners else np.maximum(step * (j + 0.5) - 0.5, 0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.clip(src - i0, 0, 1)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), 1 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m


def _cubic(x, a):
    """Keys' cubic convolution kernel at distances ``x``."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _cubic_matrix(n_in, n_out, align_corners, scale):
    step = _scale(n_in, n_out, align_corners, scale)
    j = np.arange(n_out, dtype=np.float64)
    src = step * j if align_corners else step * (j + 0.5) - 0.5
    i = np.floor(src)
    t = src - i
    m = np.zeros((n_out, n_in))
    for off in (-1, 0, 1, 2):
        np.add.at(m, (np.arange(n_out), np.clip(i.astype(np.int64) + off, 0, n_in - 1)), _cubic(t - off, -0.75))
    return m


def _lanczos(x):
    """The Lanczos (a = 3) window: sinc(x) sinc(x / 3) within |x| < 3."""
    return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)


def _antialias_matrix(n_in, n_out, align_corners, scale, kind):
    """Separable anti-aliasing weights (a triangle, Keys' a=-0.5 cubic or a Lanczos filter, widened
    when shrinking)."""
    step = _scale(n_in, n_out, align_corners, scale)
    half = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}[kind]
    support = half * step if step >= 1.0 else half
    inv = 1.0 / step if step >= 1.0 else 1.0
    m = np.zeros((n_out, n_in))
    for o in range(n_out):  # (the weights are built once per size; the data goes through a matmul)
        center = step * (o + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        x = (np.arange(lo, hi) - center + 0.5) * inv
        w = _cubic(x, -0.5) if kind == "bicubic" else (_lanczos(x) if kind == "lanczos" else
                                                        np.maximum(1 - np.abs(x), 0))
        total = w.sum()
        m[o, lo:hi] = w / total if total != 0 else w
    return m


_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3,
          "area": None, "lanczos": 2}


@register("nn.functional.interpolate")
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, *size) to ``size`` or by ``scale_factor``.

    >>> import torchless as torch
    >>> torch.nn.functional.interpolate(torch.tensor([[[1., 3.]]]), scale_factor=2, mode="linear")
    tensor([[[1.0000, 1.5000, 2.5000, 3.0000]]])
    """
    nd = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if mode == "lanczos" and not antialias:
        raise ValueError("Lanczos mode requires antialias=True")
    if mode == "lanczos" and align_corners:
        raise ValueError("Lanczos mode does not support align_corners=True")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if mode not in _MODES or nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = [int(size)] * nd if isinstance(size, int) else [int(s) for s in size]
        if len(sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {spatial} and output size of {tuple(size)}. Please provide "
                             "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        scales = [None] * nd
    elif scale_factor is not None:
        scales = [float(scale_factor)] * nd if isinstance(scale_factor, (int, float)) else \
            [float(s) for s in scale_factor]
        if len(scales) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {spatial} and scale_factor of shape {tuple(scale_factor)}. "
                             "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, "
                             "s2, ...,sK) format.")
        sizes = [math.floor(float(n) * s) for n, s in zip(spatial, scales)]
        if recompute_scale_factor:
            scales = [None] * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, sizes)
    need = _MODES[mode]
    if need is not None and need != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input")
    if any(s <= 0 for s in sizes) or any(n <= 0 for n in spatial):
        names = "DHW"[3 - nd:] if nd > 1 else "W"
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{c}: {n}" for c, n in zip(names, spatial)) + ") output ("
                           + ", ".join(f"{c}: {n}" for c, n in zip(names, sizes)) + ")")
    return _interpolate(input, sizes, scales, mode, align_corners, antialias)


def _interpolate(input, sizes, scales, mode, align_corners, antialias):
    nd = len(sizes)
    maps = []
    for i, (n_in, n_out, s) in enumerate(zip(input.shape[2:], sizes, scales)):
        if mode in ("nearest", "nearest-exact"):
            if n_in != n_out:
                maps.append((2 + i, "take", _nearest_positions(n_in, n_out, s, mode == "nearest-exact")))
        elif antialias:
            maps.append((2 + i, "mat", _antialias_matrix(n_in, n_out, align_corners, s, mode)))
        elif mode == "bicubic":
            maps.append((2 + i, "mat", _cubic_matrix(n_in, n_out, align_corners, s)))
        else:
            maps.append((2 + i, "mat", _linear_matrix(n_in, n_out, align_corners, s)))
    key = (mode + "-aa" if antialias else mode, nd)
    return resample(_UPSAMPLE_OPS[key], input, maps)


def _upsample_bilinear2d_aa(input: Tensor, output_size, align_corners: bool, scales_h=None, scales_w=None,
                            scale_factors=None) -> Tensor:
    """Anti-aliased bilinear resize of (N, C, H, W) to ``output_size`` (torch's internal op)."""
    scales = list(scale_factors) if scale_factors is not None else [scales_h, scales_w]
    if output_size is None:
        output_size = [math.floor(n * s) for n, s in zip(input.shape[2:], scales)]
    return _interpolate(input, [int(s) for s in output_size], scales, "bilinear", align_corners, True)


_upsample_bilinear2d_aa.default = _upsample_bilinear2d_aa
register("ops.aten._upsample_bilinear2d_aa", samples=[(T(1, 2, 6, 7), [3, 4], False)])(_upsample_bilinear2d_aa)


@register("nn.functional.upsample", samples=[(T(1, 2, 3, 4), None, 2), (T(1, 2, 3, 4), (5, 3), None, "bilinear")])
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The old name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


@register("nn.functional.upsample_nearest")
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(input, size, scale_factor, mode="nearest")``."""
    return interpolate(input, size, scale_factor, mode="nearest")


@register("nn.functional.upsample_bilinear")
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- unfold (im2col) and fold (col2im) ----------------------------------------------------------
class Im2ColBackward0(Op):
    """unfold: every window of (N, C, H, W) as a column of (N, C*kh*kw, L); d/dx = fold(g)"""

    saves_operands = False

    @staticmethod
    def forward(x, kernel, dilation, padding, stride):
        if x.ndim == 3:  # unbatched
            return Im2ColBackward0.forward(x[None], kernel, dilation, padding, stride)[0]
        win = windows(pad_array(x, [(p, p) for p in padding]), kernel, stride, dilation)  # (N, C, oh, ow, kh, kw)
        n, c = x.shape[:2]
        blocks = win.shape[2] * win.shape[3]
        return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kernel[0] * kernel[1], blocks)

    def backward(self, g):
        kernel, dilation, padding, stride = self._params
        return (unary(Col2ImBackward0, g, tuple(self.shapes[0][-2:]), kernel, dilation, padding, stride),)


class Col2ImBackward0(Op):
    """fold: the columns (N, C*kh*kw, L) added back into (N, C, H, W); d/dx = unfold(g)"""

    saves_operands = False

    @staticmethod
    def forward(x, size, kernel, dilation, padding, stride):
        if x.ndim == 2:  # unbatched
            return Col2ImBackward0.forward(x[None], size, kernel, dilation, padding, stride)[0]
        n, ck, _ = x.shape
        full = tuple(s + 2 * p for s, p in zip(size, padding))
        blocks = tuple((f - d * (k - 1) - 1) // st + 1 for f, d, k, st in zip(full, dilation, kernel, stride))
        cols = x.reshape((n, ck // math.prod(kernel)) + tuple(kernel) + blocks)
        out = col2im(cols, full, stride, dilation)
        return np.ascontiguousarray(out[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(padding, size))])

    def backward(self, g):
        _, kernel, dilation, padding, stride = self._params
        return (unary(Im2ColBackward0, g, kernel, dilation, padding, stride),)


def _pair(v):
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(a) for a in v)


def _blocks_error(size, kernel, dilation, padding, stride, blocks):
    return RuntimeError(f"Given input with spatial size {tuple(size)}, kernel_size={kernel}, dilation={dilation}, "
                        f"padding={padding}, calculated shape of the array of sliding blocks as {tuple(blocks)}, "
                        "but its components must be at least one.")


@register("nn.functional.unfold")
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Every ``kernel_size`` window of ``input`` (N, C, H, W) or (C, H, W), as columns (N, C*kh*kw, L) (im2col).

    >>> import torchless as torch
    >>> torch.nn.functional.unfold(torch.arange(4.).reshape(1, 1, 2, 2), 1).shape
    torch.Size([1, 1, 4])
    """
    if input.ndim not in (3, 4) or any(s == 0 for s in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    kernel, dilation, padding, stride = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    size = input.shape[-2:]
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in zip(size, padding, dilation, kernel, stride)]
    if any(b < 1 for b in blocks):
        raise _blocks_error(size, kernel, dilation, padding, stride, blocks)
    return unary(Im2ColBackward0, input, kernel, dilation, padding, stride)


@register("nn.functional.fold", samples=[(T(1, 8, 4), (3, 3), 2), (T(8, 6), (4, 3), (2, 2), 1, 1, 2)])
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns (N, C*kh*kw, L) or (C*kh*kw, L) added back into place in (N, C, *output_size) (col2im)."""
    if input.ndim not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    size, kernel = _pair(output_size), _pair(kernel_size)
    dilation, padding, stride = _pair(dilation), _pair(padding), _pair(stride)
    ck, n_blocks = input.shape[-2:]
    if ck % math.prod(kernel):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ck} and kernel_size={kernel}.")
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in zip(size, padding, dilation, kernel, stride)]
    if any(b < 1 for b in blocks):
        raise _blocks_error(size, kernel, dilation, padding, stride, blocks)
    if blocks[0] * blocks[1] != n_blocks:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                           f"stride={stride}, expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={n_blocks}.")
    return unary(Col2ImBackward0, input, size, kernel, dilation, padding, stride)


# ---- pixel and channel shuffle ----------------------------------------------------------------------
class PixelShuffleBackward0(Op):
    """pixel_shuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r); d/dx = pixel_unshuffle(g)"""

    saves_operands = False

    @staticmethod
    def forward(x, r):
        *lead, c, h, w = x.shape
        y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
        k = len(lead)
        y = y.transpose(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
        return np.ascontiguousarray(y).reshape(tuple(lead) + (c // (r * r), h * r, w * r))

    def backward(self, g):
        return (unary(PixelUnshuffleBackward0, g, self._params[0]),)


class PixelUnshuffleBackward0(Op):
    """pixel_unshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W); d/dx = pixel_shuffle(g)"""

    saves_operands = False

    @staticmethod
    def forward(x, r):
        *lead, c, h, w = x.shape
        k = len(lead)
        y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
        y = y.transpose(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
        return np.ascontiguousarray(y).reshape(tuple(lead) + (c * r * r, h // r, w // r))

    def backward(self, g):
        return (unary(PixelShuffleBackward0, g, self._params[0]),)


@register("nn.functional.pixel_shuffle")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r), r = ``upscale_factor``.

    >>> import torchless as torch
    >>> torch.nn.functional.pixel_shuffle(torch.arange(4.).reshape(4, 1, 1), 2)
    tensor([[[0., 1.],
             [2., 3.]]])
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return unary(PixelShuffleBackward0, input, r)


@register("nn.functional.pixel_unshuffle")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W), r = ``downscale_factor``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for name, i in (("height", -2), ("width", -1)):
        if input.shape[i] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({i})={input.shape[i]} is not divisible by {r}")
    return unary(PixelUnshuffleBackward0, input, r)


class ChannelShuffleBackward0(Op):
    """channel_shuffle: channels (g, C/g) -> (C/g, g); d/dx = channel_shuffle(g, C/g)"""

    saves_operands = False

    @staticmethod
    def forward(x, groups):
        n, c = x.shape[:2]
        y = x.reshape((n, groups, c // groups) + x.shape[2:]).swapaxes(1, 2)
        return np.ascontiguousarray(y).reshape(x.shape)

    def backward(self, g):
        return (unary(ChannelShuffleBackward0, g, g.shape[1] // self._params[0]),)


@register("nn.functional.channel_shuffle")
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of (N, C, *) from ``groups`` groups: (g, C/g) becomes (C/g, g)."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")
    return unary(ChannelShuffleBackward0, input, int(groups))


def _no_derivative(self, g):
    raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


# torch records an op it has no derivative for as a node named NotImplemented, which raises in backward
_NativeChannelShuffle = type("NotImplemented", (ChannelShuffleBackward0,),
                             {"__slots__": (), "backward": _no_derivative,
                              "__doc__": "native_channel_shuffle: no derivative (as in torch)"})


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """channel_shuffle without a derivative (torch's native_channel_shuffle)."""
    channel_shuffle(input.detach(), groups)  # (its argument checks)
    return unary(_NativeChannelShuffle, input, int(groups))


for _name, _f in (("pixel_shuffle", pixel_shuffle), ("pixel_unshuffle", pixel_unshuffle),
                  ("channel_shuffle", channel_shuffle)):
    register(_name, method=False)(_f)
register("native_channel_shuffle", method=False, differentiable=False, samples=[(T(2, 4, 3), 2)])(
    native_channel_shuffle)
register("nn.functional.native_channel_shuffle", differentiable=False, samples=[(T(2, 6, 2, 2), 3)])(
    native_channel_shuffle)


# ---- affine_grid and grid_sample ----------------------------------------------------------------------
def _base_coords(n, align_corners, dtype):
    """torch's normalized pixel centers along a dim of n pixels: -1..1 (or the pixel centers within)."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dtype)
    c = np.linspace(-1.0, 1.0, n)
    return (c if align_corners else c * (n - 1) / n).astype(dtype)


@register("nn.functional.affine_grid", samples=[(T(2, 2, 3), (2, 3, 4, 5)),
                                                   (T(1, 3, 4), (1, 1, 2, 3, 4), {"align_corners": True})])
def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta`` (N, 2, 3) (or (N, 3, 4)),
    for grid_sample: each output pixel's normalized (x, y[, z]) position in the input."""
    size = tuple(int(s) for s in size)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    return _affine_grid(theta, size, align_corners)


def _affine_grid(theta, size, align_corners):
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.ndim != 3 or theta.shape[-2:] != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size {size}. Got "
                         f"torch.Size({list(theta.shape)}).")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    dt = theta._data.dtype
    axes = [_base_coords(n, align_corners, dt) for n in reversed(size[2:])]  # x (width) first
    mesh = np.meshgrid(*axes, indexing="ij")  # each (W, H[, D])
    base = np.stack([m.transpose() for m in mesh] + [np.ones(size[2:], dtype=dt)], axis=-1)  # (D, H, W, nd+1)
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {nd + 1}] "
                           f"but got: [{theta.shape[0]}, {nd + 1}].")
    return unary(AffineGridGeneratorBackward0, theta, np.ascontiguousarray(base.reshape(-1, nd + 1)),
                 (size[0],) + size[2:] + (nd,))


class AffineGridGeneratorBackward0(Op):
    """affine_grid: grid = base @ theta^T per batch; d/dtheta = g^T @ base"""

    saves_operands = False

    @staticmethod
    def forward(theta, base, shape):
        return np.matmul(base, theta.transpose(0, 2, 1)).reshape(shape)

    def backward(self, g):
        from ..._creation import from_numpy

        base, _ = self._params
        n, nd = self.shapes[0][0], base.shape[1] - 1
        return (g.reshape(n, base.shape[0], nd).transpose(1, 2).matmul(from_numpy(base.astype(g._data.dtype))),)


@register("affine_grid_generator", method=False, samples=[(T(2, 2, 3), [2, 3, 4, 5], False)])
def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    """torch.affine_grid_generator: affine_grid of any dtype."""
    return _affine_grid(theta, tuple(int(s) for s in size), align_corners)


def _unnormalize(c, n, align_corners):
    return (c + 1) * ((n - 1) / 2) if align_corners else ((c + 1) * n - 1) / 2


def _reflect(c, low2, high2):
    """Coordinates reflected into [low2/2, high2/2] (in torchless ops: differentiable)."""
    if low2 == high2:
        return c * 0
    lo, span = low2 / 2, (high2 - low2) / 2
    c = (c - lo).abs()
    flips = (c / span).floor()
    extra = c - flips * span
    even = from_np(np.remainder(flips._data, 2) == 0)
    return (extra + lo).where(even, span - extra + lo)


def from_np(a):
    from ..._creation import from_numpy

    return from_numpy(np.ascontiguousarray(a))


def _pad_coord(c, n, padding_mode, align_corners):
    if padding_mode == "border":
        return c.clamp(0, n - 1)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        return c.clamp(0, n - 1)
    return c


def _bounded(i, n, padding_mode, align_corners):
    """Integer positions i brought inside [0, n) as bicubic sampling reads them (arrays)."""
    if padding_mode == "border":
        return np.clip(i, 0, n - 1)
    if padding_mode == "reflection":
        x = i.astype(np.float64)
        lo, hi = (0, 2 * (n - 1)) if align_corners else (-1, 2 * n - 1)
        if lo == hi:
            return np.zeros_like(i)
        half, span = lo / 2, (hi - lo) / 2
        x = np.abs(x - half)
        flips = np.floor(x / span)
        extra = x - flips * span
        x = np.where(np.remainder(flips, 2) == 0, extra + half, span - extra + half)
        return np.clip(x, 0, n - 1).astype(np.int64)
    return i


def _sample(input, positions, nd):
    """input (N, C, *size) read at integer positions (per dim, each (N, *out)); zero outside."""
    size = input.shape[2:]
    flat = np.zeros(positions[0].shape, dtype=np.int64)
    inside = np.ones(positions[0].shape, dtype=bool)
    for p, n in zip(positions, size):
        inside &= (p >= 0) & (p < n)
        flat = flat * n + np.clip(p, 0, n - 1)
    n_, c = input.shape[:2]
    from .pool import TakeFlat

    idx = np.broadcast_to(flat[:, None], (n_, c) + flat.shape[1:])
    return unary(TakeFlat, input, idx, nd, False), inside


def _cubic_weights(t):
    """Keys' a=-0.75 weights of the 4 neighbors at offsets -1, 0, 1, 2 (torchless ops of t)."""
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


_MODE_NAMES = ("bilinear", "nearest", "bicubic")
_PADDING_NAMES = ("zeros", "border", "reflection")


class GridSampler2DBackward0(Op):
    """grid_sampler: the rule re-runs the sampling as a composite of torchless ops (gathers and
    their weights) and takes its vector-Jacobian product, so it can be differentiated again"""

    @staticmethod
    def forward(x, grid, mode, padding_mode, align_corners):
        from ..._creation import from_numpy
        from ..._grad_mode import no_grad

        with no_grad():
            return _grid_composite(from_numpy(x), from_numpy(grid), mode, padding_mode, align_corners)._data

    def backward(self, g):
        from ..._grad_mode import _grad_enabled, enable_grad
        from ...autograd import grad

        x, grid = self.saved
        needs = (self.needs(0), self.needs(1))
        create = _grad_enabled.get()  # (grad mode is on in a rule exactly when create_graph asks for it)
        with enable_grad():
            if not create:
                x, grid = x.detach().requires_grad_(needs[0]), grid.detach().requires_grad_(needs[1])
            out = _grid_composite(x, grid, *self._params)
            wanted = [t for t, n in zip((x, grid), needs) if n]
            got = iter(grad(out, wanted, g, create_graph=create, allow_unused=True))
        result = []
        for t, n in zip((x, grid), needs):
            gt = next(got) if n else None
            result.append(t.detach() * 0 if n and gt is None else gt)
        return tuple(result)


class GridSampler3DBackward0(GridSampler2DBackward0):
    __slots__ = ()


def _grid_sampler(input, grid, mode, padding_mode, align_corners):
    _grid_checks(input, grid, mode)
    cls = GridSampler2DBackward0 if input.ndim == 4 else GridSampler3DBackward0
    return nary(cls, (input, grid), mode, padding_mode, align_corners)


def _grid_checks(input, grid, mode):
    nd = input.ndim - 2
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {list(grid.shape)}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")


def _grid_composite(input, grid, mode, padding_mode, align_corners):
    """grid sampling written in torchless ops (see GridSampler2DBackward0)."""
    nd = input.ndim - 2
    size = input.shape[2:]
    # grid's last dim lists x (width) first: coordinate d of the input's spatial dims is grid[..., nd-1-d]
    coords = [_unnormalize(grid.select(-1, nd - 1 - d), n, align_corners) for d, n in enumerate(size)]
    out = None
    if mode == "bicubic":
        base = [c.floor().detach() for c in coords]
        weights = [_cubic_weights(c - b) for c, b in zip(coords, base)]
        for offs in np.ndindex(*(4,) * nd):
            pos = [_bounded(b._data.astype(np.int64) + o - 1, n, padding_mode, align_corners)
                   for b, o, n in zip(base, offs, size)]
            v, inside = _sample(input, pos, nd)
            w = weights[0][offs[0]]
            for d in range(1, nd):
                w = w * weights[d][offs[d]]
            term = (w * from_np(inside.astype(w._data.dtype))).unsqueeze(1) * v
            out = term if out is None else out + term
        return out
    coords = [_pad_coord(c, n, padding_mode, align_corners) for c, n in zip(coords, size)]
    if mode == "nearest":
        v, inside = _sample(input, [np.rint(c._data).astype(np.int64) for c in coords], nd)
        zero = sum((c * 0).unsqueeze(1) for c in coords)  # (the grid gets a zero gradient, as torch's)
        return v * from_np(inside[:, None].astype(v._data.dtype)) + zero
    base = [c.floor().detach() for c in coords]
    fracs = [c - b for c, b in zip(coords, base)]
    for corner in np.ndindex(*(2,) * nd):
        pos = [b._data.astype(np.int64) + o for b, o in zip(base, corner)]
        v, inside = _sample(input, pos, nd)
        w = None
        for f, o in zip(fracs, corner):
            wd = f if o else 1 - f
            w = wd if w is None else w * wd
        term = (w * from_np(inside.astype(w._data.dtype))).unsqueeze(1) * v
        out = term if out is None else out + term
    return out


@register("nn.functional.grid_sample")
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the normalized positions ``grid`` (N, Ho, Wo, 2) ((x, y) in [-1, 1]),
    by bilinear, nearest or bicubic interpolation; also 3-d (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3)."""
    if mode not in _MODE_NAMES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _PADDING_NAMES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
    return _grid_sampler(input, grid, mode, padding_mode, bool(align_corners))


def _warn_align_corners():
    import warnings

    warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.", UserWarning, stacklevel=3)


@register("grid_sampler", method=False, samples=[(T(1, 2, 4, 5), T(1, 3, 2, 2, lo=-1.2, hi=1.2), 0, 0, False),
                                                  (T(1, 2, 4, 5), T(1, 3, 2, 2, lo=-1.2, hi=1.2), 2, 2, True)])
def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """torch.grid_sampler: grid_sample with the modes given as numbers (0 bilinear, 1 nearest, 2 bicubic;
    0 zeros, 1 border, 2 reflection)."""
    return _grid_sampler(input, grid, _MODE_NAMES[interpolation_mode], _PADDING_NAMES[padding_mode],
                         bool(align_corners))


@register("grid_sampler_2d", method=False)
def grid_sampler_2d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """torch.grid_sampler_2d (see grid_sampler)."""
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@register("grid_sampler_3d", method=False)
def grid_sampler_3d(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                    align_corners: bool) -> Tensor:
    """torch.grid_sampler_3d (see grid_sampler)."""
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler(): expected 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)
