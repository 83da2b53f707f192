"""torch.masked: reductions and normalisations that leave out masked-out elements.

Every op takes ``mask=`` (a tensor broadcastable to the input, read as bool; None: every element
is in) and works in two steps, as torch defines them: the masked-out elements are replaced by the
reduction's identity (0 for sum, 1 for prod, -inf for amax and the softmaxes, ...), then the plain
op runs. Both steps are existing torchless ops, so autograd comes free: ``where`` sends no
gradient to a masked-out element. A fully masked-out slice reduces to the identity (sum 0,
amax -inf, softmax nan, ...); mean, var, std and median have none, and give nan there.

``_input_mask`` and ``_output_mask`` are the helpers torch's tests call (through
``torch.masked``) to zero the outputs of fully masked-out slices before comparing.
"""

from __future__ import annotations

import builtins
import math

from .. import _creation
from .. import _dtype as dt
from .._tensor import Tensor
from ..backend import np
from . import activation, pointwise, reduction, scan, sorting
from ._core import register
from ._samples import B, T
from .elementwise import maximum, where
from .linalg.norms import vector_norm
from .shape import broadcast_to

# the reductions whose output mask is the input mask reduced by ``any`` over ``dim``; the
# normalisations keep the input mask as their output mask
_REDUCTIONS = frozenset(("sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "norm", "var",
                         "std", "logsumexp"))
_NORMALISATIONS = frozenset(("softmax", "log_softmax", "softmin", "normalize", "cumsum", "cumprod"))
_SMALL_INTS = frozenset(("uint8", "bool", "int8", "int16", "int32"))  # summed in int64 by default


# ---- masks, identities, dims ------------------------------------------------------------------
def _canonical_dim(dim, ndim: int) -> tuple:
    """``dim`` as a sorted tuple of non-negative dims (None and () mean every dim); a 0-d tensor
    accepts dim 0 and -1 as its one dim."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    ndim = builtins.max(ndim, 1)
    dims: list = []
    for d in (dim,) if isinstance(dim, int) else dim:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                             f"but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def _input_mask(input: Tensor, *args, **kwargs) -> Tensor:
    """The bool mask ``kwargs["mask"]`` broadcast to ``input``'s shape (a mask of more dims than
    the input is refused)."""
    mask = kwargs.get("mask")
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality higher than of "
                             "the input)")
        mask = broadcast_to(mask, input.shape)
    return mask.to(dtype=dt.bool)


def _any(mask: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    for d in reversed(dims):
        mask = mask.any(dim=d, keepdim=keepdim)
    return mask


def _output_mask(op, input: Tensor, *args, **kwargs) -> Tensor:
    """Which outputs of masked op ``op`` called as ``op(input, *args, **kwargs)`` see at least one
    masked-in element."""
    name = getattr(op, "__name__", None)
    if not callable(op):
        raise ValueError(  # noqa: TRY004 - torch's type
            f"_output_mask expected masked operation (got {type(op).__name__} object)")
    if name in _REDUCTIONS:
        if name == "norm" and args:
            args = args[1:]  # (past ord)
        dim = args[0] if args else kwargs.get("dim")
        mask = _input_mask(input, *args, **kwargs)
        return _any(mask, _canonical_dim(dim, input.ndim), bool(kwargs.get("keepdim", False)))
    if name in _NORMALISATIONS:
        return _input_mask(input, *args, **kwargs)
    raise ValueError(f"_output_mask expected masked operation (got callable {op.__module__}.{name})")


def _identity(name: str, input: Tensor, *args) -> Tensor:
    """The value that leaves reduction ``name`` unchanged, as a 0-d tensor of the input's dtype."""
    dtype = input.dtype
    kind = dtype.np.kind
    value = None
    if name in ("sum", "cumsum"):
        value = 0
    elif name in ("prod", "cumprod"):
        value = 1
    elif name in ("amax", "argmax", "logaddexp", "logsumexp", "amin", "argmin"):
        low = name in ("amax", "argmax", "logaddexp", "logsumexp")
        if kind == "f" or (kind == "c" and name == "logsumexp"):
            value = -math.inf if low else math.inf
        elif kind == "i" or dtype.name == "uint8":
            info = np.iinfo(dtype.np)
            value = int(info.min if low else info.max)
    elif name == "norm":
        if args and args[0] == -math.inf:
            if kind != "f":
                raise AssertionError(f"input must be floating point, got {dtype}")
            value = math.inf
        else:
            value = 0
    elif name == "median":
        return _creation.tensor(math.nan, dtype=dtype if kind == "f" else dt.float32)
    if value is None:
        raise NotImplementedError(f"identity of {name} on {dtype} input")
    return _creation.tensor(value, dtype=dtype)


def _masked_input(name: str, input: Tensor, mask, *args) -> Tensor:
    """``input`` with its masked-out elements replaced by the identity of reduction ``name``."""
    if mask is None:
        return input
    return where(_input_mask(input, mask=mask), input, _identity(name, input, *args))


def _sum_dtype(input: Tensor, dtype):
    if dtype is not None:
        return dtype
    return dt.int64 if input.dtype.name in _SMALL_INTS else input.dtype


# ---- reductions -------------------------------------------------------------------------------
# (no slice fully masked out: a numerical derivative cannot see through the nan and inf there;
# tests/test_masked.py checks those slices against torch)
_M = B([[True, False, True, True], [False, True, True, False], [True, True, False, True]])
_ROWS = B([[True], [False], [True]])
_REDUCE_SAMPLES = [(T(3, 4), {"mask": _M}), (T(3, 4), 1, {"mask": _M}),
                   (T(3, 4), 0, {"mask": _ROWS, "keepdim": True}), (T(3, 4), {"dim": (0, 1), "mask": None})]


@register("masked.sum", samples=_REDUCE_SAMPLES)
def sum(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The sum over ``dim`` of the masked-in elements (0 for a fully masked-out slice).

    >>> import torchless as torch
    >>> torch.masked.sum(torch.tensor([[1., 2.], [3., 4.]]), 1, mask=torch.tensor([[True, False], [True, True]]))
    tensor([1., 7.])
    """
    dtype = _sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    return reduction.sum(_masked_input("sum", input, mask), dims, bool(keepdim), dtype=dtype)


@register("masked.prod", samples=_REDUCE_SAMPLES)
def prod(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The product over ``dim`` of the masked-in elements (1 for a fully masked-out slice)."""
    dtype = _sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    out = _masked_input("prod", input, mask).to(dtype=dtype)
    for d in reversed(dims):  # (torch reduces one dim at a time, the last first)
        out = out.prod(dim=d, keepdim=bool(keepdim))
    return out


def _extreme(name: str, input: Tensor, dim, keepdim, dtype, mask) -> Tensor:
    x = _masked_input(name, input, mask)
    fn = reduction.amax if name == "amax" else reduction.amin
    return fn(x, _canonical_dim(dim, x.ndim), bool(keepdim)).to(dtype=dtype or input.dtype)


@register("masked.amax", samples=_REDUCE_SAMPLES)
def amax(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The largest masked-in element over ``dim`` (-inf for a fully masked-out float slice)."""
    return _extreme("amax", input, dim, keepdim, dtype, mask)


@register("masked.amin", samples=_REDUCE_SAMPLES)
def amin(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The smallest masked-in element over ``dim`` (inf for a fully masked-out float slice)."""
    return _extreme("amin", input, dim, keepdim, dtype, mask)


@register("masked.argmax", differentiable=False, samples=[(T(3, 4), 1, {"mask": _M})])
def argmax(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """The index of the largest masked-in element along ``dim``, in ``dtype`` (by default the
    input's, as torch has it)."""
    x = _masked_input("argmax", input, mask)
    return reduction.argmax(x, dim, bool(keepdim)).to(dtype=dtype or input.dtype)


@register("masked.argmin", differentiable=False, samples=[(T(3, 4), 1, {"mask": _M})])
def argmin(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """The index of the smallest masked-in element along ``dim``, in ``dtype`` (by default the
    input's)."""
    x = _masked_input("argmin", input, mask)
    return reduction.argmin(x, dim, bool(keepdim)).to(dtype=dtype or input.dtype)


@register("masked.mean", samples=_REDUCE_SAMPLES)
def mean(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The mean over ``dim`` of the masked-in elements (nan for a fully masked-out slice)."""
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either a floating point "
                         f"or complex dtype. Got: {dtype}")
    if mask is None:
        count = sum(_creation.ones(input.shape, dtype=dt.int64), dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
    else:
        inmask = _input_mask(input, mask=mask)
        count = inmask.sum(dim=dim, keepdim=bool(keepdim))
        total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


@register("masked.median", samples=[(T(3, 4), 1, {"mask": _M}), (T(3, 4), 0, {"keepdim": True, "mask": None})])
def median(input: Tensor, dim: int = -1, *, keepdim: bool = False, dtype=None,
           mask: Tensor | None = None) -> Tensor:
    """The (lower) median along ``dim`` of the masked-in elements (nan for a fully masked-out slice;
    an integer input with one is refused)."""
    dtype = dtype or input.dtype
    d = _canonical_dim(dim, input.ndim)[0]
    is_float = input.dtype.is_floating_point
    if not is_float:
        input = input.to(dtype=dt.float32)
    out = sorting.nanmedian(_masked_input("median", input, mask), d, keepdim).values
    if is_float:
        return out
    if out.isnan().any():
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")
    return out.to(dtype=dtype)


@register("masked.logsumexp", samples=_REDUCE_SAMPLES)
def logsumexp(input: Tensor, dim=None, *, keepdim: bool = False, dtype=None,
              mask: Tensor | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim`` of the masked-in elements (-inf for a fully masked-out slice)."""
    dims = _canonical_dim(dim, input.ndim)
    x = _masked_input("logsumexp", input, mask)
    return reduction.logsumexp(x, dims, keepdim=keepdim).to(dtype=dtype or input.dtype)


# (an element masked out of one operand only has a nan second derivative, in torch too, and
# one masked out of both gives -inf: tests/test_masked.py checks those against torch)
@register("masked.logaddexp", samples=[(T(3, 4), T(3, 4), {"input_mask": B([True] * 4), "other_mask": None}),
                                       (T(3, 4), T(4), {})])
def logaddexp(input: Tensor, other: Tensor, *, dtype=None, input_mask: Tensor | None = None,
              other_mask: Tensor | None = None) -> Tensor:
    """``log(exp(input) + exp(other))``, each operand's masked-out elements taken as -inf."""
    x = _masked_input("logaddexp", input, input_mask)
    y = _masked_input("logaddexp", other, other_mask)
    return pointwise.logaddexp(x, y).to(dtype=dtype or input.dtype)


@register("masked.norm", samples=[(T(3, 4), 2.0, 1, {"mask": _M}), (T(3, 4), 1, {"mask": _M}),
                                  (T(3, 4), -math.inf, 0, {"mask": _M, "keepdim": True}),
                                  (T(3, 4), math.inf, {"mask": None})])
def norm(input: Tensor, ord: float | None = 2.0, dim=None, *, keepdim: bool = False, dtype=None,
         mask: Tensor | None = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` of the masked-in elements (masked-out ones count as 0,
    or as inf for ``ord=-inf``)."""
    x = _masked_input("norm", input, mask, ord)
    dims = _canonical_dim(dim, input.ndim)
    return vector_norm(x, ord, dims, bool(keepdim), dtype=dtype or input.dtype)


def _std_var(input: Tensor, dim, unbiased, correction_opt, keepdim, dtype, mask, take_sqrt: bool) -> Tensor:
    if unbiased is not None and correction_opt is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = 1.0
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if correction_opt is not None:
        correction = float(correction_opt)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = dt.float32
    compute = dtype if (dtype.is_floating_point or dtype.is_complex) else dt.float32
    if mask is None:
        inmask = None
        count = sum(_creation.ones(input.shape, dtype=dt.int64), dim, keepdim=True)
    else:
        inmask = _input_mask(input, mask=mask)
        count = inmask.sum(dim=dim, keepdim=True)
    x = input - sum(input, dim, keepdim=True, dtype=dtype, mask=inmask) / count
    total = sum(x * x.conj(), dim, keepdim=keepdim, dtype=compute, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if correction != 0:
        count = (count.to(compute.to_real()) - correction).clamp(min=0)
    out = (total / count).to(dtype=dtype)
    return out.sqrt() if take_sqrt else out


_SPREAD_SAMPLES = [(T(3, 4), {"mask": _M}), (T(3, 4), 1, {"mask": _M, "correction": 0}),
                   (T(3, 4), 0, False, {"mask": _M, "keepdim": True}), (T(3, 4), {"dim": 1, "mask": None})]


@register("masked.var", samples=_SPREAD_SAMPLES)
def var(input: Tensor, dim=None, unbiased: bool | None = None, *, correction: float | None = None,
        keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The variance over ``dim`` of the masked-in elements, ``correction`` (default 1) taken off
    their count (nan for a fully masked-out slice)."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


@register("masked.std", samples=_SPREAD_SAMPLES)
def std(input: Tensor, dim=None, unbiased: bool | None = None, *, correction: float | None = None,
        keepdim: bool = False, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The standard deviation over ``dim`` of the masked-in elements (see ``masked.var``)."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


# ---- scans and normalisations -----------------------------------------------------------------
_ALONG_SAMPLES = [(T(3, 4), 1, {"mask": _M}), (T(3, 4), 0, {"mask": _ROWS}),
                  (T(3, 4), -1, {"mask": None})]


@register("masked.cumsum", samples=_ALONG_SAMPLES)
def cumsum(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The running sum along ``dim``, masked-out elements counted as 0."""
    dtype = dtype or input.dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return reduction.cumsum(_masked_input("sum", input, mask), d, dtype=dtype).to(dtype=dtype)


@register("masked.cumprod", samples=_ALONG_SAMPLES)
def cumprod(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """The running product along ``dim``, masked-out elements counted as 1."""
    dtype = dtype or input.dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return scan.cumprod(_masked_input("prod", input, mask), d, dtype=dtype).to(dtype=dtype)


@register("masked.softmax", samples=_ALONG_SAMPLES)
def softmax(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """softmax along ``dim`` over the masked-in elements: 0 at masked-out ones (nan throughout a
    fully masked-out slice)."""
    d = _canonical_dim(dim, input.ndim)[0]
    x = _masked_input("amax", input, mask)
    return activation.softmax(x, d, dtype=dtype or input.dtype)


@register("masked.log_softmax", samples=[(T(3, 4), 1, {"mask": B([[True], [True], [True]])}),
                                         (T(3, 4), 0, {"mask": None})])  # (-inf where masked out)
def log_softmax(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """log_softmax along ``dim`` over the masked-in elements: -inf at masked-out ones."""
    d = _canonical_dim(dim, input.ndim)[0]
    x = _masked_input("amax", input, mask)
    return activation.log_softmax(x, d, dtype=dtype or input.dtype)


@register("masked.softmin", samples=_ALONG_SAMPLES)
def softmin(input: Tensor, dim: int, *, dtype=None, mask: Tensor | None = None) -> Tensor:
    """softmax of ``-input`` along ``dim`` over the masked-in elements: 0 at masked-out ones."""
    d = _canonical_dim(dim, input.ndim)[0]
    x = _masked_input("amin", input, mask)
    return activation.softmax(-x, d, dtype=dtype or input.dtype)


@register("masked.normalize", samples=[(T(3, 4), 2.0, 1, {"mask": _M}), (T(3, 4), 1, 0, {"mask": None}),
                                       (T(3, 4), math.inf, 1, {"mask": _M, "eps": 0.5})])
def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12, dtype=None,
              mask: Tensor | None = None) -> Tensor:
    """The masked-in elements divided by their ``ord``-norm along ``dim`` (at least ``eps``);
    masked-out ones give 0."""
    dtype = dtype or input.dtype
    x = _masked_input("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return x / maximum(nrm, nrm.new_full([], eps))
