"""Custom operations: subclass ``Function`` with static ``forward`` and ``backward``.

A Function's node (``<Name>Backward``) is also the ``ctx`` its methods receive, and it meets
the engine through the same ``Node._apply`` as every built-in op.
"""

from __future__ import annotations

import functools
import inspect

from .._grad_mode import _grad_enabled
from .._tensor import Tensor, _wrap
from ..backend import np
from .graph import _FREED, FREED_MESSAGE, Node, _init_node, version_mismatch
from .recording import _recording as _recording_var
from .recording import current as _recording
from .recording import on_record


def _has_tangents(args) -> bool:
    from .forward_ad import has_tangents
    return has_tangents(args)


class FunctionCtx:
    """The ctx methods: what ``forward`` / ``setup_context`` tell ``backward``."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (inputs, outputs or intermediates; None allowed) for backward."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}"
                )
        if "_to_save" in vars(self):
            state = _recording()
            if state is not None and state.lint:
                from .lint import check_save_twice
                check_save_twice(self)
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        """Keep tensors for a ``jvp`` static method (forward-mode AD)."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place (they must be returned)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that have no gradient."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """True (default): missing output gradients arrive as zeros; False: as None."""
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """Base of the ``<Name>Backward`` node classes made for each Function."""

    _forward_cls = None  # the Function subclass, set on each generated class
    # what the ctx methods set, until they are called (instance attributes then shadow these)
    _to_save = ()
    _dirty = ()
    _non_differentiable = ()
    materialize_grads = True
    _will_backward = False
    _lint = False  # (checked by the Function linter, lint.py)

    @property
    def will_backward(self) -> bool:
        """Whether this call is recorded for backward (some input requires grad and grad mode is
        on): a forward may skip saving what no backward will read. A torchless extension."""
        return self._will_backward
    runs_without_grads = True
    # Node's needs_input_grad is a property; a Function's is the plain tuple set by apply.
    needs_input_grad = ()

    def __init__(self):
        self._next = ()
        self._saved = ()
        self._versions = ()
        self._params = None
        self._out = None
        self._hooks = None

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, checked against in-place changes since."""
        saved = self._saved
        if saved.__class__ is not tuple:  # freed, or packed by saved-tensor hooks (saved_hooks.py)
            if saved is _FREED:
                raise RuntimeError(FREED_MESSAGE)
            return saved.unpack(self)
        out = []
        for item, version in zip(saved, self._versions):
            if item is None:
                out.append(None)
                continue
            if isinstance(item, tuple):  # one of our own outputs, kept without a reference cycle
                data, vc, nr, rg = item
                t = _wrap(data, self if rg else None)
                t._vc, t._output_nr, t._rg = vc, nr, rg
            else:
                t = item
            if t._version != version:
                raise version_mismatch(t, self.name(), version)
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def _release(self) -> None:
        if self._saved:
            self._saved = _FREED
        if self._hooks is not None and "strict" in self._hooks:  # (write-locked by strict mode)
            from .strict import release

            release(self)

    def _apply(self, grads):
        if self.materialize_grads and None in grads:  # (Tensor == None is NotImplemented: cheap)
            grads = [
                _wrap(np.zeros(m[0], dtype=m[1]), None) if g is None and m is not None else g
                for g, m in zip(grads, self._out)
            ]
        backward = self._forward_cls._plan()[3]
        if self._lint:
            from .lint import run_backward
            result = run_backward(self, grads, lambda gs: backward(self, *gs))
        else:
            result = backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        return self._check_grads(result)

    def _check_grads(self, result):
        """One gradient per tensor input: count, shape and dtype as the forward inputs had them."""
        n_args = len(self._arg_meta)
        if len(result) < n_args or any(r is not None for r in result[n_args:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n_args}, "
                f"got {len(result)})"
            )
        grads = []
        for i, (g, meta) in enumerate(zip(result, self._arg_meta)):
            if g.__class__ is Tensor and meta is not None and g._data.shape == meta[0] and g._data.dtype is meta[1]:
                grads.append(g)  # the common case: a gradient of the input's shape and dtype
                continue
            if meta is None:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at position {i + 1}, but "
                        "the corresponding forward input was not a Variable"
                    )
                continue
            if g is not None:
                if not isinstance(g, Tensor):
                    raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
                shape, dtype = meta
                if g._data.shape != shape:
                    try:
                        compatible = np.broadcast_shapes(shape, g._data.shape) == g._data.shape
                    except ValueError:
                        compatible = False
                    if not compatible:
                        raise RuntimeError(
                            f"Function {self.name()} returned an invalid gradient at index {len(grads)} - got "
                            f"{list(g._data.shape)} but expected shape compatible with {list(shape)}"
                        )
                    from ..ops._core import sum_to

                    g = sum_to(g, shape)
                if g._data.dtype is not dtype:
                    g = g.to(_dtype_of(dtype))
            grads.append(g)
        return grads

    def __call__(self, *grads):
        result = self._apply(list(grads))
        return result[0] if len(result) == 1 else tuple(result)

    def apply(self, *grads):
        """Call the Function's backward with this ctx, returning what it returns."""
        return self._forward_cls._plan()[3](self, *grads)


def _dtype_of(np_dtype):
    from .._dtype import FROM_NP

    return FROM_NP[np_dtype]


class FunctionMeta(type):
    """Gives each Function subclass its node class, named ``<Name>Backward`` as in torch."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        node_cls.__qualname__ = name + "Backward"
        cls._backward_cls = node_cls


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom differentiable operations.

    >>> import torchless as torch
    >>> class Double(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> x = torch.ones(2, requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    tensor([2., 2.])
    """

    def __init__(self, *args, **kwargs):
        import warnings

        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def _plan(cls):
        """What apply needs to know about this class, worked out once: the style of forward,
        the signature to bind arguments with, whether defaults are bound, and the backward."""
        plan = cls.__dict__.get("_plan_cache")
        if plan is None:
            if cls.forward is Function.forward:
                raise NotImplementedError("You must implement the forward function for custom autograd.Function.")
            combined = True
            for klass in cls.__mro__:
                if "setup_context" in klass.__dict__:
                    combined = klass is Function
                    break
            try:
                sig = inspect.signature(cls.forward)
                if combined:
                    sig = sig.replace(parameters=list(sig.parameters.values())[1:])
                # as torch: defaults are bound for the separate style only
                binds = not combined and any(p.default is not p.empty for p in sig.parameters.values())
            except (TypeError, ValueError):
                sig, binds = None, False
            plan = (combined, sig, binds, _find_backward(cls))
            cls._plan_cache = plan
        return plan

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the Function on ``args``, recording it in the graph when an input requires grad."""
        combined, sig, binds, _ = cls._plan()
        if (kwargs or binds) and sig is not None:
            bound = sig.bind(*args, **kwargs)
            if binds:
                bound.apply_defaults()
            args = bound.args + tuple(bound.kwargs.values())
        needs = tuple([isinstance(a, Tensor) and a._rg for a in args])
        record = True in needs and _grad_enabled.get()
        ctx = cls._backward_cls()
        ctx.needs_input_grad = needs
        ctx._will_backward = record
        state = _recording()
        dual = state is not None and state.dual is not None and _has_tangents(args)
        if dual:  # (forward sees plain values: the outputs' tangents come from the jvp method)
            dual_token = _recording_var.set(None)
        token = _grad_enabled.set(False)
        try:
            if combined:
                output = cls.forward(ctx, *args)
            else:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
        finally:
            _grad_enabled.reset(token)
            if dual:
                _recording_var.reset(dual_token)
        if state is not None and state.lint:
            from .lint import check_forward
            check_forward(cls, ctx, args, output if isinstance(output, tuple) else (output,))
            ctx._lint = record
        result = _wrap_outputs(ctx, args, output, record)
        if dual:
            from .forward_ad import function_jvp
            function_jvp(cls, ctx, args, result)
        return result


def _find_backward(cls):
    """The user's backward (or its alias vjp); both defined is an error when backward runs."""
    for klass in cls.__mro__:
        if klass is Function:
            break
        has_b, has_v = "backward" in klass.__dict__, "vjp" in klass.__dict__
        if has_b and has_v:
            def both(ctx, *grads):
                raise RuntimeError(
                    "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only "
                    "implement one of them."
                )

            return both
        if has_b or has_v:
            fn = klass.__dict__["backward" if has_b else "vjp"]
            return fn.__func__ if isinstance(fn, staticmethod) else fn
    return Function.backward


def _wrap_outputs(ctx, args, output, record):
    """Connect the outputs to the node, applying mark_dirty and mark_non_differentiable."""
    is_tuple = isinstance(output, tuple)
    outputs = output if is_tuple else (output,)
    dirty, non_diff = ctx._dirty, ctx._non_differentiable
    if dirty:
        dirty_ids = {id(t) for t in dirty}
        if dirty_ids - {id(o) for o in outputs}:
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as output. The "
                "inputs that are modified inplace must all be outputs of the Function."
            )
    else:
        dirty_ids = ()
    non_diff = {id(t) for t in non_diff} if non_diff else ()
    if record:  # the edges come first: a dirty input's grad_fn is about to become this node
        ctx._next = tuple([a._edge() if a._rg else None for a in args if isinstance(a, Tensor)])
        # the edges are per tensor input; the returned gradients are per argument
        ctx._arg_meta = [(a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args]
    results = []
    metas = []
    dirty_views = []
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            results.append(out)
            metas.append(None)
            continue
        raw = out
        if dirty_ids and id(out) in dirty_ids:
            out._bump()
            if record and out._rg and out.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            if out._base is not None and record:
                if sum(isinstance(o, Tensor) for o in outputs) > 1:
                    raise RuntimeError(
                        "If your Function modifies inplace an input that is a view of another Tensor, your Function "
                        "cannot return more than one Tensor. This is not supported by the current autograd engine. "
                        "You should either make sure the input is not a view (using .clone() for example) or make "
                        "your Function only return one Tensor (potentially splitting it into two Functions: one "
                        "doing the inplace that returns a single Tensor and a second one that does the other "
                        "operations). You can ask on the forum https://discuss.pytorch.org/ if you need help to do "
                        "this change."
                    )
                dirty_views.append(out)
            if not record and out._rg:  # torch hands back a tensor outside the graph
                out = _alias(out)
        elif _is_one_of(out, args):  # an input returned as it is: a new tensor on its memory
            out = _alias(out)
            if record:
                out._extras()["function_view"] = (ctx._forward_cls.__name__, nr)
        metas.append((out._data.shape, out._data.dtype))
        if record:
            if (not non_diff or id(raw) not in non_diff) and out._data.dtype.kind == "f":
                out.grad_fn, out._output_nr, out._rg = ctx, nr, True
                if out._base is not None and not (dirty_ids and id(raw) in dirty_ids):
                    # a view made inside forward: changing it in place would bypass this backward
                    out._extras()["function_view"] = (ctx._forward_cls.__name__, nr)
            elif dirty_ids and id(raw) in dirty_ids:
                out.grad_fn, out._output_nr, out._rg = None, 0, False
        results.append(out)
    if record:
        ctx._out = metas
        ctx.n_outputs = len(outputs)
        if ctx._to_save:
            _store_saved(ctx, outputs, results)
        if _recording() is not None:  # saved-tensor hooks or anomaly mode are on
            on_record(ctx, reverse=False)
        if dirty_views:
            from ..ops.inplace import rebase_on_view  # (here: the ops import this module's package)

            for view in dirty_views:
                rebase_on_view(view)
    elif ctx._to_save:
        ctx._to_save = ()
    return tuple(results) if is_tuple else results[0]


def _is_one_of(t, items) -> bool:
    for item in items:
        if item is t:
            return True
    return False


def _alias(t: Tensor) -> Tensor:
    """A new tensor on ``t``'s memory and version counter, outside the graph."""
    alias = _wrap(t._data, None)
    if t._vc is None:
        t._vc = [0]
    alias._vc = t._vc
    return alias


def _store_saved(ctx, raw_outputs, results):
    """Keep the saved tensors, and the version each has now that forward is done."""
    saved, versions = [], []
    for t in ctx._to_save:
        if t is None:
            saved.append(None)
            versions.append(None)
            continue
        for nr, o in enumerate(raw_outputs):
            if o is t:  # one of the outputs: kept as its parts, without a reference cycle
                r = results[nr]
                if r._vc is None:
                    r._vc = [0]
                saved.append((r._data, r._vc, nr, r._rg))
                break
        else:
            saved.append(t)
        versions.append(t._version)
    ctx._saved = tuple(saved)
    ctx._versions = tuple(versions)
    ctx._to_save = ()


def once_differentiable(fn):
    """Decorate a backward that cannot itself be differentiated: it runs without recording, and a
    second differentiation through it raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        token = _grad_enabled.set(False)
        try:
            outputs = fn(ctx, *grads)
        finally:
            _grad_enabled.reset(token)
        if not _grad_enabled.get():
            return outputs
        requires = any(isinstance(g, Tensor) and g._rg for g in grads)
        if not requires:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = tuple(_delayed_error(o) if isinstance(o, Tensor) else o for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


class Error(Node):
    """Stands for a backward marked once_differentiable: differentiating it again raises."""

    __slots__ = ("_message",)

    def name(self) -> str:
        return "torch::autograd::Error"

    def _apply(self, grads):
        raise RuntimeError(self._message)


def _delayed_error(t: Tensor) -> Tensor:
    """``t``'s value behind a node that raises when differentiated."""
    node = _init_node(Error(), (), (), None, None)
    node._message = "trying to differentiate twice a function that was marked with @once_differentiable"
    return _wrap(t._data, node)

