"""softmax and log_softmax along a dim, computed without overflow."""

from __future__ import annotations

from .._tensor import Tensor, _wrap_dim
from ..backend import np
from ._core import Op, register, unary
from ._samples import T
from .pointwise import not_implemented_for


def _shifted(x, dim):
    m = np.amax(x, axis=dim, keepdims=True) if x.size else 0
    return x - np.where(np.isfinite(m), m, 0)


class SoftmaxBackward0(Op):
    """softmax: d/dx = out * (g - sum(g * out))"""

    saves_operands = False
    save_output = True

    @staticmethod
    def forward(x, dim):
        if x.ndim == 0:  # (1, but nan for an infinite or nan x, as torch's x - max(x) gives)
            return np.exp(x - x)
        e = np.exp(_shifted(x, dim))
        return e / np.sum(e, axis=dim, keepdims=True)

    def backward(self, g):
        (dim,) = self._params
        out = self.out
        return (out * (g - (g * out).sum(dim, keepdim=True)),)


class LogSoftmaxBackward0(Op):
    """log_softmax: d/dx = g - exp(out) * sum(g)"""

    saves_operands = False
    save_output = True

    @staticmethod
    def forward(x, dim):
        if x.ndim == 0:
            return x - x
        s = _shifted(x, dim)
        return s - np.log(np.sum(np.exp(s), axis=dim, keepdims=True))

    def backward(self, g):
        (dim,) = self._params
        return (g - self.out.exp() * g.sum(dim, keepdim=True),)


def _prepare(name, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim) if ndim else 0
    if input._data.dtype.kind in "biuc" and input._data.size:  # (torch's kernels take real floats only)
        kernel = f"{name}_lastdim_kernel_impl" if d >= ndim - 1 else f"{name}_kernel_impl"
        raise not_implemented_for(kernel, input._data.dtype)
    return input, d


@register(samples=[(T(3, 4), 1), (T(3, 4), 0), (T(5), -1), (T(2, 3, 4), 1), (T(), 0)])
def softmax(input, dim=None, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    input, d = _prepare("softmax", input, dim, dtype)
    return unary(SoftmaxBackward0, input, d)


@register(samples=[(T(3, 4), 1), (T(5), 0), (T(2, 3, 4), -2), (T(), 0)])
def log_softmax(input, dim=None, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, without overflow."""
    input, d = _prepare("log_softmax", input, dim, dtype)
    return unary(LogSoftmaxBackward0, input, d)
