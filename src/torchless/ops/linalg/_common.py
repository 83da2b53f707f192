"""What the linalg files share: input checks, torch's LinAlgError, ops with several outputs,
and a few tensor helpers the derivative rules are written with."""

from __future__ import annotations

from ..._grad_mode import _grad_enabled
from ..._tensor import Tensor, _wrap
from ...autograd.graph import version_mismatch
from ...autograd.recording import current as _recording
from ...autograd.recording import on_record
from ...backend import np
from .._core import Op, _view_requires_grad


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix that is singular, or not positive-definite, ..."""


# ---- input checks (torch's messages) ---------------------------------------------------------
def check_float(name: str, *tensors: Tensor) -> None:
    for t in tensors:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                               f"{t.dtype.name.capitalize()}")


def check_matrix(name: str, A: Tensor, label: str = "A", square: bool = False) -> None:
    """At least two dims (and square ones with ``square``), in a floating dtype."""
    check_float(name, A)
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"{name}: The input tensor {label} must have at least 2 dimensions.")
    if square and shape[-1] != shape[-2]:
        raise RuntimeError(f"{name}: {label} must be batches of square matrices, but they are {shape[-2]} by "
                           f"{shape[-1]} matrices")


def check_same_dtype(name: str, A: Tensor, B: Tensor, a: str = "A", b: str = "B") -> None:
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected {a} and {b} to have the same dtype, but found {a} of type "
                           f"{_kind(A)} and {b} of type {_kind(B)} instead.")


def _kind(t: Tensor) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(t._data.dtype.name, t.dtype.name)


def batch_prefix(shape: tuple, index: int) -> str:
    """torch's "(Batch element i): " for an error about one matrix of a batch."""
    return f"(Batch element {index}): " if len(shape) > 2 else ""


# ---- ops with several outputs -----------------------------------------------------------------
class MultiOp(Op):
    """An op with several outputs (slogdet, qr, svd, eigh ...): ``forward`` returns a tuple of
    arrays, the first ``n_outputs`` differentiable; ``backward(self, *grads)`` receives one
    gradient per differentiable output (None where none arrived) and reads them as ``self.outs``."""

    n_outputs = 2

    def _apply(self, grads):
        return self.backward(*grads)

    @property
    def outs(self) -> tuple:
        """The differentiable outputs of the forward pass, as tensors of this node."""
        outs = self._out
        if not isinstance(outs, tuple):  # freed
            return self.out
        result = []
        for nr, (data, vc, version) in enumerate(outs):
            t = _wrap(data, self)
            t._output_nr, t._vc = nr, vc
            if vc[0] != version:
                raise version_mismatch(t, self.name(), version)
            result.append(t)
        return tuple(result)


def multi(cls, operands: tuple, *params) -> tuple:
    """Apply a MultiOp to tensor ``operands`` (None for an absent one): its outputs as tensors."""
    arrays = cls.forward(*[t._data if isinstance(t, Tensor) else t for t in operands], *params)
    n = cls.n_outputs
    if _grad_enabled.get():
        edges = tuple(t._edge() if isinstance(t, Tensor) and (t._rg or t._base is not None and _view_requires_grad(t))
                      else None for t in operands)
        if any(e is not None for e in edges):
            node = cls()
            node.shapes = tuple(t._data.shape if isinstance(t, Tensor) else () for t in operands)
            versions = tuple(t._version if isinstance(t, Tensor) else None for t in operands)
            node._next, node._saved, node._versions, node._params, node._hooks = (
                edges, tuple(operands), versions, params, None)
            outs, saved_outs = [], []
            for nr, data in enumerate(arrays[:n]):
                data = np.asarray(data)
                t = _wrap(data, node)
                vc = t._vc = [0]
                t._output_nr = nr
                saved_outs.append((data, vc, 0))
                outs.append(t)
            node._out = tuple(saved_outs)
            if _recording() is not None:  # saved-tensor hooks or anomaly mode are on
                on_record(node)
            return tuple(outs) + tuple(_wrap(np.asarray(a), None) for a in arrays[n:])
    return tuple(_wrap(np.asarray(a), None) for a in arrays)


# ---- helpers for derivative rules (torchless tensor ops, so they differentiate again) ---------
def const(data, like: Tensor | None = None) -> Tensor:
    """A constant tensor (no gradient) over an array, in ``like``'s dtype when given."""
    data = np.asarray(data)
    if like is not None and data.dtype != like._data.dtype:
        data = data.astype(like._data.dtype)
    return _wrap(data, None)


def eye_like(A: Tensor, n: int | None = None) -> Tensor:
    """The n x n identity (n: A's last dim) in A's dtype."""
    n = A._data.shape[-1] if n is None else n
    return const(np.eye(n, dtype=A._data.dtype))


def diag_embed(v: Tensor) -> Tensor:
    """The vectors ``v`` (..., n) on the diagonals of (..., n, n) matrices."""
    return v.unsqueeze(-1) * eye_like(v)


def diag(A: Tensor) -> Tensor:
    """The diagonals of the matrices ``A`` (..., n, n)."""
    return A.diagonal(0, -2, -1)


def zeros_like(A: Tensor) -> Tensor:
    return const(np.zeros(A._data.shape, A._data.dtype))


def mH(A: Tensor) -> Tensor:
    """The conjugate transpose of the matrices of A."""
    return A.mH if A._data.dtype.kind == "c" else A.mT


# ---- torch's grad_fn name on a composite's result ----------------------------------------------
class _Named(Op):
    """An identity step: a composite op's result as the output of a node named as torch names
    the op's grad_fn (AddmvBackward0 ...). Its rule passes the gradient through."""

    saves_operands = False

    @staticmethod
    def forward(x):
        return x.copy()  # (memory of its own: the composite's last tensor may be saved by a rule)

    def backward(self, g):
        return (g,)


_NAMED: dict = {}


def named(out: Tensor, name: str) -> Tensor:
    """``out`` recorded under the grad_fn name ``name`` (unchanged when nothing is recorded)."""
    if out.grad_fn is None:
        return out
    cls = _NAMED.get(name)
    if cls is None:
        cls = _NAMED[name] = type(name, (_Named,), {"__slots__": ()})
    from .._core import unary

    return unary(cls, out)
