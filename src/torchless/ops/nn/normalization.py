"""nn.functional normalization ops (registered as "nn.functional.<name>"; see ops/_core.py).

batch, layer and group norm are Ops (torch's NativeBatchNormBackward0, ...): the forward on
arrays, the derivative rule in tensor ops. The rule recomputes the statistics from the saved
input with tensor ops, so that it can be differentiated again.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor, _wrap, _wrap_dim
from ...backend import np
from .._core import Op, nary, register
from .._samples import T


def _const(a) -> Tensor:
    return _wrap(np.asarray(a), None)


def _stats(x, dims, eps):
    """mean and 1/sqrt(biased var + eps) over ``dims`` (kept), of an array."""
    mean = np.mean(x, axis=dims, keepdims=True) if x.size else np.zeros([1 if i in dims else n
                                                                         for i, n in enumerate(x.shape)], x.dtype)
    var = np.mean((x - mean) ** 2, axis=dims, keepdims=True) if x.size else mean
    return mean, 1 / np.sqrt(var + eps)


def _normalized_grad(x: Tensor, gs: Tensor, dims, eps) -> Tensor:
    """d/dx of ``(x - mean) / sqrt(var + eps)`` (statistics over ``dims``) applied to ``gs``, in tensor ops."""
    mean = x.mean(dims, keepdim=True)
    xc = x - mean
    invstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = xc * invstd
    return invstd * (gs - gs.mean(dims, keepdim=True) - xhat * (gs * xhat).mean(dims, keepdim=True))


def _xhat(x: Tensor, dims, eps) -> Tensor:
    mean = x.mean(dims, keepdim=True)
    xc = x - mean
    return xc * ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()


# ---- batch norm ------------------------------------------------------------------------------
def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2) if x.ndim > 1 else (1,)


class NativeBatchNormBackward0(Op):
    """batch norm: y = w (x - mean) * invstd + b, statistics over all dims but the channel (dim 1)
    when training, the running ones otherwise"""

    @staticmethod
    def forward(x, w, b, mean, invstd, eps, training):
        cs = _channel_shape(x)
        out = (x - mean.reshape(cs)) * invstd.reshape(cs)
        if w is not None:
            out = out * w.reshape(cs)
        if b is not None:
            out = out + b.reshape(cs)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, w, _ = self.saved
        mean, invstd, eps, training = self._params
        cs = _channel_shape(x._data)
        dims = (0,) + tuple(range(2, x.ndim))
        wb = w.reshape(cs) if w is not None else None
        gs = g * wb if wb is not None else g
        gx = gw = gb = None
        if training:
            if self.needs(0):
                gx = _normalized_grad(x, gs, dims, eps)
            if self.needs(1):
                gw = (g * _xhat(x, dims, eps)).sum(dims)
        else:
            inv = _const(invstd.reshape(cs))
            if self.needs(0):
                gx = gs * inv
            if self.needs(1):
                gw = (g * (x - _const(mean.reshape(cs))) * inv).sum(dims)
        if self.needs(2):
            gb = g.sum(dims)
        return gx, gw, gb


def _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cls=None):
    """(out, save_mean, save_invstd), updating the running statistics in place when training."""
    xd = input._data
    c = xd.shape[1] if xd.ndim > 1 else xd.shape[0]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    dims = (0,) + tuple(range(2, xd.ndim))
    if training:
        mean, invstd = _stats(xd, dims, eps)
        mean, invstd = mean.reshape(c), invstd.reshape(c)
        n = xd.size // c if c else 0
        if running_mean is not None:
            rm = running_mean._data
            # (written by the kernel, as torch's: the version counter stays)
            np.copyto(rm, (1 - momentum) * rm + momentum * mean, casting="unsafe")
        if running_var is not None:
            var = np.var(xd, axis=dims) * (n / (n - 1) if n > 1 else math.inf) if xd.size else mean
            rv = running_var._data
            np.copyto(rv, (1 - momentum) * rv + momentum * var, casting="unsafe")
        save_mean, save_invstd = mean, invstd
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._data.astype(xd.dtype)
        invstd = 1 / np.sqrt(running_var._data.astype(xd.dtype) + eps)
        save_mean = save_invstd = np.zeros(0, xd.dtype)
    out = nary(cls or NativeBatchNormBackward0, (input, weight, bias), mean, invstd, eps, training)
    return out, _const(np.asarray(save_mean, xd.dtype)), _const(np.asarray(save_invstd, xd.dtype))


@register("native_batch_norm", method=False)
def native_batch_norm(input: Tensor, weight, bias, running_mean, running_var, training: bool, momentum: float,
                      eps: float) -> tuple:
    """Batch norm returning (output, batch mean, batch 1/std) (empty statistics in eval mode)."""
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


@register("_native_batch_norm_legit", method=False)
def _native_batch_norm_legit(input: Tensor, weight, bias, running_mean, running_var, training=None,
                             momentum=None, eps=None, *rest) -> tuple:
    """native_batch_norm; the overload without running statistics is (input, weight, bias, training,
    momentum, eps)."""
    if isinstance(running_mean, bool):  # (input, weight, bias, training, momentum, eps)
        training, momentum, eps = running_mean, running_var, training
        running_mean = running_var = None
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


class BatchNormWithUpdateBackward0(NativeBatchNormBackward0):
    __slots__ = ()


@register("ops.aten._batch_norm_with_update", samples=[(T(4, 3, 2), T(3), T(3), T(3, requires_grad=False),
                                                                T(3, lo=0.5, requires_grad=False), 0.1, 1e-5)])
def _batch_norm_with_update(input: Tensor, weight, bias, running_mean, running_var, momentum: float,
                            eps: float) -> tuple:
    """Training batch norm that updates the running statistics: (out, mean, invstd, reserve)."""
    out, m, s = _native_batch_norm(input, weight, bias, running_mean, running_var, True, momentum, eps,
                                   BatchNormWithUpdateBackward0)
    return out, m, s, _const(np.zeros(0, np.uint8))


@register("nn.functional.batch_norm")
def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize over the batch (and spatial dims) per channel; running statistics updated in place
    when training, used otherwise."""
    if training:
        shape = input._data.shape
        n = shape[0] * int(np.prod(shape[2:]))
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(shape)})")
    if input._data.size == 0:
        return input.clone()
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)[0]


register("batch_norm", method=False)(lambda input, weight, bias, running_mean, running_var, training, momentum,
                                     eps, cudnn_enabled=True: batch_norm(input, running_mean, running_var, weight,
                                                                         bias, training, momentum, eps))


@register("nn.functional.instance_norm")
def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """batch norm of each (sample, channel) over its spatial dims."""
    shape = input._data.shape
    if use_input_stats and int(np.prod(shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(shape)})")
    n, c = shape[0], shape[1]
    x = input.reshape((1, n * c) + shape[2:])
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    rm = _const(np.tile(running_mean._data, n)) if running_mean is not None else None
    rv = _const(np.tile(running_var._data, n)) if running_var is not None else None
    out = _native_batch_norm(x, w, b, rm, rv, use_input_stats, momentum, eps)[0]
    if use_input_stats:
        for run, new in ((running_mean, rm), (running_var, rv)):
            if run is not None:
                np.copyto(run._data, new._data.reshape(n, c).mean(0), casting="unsafe")
                run._bump()
    return out.view(shape)


register("instance_norm", method=False)(lambda input, weight, bias, running_mean, running_var, use_input_stats,
                                        momentum, eps, cudnn_enabled=True: instance_norm(
                                            input, running_mean, running_var, weight, bias, use_input_stats,
                                            momentum, eps))


# ---- layer norm --------------------------------------------------------------------------------
class NativeLayerNormBackward0(Op):
    """layer norm: y = w (x - mean) * invstd + b, statistics over the trailing normalized dims"""

    @staticmethod
    def forward(x, w, b, mean, invstd, dims, eps):
        out = (x - mean) * invstd
        if w is not None:
            out = out * w
        if b is not None:
            out = out + b
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, w, _ = self.saved
        dims, eps = self._params[2:]
        lead = tuple(range(x.ndim - len(dims)))
        gx = gw = gb = None
        if self.needs(0):
            gx = _normalized_grad(x, g * w if w is not None else g, dims, eps)
        if self.needs(1):
            gw = (g * _xhat(x, dims, eps)).sum(lead) if lead else g * _xhat(x, dims, eps)
        if self.needs(2):
            gb = g.sum(lead) if lead else g
        return gx, gw, gb


def _check_normalized_shape(input, normalized_shape, weight, bias):
    ns = tuple(normalized_shape) if not isinstance(normalized_shape, int) else (normalized_shape,)
    shape = input._data.shape
    if not ns or shape[len(shape) - len(ns):] != ns or len(ns) > len(shape):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t._data.shape)} and normalized_shape = {list(ns)}")
    return ns


@register("native_layer_norm", method=False)
def native_layer_norm(input: Tensor, normalized_shape, weight, bias, eps: float) -> tuple:
    """Layer norm returning (output, mean, 1/std), the statistics with the normalized dims kept as 1s."""
    ns = _check_normalized_shape(input, normalized_shape, weight, bias)
    xd = input._data
    dims = tuple(range(xd.ndim - len(ns), xd.ndim))
    mean, invstd = _stats(xd, dims, eps)
    out = nary(NativeLayerNormBackward0, (input, weight, bias), mean, invstd, dims, eps)
    return out, _const(mean.astype(xd.dtype)), _const(invstd.astype(xd.dtype))


@register("nn.functional.layer_norm")
def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift.

    >>> import torchless as torch
    >>> torch.nn.functional.layer_norm(torch.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    return native_layer_norm(input, normalized_shape, weight, bias, eps)[0]


register("layer_norm", method=False)(lambda input, normalized_shape, weight=None, bias=None, eps=1e-5,
                                     cudnn_enable=True: layer_norm(input, normalized_shape, weight, bias, eps))


@register("nn.functional.rms_norm")
def rms_norm(input: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    """``x / sqrt(mean(x ** 2) + eps) * weight`` over the trailing ``normalized_shape`` dims."""
    ns = _check_normalized_shape(input, normalized_shape, weight, None)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


register("rms_norm", method=False)(rms_norm)


def _group_size(shape, group):
    return shape[1] // group * int(np.prod(shape[2:]))


# ---- group norm ---------------------------------------------------------------------------------
class NativeGroupNormBackward0(Op):
    """group norm: y = w (x - mean) * invstd + b, statistics per (sample, group of channels)"""

    @staticmethod
    def forward(x, w, b, mean, invstd, group, eps):
        n, c = x.shape[0], x.shape[1]
        xg = x.reshape(n, group, _group_size(x.shape, group))
        out = ((xg - mean) * invstd).reshape(x.shape)
        cs = (1, c) + (1,) * (x.ndim - 2)
        if w is not None:
            out = out * w.reshape(cs)
        if b is not None:
            out = out + b.reshape(cs)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, w, _ = self.saved
        _, _, group, eps = self._params
        shape = x.shape
        n, c = shape[0], shape[1]
        cs = (1, c) + (1,) * (x.ndim - 2)
        dims = (0,) + tuple(range(2, x.ndim))
        gshape = (n, group, _group_size(shape, group))
        gx = gw = gb = None
        if self.needs(0):
            gs = g * w.reshape(cs) if w is not None else g
            gx = _normalized_grad(x.reshape(gshape), gs.reshape(gshape), (2,), eps).reshape(shape)
        if self.needs(1):
            gw = (g * _xhat(x.reshape(gshape), (2,), eps).reshape(shape)).sum(dims)
        if self.needs(2):
            gb = g.sum(dims)
        return gx, gw, gb


@register("native_group_norm", method=False)
def native_group_norm(input: Tensor, weight, bias, N: int, C: int, HxW: int, group: int, eps: float) -> tuple:
    """Group norm returning (output, mean, 1/std), the statistics of shape (N, group)."""
    out = _group_norm(input, group, weight, bias, eps)
    xg = input.reshape(N, group, _group_size(input._data.shape, group))
    mean = xg.mean(2)
    xc = xg - mean.unsqueeze(2)
    rstd = ((xc * xc).mean(2) + eps).rsqrt()
    return out, mean, rstd


def _group_norm(input, num_groups, weight, bias, eps):
    xd = input._data
    n, c = xd.shape[0], xd.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(xd.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t._data.shape)} and input of shape {list(xd.shape)}")
    mean, invstd = _stats(xd.reshape(n, num_groups, _group_size(xd.shape, num_groups)), (2,), eps)
    return nary(NativeGroupNormBackward0, (input, weight, bias), mean, invstd, num_groups, eps)


@register("nn.functional.group_norm")
def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalize each group of channels of each sample, then scale and shift per channel."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    return _group_norm(input, num_groups, weight, bias, eps)


register("group_norm", method=False)(lambda input, num_groups, weight=None, bias=None, eps=1e-5,
                                     cudnn_enabled=True: group_norm(input, num_groups, weight, bias, eps))


# ---- local response norm, normalize ---------------------------------------------------------------
@register("nn.functional.local_response_norm")
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean of x**2 over a window of size channels) ** beta``"""
    from ..shape import cat

    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    shape = input._data.shape
    c = shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(_const(np.zeros((shape[0], before) + shape[2:], input._data.dtype)))
    parts.append(sq)
    if after:
        parts.append(_const(np.zeros((shape[0], after) + shape[2:], input._data.dtype)))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    window = padded.narrow(1, 0, c)
    for i in range(1, size):  # (a loop over the window, not the elements)
        window = window + padded.narrow(1, i, c)
    div = (window / size * alpha + k) ** beta
    return input / div


@register("nn.functional.normalize")
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    from ..linalg.norms import norm

    d = _wrap_dim(dim, input.ndim) if input.ndim else None
    denom = norm(input, p, d, True).clamp_min(eps).expand_as(input)
    return input / denom
