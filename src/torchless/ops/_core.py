"""The op registry and the three ways an op is applied: unary, binary, n-ary.

An op is a Node subclass named as torch names its grad_fn (``MulBackward0``) with
- ``forward(*arrays, *params)``: a staticmethod on backend arrays, returning an array;
- ``backward(self, g)``: the derivative rule, in torchless tensor ops (so it can be
  differentiated again), returning one gradient per operand (None where there is none).
  ``self.saved`` are the operands (tensors or Python numbers; None for a tensor the rule
  does not need, see ``save_when``), ``self.shapes`` their shapes, ``self._params`` the
  non-tensor arguments, ``self.out`` the output when the class sets ``save_output``.

The public function (``torchless.mul``, ``Tensor.mul``) is registered with ``register``.
"""

from __future__ import annotations

import itertools

from .._dtype import DEFAULT, result_np_dtype
from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap, check_not_inference
from ..autograd.graph import Node
from ..autograd.recording import current as _recording
from ..autograd.recording import on_record
from ..backend import np

_enabled = _grad_enabled.get
_ndarray = np.ndarray
_asarray = np.asarray
_add_reduce = np.add.reduce  # (ndarray.sum goes through a Python wrapper first)
_F16, _F32 = np.dtype(np.float16), np.dtype(np.float32)
_number = (int, float, bool)

# name -> OpInfo; Tensor methods, functional names and the generated tests all read it
OPS: dict = {}


class OpInfo:
    __slots__ = ("name", "fn", "method", "inplace", "samples", "differentiable", "torch_name", "gradcheck")

    def __init__(self, name, fn, method, inplace, samples, differentiable, gradcheck):
        self.name = name
        self.fn = fn
        self.method = method
        self.inplace = inplace
        self.samples = samples
        self.differentiable = differentiable
        self.gradcheck = gradcheck


def register(name=None, *, method=True, function=True, inplace=None, samples=(), differentiable=True,
             gradcheck=True):
    """Publish ``fn`` as ``torchless.<name>`` (unless function=False) and ``Tensor.<name>``.

    A dotted name publishes into a namespace instead: ``register("linalg.det")`` is
    ``torchless.linalg.det`` (and no Tensor method unless ``method`` names one, e.g.
    ``method="det"``). ``samples``: argument tuples for the generated tests; ``T(3, 4)``
    stands for a random float64 tensor of that shape (see tests/opinfo.py).
    """

    def deco(fn):
        key = name or fn.__name__
        dotted = "." in key
        meth = method if isinstance(method, str) else (key if method and not dotted else None)
        OPS[key] = OpInfo(key, fn if function else None, meth, inplace, samples, differentiable,
                          gradcheck)
        if meth is not None:
            setattr(Tensor, meth, fn)
        return fn

    return deco


def namespace(prefix: str) -> dict:
    """The public functions registered under ``prefix`` ("" for torchless itself, "linalg",
    "nn.functional", ...), by their short names: how every public namespace is filled."""
    out = {}
    for key, info in OPS.items():
        if info.fn is None:
            continue
        space, _, short = key.rpartition(".")
        if space == prefix:
            out[short] = info.fn
    return out


class Op(Node):
    """A built-in operation (see the module docstring)."""

    __slots__ = ("shapes",)
    saves_operands = True  # False: the rule needs only the operands' shapes (``self.shapes``)
    # which tensor operands to keep, one entry per operand: True (always) or the indices of
    # the inputs whose gradients read it (mul keeps x only if y needs a gradient). An operand
    # not kept stays neither alive nor checked for in-place changes. None: keep them all.
    save_when = None
    save_output = False  # set when the rule reads self.out
    is_view = False  # the output shares memory (and the version counter) with operand 0
    reshapes = False  # a view whose only parameter is the new shape (replayable as a reshape)
    float_result = False  # integer operands are computed in the default float dtype
    rejects_bool = False  # torch refuses bool operands (subtraction)
    # torch computes this op of a float16 tensor and a Python number in float32, rounding once
    # (mul, div, pow, floor_divide); add, sub and remainder round the number to float16 first
    scalar_in_float32 = False

    @staticmethod
    def forward(*args):
        raise NotImplementedError

    def backward(self, g):
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        sw = cls.save_when
        if sw is not None:
            # save_when worked out for every pattern of live edges: one dict lookup per op
            cls.keep_for = {
                live: tuple(w is True or any(live[j] for j in w) for w in sw)
                for live in itertools.product((False, True), repeat=len(sw))
            }


def _finish(cls, data, edges, saved, versions, params, base, shapes=None):
    """Wrap ``data`` as the op's output, recording a node when ``edges`` is not None.
    (``shapes``: the operands' shapes, when the caller has them at hand.)"""
    if data.__class__ is not _ndarray:
        data = _asarray(data)
    if edges is None:
        out = _wrap(data, None)
    else:
        node = cls()
        if not cls.saves_operands:  # nothing to keep alive or to check for in-place changes
            if shapes is None:
                shapes = tuple([t._data.shape if isinstance(t, Tensor) else () for t in saved])
            saved, versions = (), None
        node.shapes = shapes
        # (graph._init_node's fields, set here in one statement: this runs for every recorded op)
        node._next, node._saved, node._versions, node._params, node._out, node._hooks = (
            edges, saved, versions, params, None, None)
        out = _wrap(data, node)
        if cls.save_output:
            vc = out._vc = [0]
            node._out = (data, vc, 0)
        if _recording() is not None:  # saved-tensor hooks or anomaly mode are on
            on_record(node, out=out)
    if cls.is_view:
        vc = base._vc
        if vc is None:
            vc = base._vc = [0]
        out._vc = vc
        # a view remembers how it was taken from its root base, so that an in-place change
        # of the view can be recorded on the base (see ops/inplace.py)
        step = ((cls, params),)
        root = base._base
        if root is None:
            out._base = base
            out._extra = extra = {"view_steps": step}
        else:
            out._base = root
            out._extra = extra = {"view_steps": base._extra["view_steps"] + step}
        if _enabled():  # the version it was taken at: an in-place change of the base since
            extra["view_version"] = vc[0]  # calls for a fresh grad_fn (Tensor._edge)
    return out


def unary(cls, x: Tensor, *params) -> Tensor:
    """Apply an op of one tensor operand (plus non-tensor ``params``)."""
    xd = x._data
    if cls.float_result and xd.dtype.kind != "f" and xd.dtype.kind != "c":
        xd = xd.astype(DEFAULT.float.np)
    data = cls.forward(xd, *params)
    if (x._rg or x._base is not None and _view_requires_grad(x)) and _enabled():
        vc = x._vc
        out = _finish(cls, data, (x._edge(),), (x,), (vc[0] if vc else 0,), params, x, (x._data.shape,))
    elif cls.is_view:
        out = _finish(cls, data, None, None, None, params, x)
    else:
        out = _wrap(data, None)
    if _recording() is not None:  # (forward-mode AD: tangents, see below)
        _tangent(cls, (x,), params, out)
    return out


def binary(cls, x, y, *params) -> Tensor:
    """Apply an op of two operands, tensors or Python numbers, with torch's type promotion.

    This is the hot path of every program: plain checks first, the general cases after.
    """
    xc, yc = x.__class__, y.__class__
    xt = xc is Tensor or (xc not in _number and isinstance(x, Tensor))
    yt = yc is Tensor or (yc not in _number and isinstance(y, Tensor))
    half = False  # float16 with a number, computed in float32 (see Op.scalar_in_float32)
    if xt:
        xd = x._data
        if yt:
            yd = y._data
            if xd.dtype is not yd.dtype or (cls.float_result and xd.dtype.kind != "f"):
                x, y, xd, yd = _promote(cls, x, y, xd, yd)
        else:
            if y.__class__ not in _number:
                y = _as_number(y)
                if y.__class__ is complex:  # (a complex number makes the result complex)
                    x, y, xd, _ = _promote(cls, x, y, xd, y)
            elif y.__class__ is int and not INT_MIN <= y < INT_END:
                raise int_overflow(y)
            yd = y
            if xd.dtype.kind != "f" or y.__class__ is bool:
                x, y, xd, yd = _promote(cls, x, y, xd, yd)
            elif xd.dtype is _F16 and cls.scalar_in_float32:
                xd, half = xd.astype(_F32), True
    elif yt:
        if x.__class__ not in _number:
            x = _as_number(x)
            if x.__class__ is complex:
                x, y, _, _ = _promote(cls, x, y, x, y._data)
        elif x.__class__ is int and not INT_MIN <= x < INT_END:
            raise int_overflow(x)
        xd, yd = x, y._data
        if yd.dtype.kind != "f" or x.__class__ is bool:
            x, y, xd, yd = _promote(cls, x, y, xd, yd)
        elif yd.dtype is _F16 and cls.scalar_in_float32:
            yd, half = yd.astype(_F32), True
    else:
        raise TypeError(f"{cls.__name__[:-9].lower()}: expected a Tensor operand, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    try:
        data = cls.forward(xd, yd, *params)
    except ValueError:
        raise broadcast_error(x, y) from None
    if half:
        data = data.astype(_F16)
    rx = xt and (x._rg or x._base is not None and _view_requires_grad(x))
    ry = yt and (y._rg or y._base is not None and _view_requires_grad(y))
    if (rx or ry) and _enabled():
        # an edge per operand: None where no gradient is wanted, False for a Python number
        if rx:
            vc = x._vc
            ex, vx = x._edge(), (vc[0] if vc else 0)
        else:
            ex, vx = (None, _version(x)) if xt else (False, None)
        if ry:
            vc = y._vc
            ey, vy = y._edge(), (vc[0] if vc else 0)
        else:
            ey, vy = (None, _version(y)) if yt else (False, None)
        shapes = (x._data.shape if xt else (), y._data.shape if yt else ())
        if cls.save_when is None:
            if cls.saves_operands and (xt and not rx and x._extra is not None or yt and not ry and y._extra is not None):
                check_not_inference(x, y)
            out = _finish(cls, data, (ex, ey), (x, y), (vx, vy), params, x, shapes)
        else:
            kx, ky = cls.keep_for[rx, ry]  # (numbers are always kept: they cost nothing)
            saved = (x if kx or not xt else None, y if ky or not yt else None)
            if kx and xt and not rx and x._extra is not None or ky and yt and not ry and y._extra is not None:
                check_not_inference(*saved)
            # (no tensor kept: no versions to check, and no tuple to keep for them)
            versions = (vx if kx else None, vy if ky else None) if kx and xt or ky and yt else None
            out = _finish(cls, data, (ex, ey), saved, versions, params, x, shapes)
    else:
        out = _wrap(data, None)
    if _recording() is not None:
        _tangent(cls, (x, y), params, out)
    return out


def broadcast_error(*operands) -> RuntimeError:
    """torch's error for operands whose shapes do not broadcast: the first size that clashes
    with the shape broadcast from the operands before it."""
    shape = ()
    for v in operands:
        s = v._data.shape if isinstance(v, Tensor) else ()
        try:
            shape = np.broadcast_shapes(shape, s)
        except ValueError:
            n = max(len(shape), len(s))
            for i in range(1, n + 1):
                a = shape[-i] if i <= len(shape) else 1
                b = s[-i] if i <= len(s) else 1
                if a != b and 1 not in (a, b):
                    return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                        f"non-singleton dimension {n - i}")
    return RuntimeError(f"shapes {[list(getattr(v, 'shape', ())) for v in operands]} do not broadcast")


def nary(cls, operands: tuple, *params, base=None) -> Tensor:
    """Apply an op whose operands are a tuple of tensors (cat, stack, where, ...)."""
    data = cls.forward(*[t._data if isinstance(t, Tensor) else t for t in operands], *params)
    if _enabled():
        edges = tuple(t._edge() if isinstance(t, Tensor) and (t._rg or t._base is not None and _view_requires_grad(t))
                      else None for t in operands)
        if any(e is not None for e in edges):
            saved, versions = operands, tuple([_version(t) for t in operands])
            shapes = None
            if cls.save_when is not None:
                shapes = tuple([t._data.shape if isinstance(t, Tensor) else () for t in operands])
                keep = cls.keep_for[tuple([e is not None for e in edges])]
                saved = tuple([t if k or not isinstance(t, Tensor) else None for t, k in zip(saved, keep)])
                versions = tuple([v if k else None for v, k in zip(versions, keep)])
            if cls.saves_operands:
                check_not_inference(*saved)
            out = _finish(cls, data, edges, saved, versions, params, base, shapes)
            if _recording() is not None:
                _tangent(cls, operands, params, out)
            return out
    out = _finish(cls, data, None, None, None, params, base)
    if _recording() is not None:
        _tangent(cls, operands, params, out)
    return out


def _tangent(cls, operands, params, out) -> None:
    """Inside a dual level, ``out``'s tangent (autograd/forward_ad.py)."""
    if _recording().dual is not None:
        from ..autograd.forward_ad import on_op

        on_op(cls, operands, params, out)


def _view_requires_grad(t: Tensor) -> bool:
    """A view's requires_grad, brought up to date with its base (which may have started to
    require grad through an in-place change since the view was taken)."""
    t._refresh_view()
    return t._rg


def _version(t):
    if isinstance(t, Tensor):
        vc = t._vc
        return vc[0] if vc else 0
    return None


# torch reads a Python int operand as a 64-bit integer, signed or not: outside that, an error
INT_MIN, INT_END = -(2**63), 2**64


def int_overflow(v: int) -> OverflowError:
    return OverflowError("int too big to convert" if v > 0 else "can't convert negative int to unsigned")


def check_int(v) -> None:
    """torch's OverflowError for a Python int outside the 64-bit range (other values pass)."""
    if v.__class__ is int and not INT_MIN <= v < INT_END:
        raise int_overflow(v)


def _as_number(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (int, float, bool, complex)):
        return v
    raise TypeError(f"unsupported operand type: {type(v).__name__} (expected a Tensor or a number)")


def _promote(cls, x, y, xd, yd):
    """The operands and their arrays in torch's result dtype (Python numbers stay numbers:
    NumPy treats them as weak, so they take the array's dtype)."""
    rd = result_np_dtype((x, y))
    if cls.rejects_bool and any(v.__class__ is bool or (isinstance(v, Tensor) and v._data.dtype.kind == "b")
                                for v in (x, y)):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
            "mask, use the `~` or `logical_not()` operator instead."
        )
    if cls.float_result and rd.kind in "biu":
        rd = DEFAULT.float.np
    if isinstance(x, Tensor):
        if xd.dtype is not rd:
            x, xd = _cast(x, xd, rd)
    elif rd.kind in "iu" and isinstance(x, int):
        xd = _wrapped_int(x, rd)
    if isinstance(y, Tensor):
        if yd.dtype is not rd:
            y, yd = _cast(y, yd, rd)
    elif rd.kind in "iu" and isinstance(y, int):
        yd = _wrapped_int(y, rd)
    return x, y, xd, yd


def _cast(t: Tensor, data, rd):
    """An operand in the result dtype. One that requires grad is cast by a recorded op, so
    that its gradient comes back in its own dtype (as torch's engine casts it)."""
    if t._rg and _enabled():
        from .._dtype import FROM_NP

        t = t.to(FROM_NP[rd])
        return t, t._data
    return t, data.astype(rd)


def _wrapped_int(v: int, rd):
    """A Python int in an integer dtype, wrapping around as torch does (NumPy would refuse)."""
    info = np.iinfo(rd)
    if info.min <= v <= info.max:
        return v
    return np.array(v).astype(rd)[()]


def add_reduce(x, axis=None, dtype=None, keepdims=False):
    """``np.add.reduce`` (the sum over ``axis``, all of them when None), with float16 summed in
    float32 as torch sums it (NumPy would add float16 rows in float16, losing digits)."""
    if dtype is None:
        if x.dtype is not _F16:
            return _add_reduce(x, axis, None, None, keepdims)
    elif dtype != _F16:
        return _add_reduce(x, axis, dtype, None, keepdims)
    elif x.dtype is not _F16:  # (torch casts the elements to float16 first)
        x = x.astype(_F16)
    return _add_reduce(x, axis, _F32, None, keepdims).astype(_F16)


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast gradient back down to ``shape`` (the one place broadcasting is undone)."""
    gshape = g._data.shape
    if gshape == shape:
        return g
    if not shape and not _enabled():  # to a scalar, unrecorded: the common case of a 0-d parameter
        gd = g._data
        return _wrap(_add_reduce(gd, None) if gd.dtype is not _F16 else add_reduce(gd), None)
    lead = len(gshape) - len(shape)
    kept = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    dims = tuple(range(lead)) + kept
    if not _enabled():  # nothing to record: stay on the arrays
        if not kept:  # only leading dims (a bias): the sum has the shape, in memory of its own
            return _wrap(add_reduce(g._data, dims), None)
        return _wrap(add_reduce(g._data, dims, None, True).reshape(shape), None)
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead or g._data.shape != shape:
        g = g.reshape(shape)
    return g


def conj_saved(v):
    """The complex conjugate of a rule's saved operand: a tensor, a Python number, or None (not
    saved). Rules call it only for complex gradients: g * conj(d/dx) is torch's convention."""
    if v is None:
        return None
    return v.conj() if isinstance(v, Tensor) else v.conjugate()


_vdot = np.vdot
_blas_floats = (np.dtype(np.float32), np.dtype(np.float64))


def sum_to_product(g: Tensor, y, shape: tuple) -> Tensor:
    """``sum_to(g * y, shape)``: the gradient of a factor ``y`` multiplied into ``g``'s shape.

    The common case of a 0-d factor (a scalar parameter) over a few thousand elements, unrecorded
    and in float32 or float64, is one dot product: BLAS does the multiply and the sum in one
    pass, without a product array. (BLAS adds in a few running sums, whose rounding error
    grows with the length: beyond DOT_MAX elements the product is summed pairwise, as torch's
    sums are.)"""
    if not shape and y.__class__ is Tensor and not _enabled():
        gd, yd = g._data, y._data
        if gd.shape == yd.shape and gd.dtype is yd.dtype and gd.size <= DOT_MAX and gd.dtype in _blas_floats:
            return _wrap(_asarray(_vdot(gd, yd)), None)
    return sum_to(g * y, shape)


DOT_MAX = 2048  # (float32 error of such a dot: within a few ulps, as a pairwise sum's)


__all__ = ["OPS", "register", "namespace", "Op", "unary", "binary", "nary", "add_reduce", "sum_to", "sum_to_product",
           "conj_saved"]
