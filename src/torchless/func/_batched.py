"""Batched tensors, the values ``vmap`` runs a function on.

A ``BatchedTensor`` is one *logical* tensor per batch element, held as one physical tensor
(``_value``) with an extra dimension (``_bdim``) at a vmap ``_level``. Its shape, ``dim()`` and
indexing are the logical ones; every operation on it goes to a *batching rule* (func/_rules.py)
that runs the operation once on the physical tensor, moving or folding the batch dimension. An
operation without a rule runs once per batch element (with a warning naming it).

While a vmap runs, the public functions (``torchless.sum``, ``torchless.nn.functional.relu``, ...)
are replaced by dispatchers that send calls with batched arguments to their rules and all others
to the function itself; outside vmap nothing is replaced, so the ordinary path pays nothing.
A nested vmap batches a ``BatchedTensor`` of an outer level: its ``_value`` is itself batched.
"""

from __future__ import annotations

import functools
import threading
import types
import warnings
from typing import ClassVar

from .._tensor import Size, Tensor


class BatchedTensor:
    """One logical tensor per element of a vmap's batch (see the module docstring)."""

    __slots__ = ("_value", "_bdim", "_level", "__weakref__")

    def __init__(self, value, bdim: int, level: int):
        self._value, self._bdim, self._level = value, bdim, level

    # ---- the logical tensor's description ----------------------------------------------------------
    @property
    def shape(self) -> Size:
        s = tuple(self._value.shape)
        return Size(s[: self._bdim] + s[self._bdim + 1:])

    def size(self, dim=None):
        shape = self.shape
        return shape if dim is None else shape[dim]

    def dim(self) -> int:
        return self._value.dim() - 1

    ndim = property(dim)

    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def __len__(self) -> int:
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    dtype = property(lambda self: self._value.dtype)
    device = property(lambda self: self._value.device)
    requires_grad = property(lambda self: self._value.requires_grad)
    is_leaf = property(lambda self: self._value.is_leaf)
    grad_fn = property(lambda self: self._value.grad_fn)
    layout = property(lambda self: self._value.layout)
    T = property(lambda self: self.permute(*reversed(range(self.dim()))))
    mT = property(lambda self: self.transpose(-2, -1))
    H = property(lambda self: self.T.conj())
    mH = property(lambda self: self.transpose(-2, -1).conj())

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def is_complex(self) -> bool:
        return self._value.is_complex()

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self._level}, bdim={self._bdim}, value=\n{self._value!r}\n)"

    # ---- what a batched value cannot do -------------------------------------------------------------
    def item(self):
        raise RuntimeError("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
                           "calling .item() on a Tensor, please try to rewrite what you're doing with other "
                           "operations.")

    def _data_dependent(self, *args):
        raise RuntimeError("vmap: It looks like you're attempting to use a Tensor in some data-dependent control "
                           "flow. We don't support that yet, please shout over at "
                           "https://github.com/pytorch/functorch/issues/257 .")

    __bool__ = __int__ = __float__ = __index__ = _data_dependent

    def tolist(self):
        raise RuntimeError("vmap: It looks like you're calling .tolist() on a Tensor; a batched tensor has no single "
                           "list of values.")

    def numpy(self):
        raise RuntimeError("vmap: numpy() of a batched tensor is not supported: its values are one tensor per "
                           "batch element.")

    # ---- everything else: the batching rules ------------------------------------------------------
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if isinstance(getattr(Tensor, name, None), property):  # (real, imag, data, grad: elementwise)
            return wrap(getattr(self._value, name), self._bdim, self._level)
        if name.startswith("_"):  # (a torchless internal met a batched value: no rule routed it)
            raise RuntimeError(f"vmap: a batched tensor reached torchless internals ({name}) without passing through "
                               "a batching rule: a torchless function was probably looked up before vmap started "
                               "(e.g. `from torchless import f`); call it as torchless.f inside the function")
        if not hasattr(Tensor, name):
            raise AttributeError(f"'Tensor' object has no attribute '{name}'")
        return functools.partial(call_method, name, self)

    def __getitem__(self, index):
        return call_method("__getitem__", self, index)

    def __setitem__(self, index, value):
        call_method("__setitem__", self, index, value)

    def __iter__(self):
        return iter(self.unbind(0))

    __hash__ = object.__hash__


def _operator(name):
    def method(self, *args):
        return call_method(name, self, *args)

    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__neg__", "__pos__", "__abs__", "__invert__", "__and__", "__rand__", "__or__", "__ror__",
              "__xor__", "__rxor__", "__lshift__", "__rshift__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__",
              "__ge__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__"):
    setattr(BatchedTensor, _name, _operator(_name))


# ---- levels and unwrapping -------------------------------------------------------------------------
def level_of(args, kwargs=None) -> int | None:
    """The innermost vmap level among the batched values in ``args`` (and lists/tuples in them)."""
    best = None
    for a in _leaves(args, kwargs):
        if a.__class__ is BatchedTensor and (best is None or a._level > best):
            best = a._level
    return best


def _leaves(args, kwargs=None):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a
    if kwargs:
        for a in kwargs.values():
            if isinstance(a, (list, tuple)):
                yield from a
            else:
                yield a


def batch_size(args, kwargs, level: int) -> int:
    for a in _leaves(args, kwargs):
        if a.__class__ is BatchedTensor and a._level == level:
            return a._value.shape[a._bdim]
    raise AssertionError("no batched value at this level")


def unwrap(x, level: int):
    """``(physical value, bdim)`` of ``x`` at ``level``: bdim None if ``x`` is not batched there."""
    if x.__class__ is BatchedTensor and x._level == level:
        return x._value, x._bdim
    return x, None


def wrap(x, bdim: int | None, level: int):
    """A result at ``level``: tensors batched at ``bdim`` (tuples and lists element by element)."""
    if bdim is None:
        return x
    if isinstance(x, (Tensor, BatchedTensor)):
        return BatchedTensor(x, bdim, level)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(wrap(v, bdim, level) for v in x))
    if isinstance(x, (tuple, list)):
        return type(x)(wrap(v, bdim, level) for v in x)
    return x


def is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, BatchedTensor))


# ---- dispatch ----------------------------------------------------------------------------------------
def call_method(name: str, self, *args, **kwargs):
    """``self.<name>(*args)`` for a batched ``self`` (or batched arguments)."""
    return dispatch(name, _method_caller(name), (self, *args), kwargs)


@functools.cache
def _method_caller(name: str):
    def call(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)

    call.__name__ = name
    return call


def dispatch(name: str, fn, args: tuple, kwargs: dict):
    """Run op ``name`` (applied by ``fn`` to unbatched values) on ``args``: through its batching rule
    at the innermost level among them, or once per batch element when it has none."""
    level = level_of(args, kwargs)
    if level is None:
        return fn(*args, **kwargs)
    from ._rules import RULES

    rule = RULES.get(name)
    if rule is not None:
        return rule(fn, level, args, kwargs)
    return fallback(name, fn, level, args, kwargs)


def fallback(name: str, fn, level: int, args: tuple, kwargs: dict, warn: bool = True):
    """No batching rule: run ``fn`` once per batch element and stack the results."""
    if warn:
        warnings.warn(f"There is a performance drop because we have not yet implemented the batching rule for "
                      f"{name}. Please file us an issue on GitHub so that we can prioritize its implementation.",
                      UserWarning, stacklevel=4)
    from .. import ops

    n = batch_size(args, kwargs, level)
    in_place = name.endswith("_") and not name.endswith("__") or name in ("__setitem__", "__iadd__", "__isub__",
                                                                            "__imul__", "__itruediv__")

    def pick(x, b):
        if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
            return type(x)(pick(v, b) for v in x)
        v, d = unwrap(x, level)
        if d is None:
            return v
        element = v.select(d, b)
        return element if in_place else element.clone()  # (a copy: its storage is its own, as in a loop)

    results = [fn(*(pick(a, b) for a in args), **{k: pick(v, b) for k, v in kwargs.items()}) for b in range(n)]
    return _stack_results(results, level, ops.shape.stack)


def _stack_results(results, level, stack):
    first = results[0]
    if isinstance(first, (Tensor, BatchedTensor)):
        return BatchedTensor(stack(results, 0), 0, level)
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(_stack_results([r[i] for r in results], level, stack) for i in range(len(first))))
    if isinstance(first, (tuple, list)):
        return type(first)(_stack_results([r[i] for r in results], level, stack) for i in range(len(first)))
    if all(r == first for r in results):
        return first
    raise RuntimeError("vmap: an operation without a batching rule returned different non-tensor values for "
                       "different batch elements")


# ---- the dispatchers installed while vmap runs ---------------------------------------------------------
class _Installed:
    """The public functions replaced by dispatchers, while at least one vmap runs (any thread:
    a dispatcher sends unbatched calls straight to the function, so other threads see no change)."""

    lock = threading.Lock()
    depth = 0
    saved: ClassVar[list] = []  # (namespace, {name: original}) while installed
    dispatchers: ClassVar[dict] = {}  # id(original) -> its dispatcher (kept, so each is made once)
    plan: ClassVar[list] = []  # see _plan
    plan_key = None


def _namespaces():
    """(module, registry prefix) of every public namespace filled from the registry."""
    import importlib

    import torchless

    spaces = [(torchless, "")]
    for prefix in ("linalg", "special", "fft", "nn.functional", "masked"):
        spaces.append((importlib.import_module(f"torchless.{prefix}"), prefix))
    spaces.append((torchless.ops.aten, "ops.aten"))
    return spaces


# functions of the torchless namespace that are not in the registry but meet batched values
EXTRA = ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like",
         "as_tensor", "tensor", "rand", "randn", "randint", "normal", "randperm", "broadcast_tensors", "linspace",
         "logspace", "full")


def _dispatcher(name: str, original):
    @functools.wraps(original)
    def dispatcher(*args, **kwargs):
        if level_of(args, kwargs) is None and not _random_sensitive(name):
            return original(*args, **kwargs)
        return dispatch(name, original, args, kwargs)

    dispatcher._vmap_original = original
    dispatcher._vmap_key = name
    for key, value in vars(original).items():  # (torch.ops.aten.<name>.default is the function itself)
        if value is original:
            setattr(dispatcher, key, dispatcher)
    return dispatcher


def _random_sensitive(name: str) -> bool:
    from ._rules import RANDOM

    return name in RANDOM and current_randomness() is not None


def _plan() -> list:
    """``(owner, originals, dispatchers)``: for each public namespace and for Tensor, the functions
    (by name) that vmap replaces and their dispatchers; worked out once (again only when the
    registry or Tensor's methods grow)."""
    from ..ops import OPS, load_all

    if _Installed.plan_key is None:
        load_all()  # (later topic files can only add to OPS, which the key sees)
    key = (len(OPS), len(vars(Tensor)))
    if _Installed.plan_key == key:
        return _Installed.plan
    plan = []
    for module, prefix in _namespaces():
        start = prefix + "." if prefix else ""
        names = [key[len(start):] for key, info in OPS.items()
                 if info.fn is not None and key.startswith(start) and "." not in key[len(start):]]
        if not prefix:
            names += list(EXTRA)
        fns = {short: original(getattr(module, short, None)) for short in names}
        plan.append(_entry(module, {short: fn for short, fn in fns.items() if fn is not None and callable(fn)},
                           start))
    # Tensor's methods too: a batched self never reaches them (BatchedTensor routes its own), but
    # one called unbound does (Tensor.uniform_(x)), and so do batched arguments (t.add(x))
    plan.append(_entry(Tensor, {name: original(fn) for name, fn in vars(Tensor).items()
                                if isinstance(fn, types.FunctionType)}, ""))
    _Installed.plan, _Installed.plan_key = plan, key
    return plan


def _entry(owner, originals: dict, prefix: str) -> tuple:
    return owner, originals, {name: _dispatcher_of(fn, prefix + name) for name, fn in originals.items()}, prefix


def _dispatcher_of(fn, key: str):
    replacement = _Installed.dispatchers.get(id(fn))
    if replacement is None or replacement._vmap_original is not fn:
        replacement = _Installed.dispatchers[id(fn)] = _dispatcher(key, fn)
    return replacement


def _swap(owner, functions: dict) -> None:
    if isinstance(owner, types.ModuleType):
        vars(owner).update(functions)
    else:
        for name, fn in functions.items():
            setattr(owner, name, fn)


def install() -> None:
    with _Installed.lock:
        _Installed.depth += 1
        if _Installed.depth > 1:
            return
        plan = _plan()
        for owner, originals, dispatchers, prefix in plan:
            current = vars(owner)
            for name in [name for name, fn in originals.items() if current.get(name) is not fn]:
                fn = getattr(owner, name, None)  # (replaced since the plan was made)
                if fn is not None and callable(fn):
                    originals[name], dispatchers[name] = fn, _dispatcher_of(fn, prefix + name)
                else:
                    del originals[name], dispatchers[name]
            _swap(owner, dispatchers)
        _Installed.saved = [(owner, originals) for owner, originals, _, _ in plan]
        _Installed.saved.append(_install_function_apply())


def _install_function_apply():
    """Custom ``autograd.Function``s meet batched arguments in ``function_apply``."""
    from ..autograd.function import Function

    unbatched = vars(Function)["apply"]

    def apply(cls, *args, **kwargs):
        if level_of(args, kwargs) is None:
            return unbatched.__func__(cls, *args, **kwargs)
        return function_apply(cls, args, kwargs)

    Function.apply = classmethod(functools.wraps(unbatched.__func__)(apply))
    return Function, {"apply": unbatched}


def uninstall() -> None:
    with _Installed.lock:
        _Installed.depth -= 1
        if _Installed.depth > 0:
            return
        for owner, originals in _Installed.saved:
            _swap(owner, originals)
        _Installed.saved = []


def original(fn):
    """The function behind a dispatcher (itself if none)."""
    return getattr(fn, "_vmap_original", fn)


def dispatching(fn):
    """The dispatcher of a public function that was looked up before vmap started (``vmap(torch.dot)``),
    else ``fn`` itself."""
    replacement = _Installed.dispatchers.get(id(fn))
    if replacement is not None and replacement._vmap_original is fn:
        return replacement
    owner = getattr(fn, "__self__", None)  # (a custom Function's ``apply``, bound before vmap started)
    if isinstance(owner, type) and hasattr(owner, "_backward_cls") and fn.__name__ == "apply":
        return owner.apply
    return fn


# ---- the vmap levels now running (innermost last) ----------------------------------------------------
_local = threading.local()


def levels() -> list:
    stack = getattr(_local, "levels", None)
    if stack is None:
        stack = _local.levels = []
    return stack


def current_randomness():
    stack = levels()
    return stack[-1][1] if stack else None


def randomness_at(level: int):
    for lvl, randomness, size in levels():
        if lvl == level:
            return randomness
    return "error"


# ---- differentiation inside vmap (per-sample gradients) -------------------------------------------------
def peel(x):
    """``(physical tensor, tower)``: the tensor under every level of batching, and the
    ``(level, bdim)`` of each wrapper, outermost wrapper (innermost level) first."""
    tower = []
    while x.__class__ is BatchedTensor:
        tower.append((x._level, x._bdim))
        x = x._value
    return x, tower


def rebuild(physical, tower):
    """``peel``'s inverse."""
    for level, bdim in reversed(tower):
        physical = BatchedTensor(physical, bdim, level)
    return physical


def _in_layout(g, tower, shape):
    """A logical gradient ``g`` laid out as a physical tensor of ``shape`` with ``tower``'s batch
    dimensions: the same tower as ``g``'s own, or an unbatched ``g`` repeated along them."""
    physical, own = peel(g) if g.__class__ is BatchedTensor else (g, [])
    if own == tower:
        return physical
    if own:
        raise RuntimeError("vmap: a grad_output batched differently from its output is not supported")
    for _, bdim in tower:
        physical = physical.unsqueeze(bdim)
    return physical.expand(*shape)


def autograd_grad(outputs, inputs, grad_outputs, **kwargs):
    """``autograd.grad`` of batched values: one backward pass over the physical tensors. Each batch
    element's output depends on its own inputs only, so the physical gradient holds every
    element's gradient (inputs not batched must be repeated first: see ``materialize``)."""
    from .. import ones_like
    from ..autograd import grad

    outputs = [outputs] if outputs.__class__ is BatchedTensor or isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if inputs.__class__ is BatchedTensor or isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or grad_outputs.__class__ is BatchedTensor or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    physical_outputs, physical_grads = [], []
    for out, g in zip(outputs, grad_outputs):
        physical, tower = peel(out)
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(physical)
        else:
            g = _in_layout(g, tower, physical.shape)
        physical_outputs.append(physical)
        physical_grads.append(g)
    towers = [peel(x) for x in inputs]
    grads = grad(physical_outputs, [p for p, _ in towers], physical_grads, **kwargs)
    return tuple(None if g is None else rebuild(g, tower) for g, (_, tower) in zip(grads, towers))


def materialize(x):
    """``x`` batched at the innermost running vmap level, repeated along a new batch dimension if it
    is not: what a gradient transform differentiates, so that each batch element has its own copy
    (and its own gradient) of a value the batch shares."""
    stack = levels()
    if not stack or not isinstance(x, (Tensor, BatchedTensor)):
        return x
    level, _, size = stack[-1]
    if x.__class__ is BatchedTensor and x._level == level:
        return x
    return BatchedTensor(x.unsqueeze(0).expand(size, *x.shape), 0, level)


def vmap_running() -> bool:
    return bool(levels())


# ---- custom autograd Functions inside vmap -----------------------------------------------------------------
class VmapInfo:
    """What a Function's ``vmap`` staticmethod is told: the batch size and the randomness mode."""

    __slots__ = ("batch_size", "randomness")

    def __init__(self, batch_size: int, randomness: str):
        self.batch_size, self.randomness = batch_size, randomness


def function_apply(cls, args, kwargs):
    """``cls.apply`` with batched arguments: through its ``vmap`` staticmethod (a batching rule the
    user wrote: it gets the physical values and their batch dims, and returns outputs and their
    batch dims), or, with ``generate_vmap_rule=True``, once per batch element (forward and
    backward stay the user's)."""
    level = level_of(args, kwargs)
    user_rule = cls.__dict__.get("vmap") or next((c.__dict__["vmap"] for c in cls.__mro__[1:]
                                                  if "vmap" in c.__dict__ and c.__name__ != "Function"), None)
    if user_rule is not None:
        info = VmapInfo(batch_size(args, kwargs, level), randomness_at(level))
        physical = [unwrap(a, level) for a in args]
        out, out_dims = user_rule.__func__(info, tuple(d for _, d in physical), *(v for v, _ in physical)) \
            if isinstance(user_rule, staticmethod) else user_rule(info, tuple(d for _, d in physical),
                                                                  *(v for v, _ in physical))
        if isinstance(out, tuple):
            dims = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(out)
            return tuple(wrap(o, d, level) for o, d in zip(out, dims))
        return wrap(out, out_dims, level)
    if getattr(cls, "generate_vmap_rule", False):
        return fallback(f"{cls.__name__}.apply", cls.apply, level, args, kwargs, warn=False)
    raise RuntimeError(f"To use autograd.Function with vmap, you must either override the vmap staticmethod or set "
                       f"generate_vmap_rule=True. ({cls.__name__})")
