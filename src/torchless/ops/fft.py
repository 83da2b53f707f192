"""torch.fft: discrete Fourier transforms and their gradients, over numpy.fft.

Three primitive ops, as in torch: complex-to-complex (``FftC2CBackward0``), real-to-complex
(``FftR2CBackward0``, the one-sided spectrum for rfft) and complex-to-real (``FftC2RBackward0``,
from a one-sided spectrum). Every public function resizes its input (zero padding or a slice,
both recorded ops) and then applies one of them, sometimes with a conjugate:

- ifft of a real input is ``conj(fft(x))`` with the norm swapped, ihfft ``conj(rfft(x))``;
- hfft is ``irfft(conj(x))`` with the norm swapped.

A DFT is linear: its gradient is its adjoint (the conjugate transpose, torch's convention for
complex gradients), the transform the other way round with the norm swapped ("backward" scales
the inverse by 1/n; its adjoint scales the forward by 1/n, which is norm "forward").
The one-sided transforms' adjoints: rfft's pads the gradient with zeros to the full spectrum;
irfft's is an rfft of the gradient whose interior bins are doubled (each stands for a bin and
its mirror image).
"""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, _wrap, _wrap_dim
from ..backend import np
from ._core import Op, register, unary
from ._samples import C, T

_NORMS = ("backward", "ortho", "forward")
_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


# ---- the three primitives ----------------------------------------------------------------------
class FftC2CBackward0(Op):
    """complex -> complex: the adjoint is the transform the other way, norm swapped"""

    saves_operands = False

    @staticmethod
    def forward(x, dims, norm, forward):
        fn = np.fft.fftn if forward else np.fft.ifftn
        return fn(x, axes=dims, norm=norm).astype(x.dtype, copy=False)

    def backward(self, g):
        dims, norm, forward = self._params
        return (_c2c(g, dims, _SWAP[norm], not forward),)


class FftR2CBackward0(Op):
    """real -> complex (the one-sided half when ``onesided``): the adjoint of the full transform,
    of the gradient padded with zeros to the full spectrum, real part"""

    saves_operands = False

    @staticmethod
    def forward(x, dims, norm, onesided):
        out = np.fft.rfftn(x, axes=dims, norm=norm) if onesided else np.fft.fftn(x, axes=dims, norm=norm)
        return out.astype(_dtype.complex_of(x.dtype), copy=False)

    def backward(self, g):
        dims, norm, onesided = self._params
        if onesided:
            last = dims[-1]
            g = _resize(g, last, self.shapes[0][last])
        return (_c2c(g, dims, _SWAP[norm], False).real,)


class FftC2RBackward0(Op):
    """one-sided complex -> real of ``n`` points along the last dim: the gradient's rfft with the
    interior bins doubled"""

    saves_operands = False

    @staticmethod
    def forward(x, dims, norm, n):
        s = [x.shape[d] for d in dims[:-1]] + [n]
        out = np.fft.irfftn(x, s=s, axes=dims, norm=norm)
        return out.astype(x.real.dtype, copy=False)

    def backward(self, g):
        dims, norm, n = self._params
        gi = _r2c(g, dims, _SWAP[norm], True)
        last = dims[-1]
        half = gi._data.shape[last]
        doubled = n - half  # the bins 1 .. n - half stand for two bins of the full spectrum
        if doubled > 0:
            w = np.ones(half, dtype=g._data.dtype)
            w[1:1 + doubled] = 2
            shape = [1] * gi._data.ndim
            shape[last] = half
            gi = gi * _wrap(w.reshape(shape), None)
        return (gi,)


def _c2c(x, dims, norm, forward):
    return unary(FftC2CBackward0, x, dims, norm, forward)


def _r2c(x, dims, norm, onesided):
    return unary(FftR2CBackward0, x, dims, norm, onesided)


def _c2r(x, dims, norm, n):
    return unary(FftC2RBackward0, x, dims, norm, n)


# ---- arguments ---------------------------------------------------------------------------------
def _resize(x: Tensor, dim: int, n: int) -> Tensor:
    """``x`` cut or zero-padded to ``n`` along ``dim`` (recorded ops: a slice, a pad)."""
    size = x._data.shape[dim]
    if n == size:
        return x
    if n < size:
        return x.narrow(dim, 0, n)
    from .nn.spatial import constant_pad_nd

    pads = [0, 0] * (x._data.ndim - 1 - dim) + [0, n - size]
    return constant_pad_nd(x, pads)


def _dims_and_sizes(x: Tensor, s, dim, name: str):
    """The dims to transform (non-negative, in order given) and the signal size along each."""
    ndim = x._data.ndim
    if dim is None:
        dims = list(range(ndim - len(s), ndim)) if s is not None else list(range(ndim))
    else:
        dims = [_wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{name} dims must be unique")
    if s is not None:
        s = [s] if isinstance(s, int) else list(s)
        if dim is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        sizes = [x._data.shape[d] if n == -1 else n for d, n in zip(dims, s)]
    else:
        sizes = [x._data.shape[d] for d in dims]
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return dims, sizes


def _float_input(x: Tensor, name: str, real_only=False) -> Tensor:
    """Integers and bools are transformed in the default float dtype."""
    kind = x._data.dtype.kind
    if kind == "c" and real_only:
        raise RuntimeError(f"{name} expects a real input tensor, but got {_KIND[x._data.dtype.name]}")
    if kind in "biu":
        return x.to(_dtype.DEFAULT.float)
    if x._data.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    return x


def _complex_input(x: Tensor) -> Tensor:
    x = _float_input(x, "")
    return x if x._data.dtype.kind == "c" else x.to(FROM_REAL[x._data.dtype])


_KIND = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}
FROM_REAL = {np.dtype(np.float32): _dtype.complex64, np.dtype(np.float64): _dtype.complex128}


def _resize_all(x, dims, sizes):
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    return x


# ---- the transforms ----------------------------------------------------------------------------
def _fftn(x, s, dim, norm, forward, name):
    x = _float_input(x, name)
    dims, sizes = _dims_and_sizes(x, s, dim, name)
    norm = _norm(norm)
    x = _resize_all(x, dims, sizes)
    if x._data.dtype.kind != "c" and len(dims) == 1:  # a real signal: the two-sided real transform
        if forward:
            return _r2c(x, tuple(dims), norm, False)
        return _r2c(x, tuple(dims), _SWAP[norm], False).conj()
    return _c2c(_complex_input(x), tuple(dims), norm, forward)


def _rfftn(x, s, dim, norm, name):
    x = _float_input(x, name, real_only=True)
    dims, sizes = _dims_and_sizes(x, s, dim, name)
    return _r2c(_resize_all(x, dims, sizes), tuple(dims), _norm(norm), True)


def _irfftn(x, s, dim, norm, name, default_last=None):
    x = _float_input(x, name)
    dims, sizes = _dims_and_sizes(x, s, dim, name)
    if s is None or (isinstance(s, (list, tuple)) and s[-1] == -1):
        sizes[-1] = 2 * (x._data.shape[dims[-1]] - 1) if default_last is None else default_last
    if sizes[-1] < 1:
        raise RuntimeError(f"Invalid number of data points ({sizes[-1]}) specified")
    x = _complex_input(x)
    x = _resize_all(x, dims[:-1], sizes[:-1])
    x = _resize(x, dims[-1], sizes[-1] // 2 + 1)
    return _c2r(x, tuple(dims), _norm(norm), sizes[-1])


_FFT_SAMPLES = [(T(8),), (T(3, 6), 4), (T(3, 5), 8, 0, {"norm": "ortho"}), (T(6), None, -1, "forward")]
_FFT2_SAMPLES = [(T(4, 6),), (T(2, 4, 6), (3, 4)), (T(4, 6), None, (0, 1), "ortho")]


@register("fft.fft", samples=_FFT_SAMPLES, gradcheck=False)
def fft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The one-dimensional discrete Fourier transform along ``dim`` (``n`` points).

    >>> import torchless as torch
    >>> torch.fft.fft(torch.tensor([1., 0., 0., 0.]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])
    """
    return _fftn(input, None if n is None else (n,), (dim,), norm, True, "fft")


@register("fft.ifft", samples=_FFT_SAMPLES, gradcheck=False)
def ifft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The one-dimensional inverse discrete Fourier transform."""
    return _fftn(input, None if n is None else (n,), (dim,), norm, False, "ifft")


@register("fft.fft2", samples=_FFT2_SAMPLES, gradcheck=False)
def fft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The two-dimensional discrete Fourier transform."""
    return _fftn(input, s, dim, norm, True, "fftn")


@register("fft.ifft2", samples=_FFT2_SAMPLES, gradcheck=False)
def ifft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The two-dimensional inverse discrete Fourier transform."""
    return _fftn(input, s, dim, norm, False, "ifftn")


@register("fft.fftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)], gradcheck=False)
def fftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-dimensional discrete Fourier transform (all dims by default)."""
    return _fftn(input, s, dim, norm, True, "fftn")


@register("fft.ifftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)], gradcheck=False)
def ifftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-dimensional inverse discrete Fourier transform."""
    return _fftn(input, s, dim, norm, False, "ifftn")


@register("fft.rfft", samples=_FFT_SAMPLES, gradcheck=False)
def rfft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The transform of a real signal: the ``n // 2 + 1`` non-negative frequencies.

    >>> import torchless as torch
    >>> torch.fft.rfft(torch.tensor([1., 2., 3., 4.]))
    tensor([10.+0.j, -2.+2.j, -2.+0.j])
    """
    return _rfftn(input, None if n is None else (n,), (dim,), norm, "rfft")


@register("fft.rfft2", samples=_FFT2_SAMPLES, gradcheck=False)
def rfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The two-dimensional transform of a real signal (one-sided along the last dim)."""
    return _rfftn(input, s, dim, norm, "rfftn")


@register("fft.rfftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)], gradcheck=False)
def rfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-dimensional transform of a real signal (one-sided along the last dim)."""
    return _rfftn(input, s, dim, norm, "rfftn")


@register("fft.irfft", samples=_FFT_SAMPLES)
def irfft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The inverse of rfft: ``n`` real points (``2 * (m - 1)`` by default) from a one-sided spectrum."""
    return _irfftn(input, None if n is None else (n,), (dim,), norm, "irfft")


@register("fft.irfft2", samples=_FFT2_SAMPLES)
def irfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The inverse of rfft2."""
    return _irfftn(input, s, dim, norm, "irfftn")


@register("fft.irfftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)])
def irfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The inverse of rfftn."""
    return _irfftn(input, s, dim, norm, "irfftn")


@register("fft.hfft", samples=_FFT_SAMPLES)
def hfft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The transform of a Hermitian-symmetric signal given by its one-sided half: ``n`` real points."""
    return _irfftn(_float_input(input, "hfft").conj(), None if n is None else (n,), (dim,),
                   _SWAP[_norm(norm)], "hfft")


@register("fft.hfft2", samples=_FFT2_SAMPLES)
def hfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The two-dimensional hfft."""
    return _irfftn(_float_input(input, "hfftn").conj(), s, dim, _SWAP[_norm(norm)], "hfftn")


@register("fft.hfftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)])
def hfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-dimensional hfft."""
    return _irfftn(_float_input(input, "hfftn").conj(), s, dim, _SWAP[_norm(norm)], "hfftn")


@register("fft.ihfft", samples=_FFT_SAMPLES, gradcheck=False)
def ihfft(input: Tensor, n=None, dim=-1, norm=None) -> Tensor:
    """The inverse of hfft: the one-sided half of the inverse transform of a real signal."""
    return _rfftn(input, None if n is None else (n,), (dim,), _SWAP[_norm(norm)], "ihfft").conj()


@register("fft.ihfft2", samples=_FFT2_SAMPLES, gradcheck=False)
def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The inverse of hfft2."""
    return _ihfftn(input, s, dim, norm)


def _ihfftn(x, s, dim, norm):
    """conj(rfftn) as torch computes it: the one-sided transform of the last dim, conjugated, then
    the inverse transform of the others (each with its share of the scaling)."""
    x = _float_input(x, "ihfftn", real_only=True)
    dims, sizes = _dims_and_sizes(x, s, dim, "ihfftn")
    norm = _norm(norm)
    y = _r2c(_resize_all(x, dims, sizes), (dims[-1],), _SWAP[norm], True).conj_physical()
    return _c2c(y, tuple(dims[:-1]), norm, False) if len(dims) > 1 else y


@register("fft.ihfftn", samples=_FFT2_SAMPLES + [(T(2, 3, 4),)], gradcheck=False)
def ihfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The inverse of hfftn."""
    return _ihfftn(input, s, dim, norm)


# ---- frequencies and shifts --------------------------------------------------------------------
def _freq_tensor(values, dtype, requires_grad):
    from .._creation import _finish

    d = _dtype.DEFAULT.float.np if dtype is None else dtype.np
    return _finish(np.asarray(values).astype(d), requires_grad)


@register("fft.fftfreq", method=False, samples=[(5,), (4, 0.5)], differentiable=False)
def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The sample frequencies of an ``n``-point fft with sample spacing ``d``.

    >>> import torchless as torch
    >>> torch.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    """
    return _freq_tensor(np.fft.fftfreq(n, d), dtype, requires_grad)


@register("fft.rfftfreq", method=False, samples=[(5,), (4, 0.5)], differentiable=False)
def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """The sample frequencies of an ``n``-point rfft with sample spacing ``d``."""
    return _freq_tensor(np.fft.rfftfreq(n, d), dtype, requires_grad)


def _shift(input, dim, sign):
    ndim = input._data.ndim
    dims = tuple(range(ndim)) if dim is None else tuple(
        _wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    shifts = tuple(sign * (input._data.shape[d] // 2) for d in dims)
    return input.roll(shifts, dims)


@register("fft.fftshift", method=False, samples=[(T(5),), (T(4, 6), 1), (T(3, 4), (0, 1))])
def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero frequency to the centre (a roll by half of each dim)."""
    return _shift(input, dim, 1)


@register("fft.ifftshift", method=False, samples=[(T(5),), (T(4, 6), 1), (T(3, 4), (0, 1))])
def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of fftshift."""
    return _shift(input, dim, -1)


# ---- short-time Fourier transform ---------------------------------------------------------------
@register(samples=[(T(40), 8, {"return_complex": True}), (T(2, 30), 8, 2, {"center": False, "return_complex": True})],
          gradcheck=False)
def stft(input: Tensor, n_fft: int, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None) -> Tensor:
    """The Fourier transforms of windowed frames of a 1-d signal (or a batch of them):
    shape ``(batch?, freqs, frames)``, frames of ``n_fft`` samples every ``hop_length``."""
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if input._data.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input._data.ndim}D tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    x = input if input._data.ndim == 2 else input.unsqueeze(0)
    if center:
        from .nn.spatial import pad

        half = n_fft // 2
        x = pad(x.unsqueeze(0), (half, half), mode=pad_mode).squeeze(0)
    length = x._data.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    starts = np.arange(1 + (length - n_fft) // hop) * hop
    frames = x[..., _wrap(starts[:, None] + np.arange(n_fft)[None, :], None)]
    if window is None:
        window = _wrap(np.ones(win, dtype=x._data.real.dtype), None)
    if window._data.shape != (win,):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win}, but got window "
                           f"with size {list(window._data.shape)}")
    if win < n_fft:
        left = (n_fft - win) // 2
        from .nn.spatial import constant_pad_nd

        window = constant_pad_nd(window, (left, n_fft - win - left))
    frames = frames * window
    norm = "ortho" if normalized else "backward"
    one = (not complex_in) if onesided is None else onesided
    out = rfft(frames, dim=-1, norm=norm) if one else fft(frames, dim=-1, norm=norm)
    out = out.transpose(-1, -2)
    if input._data.ndim == 1:
        out = out.squeeze(0)
    return out if return_complex else _view_as_real(out)


@register(samples=[(C(5, 9), 8, 2, {"window": T(8, lo=0.5, hi=1.0)}), (C(2, 4, 7), 6, 3),
                   (C(8, 9), 8, 2, {"onesided": False, "return_complex": True, "length": 12})], gradcheck=False)
def istft(input: Tensor, n_fft: int, hop_length=None, win_length=None, window=None, center: bool = True,
          normalized: bool = False, onesided=None, length=None, return_complex: bool = False) -> Tensor:
    """The inverse of ``stft``: each frame's inverse transform, windowed and added where the frames
    overlap, divided by the overlapping squared window (the least-squares inverse).
    ``input``: complex, ``(batch?, freqs, frames)`` as stft returns it."""
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    fail = _istft_error(input, n_fft, hop, win, window, center, normalized, onesided, length, return_complex)
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    dims = input._data.ndim
    if input._data.size == 0:
        raise fail("input tensor cannot be empty.")
    if dims not in (2, 3):
        raise fail(f"expected a tensor with 3 or 4 dimensions, but got {dims + 1}")
    n_frames, fft_size = input._data.shape[-1], input._data.shape[-2]
    one = fft_size != n_fft if onesided is None else onesided
    if one and n_fft // 2 + 1 != fft_size:
        raise fail("expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 + 1 "
                   f"when onesided=True, but got {fft_size}")
    if not one and n_fft != fft_size:
        raise fail("expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
                   f"onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise fail("expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise fail("expected 0 < win_length <= n_fft")
    if window is not None and window._data.shape != (win,):
        raise fail("Invalid window shape. window has to be 1D and length of `win_length`")
    if window is None:
        import warnings

        warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same "
                      "window used by stft to make the inversion lossless.To suppress this warning and use a "
                      "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.",
                      UserWarning, stacklevel=2)
        window = _wrap(np.ones(win, dtype=input._data.real.dtype), None)
    if win != n_fft:
        from .nn.spatial import constant_pad_nd

        left = (n_fft - win) // 2
        window = constant_pad_nd(window, (left, n_fft - win - left))
    x = (input if dims == 3 else input.unsqueeze(0)).transpose(1, 2)  # (batch, frames, freqs)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if one:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = ifft(x, dim=-1, norm=norm)
    else:
        if window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not one:
            x = x[..., : n_fft // 2 + 1]
        frames = irfft(x, n=n_fft, dim=-1, norm=norm)
    total = n_fft + hop * (n_frames - 1)
    y = _overlap_add(frames * window, total, hop)
    envelope = _overlap_add(window.pow(2).expand(1, n_frames, n_fft), total, hop)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    y, envelope = y[:, start:end], envelope[:, start:end]
    if envelope._data.size and (np.abs(envelope._data) < 1e-11).any():
        raise fail("window overlap add min: 1\n[ CPUBoolType{} ]", sep="")
    y = y / envelope
    if dims == 2:
        y = y.squeeze(0)
    if end > total:
        import warnings

        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        from .nn.spatial import constant_pad_nd

        y = constant_pad_nd(y, (0, end - total))
    return y


def _overlap_add(frames: Tensor, total: int, hop: int) -> Tensor:
    """Frames ``(batch, n, size)`` added into signals ``(batch, total)``, frame f from f * hop on."""
    from .scatter import index_add

    batch, n, size = frames._data.shape
    where = (np.arange(n)[:, None] * hop + np.arange(size)[None, :]).reshape(-1)
    return index_add(frames.new_zeros((batch, total)), 1, _wrap(where, None), frames.reshape(batch, n * size))


_CPU_TYPES = {"float32": "Float", "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
              "float16": "Half"}


def _istft_error(input, n_fft, hop, win, window, center, normalized, onesided, length, return_complex):
    """torch's errors for istft start with the call, written out."""

    def name(t):
        return _CPU_TYPES.get(t._data.dtype.name, t._data.dtype.name)

    w = "None" if window is None else f"torch.{name(window)}Tensor{{{list(window._data.shape)}}}"
    one = "None" if onesided is None else int(onesided)
    call = (f"istft(CPU{name(input)}Type{list(input._data.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={w}, center={int(center)}, normalized={int(normalized)}, onesided={one}, "
            f"length={length}, return_complex={int(return_complex)})")

    def fail(message: str, sep: str = " : ") -> RuntimeError:
        return RuntimeError(call + (" " if sep == "" else sep) + message)

    return fail


def _view_as_real(t):
    from .complex import view_as_real

    return view_as_real(t)
