"""nn.functional dropout ops (registered as "nn.functional.<name>"; see ops/_core.py).

As torch on the CPU: the mask is ``empty_like(x).bernoulli_(1 - p)`` (one per element, or one per
(sample, channel) for the feature variants), so that with the same seed the same elements drop.
"""

from __future__ import annotations

import math
import warnings

from ..._grad_mode import no_grad
from ..._tensor import Tensor, _wrap
from ...backend import np
from .._core import Op, nary, register
from .._samples import B, T
from ..inplace import apply_inplace

ALPHA = 1.7580993408473766  # selu's alpha * scale: the value a dropped unit takes in alpha dropout


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, feature: bool) -> Tensor:
    shape = input._data.shape
    if feature:
        if len(shape) < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:2] + (1,) * (len(shape) - 2)
    with no_grad():
        return _wrap(np.empty(shape, input._data.dtype), None).bernoulli_(1 - p)


def _dropout(input: Tensor, p: float, train: bool, feature: bool = False, alpha: bool = False) -> Tensor:
    """torch's dropout: ``input * mask / (1 - p)`` (plus a shift for alpha dropout)."""
    if p == 0 or not train or input._data.size == 0:
        return input
    if p == 1:
        return input * _wrap(np.zeros_like(input._data), None)
    noise = _noise(input, p, feature)
    if alpha:
        a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
        nd = noise._data
        b = _wrap(((nd - 1) * (ALPHA * a) + ALPHA * a * p).astype(nd.dtype), None)
        return input * _wrap((nd * a).astype(nd.dtype), None) + b
    return input * _wrap((noise._data / (1 - p)).astype(input._data.dtype), None)


def _maybe_inplace(input, inplace, *args):
    if inplace:
        return apply_inplace(input, _dropout, "dropout_", *args)
    return _dropout(input, *args)


@register("nn.functional.dropout")
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (when training)."""
    _check_p(p)
    return _maybe_inplace(input, inplace, p, training)


@register("nn.functional.alpha_dropout")
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps selu's self-normalising mean and variance."""
    _check_p(p)
    return _maybe_inplace(input, inplace, p, training, False, True)


@register("nn.functional.feature_alpha_dropout")
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha dropout of whole channels."""
    _check_p(p)
    return _maybe_inplace(input, inplace, p, training, True, True)


@register("nn.functional.dropout1d", samples=[(T(2, 3, 4), 0.5, False), (T(3, 4), 0.0)])
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    nd = input.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d exists to provide "
            "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs).")
    return _feature_unbatched(input, p, training, inplace, nd == 3)


def _feature_unbatched(input, p, training, inplace, batched):
    if batched:
        return _maybe_inplace(input, inplace, p, training, True)
    if inplace:
        return apply_inplace(input, lambda x: _dropout(x.unsqueeze(0), p, training, True).squeeze(0), "dropout_")
    return _dropout(input.unsqueeze(0), p, training, True).squeeze(0)


@register("nn.functional.dropout2d")
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs (a 3-D input is read as (N, C, L), as torch does)."""
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=2)
    return _maybe_inplace(input, inplace, p, training, True)


@register("nn.functional.dropout3d")
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            "dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).", UserWarning, stacklevel=2)
    return _feature_unbatched(input, p, training, inplace, nd == 5)


# torch's top-level forms: (input, p, train)
register("dropout", method=False)(lambda input, p, train: _dropout(input, p, train))
register("alpha_dropout", method=False)(lambda input, p, train: _dropout(input, p, train, False, True))
register("feature_dropout", method=False, samples=[(T(2, 3, 4), 0.5, False)])(lambda input, p, train: _dropout(input, p, train, True))
register("feature_alpha_dropout", method=False)(lambda input, p, train: _dropout(input, p, train, True, True))


class NativeDropoutBackward0(Op):
    """native dropout: y = x * mask * scale, d/dx = mask * scale"""

    saves_operands = False

    @staticmethod
    def forward(x, mask, scale):
        return (x * mask * scale).astype(x.dtype, copy=False)

    def backward(self, g):
        mask, scale = self._params
        return (native_dropout_backward(g, _wrap(mask, None), scale),)


@register("native_dropout", method=False, samples=[(T(3, 4), 0.0, True), (T(3, 4), 0.5, False)])
def native_dropout(input: Tensor, p: float, train) -> tuple:
    """(output, keep mask): dropout returning its boolean mask."""
    if not train or p == 0:
        mask = np.ones(input._data.shape, bool)
        return nary(NativeDropoutBackward0, (input,), mask, 1.0), _wrap(mask, None)
    if p == 1:
        mask = np.zeros(input._data.shape, bool)
        return nary(NativeDropoutBackward0, (input,), mask, 0.0), _wrap(mask, None)
    mask = _noise(input, p, False)._data.astype(bool)
    return nary(NativeDropoutBackward0, (input,), mask, 1.0 / (1 - p)), _wrap(mask, None)


class NativeDropoutBackwardBackward0(Op):
    """native_dropout_backward: g * mask * scale, linear in g"""

    saves_operands = False

    @staticmethod
    def forward(g, mask, scale):
        return (g * mask * scale).astype(g.dtype, copy=False)

    def backward(self, gg):
        mask, scale = self._params
        return (native_dropout_backward(gg, _wrap(mask, None), scale),)


def native_dropout_backward(grad_output: Tensor, mask: Tensor, scale: float) -> Tensor:
    """The gradient of native_dropout: ``grad_output * mask * scale``."""
    if grad_output._data.dtype.kind != "f":  # (integers and bools give the default float dtype)
        from ..._dtype import DEFAULT

        grad_output = grad_output.to(DEFAULT.float)
    return nary(NativeDropoutBackwardBackward0, (grad_output,), mask._data, scale)


register("ops.aten.native_dropout_backward", samples=[(T(2, 2), B([[True, False], [False, True]]), 2.0)])(
    native_dropout_backward)
