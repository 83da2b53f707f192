"""Tensor: an array, and what autograd needs to know about it.

Operations live in ``ops/``; their Tensor methods are attached from the registry when the
package is imported. This file holds the state, the attributes and the conversions.
"""

from __future__ import annotations

import weakref

from . import _dtype
from ._device import CPU
from ._grad_mode import _grad_enabled, _inference
from .backend import np

_ndarray = np.ndarray
_asarray = np.asarray


class Size(tuple):
    """A tensor's shape: a tuple of ints.

    >>> Size([2, 3])
    torch.Size([2, 3])
    """

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = ("_data", "_rg", "grad_fn", "_output_nr", "_grad", "_vc", "_base", "_acc", "_extra", "__weakref__")
    __array_priority__ = 1000  # so that ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data=None, *args, **kwargs):
        raise TypeError("use torchless.tensor(data) to make a tensor")

    # ---- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        if self._base is not None:
            self._refresh_view()
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag) -> None:
        flag = bool(flag)
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._rg = flag

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self.retains_grad and self._grad is None:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: expected {self.dtype}, got {value.dtype}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected {list(self.shape)}, got {list(value.shape)}"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def _version(self) -> int:
        vc = self._vc
        return vc[0] if vc is not None else 0

    def _bump(self) -> None:
        """Record an in-place change: the version counter is shared with every view."""
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _accumulator(self) -> AccumulateGrad:
        """The AccumulateGrad node of this leaf, shared by every graph that uses it."""
        ref = self._acc
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return acc

    def _edge(self):
        """Where a gradient for this tensor goes (an edge, see graph.make_edge): its grad_fn's
        output, a leaf's AccumulateGrad, or None when it needs none."""
        if self._base is not None:
            self._refresh_view()
        fn = self.grad_fn
        if fn is not None:
            nr = self._output_nr
            return fn if nr == 0 else (fn, nr)
        if not self._rg:
            return None
        ref = self._acc  # (the accumulator's lookup inline: this runs for every op on a leaf)
        acc = ref() if ref is not None else None
        return acc if acc is not None else self._accumulator()

    def _refresh_view(self) -> None:
        """A view whose base changed in place since it was taken gets a grad_fn from the base's
        new history, as torch regenerates it (views taken under no_grad are left alone)."""
        extra = self._extra
        version = extra.get("view_version")
        base = self._base
        if version is None or (version == self._vc[0] and (self._rg or not base._rg)):
            return  # (made under no_grad, or neither the base's data nor its requires_grad changed)
        extra["view_version"] = self._vc[0]
        if base._rg:
            from .ops.inplace import replay

            token = _grad_enabled.set(True)
            try:
                fresh = replay(extra["view_steps"], base)
            finally:
                _grad_enabled.reset(token)
            self.grad_fn, self._output_nr, self._rg = fresh.grad_fn, 0, True

    def _extras(self) -> dict:
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    # ---- hooks ---------------------------------------------------------------------------
    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        >>> import torchless as torch
        >>> x = torch.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> x.sum().backward(); x.grad
        tensor([2., 2.])
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            hooks = self._extras().setdefault("hooks", {})
        else:
            hooks = self.grad_fn._hook_table(("tensor", self._output_nr))
        return add_hook(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return add_hook(self._extras().setdefault("post_acc", {}), hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.retains_grad:
            return
        ref = weakref.ref(self)  # weak: the graph must not keep its outputs alive

        def retain(g):
            t = ref()
            if t is not None:
                if t._grad is None:
                    # a copy unless the backward is itself recorded (create_graph)
                    t._grad = g if _grad_enabled.get() else _wrap(g._data.copy(), None)
                else:
                    t._grad = t._grad + g

        self._extras()["retains_grad"] = True
        self.grad_fn._hook_table(("retain", self._output_nr))[0] = retain

    @property
    def retains_grad(self) -> bool:
        extra = self._extra
        return bool(extra and extra.get("retains_grad")) and self.grad_fn is not None

    # ---- attributes --------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        return _wrap(self._data, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.FROM_NP[self._data.dtype]

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def layout(self):
        return _dtype.strided

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        d = self._data
        if d.size == 0:  # NumPy gives empty arrays arbitrary strides; torch counts size-0 dims as 1
            st, n = [], 1
            for size in reversed(d.shape):
                st.append(n)
                n *= max(size, 1)
            st = tuple(reversed(st))
        else:
            st = tuple(s // d.itemsize for s in d.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    def dim_order(self) -> tuple:
        """The dims from outermost to innermost in memory (by stride, ties kept in dim order)."""
        st = self.stride()
        return tuple(sorted(range(len(st)), key=lambda d: -st[d]))

    def is_set_to(self, tensor) -> bool:
        """Whether both tensors view the same memory with the same sizes and strides."""
        a, b = self._data, tensor._data
        return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.shape == b.shape
                and a.strides == b.strides and a.dtype == b.dtype)

    # (CPU memory shared between processes and page-locked memory are CUDA-side notions in torch)
    def is_pinned(self, device=None) -> bool:
        return False

    def pin_memory(self, device=None) -> Tensor:
        return self

    def is_shared(self) -> bool:
        return False

    def share_memory_(self) -> Tensor:
        return self

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def get_device(self) -> int:
        return -1

    def is_inference(self) -> bool:
        """Whether this tensor was made inside ``inference_mode`` (or is a view of one that was)."""
        t = self if self._base is None else self._base
        extra = t._extra
        return bool(extra and extra.get("inference"))

    # ---- conversion ----------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False):
        # (under no_grad, as in a custom Function's forward, a tensor that requires grad may be read)
        if self._rg and not force and _grad_enabled.get():
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._rg and _grad_enabled.get():
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._rg and _grad_enabled.get():  # (torch is silent under no_grad)
            import warnings

            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                "Consider using tensor.detach() first.",
                UserWarning,
                stacklevel=3,
            )
        return kind(self._data.reshape(()).item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self._data.reshape(()).item())

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __complex__(self):
        return self._scalar(complex)

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._printing import format_tensor

        suffixes = []
        fn = self.grad_fn
        if fn is not None:
            suffixes.append(f"grad_fn=<{type(fn).__name__}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        return format_tensor(self._data, self._data.dtype.name, _dtype.DEFAULT.float.name, suffixes)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._rg))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        t = _wrap(self._data.copy(), None)
        t._rg = self._rg
        if self._grad is not None:
            t._grad = _wrap(self._grad._data.copy(), None)
        memo[id(self)] = t
        return t


def _rebuild(data, rg):
    t = _wrap(data, None)
    t._rg = rg
    return t


_new = object.__new__


def _wrap(data, grad_fn) -> Tensor:
    """A new Tensor over ``data``; with a grad_fn it is that node's (first) output."""
    if data.__class__ is not _ndarray:
        data = _asarray(data)
    t = _new(Tensor)
    t._data = data
    t._rg = grad_fn is not None
    t.grad_fn = grad_fn
    t._output_nr = 0
    t._grad = None
    t._vc = None
    t._base = None
    t._acc = None
    # made inside inference_mode (where nothing is recorded): an inference tensor
    t._extra = None if grad_fn is not None or not _in_inference() else {"inference": True}
    return t


_in_inference = _inference.get

INFERENCE_SAVED_MESSAGE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use "
    "it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")


def check_not_inference(*saved) -> None:
    """torch refuses to save an inference tensor for backward (raised where the op is recorded)."""
    for t in saved:
        if t.__class__ is Tensor and t._extra is not None and t._extra.get("inference"):
            raise RuntimeError(INFERENCE_SAVED_MESSAGE)


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) made non-negative (0-d tensors accept -1 and 0)."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


# at the end: the autograd package imports this module back
from .autograd.graph import AccumulateGrad, add_hook
