"""In-place operations: ``x.add_(y)``, ``x += y``, ``x.zero_()``, ...

An in-place op writes its result into the tensor's own memory and bumps the version counter
it shares with its views. When the graph is recorded, the tensor's history is rebased: its
grad_fn becomes the op's node, whose operand is a copy of the old value.
"""

from __future__ import annotations

from .._grad_mode import _grad_enabled, _inference
from .._tensor import Tensor, _wrap
from ..autograd.recording import current as _recording
from ..autograd.saved_hooks import note_mutation
from ..backend import np
from . import _core
from ._core import _F16

INFERENCE_INPLACE_MESSAGE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal "
    "tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.")
LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_inference(self: Tensor) -> None:
    """An inference tensor can be changed in place only inside inference_mode."""
    if self.is_inference() and not _inference.get():
        raise RuntimeError(INFERENCE_INPLACE_MESSAGE)


def check_inplace(self: Tensor, *others) -> bool:
    """Refuse what torch refuses; say whether this in-place op must be recorded."""
    extra = self._extra
    if extra is not None:
        _check_inference(self)
    if not _grad_enabled.get():
        return False
    requires = self.requires_grad  # (a view's, brought up to date with its base)
    if requires and self.grad_fn is None:
        raise RuntimeError(LEAF_MESSAGE)
    extra = self._extra
    if requires and extra is not None and "function_view" in extra:
        name, nr = extra["function_view"]
        raise RuntimeError(
            f"Output {nr} of {name} is a view and is being modified inplace. This view was created inside a "
            "custom Function (or because an input was returned as-is) and the autograd logic to handle "
            "view+inplace would override the custom backward associated with the custom Function, leading to "
            "incorrect gradients. This behavior is forbidden. You can fix this by cloning the output of the "
            "custom Function."
        )
    track = requires or any(isinstance(o, Tensor) and o.requires_grad for o in others)
    if track and self._base is not None and self._base._rg and self._base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    return track


def rebase(self: Tensor, node) -> None:
    """Make ``node`` the tensor's grad_fn (the tensor is now the node's output). A retain_grad
    moves along: it is about the tensor's current value."""
    old, old_nr = self.grad_fn, self._output_nr
    self.grad_fn = node
    self._output_nr = 0
    self._rg = True
    extra = self._extra
    if extra is not None and extra.get("retains_grad") and old is not None and old._hooks:
        table = old._hooks.get(("retain", old_nr))
        if table:
            node._hook_table(("retain", 0)).update(table)
            table.clear()


OVERLAP_MESSAGE = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
    "location. Please clone() the tensor before performing the operation."
)


def check_overlap(dst: np.ndarray, src: np.ndarray) -> None:
    """torch refuses an in-place op whose operand covers part of the memory it writes (the
    result would depend on the order of the writes): ranges that overlap, or the same range
    laid out differently (x -= x.t()). As torch, it only judges dense layouts."""
    if src is dst or src.base is None and dst.base is None:  # (two arrays owning their memory)
        return
    if not np.may_share_memory(dst, src) or not (_dense(dst) and _dense(src)):
        return
    if dst.shape == src.shape and _byte_bounds(dst) == _byte_bounds(src) and _layout(dst) == _layout(src):
        return  # the very same elements, element for element: allowed (x -= x)
    raise RuntimeError(OVERLAP_MESSAGE)


def _layout(a: np.ndarray) -> list:
    """(size, stride) of each axis that has more than one element (NumPy's strides on axes of
    size 1 are arbitrary)."""
    return [(n, st) for n, st in zip(a.shape, a.strides) if n != 1]


try:
    _byte_bounds = np.lib.array_utils.byte_bounds
except AttributeError:  # NumPy < 2
    _byte_bounds = np.byte_bounds


def _dense(a: np.ndarray) -> bool:
    """Whether the elements fill their memory without gaps or repeats, in any order of axes."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    expected = a.itemsize
    for stride, size in sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _write(self: Tensor, result: np.ndarray, name: str) -> None:
    dst = self._data
    if result.dtype is dst.dtype and result.shape == dst.shape and dst.flags.writeable:
        np.copyto(dst, result)
        return
    if result.dtype is not dst.dtype and not np.can_cast(result.dtype, dst.dtype, "same_kind"):
        from .._dtype import FROM_NP

        raise RuntimeError(
            f"result type {FROM_NP[result.dtype].name.capitalize()} can't be cast to the desired output type "
            f"{FROM_NP[dst.dtype].name.capitalize()}"
        )
    if result.shape != dst.shape:
        raise RuntimeError(
            f"output with shape {list(dst.shape)} doesn't match the broadcast shape {list(np.broadcast_shapes(dst.shape, result.shape))}"
        )
    if not dst.flags.writeable:
        from ..autograd.strict import owner

        locked_by = owner(dst)
        if locked_by is not None:
            node, line = locked_by
            raise RuntimeError(
                f"strict mode: {name} would change a tensor that {node} saved for backward (recorded at {line}); "
                "backward would compute wrong gradients from it. Change a clone() instead, or make the change "
                "after backward.")
    if not dst.flags.writeable and 0 in dst.strides:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")
    if not dst.flags.writeable:
        raise RuntimeError(
            f"unsupported operation: {name} on a tensor whose memory is shared by broadcasting (expand) or is "
            "read-only; clone() it first."
        )
    np.copyto(dst, result, casting="unsafe")


# in-place ops whose tensor value is 0-d, read by torch as a number: no overlap check for them
_READS_A_NUMBER = frozenset({"fill_", "masked_fill_"})


def _check_operands(self: Tensor, name: str, args, kwargs) -> None:
    if name not in _READS_A_NUMBER:
        for a in (*args, *kwargs.values()):
            if isinstance(a, Tensor):
                check_overlap(self._data, a._data)


def apply_inplace(self: Tensor, fn, name: str, *args, **kwargs) -> Tensor:
    """Run the out-of-place ``fn(self, *args)`` and store its result in ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{name}: expected a Tensor")
    state = _recording()
    if state is not None and state.dual is not None:
        fn = _carrying_tangents(self, fn)
    if not _grad_enabled.get():  # the common case: an optimizer step under no_grad
        if self._extra is not None:
            _check_inference(self)
            note_mutation(self)
        _check_operands(self, name, args, kwargs)
        _write(self, fn(self, *args, **kwargs)._data, name)
        self._bump()
        return self
    track = check_inplace(self, *args)
    _check_operands(self, name, args, kwargs)
    if self._extra is not None:  # (a view, or a tensor saved inside allow_mutation_on_saved_tensors)
        note_mutation(self)
    if not track:
        token = _grad_enabled.set(False)
        try:
            out = fn(self, *args, **kwargs)
        finally:
            _grad_enabled.reset(token)
        _write(self, out._data, name)
        self._bump()
        return self
    if self._base is not None:
        return _inplace_on_view(self, fn, name, args, kwargs)
    # the node must see the old value: keep a copy with the old history
    old = _wrap(self._data.copy(), self.grad_fn)
    old._rg, old._output_nr = self._rg, self._output_nr
    out = fn(old, *args, **kwargs)
    _write(self, out._data, name)
    self._bump()
    node = out.grad_fn
    if node is None:  # the new value does not depend on anything recorded
        self.grad_fn, self._rg = None, False
    else:
        rebase(self, node)
        if node._out.__class__ is tuple:  # the rule reads the output: it is now this tensor
            # (not when packed by saved-tensor hooks: unpack gives back the value written here)
            if self._vc is None:
                self._vc = [0]
            node._out = (self._data, self._vc, self._vc[0])
    return self


def _carrying_tangents(self: Tensor, fn):
    """``fn`` for an in-place op inside a dual level (forward-mode AD): the copy of the old value
    that the op reads carries the old tangents, and ``self`` gets the result's tangents after."""
    tangents = (self._extra or {}).get("tangents")

    def carrying(x, *a, **k):
        if x is not self and tangents:
            if x._extra is None:
                x._extra = {}
            x._extra["tangents"] = dict(tangents)
        out = fn(x, *a, **k)
        new = (out._extra or {}).get("tangents")
        if new or tangents:
            if self._extra is None:
                self._extra = {}
            self._extra["tangents"] = dict(new or {})
        return out

    return carrying


# ---- in-place changes of views --------------------------------------------------------------------
def replay(steps, t: Tensor) -> Tensor:
    """Take the view described by ``steps`` of ``t`` again, as recorded (differentiable) ops."""
    for cls, params in steps:
        if cls.reshapes:  # t may be a gradient whose layout needs a copy: reshape, not view
            t = t.reshape(params[0])
        else:
            t = _core.unary(cls, t, *params)
    return t


def replay_array(steps, a: np.ndarray) -> np.ndarray:
    """The same view of a NumPy array (writable when ``a`` is)."""
    for cls, params in steps:
        a = cls.forward(a, *params)
    return a


class CopySlices(_core.Op):
    """An in-place change of a view, seen from its base: the view's region now comes from
    ``new``. d/dbase = g with that region zeroed; d/dnew = that region of g."""

    saves_operands = False

    def backward(self, g):
        (steps,) = self._params
        gb = gn = None
        if self.needs(0):
            mask = np.ones(self.shapes[0], dtype=g._data.dtype)
            replay_array(steps, mask)[...] = 0
            gb = g * _wrap(mask, None)
        if self.needs(1):
            gn = replay(steps, g)
        return gb, gn

    def name(self) -> str:
        return "torch::autograd::CopySlices"


def rebase_on_view(view: Tensor) -> None:
    """``view`` got a new history in place: its base now takes that region from it."""
    from ..autograd.graph import _init_node, make_edge

    base = view._base
    node = CopySlices()
    node.shapes = (base._data.shape, view._data.shape)
    # (the view's own edge as it stands: its grad_fn is the new history, not one to refresh)
    view_edge = make_edge(view.grad_fn, view._output_nr) if view.grad_fn is not None else None
    _init_node(node, (base._edge() if base._rg else None, view_edge), (), None, (view._extra["view_steps"],))
    rebase(base, node)
    view._extra["view_version"] = view._vc[0]


def _inplace_on_view(self, fn, name, args, kwargs):
    """An in-place op on a view of a recorded base: base = base with the view's region replaced
    by op(view); the view then becomes a fresh view of the base's new history."""
    base, steps = self._base, self._extra["view_steps"]
    # a clone: the write into the base's memory below must not change what fn saved
    new = fn(replay(steps, base).clone(), *args, **kwargs)
    _write(self, new._data, name)
    self._bump()
    if base._rg or new._rg:
        view = _wrap(self._data, new.grad_fn)
        view._rg, view._base, view._extra, view._vc = new._rg, base, self._extra, self._vc
        rebase_on_view(view)
        rebase(self, replay(steps, base).grad_fn)
        self._extra["view_version"] = self._vc[0]
    return self


def _write_directly(self, other, ufunc, alpha=1) -> bool:
    """``self = ufunc(self, alpha * other)`` straight into self's memory, when that is what the
    general path would compute: no grad mode (an optimizer step), a float tensor, a Python float
    or an array of the same dtype and shape, no views' history to keep. False: not done."""
    if _grad_enabled.get():
        return False
    xd = self._data
    od = other._data if other.__class__ is Tensor else other
    if not (xd.dtype.kind == "f" and (
            od.__class__ is float and xd.dtype is not _F16  # (float16 with a number: binary's care)
            or (od.__class__ is np.ndarray and od.dtype is xd.dtype and od.shape == xd.shape)
    ) and xd.flags.writeable and self._extra is None and xd.ndim):
        return False  # (NumPy's out= costs more than the arithmetic on a 0-d array: the general path)
    if od.__class__ is np.ndarray and (od.base is not None or xd.base is not None):
        check_overlap(xd, od)  # (views: they may share memory)
    if alpha != 1:
        if alpha.__class__ is not float and alpha.__class__ is not int:
            return False
        od = np.multiply(od, alpha)  # (rounded to xd's dtype, as ``other * alpha`` is)
    ufunc(xd, od, out=xd)
    vc = self._vc  # (self._bump(), inline)
    if vc is None:
        self._vc = [1]
    else:
        vc[0] += 1
    return True


def inplace_operator(cls, fn, name: str):
    """``x op= y``. Under no_grad (an optimizer step), with operands that need no promotion,
    the op's ufunc writes straight into x's memory; everything else goes through apply_inplace."""
    ufunc = cls.forward

    def operator(self, other):
        if _write_directly(self, other, ufunc):
            return self
        return apply_inplace(self, fn, name, other)

    operator.__name__ = f"__i{name.rstrip('_')}__"
    return operator


def inplace_method(cls, fn, name: str, alpha: bool = False):
    """``x.add_(y, alpha=a)`` and its kin: the fast path of ``inplace_operator``, as a method."""
    ufunc = cls.forward

    def method(self, *args, **kwargs):
        plain = len(args) == 1 and (not kwargs or (alpha and len(kwargs) == 1 and "alpha" in kwargs))
        if plain and _write_directly(self, args[0], ufunc, kwargs.get("alpha", 1)):
            return self
        return apply_inplace(self, fn, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def _make_inplace(name, fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def install() -> None:
    """Add ``<op>_`` methods for every registered op that declares an in-place form."""
    for info in list(_core.OPS.values()):
        if info.inplace and info.method and not hasattr(Tensor, info.inplace):
            fn = getattr(Tensor, info.method)
            setattr(Tensor, info.inplace, _make_inplace(info.inplace, fn))


class CopyBackwards(_core.Op):
    """copy_: the old value gets no gradient; the source gets g summed to its shape"""

    saves_operands = False

    @staticmethod
    def forward(x, src):
        try:
            return np.broadcast_to(src, x.shape).astype(x.dtype)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({x.shape[-1] if x.ndim else 1}) must match the size of tensor b "
                f"({np.shape(src)[-1] if np.ndim(src) else 1}): cannot copy a tensor of shape {list(np.shape(src))} "
                f"into one of shape {list(x.shape)}"
            ) from None

    def backward(self, g):
        _, ss = self.shapes
        gx = g * 0 if self.needs(0) else None
        gs = _core.sum_to(g, ss) if self.needs(1) else None
        return gx, gs

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"


def _copy(s, v):
    return _core.nary(CopyBackwards, (s, v))


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
    else:
        from .._creation import check_fits

        check_fits(value, self._data.dtype)
        value = _wrap(np.asarray(value, dtype=self._data.dtype), None)
    return apply_inplace(self, _copy, "fill_", value)


def copy_(self: Tensor, src, non_blocking=False) -> Tensor:
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
    if not isinstance(src, Tensor):
        src = _wrap(np.asarray(src, dtype=self._data.dtype), None)
    return apply_inplace(self, _copy, "copy_", src)


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return fill_(self, 0)


Tensor.zero_ = zero_
Tensor.fill_ = fill_
Tensor.copy_ = copy_


def _inplace_view(name: str, view):
    """An in-place form of a view op (``x.t_()``): the tensor takes the view's shape and strides,
    and, when recorded, the view's node as its history."""

    def method(self, *args, **kwargs):
        track = check_inplace(self)
        out = view(self, *args, **kwargs)
        self._data = out._data
        self._bump()
        if track:
            rebase(self, out.grad_fn)
        return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{name[:-1]}``, changing this tensor's shape in place."
    return method


for _name in ("squeeze_", "unsqueeze_", "t_", "transpose_", "swapdims_", "swapaxes_"):
    setattr(Tensor, _name, _inplace_view(_name, getattr(Tensor, _name[:-1])))
