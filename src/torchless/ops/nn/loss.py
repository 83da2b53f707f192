"""nn.functional loss ops (registered as "nn.functional.<name>"; see ops/_core.py).

Losses torch computes in one kernel (mse, huber, smooth_l1, soft_margin, binary_cross_entropy,
nll_loss, ...) are Ops named as torch names their grad_fn; the others are plain functions of
torchless ops, as in torch.
"""

from __future__ import annotations

import math
import warnings

from ..._grad_mode import _grad_enabled
from ..._tensor import Tensor, _wrap
from ...backend import np
from .._core import Op, add_reduce, nary, register
from ..activation import log_softmax
from ..elementwise import where
from ..shape import broadcast_tensors
from .activation import logsigmoid

REDUCTIONS = ("none", "mean", "sum")


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


def reduction_of(size_average, reduce, reduction: str) -> str:
    """The reduction string, from the legacy ``size_average`` / ``reduce`` flags when given."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                      UserWarning, stacklevel=3)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_array(a, reduction):
    if reduction == "none":
        return a
    total = add_reduce(a)
    if reduction == "mean":
        return np.true_divide(total, a.size, dtype=a.dtype) if a.size else np.asarray(np.nan, a.dtype)
    return total


def _not_differentiable(fn: str, arg: str, t) -> None:
    if isinstance(t, Tensor) and t.requires_grad and _grad_enabled.get():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning, stacklevel=3)


# ---- pointwise losses of (input, target) ------------------------------------------------------
class _PointwiseLoss(Op):
    """A loss summed elementwise: ``loss(x, t, *p)`` on arrays, ``rule`` its derivatives (dx, dt)
    as tensors; ``reduction`` the first parameter."""

    __slots__ = ()

    @classmethod
    def forward(cls, x, t, reduction, *p):
        return _reduce_array(cls.loss(x, t, *p), reduction)

    def backward(self, g):
        x, t = self.saved
        reduction, *p = self._params
        if reduction == "mean":
            g = g / x._data.size
        dx, dt = self.rule(x, t, *p)
        return (g * dx if self.needs(0) else None,
                g * dt if self.needs(1) and dt is not None else None)


class MseLossBackward0(_PointwiseLoss):
    """mse: d/dx = 2 (x - t), d/dt = -2 (x - t)"""

    @staticmethod
    def loss(x, t):
        return (x - t) ** 2

    @staticmethod
    def rule(x, t):
        d = (x - t) * 2
        return d, -d


class HuberLossBackward0(_PointwiseLoss):
    """huber: d/dx = (x - t) inside delta, delta * sign(x - t) outside"""

    @staticmethod
    def loss(x, t, delta):
        d = np.abs(x - t)
        return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(d.dtype, copy=False)

    @staticmethod
    def rule(x, t, delta):
        diff = x - t
        inside = _const(np.abs(diff._data) < delta)
        d = where(inside, diff, diff.sign() * delta)
        return d, -d


class SmoothL1LossBackward0(_PointwiseLoss):
    """smooth_l1: d/dx = (x - t) / beta inside beta, sign(x - t) outside"""

    @staticmethod
    def loss(x, t, beta):
        d = np.abs(x - t)
        return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta).astype(d.dtype, copy=False)

    @staticmethod
    def rule(x, t, beta):
        diff = x - t
        inside = _const(np.abs(diff._data) < beta)
        d = where(inside, diff / beta, diff.sign())
        return d, -d


class SoftMarginLossBackward0(_PointwiseLoss):
    """soft_margin: d/dx = -t * sigmoid(-t x)"""

    @staticmethod
    def loss(x, t):
        z = -t * x
        return np.logaddexp(0, z).astype(np.result_type(x, t), copy=False)

    @staticmethod
    def rule(x, t):
        return -t * (-t * x).sigmoid(), None


def _pointwise(cls, input, target, reduction, *p):
    input, target = broadcast_tensors(input, target)
    return nary(cls, (input, target), reduction, *p)


def _weighted(loss, weight, input, reduction, mean_by_weight):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    return _reduce(loss, reduction)


@register("nn.functional.mse_loss")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced.

    >>> import torchless as torch
    >>> torch.nn.functional.mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if weight is not None:
        x, t = broadcast_tensors(input, target)
        return _weighted((x - t) ** 2, weight, input, reduction, True)
    return _pointwise(MseLossBackward0, input, target, reduction)


@register("nn.functional.l1_loss")
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced."""
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    x, t = broadcast_tensors(input, target)
    if weight is not None:
        return _weighted((x - t).abs(), weight, input, reduction, True)
    return _reduce((x - t).abs(), reduction)


@register("nn.functional.huber_loss")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Squared error inside ``delta``, linear (slope delta) outside."""
    _warn_size(input, target)
    reduction = reduction_of(None, None, reduction)
    if weight is not None:
        x, t = broadcast_tensors(input, target)
        return _weighted(nary(HuberLossBackward0, (x, t), "none", delta), weight, input, reduction, False)
    return _pointwise(HuberLossBackward0, input, target, reduction, delta)


@register("nn.functional.smooth_l1_loss")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Squared error / beta inside ``beta``, absolute error outside."""
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _pointwise(SmoothL1LossBackward0, input, target, reduction, beta)


@register("nn.functional.soft_margin_loss")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``, reduced."""
    reduction = reduction_of(size_average, reduce, reduction)
    _not_differentiable("soft_margin_loss", "target", target)
    return _pointwise(SoftMarginLossBackward0, input, target, reduction)


# ---- binary cross entropy ---------------------------------------------------------------------
def _clamped_log(a):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(a), -100)


class BinaryCrossEntropyBackward0(Op):
    """bce: d/dx = w (x - t) / max(x (1 - x), 1e-12), d/dt = w (log(1 - x) - log(x))"""

    @staticmethod
    def forward(x, t, w, reduction):
        if np.any((x < 0) | (x > 1)):
            raise RuntimeError("all elements of input should be between 0 and 1")
        loss = -((t * _clamped_log(x)) + (1 - t) * _clamped_log(1 - x))
        if w is not None:
            loss = loss * w
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        x, t = self.saved
        w, reduction = self._params
        if reduction == "mean":
            g = g / x._data.size
        if w is not None:
            g = g * _const(w)
        gx = gt = None
        if self.needs(0):
            gx = g * (x - t) / (x * (1 - x)).clamp_min(1e-12)
        if self.needs(1):
            lx = (x.log()).clamp_min(-100)
            l1x = ((1 - x).log()).clamp_min(-100)
            gt = g * (l1x - lx)
        return gx, gt


@register("nn.functional.binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``-(t log(x) + (1 - t) log(1 - x))`` for probabilities ``x`` (logs clamped at -100)."""
    reduction = reduction_of(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is "
            "deprecated. Please ensure they have the same size.")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, np.broadcast_shapes(weight._data.shape, target._data.shape))
    return nary(BinaryCrossEntropyBackward0, (input, target), w, reduction)


def _softplus_neg(x):  # log(1 + exp(-x)), without overflow
    return np.logaddexp(0, -x)


class BinaryCrossEntropyWithLogitsBackward0(Op):
    """bce with logits: d/dx = w ((1 + (pw - 1) t) sigmoid(x) - pw t), d/dt = w ((pw - 1) sp(-x) - x)"""

    @staticmethod
    def forward(x, t, w, pw, reduction):
        if pw is None:
            loss = (1 - t) * x + _softplus_neg(x)
        else:
            loss = (1 - t) * x + (1 + (pw - 1) * t) * _softplus_neg(x)
        if w is not None:
            loss = loss * w
        return _reduce_array(np.asarray(loss).astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        x, t = self.saved
        w, pw, reduction = self._params
        if reduction == "mean":
            g = g / max(x._data.size, 1) if x._data.size else g / 0.0
        if w is not None:
            g = g * _const(w)
        gx = gt = None
        if pw is None:
            if self.needs(0):
                gx = g * (x.sigmoid() - t)
            if self.needs(1):
                gt = -g * x
        else:
            pwt = _const(pw)
            if self.needs(0):
                gx = g * ((1 + (pwt - 1) * t) * x.sigmoid() - pwt * t)
            if self.needs(1):
                gt = g * ((pwt - 1) * x.sigmoid().log().neg() - x)
        return gx, gt


@register("nn.functional.binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)``, computed from the logits without overflow."""
    reduction = reduction_of(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    shape = input._data.shape
    w = None if weight is None else np.broadcast_to(weight._data, shape)
    pw = None if pos_weight is None else np.broadcast_to(pos_weight._data, shape)
    return nary(BinaryCrossEntropyWithLogitsBackward0, (input, target), w, pw, reduction)


register("binary_cross_entropy_with_logits", method=False)(binary_cross_entropy_with_logits)


# ---- negative log likelihood and cross entropy ------------------------------------------------
class NllLossBackward0(Op):
    """nll: d/dx = -w[t] at the target class (over the total weight for "mean"), 0 elsewhere"""

    saves_operands = False

    @staticmethod
    def forward(x, idx, wt, total, reduction, out_shape=None):
        picked = np.take_along_axis(x, idx, 1)[:, 0] if x.ndim > 1 else x[idx]
        loss = np.where(wt != 0, -picked * wt, 0).astype(x.dtype, copy=False)
        if reduction == "none":
            return loss if out_shape is None else loss.reshape(out_shape)
        s = add_reduce(loss)
        return np.true_divide(s, total, dtype=x.dtype) if reduction == "mean" else s

    def backward(self, g):
        idx, wt, total, reduction = self._params[:4]
        shape = self.shapes[0]
        if reduction == "none" and len(self._params) > 4:
            g = g.reshape(-1)
        m = np.zeros(shape, dtype=g._data.dtype)
        if len(shape) > 1:
            np.put_along_axis(m, idx, -wt[:, None], 1)
            if reduction == "none":
                g = g.unsqueeze(1)
        else:
            m[idx] = -wt
        if reduction == "mean" and total != 0:  # (every target ignored: a zero gradient, as torch's)
            g = g / _const(np.asarray(total, dtype=g._data.dtype))
        return (g * _const(m),)


class NllLoss2DBackward0(NllLossBackward0):
    __slots__ = ()


@register("nn.functional.nll_loss")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: ``-input[n, target[n]]`` (times the class weight), reduced."""
    reduction = reduction_of(size_average, reduce, reduction)
    xd, td = input._data, target._data
    if xd.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {xd.ndim})")
    if td.dtype.kind not in "iu" or td.dtype not in (np.dtype(np.int64), np.dtype(np.uint8)):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.name.capitalize()}"
                           if td.dtype.kind == "f" else f"expected scalar type Long but found {target.dtype}")
    if xd.ndim > 1 and xd.shape[0] != td.shape[0] if td.ndim else xd.ndim > 1 and td.ndim == 0:
        raise ValueError(f"Expected input batch_size ({xd.shape[0]}) to match target batch_size "
                         f"({td.shape[0] if td.ndim else 1}).")
    c = xd.shape[1] if xd.ndim > 1 else xd.shape[0]
    if xd.ndim == 4 and td.shape != xd.shape[:1] + xd.shape[2:]:  # (torch's 2-D kernel words it so)
        raise RuntimeError(f"size mismatch (got input: {list(xd.shape)} , target: {list(td.shape)}")
    if xd.ndim > 2 and td.shape != xd.shape[:1] + xd.shape[2:]:
        raise RuntimeError(f"Expected target size {list(xd.shape[:1] + xd.shape[2:])}, got {list(td.shape)}")
    if xd.ndim == 1 and td.ndim > 1 or xd.ndim == 2 and td.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _not_differentiable("nll_loss_forward", "weight", weight)
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight._data.shape)}")
    t = td.astype(np.int64)
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    safe = np.where(ignored, 0, t)
    w = np.ones(c, xd.dtype) if weight is None else weight._data.astype(xd.dtype)
    wt = np.where(ignored, 0, w[safe]).astype(xd.dtype)
    total = add_reduce(wt)
    if xd.ndim <= 2:
        idx = safe[:, None] if xd.ndim == 2 else safe
        return nary(NllLossBackward0, (input,), idx, wt, total, reduction)
    # (N, C, d1, ...): the classes moved last, as rows of a 2-D problem
    n = xd.shape[0]
    flat = input.reshape(n, c, -1).transpose(1, 2).reshape(-1, c)
    if xd.ndim == 4:  # (torch's 2-D kernel: its output has the target's shape)
        return nary(NllLoss2DBackward0, (flat,), safe.reshape(-1, 1), wt.reshape(-1), total, reduction, td.shape)
    out = nary(NllLoss2DBackward0, (flat,), safe.reshape(-1, 1), wt.reshape(-1), total, reduction)
    return out.reshape(td.shape) if reduction == "none" else out


@register("nn.functional.cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, class dim), target)``; ``target`` class indices or class
    probabilities (same shape as input), with optional label smoothing.

    >>> import torchless as torch
    >>> torch.nn.functional.cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    tensor(0.6931)
    """
    reduction = reduction_of(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, cdim)
    c = input.shape[cdim]
    wshape = [1] * input.ndim
    wshape[cdim] = c
    if tuple(target.shape) == tuple(input.shape):  # class probabilities
        if target._data.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{target.dtype.name.capitalize()}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(wshape)
        if reduction == "none":
            return -terms.sum(cdim)
        total = -terms.sum()
        if reduction == "mean":
            return total / (input.numel() // c) if input.numel() else total * float("nan")
        return total
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    ignored = target._data == ignore_index
    smooth = -(logp * weight.reshape(wshape)).sum(cdim) if weight is not None else -logp.sum(cdim)
    smooth = smooth.masked_fill(_const(ignored), 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = np.where(ignored, 0, target._data).astype(np.int64)
            denom = add_reduce(np.where(ignored, 0, weight._data[kept]))
        else:
            denom = int((~ignored).sum())
        smooth = smooth.sum() / _const(np.asarray(denom, dtype=input._data.dtype))
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)


# ---- divergences and likelihoods ---------------------------------------------------------------
def _xlogy_self(t: Tensor) -> Tensor:
    """``t * log(t)``, 0 where t is 0 (and a zero derivative there)."""
    safe = where(_const(t._data == 0), 1.0, t)
    return t * safe.log()


@register("nn.functional.kl_div")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from ``input`` (log-probabilities)."""
    if size_average is not None or reduce is not None:
        reduction = reduction_of(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' "
            "divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to "
            "behave the same as 'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if reduction not in REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@register("nn.functional.poisson_nll_loss")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of ``target`` under a Poisson distribution of rate ``input``."""
    reduction = reduction_of(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        td = target._data
        safe = where(_const(td <= 1), 1.0, target)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(_const(td <= 1), 0.0)
    return _reduce(loss, reduction)


@register("nn.functional.gaussian_nll_loss")
def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log likelihood of ``target`` under normal distributions of mean ``input``, variance ``var``."""
    if not isinstance(var, Tensor):
        var = _const(np.full(input._data.shape[:-1] + (1,) if input._data.ndim else (), var,
                             dtype=input._data.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        # (otherwise var may differ from input in one dim only, where it has size 1, as torch checks it)
        elif not (input.dim() == var.dim()
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if np.any(var._data < 0):
        raise ValueError("var has negative entry/entries")
    # the clamp is applied without recording: the gradient flows to var as if unclamped
    var = var + _const(np.maximum(var._data, eps) - var._data)
    loss = ((input - target) ** 2 / var + var.log()) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin losses ------------------------------------------------------------------------------
@register("nn.functional.cosine_embedding_loss")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos - margin)`` where it is -1."""
    reduction = reduction_of(size_average, reduce, reduction)
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"cosine_embedding_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    d = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = cos * 0
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(pos + neg, reduction)


@register("nn.functional.margin_ranking_loss")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``, reduced."""
    reduction = reduction_of(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@register("nn.functional.hinge_embedding_loss")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where it is -1."""
    reduction = reduction_of(size_average, reduce, reduction)
    zeros = input * 0
    margin_part = where(target != 1, (margin - input).clamp_min(0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


class MultiMarginLossBackward0(Op):
    """multi margin: with z_j = margin - x_y + x_j over the classes j != y where z_j > 0,
    d/dx_j = w_y p z_j^(p-1) / C and d/dx_y = -sum_j of those"""

    @staticmethod
    def forward(x, t, p, margin, wt, reduction):
        n, c = x.shape
        z = margin - x[np.arange(n), t][:, None] + x
        z[np.arange(n), t] = 0
        terms = np.maximum(z, 0) ** p
        if wt is not None:
            terms = terms * wt[:, None]
        return _reduce_array((add_reduce(terms, 1) / c).astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        (x,) = self.saved
        t, p, margin, wt, reduction = self._params
        n, c = x.shape
        xd = x._data
        z_arr = margin - xd[np.arange(n), t][:, None] + xd
        active = z_arr > 0
        active[np.arange(n), t] = False
        scale = np.full(n, 1.0 / c) if wt is None else wt / c
        if p == 1:
            coef = _const((active * scale[:, None]).astype(xd.dtype))
        else:
            z = x - x.gather(1, _const(t[:, None])) + margin
            coef = where(_const(active), z * 2, 0.0) * _const(scale[:, None].astype(xd.dtype))
        onehot = _const((np.arange(c)[None, :] == t[:, None]).astype(xd.dtype))
        gx = coef - onehot * coef.sum(1, keepdim=True)
        if reduction == "none":
            g = g.reshape(-1, 1)
        elif reduction == "mean":
            g = g / n
        return (g * gx,)


@register("nn.functional.multi_margin_loss")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``sum_j max(0, margin - x[y] + x[j]) ** p / C`` over the classes j other than the target y."""
    reduction = reduction_of(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _not_differentiable("multi_margin_loss", "weight", weight)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, c = x.shape
    t = target._data.reshape(-1).astype(np.int64)
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(target.shape)}")
    if ((t < 0) | (t >= c)).any():
        raise IndexError("target out of range")
    wt = None
    if weight is not None:
        wt = weight._data.astype(input._data.dtype)[t]
    out = nary(MultiMarginLossBackward0, (x,), t, p, margin, wt, reduction)
    return out.reshape(()) if input.ndim < 2 and reduction == "none" else out


def _multilabel_active(x, safe, valid, is_target):
    """[n, j, i]: the label j of row n and the non-label i whose hinge 1 - (x[y_j] - x[i]) is positive."""
    xy = np.take_along_axis(x, safe, 1)
    hinge = 1 - xy[:, :, None] + x[:, None, :]
    return hinge, valid[:, :, None] & ~is_target[:, None, :] & (hinge > 0)


class MultilabelMarginLossBackward0(Op):
    """multilabel margin: each active (label j, non-label i) pair adds 1/C to d/dx_i and takes 1/C
    from d/dx_{y_j}"""

    @staticmethod
    def forward(x, safe, valid, is_target, reduction):
        hinge, active = _multilabel_active(x, safe, valid, is_target)
        loss = add_reduce(np.where(active, hinge, 0), (1, 2)) / x.shape[1]
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        safe, valid, is_target, reduction = self._params
        x = self.saved[0]._data
        n, c = x.shape
        _, active = _multilabel_active(x, safe, valid, is_target)
        d = add_reduce(active, 1).astype(x.dtype)  # + per non-label i
        np.add.at(d, (np.broadcast_to(np.arange(n)[:, None], safe.shape), safe), -add_reduce(active, 2))
        if reduction == "none":
            g = g.reshape(-1, 1)
        elif reduction == "mean":
            g = g / n
        return (g * _const(d / c),)


@register("nn.functional.multilabel_margin_loss")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """``sum_{j in labels, i not in labels} max(0, 1 - (x[j] - x[i])) / C``; the labels of a row
    are its target entries before the first -1."""
    reduction = reduction_of(size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, c = x.shape
    t = target._data.reshape(n, c).astype(np.int64)
    valid = np.cumprod(t >= 0, axis=1).astype(bool)  # the labels: before the first negative entry
    if ((t >= c) & valid).any():
        raise RuntimeError("multilabel_margin_loss: target out of range")
    safe = np.where(valid, t, 0)
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.broadcast_to(np.arange(n)[:, None], (n, c))
    is_target[rows[valid], safe[valid]] = True
    out = nary(MultilabelMarginLossBackward0, (x,), safe, valid, is_target, reduction)
    return out.reshape(()) if input.ndim < 2 and reduction == "none" else out


@register("nn.functional.multilabel_soft_margin_loss")
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross entropy of ``sigmoid(input)`` per class, averaged over the classes."""
    reduction = reduction_of(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    d = input.ndim - 1
    loss = loss.sum(d) / input.shape[d]
    return _reduce(loss, reduction)


@register("nn.functional.triplet_margin_loss")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with d the p-norm pairwise distance."""
    from .distance import pairwise_distance

    reduction = reduction_of(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


@register("nn.functional.triplet_margin_with_distance_loss")
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with any distance function (pairwise_distance by default)."""
    from .distance import pairwise_distance

    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


# ---- connectionist temporal classification ----------------------------------------------------------
def _lse(*arrays):
    """log(sum(exp(a))) of arrays of one shape, elementwise, with -inf where all are -inf."""
    m = np.maximum.reduce(arrays)
    safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return np.log(sum(np.exp(a - safe) for a in arrays)) + safe


def _ctc_tables(lp, labels, in_len, tgt_len, blank):
    """The forward (alpha) and backward (beta) tables, log space, shape (T, N, 2S+1), and the nll per sample.
    ``labels``: (N, 2S+1) blank-interleaved targets. Loops over time only."""
    t_max, n, _ = lp.shape
    width = labels.shape[1]
    rows = np.arange(n)[:, None]
    emit = lp[:, rows, labels]  # (T, N, 2S+1): log p of each extended label at each time
    s = np.arange(width)[None, :]
    # the skip over a blank is allowed into a label that differs from the one two places back
    skip = np.zeros((n, width), bool)
    skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
    last = 2 * tgt_len[:, None]  # (N, 1): index of the final blank
    ninf = np.full((n, width), -np.inf)
    alpha = np.full((t_max, n, width), -np.inf)
    a = np.where((s == 0) | ((s == 1) & (last > 0)), emit[0], -np.inf) if t_max else ninf
    for t in range(t_max):
        if t:
            prev1 = np.concatenate([ninf[:, :1], a[:, :-1]], 1)
            prev2 = np.where(skip, np.concatenate([ninf[:, :2], a[:, :-2]], 1), -np.inf)
            a = np.where((t < in_len)[:, None], _lse(a, prev1, prev2) + emit[t], a)
        alpha[t] = a
    beta = np.full((t_max, n, width), -np.inf)
    skip_next = np.zeros((n, width), bool)
    skip_next[:, :-2] = skip[:, 2:]
    b = ninf
    for t in range(t_max - 1, -1, -1):
        start = (t == in_len - 1)[:, None]
        init = np.where((s == last) | ((s == last - 1) & (last > 0)), emit[t], -np.inf)
        nxt1 = np.concatenate([b[:, 1:], ninf[:, :1]], 1)
        nxt2 = np.where(skip_next, np.concatenate([b[:, 2:], ninf[:, :2]], 1), -np.inf)
        step = _lse(b, nxt1, nxt2) + emit[t]
        b = np.where(start, init, np.where((t < in_len - 1)[:, None], step, -np.inf))
        beta[t] = b
    end = np.maximum(in_len - 1, 0)
    fin = alpha[end, np.arange(n)]  # (N, 2S+1) at each sample's last time step
    l1 = np.take_along_axis(fin, last, 1)[:, 0]
    l2 = np.where(last[:, 0] > 0, np.take_along_axis(fin, np.maximum(last - 1, 0), 1)[:, 0], -np.inf)
    nll = -_lse(l1, l2)
    return alpha, beta, nll


class CtcLossBackward0(Op):
    """ctc: d/dlp[t, c] = exp(lp) - exp(log(sum over the extended labels equal to c of alpha * beta)
    + nll - lp) (torch's form: the gradient as if lp came from a log_softmax), 0 past each input length"""

    saves_operands = False

    @staticmethod
    def forward(lp, grad, nll):
        return nll.astype(lp.dtype, copy=False)

    def backward(self, g):
        grad, _ = self._params
        return (g.reshape(1, -1, 1) * _const(grad),)


@register("nn.functional.ctc_loss")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The Connectionist Temporal Classification loss: -log of the total probability of the
    alignments of each target with its input (log_probs: (T, N, C) or (T, C))."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lp = log_probs._data
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp[:, None, :]
    t_max, n, c = lp.shape
    in_len = np.asarray(input_lengths._data if isinstance(input_lengths, Tensor) else input_lengths,
                        dtype=np.int64).reshape(-1)
    tgt_len = np.asarray(target_lengths._data if isinstance(target_lengths, Tensor) else target_lengths,
                         dtype=np.int64).reshape(-1)
    if in_len.size != n:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {in_len.tolist()}")
    if (in_len > t_max).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value "
                           f"{int(in_len.max())} (while checking arguments for ctc_loss_cpu)")
    tg = targets._data.astype(np.int64)
    s_max = int(tgt_len.max()) if tgt_len.size else 0
    if tg.ndim == 2 or unbatched:  # padded rows (an unbatched target is one row)
        padded = tg.reshape(n, -1)[:, :s_max]
    else:  # the targets concatenated
        flat = tg.reshape(-1)
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
        pos = starts[:, None] + np.arange(s_max)[None, :]
        inside = np.arange(s_max)[None, :] < tgt_len[:, None]
        padded = flat[np.where(inside, pos, 0)] if flat.size else np.full((n, s_max), blank, np.int64)
    ok = np.arange(s_max)[None, :] < tgt_len[:, None]
    padded = np.where(ok, padded, blank)
    labels = np.full((n, 2 * s_max + 1), blank, np.int64)
    labels[:, 1::2] = padded
    with np.errstate(invalid="ignore", over="ignore"):
        lp64 = lp.astype(np.float64)
        alpha, beta, nll = _ctc_tables(lp64, labels, in_len, tgt_len, blank)
        # the gradient, gathered from the extended labels back onto the classes
        ab = alpha + beta  # (T, N, 2S+1)
        m = np.max(ab, axis=2, keepdims=True) if ab.shape[2] else np.zeros((t_max, n, 1))
        m = np.where(np.isfinite(m), m, 0)
        acc = np.zeros((t_max, n, c))
        tt, nn_ = np.meshgrid(np.arange(t_max), np.arange(n), indexing="ij")
        for k in range(labels.shape[1]):  # (a loop over label positions: adds into repeated classes)
            np.add.at(acc, (tt, nn_, np.broadcast_to(labels[None, :, k], (t_max, n))), np.exp(ab[:, :, k] - m[:, :, 0]))
        with np.errstate(divide="ignore"):
            lcab = np.log(acc) + m
        grad = np.exp(lp64) - np.exp(lcab + nll[None, :, None] - lp64)
    grad = np.where((np.arange(t_max)[:, None] < in_len[None, :])[:, :, None], grad, 0.0)
    if zero_infinity:
        bad = np.isinf(nll)
        nll = np.where(bad, 0.0, nll)
        grad = np.where(bad[None, :, None], 0.0, grad)
    loss = nary(CtcLossBackward0, (log_probs if not unbatched else log_probs.unsqueeze(1),), grad.astype(lp.dtype), nll)
    if reduction == "mean":
        return (loss / _const(np.maximum(tgt_len, 1).astype(lp.dtype))).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


@register("nn.functional.linear_cross_entropy")
def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *, linear_bias=None, weight=None,
                         reduction: str = "mean", ignore_index=None, label_smoothing: float = 0.0,
                         options=None) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target)``; a linear_weight of shape
    (C, d1, ..., in_features) gives logits (N, C, d1, ...). (``options`` picks torch's chunked
    computation of the same numbers: accepted, not needed.)"""
    from .embedding import linear

    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}")
    batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{in_features} and {linear_weight.shape[-1]}, respectively")
    c = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (c, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(c, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires batched input, "
            f"(N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batches, c, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if out_features:
        k = c * int(np.prod(out_features))
        linear_weight = linear_weight.reshape(k, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(k)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight, ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


# ---- torch's top-level forms: the reduction as ATen's enum (0 none, 1 mean, 2 sum; none by default) --------
def _enum(reduction) -> str:
    return REDUCTIONS[reduction] if isinstance(reduction, int) else reduction


register("kl_div", method=False)(
    lambda input, target, reduction=0, *, log_target=False: kl_div(input, target, reduction=_enum(reduction),
                                                                   log_target=log_target))
register("cosine_embedding_loss", method=False)(
    lambda input1, input2, target, margin=0.0, reduction=0: cosine_embedding_loss(
        input1, input2, target, margin, reduction=_enum(reduction)))
register("margin_ranking_loss", method=False)(
    lambda input1, input2, target, margin=0.0, reduction=0: margin_ranking_loss(
        input1, input2, target, margin, reduction=_enum(reduction)))
register("hinge_embedding_loss", method=False)(
    lambda input, target, margin=1.0, reduction=0: hinge_embedding_loss(input, target, margin,
                                                                        reduction=_enum(reduction)))
register("poisson_nll_loss", method=False)(
    lambda input, target, log_input, full, eps, reduction: poisson_nll_loss(
        input, target, log_input, full, eps=eps, reduction=_enum(reduction)))
register("triplet_margin_loss", method=False)(
    lambda anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction=0: triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=_enum(reduction)))
register("ctc_loss", method=False)(
    lambda log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False: ctc_loss(
        log_probs, targets, input_lengths, target_lengths, blank, _enum(reduction), zero_infinity))
