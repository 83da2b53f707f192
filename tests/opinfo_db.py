"""PyTorch's OpInfo database, run against torchless: the yardstick of the operator surface.

torch describes every operator it tests in ``common_methods_invocations.op_db``: its function,
method and in-place variants, sample inputs, and what autograd supports. For each OpInfo that
runs on the CPU in float64, every sample is converted to torchless and checked in stages, each
against torch on the very same numbers:

- ``forward``: the function variant's result (values, dtype, shape, requires_grad);
- ``backward``: the vector-Jacobian product with a fixed random cotangent (``autograd.grad``);
- ``gradgrad``: the same again through the first derivatives, where torch supports it;
- ``method`` and ``inplace``: the Tensor method and the in-place method's results.

A sample that torch itself refuses is not held against torchless. Random ops pass only when
the random streams are identical: both libraries are seeded alike before every call.

torch's test code calls its ops through lambdas and helpers written against ``torch``; those are
re-created with their globals pointing at torchless (``Translator``), so the very same test code
drives torchless.
"""

from __future__ import annotations

import contextlib
import functools
import re
import types
import warnings
import zlib

import numpy as np

import torchless

STAGES = ("forward", "backward", "gradgrad", "method", "inplace")
# ops whose result holds whatever memory held (torch's tests compare only their metadata)
GAUGE_FREEDOM = {"svd", "linalg.svd", "linalg.eigh", "linalg.eig", "svd_lowrank", "pca_lowrank"}
VALUES_UNDEFINED = {"empty", "empty_like", "new_empty", "new_empty_strided", "empty_strided", "empty_permuted"}
RTOL, ATOL = 1e-5, 1e-6  # float64 on both sides; algorithms may differ (LAPACK, summation order)
SKIP_PREFIXES = ("jiterator_",)  # CUDA-only


class Missing(Exception):
    """torchless lacks a name the OpInfo calls."""


class Mismatch(AssertionError):
    """torchless's result differs from torch's."""


# ---- the database ------------------------------------------------------------------------------
@functools.cache
def database() -> list:
    """The OpInfos that run on the CPU in float64 (the CUDA-only jiterator ones left out)."""
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    return [op for op in op_db if torch.float64 in op.supported_dtypes("cpu")
            and not op.name.startswith(SKIP_PREFIXES)]


def op_id(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def namespace_of(op) -> str:
    """The table row an OpInfo is counted in."""
    import torch

    head = op.name.split(".")[0]
    if op.name.startswith("nn.functional."):
        return "nn.functional"
    if head in ("linalg", "special", "fft", "masked", "sparse", "signal"):
        return head
    if not hasattr(torch, op.name) and "." not in op.name:
        return "Tensor methods"
    return "torch"


# ---- torch -> torchless ------------------------------------------------------------------------
_MODULES = {  # torch's C submodules, by where torchless publishes their functions
    "torch._C._linalg": "linalg", "torch._C._special": "special", "torch._C._fft": "fft",
    "torch._C._nn": "nn.functional", "torch.nn.functional": "nn.functional", "torch.functional": "",
    "torch._C._VariableFunctions": "", "torch": "", "torch.signal.windows.windows": "signal.windows",
    "torch.masked._ops": "masked", "torch._tensor": "Tensor", "torch._C._sparse": "sparse",
}


def _lookup(path: str, name: str):
    obj = torchless
    for part in [p for p in path.split(".") if p] + [name]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Missing(f"torchless has no {'.'.join([p for p in path.split('.') if p] + [name])}") from None
    return obj


class Translator:
    """Turns torch objects (tensors, dtypes, functions, torch's test lambdas) into torchless ones."""

    def __init__(self):
        import torch

        self.torch = torch
        self.tensors = {}  # id(torch tensor) -> (torch tensor, torchless tensor): one leaf per tensor
        self._globals = {}  # module name -> its globals, rebound to torchless

    def leaves(self):
        """The torchless tensors that require grad, paired with their torch originals, in order."""
        return [(t, tl) for t, tl in self.tensors.values() if t.requires_grad]

    def value(self, obj):
        torch = self.torch
        if isinstance(obj, torch.Tensor):
            key = id(obj)
            if key not in self.tensors:
                self.tensors[key] = (obj, self._tensor(obj))
            return self.tensors[key][1]
        if isinstance(obj, torch.dtype):
            return _lookup("", str(obj).split(".")[1])
        if isinstance(obj, torch.Size):
            return torchless.Size(obj)
        if isinstance(obj, torch.device):
            return torchless.device(str(obj))
        if isinstance(obj, (torch.memory_format, torch.layout)):
            return _lookup("", str(obj).split(".")[1])
        if isinstance(obj, torch.Generator):
            g = _lookup("", "Generator")()
            g.manual_seed(obj.initial_seed())
            return g
        if isinstance(obj, tuple) and hasattr(obj, "_fields"):
            return type(obj)(*[self.value(v) for v in obj])
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.value(v) for v in obj)
        if isinstance(obj, dict):
            return {k: self.value(v) for k, v in obj.items()}
        if callable(obj) and not isinstance(obj, type):
            return self.function(obj)
        return obj

    def _tensor(self, t):
        if t._base is not None and not t.is_conj() and not t.is_neg() and t._base.is_contiguous():
            # (a view of a contiguous base: torchless's storage is laid out as torch's)
            # a view: the same view of a copy of its base's memory (strides and offset included)
            import torch

            base = self._tensor(t._base.detach())
            with torchless.no_grad():
                view = torchless.as_strided(base, tuple(t.shape), t.stride(), t.storage_offset())
            if t.requires_grad:
                view.requires_grad_(True)
            with torch.no_grad():
                return view
        data = t.detach().resolve_conj().resolve_neg().numpy(force=True).copy()
        out = torchless.from_numpy(data)
        if t.requires_grad:
            out.requires_grad_(True)
        return out

    def function(self, fn):
        """The torchless counterpart of a torch callable."""
        torch = self.torch
        if getattr(fn, "__name__", None) == "wrapper_set_seed":  # (torch's helper also freezes its RNG state)
            return _wrapper_set_seed
        if isinstance(fn, functools.partial):
            return functools.partial(self.function(fn.func), *self.value(fn.args), **self.value(fn.keywords))
        if isinstance(fn, (torch._ops.OpOverloadPacket, torch._ops.OpOverload)):  # torch.ops.aten.<name>[.overload]
            packet = fn.overloadpacket if isinstance(fn, torch._ops.OpOverload) else fn
            return _lookup("ops.aten", packet.__name__)
        objclass = getattr(fn, "__objclass__", None)
        if objclass is not None and issubclass(torch.Tensor, objclass):  # a method descriptor of Tensor
            return _lookup("Tensor", fn.__name__)
        module = getattr(fn, "__module__", None) or ""
        if isinstance(fn, types.FunctionType) and (module.startswith("torch.testing") or module == "__main__"
                                                   or fn.__name__ == "<lambda>" and not module.startswith("torch.")):
            return self.rebind(fn)
        if isinstance(fn, types.FunctionType) and module not in _MODULES:
            return self.rebind(fn)
        if module == "torch._C._nn":  # (F.logsigmoid is torch._C._nn.log_sigmoid: find its F name)
            import torch.nn.functional as F

            public = next((k for k, v in vars(F).items() if v is fn and not k.startswith("_")), None)
            if public is not None:
                return _lookup("nn.functional", public)
        if module in _MODULES:
            path, name = _MODULES[module], fn.__name__
            # torch.linalg.det is named linalg_det (special_erf, fft_fft likewise)
            prefix = path.split(".")[-1] + "_"
            if path in ("linalg", "special", "fft") and name.startswith(prefix):
                name = name[len(prefix):]
            return _lookup(path, name)
        if isinstance(fn, torch.nn.Module) and not any(True for _ in fn.parameters()):
            # a parameterless module passed as a function (a loss's distance_function): the same
            # class from torchless.nn, with the same settings
            twin = getattr(torchless.nn, type(fn).__name__)()
            for key, value in vars(fn).items():
                if not key.startswith("_") and isinstance(value, (bool, int, float, str, type(None))):
                    setattr(twin, key, value)
            return twin
        if module.startswith("torch"):
            raise Missing(f"torchless has no counterpart of {module}.{getattr(fn, '__name__', fn)}")
        return fn

    def rebind(self, fn):
        """``fn`` re-created with its globals (and closure) pointing at torchless."""
        closure = fn.__closure__
        if closure:
            closure = tuple(types.CellType(self._cell(c)) for c in closure)
        new = types.FunctionType(fn.__code__, self.module_globals(fn.__globals__), fn.__name__,
                                 self.value(fn.__defaults__) if fn.__defaults__ else None, closure)
        new.__kwdefaults__ = self.value(fn.__kwdefaults__) if fn.__kwdefaults__ else None
        return new

    def _cell(self, cell):
        try:
            v = cell.cell_contents
        except ValueError:
            return None
        return self.value(v) if self._is_torch(v) else v

    def _is_torch(self, v) -> bool:
        if isinstance(v, (self.torch.Tensor, self.torch.dtype)):
            return True
        if isinstance(v, types.ModuleType):
            return v.__name__.startswith("torch")
        if hasattr(v, "sample_inputs_func"):  # an OpInfo in a test lambda's closure (lu's out_fn): data, kept
            return False
        return callable(v) and (getattr(v, "__module__", None) or "").startswith("torch")

    def module_globals(self, g: dict) -> dict:
        name = g.get("__name__", "?")
        if name in self._globals:
            return self._globals[name]
        new = self._globals[name] = dict(g)
        for k, v in g.items():
            if isinstance(v, types.ModuleType) and v.__name__.startswith("torch"):
                new[k] = self._module(v)
            elif isinstance(v, types.FunctionType) and v.__module__ == name:
                new[k] = _LazyRebind(self, v)
            elif k == "wrapper_set_seed":  # (defined elsewhere in torch.testing: seeds torch's generator)
                new[k] = _wrapper_set_seed
            elif isinstance(v, (self.torch.dtype, self.torch.memory_format)):
                try:
                    new[k] = self.value(v)
                except Missing:
                    pass
        for k, v in list(new.items()):  # functions of the same module, rebound once the dict exists
            if isinstance(v, _LazyRebind):
                new[k] = v.build()
        return new

    def _module(self, mod):
        name = mod.__name__
        if name == "torch":
            return torchless
        rest = name[len("torch."):]
        rest = {"nn.functional": "nn.functional", "_refs": "", "_C": ""}.get(rest, rest)
        if rest.startswith("testing"):
            return mod
        try:
            return _lookup(*rest.rsplit(".", 1)) if "." in rest else _lookup("", rest) if rest else torchless
        except Missing:
            return _MissingModule(name)


def _wrapper_set_seed(op, *args, **kwargs):
    """torch's test helper of that name, for torchless: the op run from seed 42, the global
    generator's state restored afterwards."""
    state = torchless.get_rng_state()
    try:
        torchless.manual_seed(42)
        return op(*args, **kwargs)
    finally:
        torchless.set_rng_state(state)


class _LazyRebind:
    __slots__ = ("translator", "fn")

    def __init__(self, translator, fn):
        self.translator, self.fn = translator, fn

    def build(self):
        return self.translator.rebind(self.fn)


class _MissingModule:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        raise Missing(f"torchless has no {self._name.replace('torch', 'torchless', 1)}.{attr}")


# ---- comparing results -------------------------------------------------------------------------
def _is_torch_tensor(x) -> bool:
    import torch

    return isinstance(x, torch.Tensor)


def compare(ours, ref, path="out", *, grad_flag=True, values=True) -> None:
    """torchless's result against torch's: tensors by dtype, shape, requires_grad and values
    (NaNs equal); sequences item by item; numbers by value."""
    if _is_torch_tensor(ref):
        if not isinstance(ours, torchless.Tensor):
            raise Mismatch(f"{path}: expected a Tensor, got {type(ours).__name__}")
        if str(ours.dtype) != str(ref.dtype):
            raise Mismatch(f"{path}: dtype {ours.dtype}, torch's {ref.dtype}")
        if tuple(ours.shape) != tuple(ref.shape):
            raise Mismatch(f"{path}: shape {tuple(ours.shape)}, torch's {tuple(ref.shape)}")
        if grad_flag and ours.requires_grad != ref.requires_grad:
            raise Mismatch(f"{path}: requires_grad {ours.requires_grad}, torch's {ref.requires_grad}")
        if values:
            _close(ours.detach().numpy(), ref.detach().resolve_conj().resolve_neg().numpy(force=True), path)
    elif isinstance(ref, (tuple, list)):
        if not isinstance(ours, (tuple, list)):
            raise Mismatch(f"{path}: expected a {type(ref).__name__}, got {type(ours).__name__}")
        if len(ours) != len(ref):
            raise Mismatch(f"{path}: {len(ours)} items, torch's {len(ref)}")
        for i, (a, b) in enumerate(zip(ours, ref)):
            compare(a, b, f"{path}[{i}]", grad_flag=grad_flag, values=values)
    elif isinstance(ref, (bool, int, float, complex)):
        if isinstance(ours, torchless.Tensor) or not isinstance(ours, (bool, int, float, complex, np.generic)):
            raise Mismatch(f"{path}: expected a {type(ref).__name__}, got {type(ours).__name__}")
        _close(np.asarray(ours), np.asarray(ref), path)
    elif ref is None and ours is not None:
        raise Mismatch(f"{path}: expected None, got {type(ours).__name__}")


# a result in a lower precision is compared within that precision's rounding
LOW_PRECISION = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float16": (1e-2, 1e-3)}


def _close(a, b, path) -> None:
    if b.dtype.kind in "biu" or a.dtype.kind in "biu":
        if a.shape != b.shape or not np.array_equal(a, b):
            raise Mismatch(f"{path}: values differ{_first_diff(a, b)}")
        return
    rtol, atol = LOW_PRECISION.get(b.dtype.name, (RTOL, ATOL))
    if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        raise Mismatch(f"{path}: values differ{_first_diff(a, b, rtol, atol)}")


def _first_diff(a, b, rtol=RTOL, atol=ATOL) -> str:
    try:
        a, b = np.broadcast_arrays(a, b)
        bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        return f" (at {i}: {a[i]!r}, torch's {b[i]!r})"
    except Exception:  # noqa: BLE001 - a description only
        return ""


# ---- running one OpInfo ------------------------------------------------------------------------
class Outcome:
    """How one OpInfo fared: ``status`` is pass / fail / missing; ``reason`` says where."""

    __slots__ = ("op", "status", "reason", "samples", "stages")

    def __init__(self, op):
        self.op, self.status, self.reason, self.samples, self.stages = op, "pass", "", 0, set()

    def __repr__(self):
        return f"{op_id(self.op)}: {self.status} {self.reason}"


def _seed(*parts) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


def samples_of(op, max_samples=None):
    import torch

    grad = op.supports_autograd
    with _quiet():
        samples = list(enumerate(op.sample_inputs("cpu", torch.float64, requires_grad=grad)))
    if max_samples is not None and len(samples) > max_samples:
        rng = np.random.default_rng(_seed(op_id(op)))
        keep = sorted(rng.choice(len(samples), max_samples, replace=False))
        samples = [samples[i] for i in keep]
    return samples  # (index in the whole list, which seeds the sample's cotangents; sample)


def run_op(op, max_samples=None) -> Outcome:
    """Every sample of ``op`` through every stage it supports; the first failure is reported."""
    outcome = Outcome(op)
    try:
        samples = samples_of(op, max_samples)
    except Exception as e:  # noqa: BLE001 - torch's own sample generator failed
        outcome.status, outcome.reason = "fail", f"torch's samples raised {type(e).__name__}: {e}"
        return outcome
    for i, sample in samples:
        outcome.samples += 1
        try:
            run_sample(op, sample, i, outcome.stages)
        except Missing as e:
            outcome.status, outcome.reason = "missing", str(e)
            return outcome
        except _StageFailure as e:
            outcome.status, outcome.reason = "fail", f"sample {i} {e.stage}: {e.message}"
            return outcome
    return outcome


class _StageFailure(Exception):
    def __init__(self, stage, message):
        super().__init__(f"{stage}: {message}")
        self.stage, self.message = stage, message


def _missing_from(e: BaseException):
    """An AttributeError about a torchless name is a missing op, not a failure."""
    text = str(e)
    if isinstance(e, AttributeError) and ("torchless" in text or "'Tensor'" in text or "torch." in text):
        return Missing(text)
    return None


def _torch_call(fn, seed):
    import torch

    torch.manual_seed(seed)
    with _quiet():
        return fn()


def _ours_call(stage, fn, seed):
    torchless.manual_seed(seed)
    try:
        with _quiet():
            return fn()
    except Missing:
        raise
    except Exception as e:  # noqa: BLE001 - reported as this stage's failure
        missing = _missing_from(e)
        if missing is not None:
            raise missing from None
        raise _StageFailure(stage, f"raised {type(e).__name__}: {str(e)[:300]}") from None


def _check(stage, ours, ref, **kw):
    try:
        compare(ours, ref, **kw)
    except Mismatch as e:
        raise _StageFailure(stage, str(e)) from None


def _diff_outputs(out):
    """The tensors of an output structure that carry gradients, in order."""
    if _is_torch_tensor(out) or isinstance(out, torchless.Tensor):
        return [out] if out.requires_grad else []
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _diff_outputs(o)]
    return []


def _cotangent(t, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(t.shape)
    data = rng.standard_normal(shape)
    if t.dtype.is_complex:
        data = data + 1j * rng.standard_normal(shape)
    return data.astype(np.complex128 if t.dtype.is_complex else np.float64)


def _grads(lib, outs, inputs, cots, create_graph):
    with _quiet():
        return lib.autograd.grad(outs, inputs, cots, allow_unused=True, create_graph=create_graph)


def _materialize(grads, inputs):
    return [g if g is not None else _zeros_like(x) for g, x in zip(grads, inputs)]


def _zeros_like(x):
    return x.detach() * 0


def run_sample(op, sample, index, stages_seen) -> None:
    import torch

    seed = _seed(op_id(op), index)
    tr = Translator()
    name = op_id(op)
    # -- forward, function variant (through the gradcheck wrapper, as torch's autograd tests call it)
    wrapper = op.gradcheck_wrapper
    try:
        ref = _torch_call(lambda: wrapper(op.op, sample.input, *sample.args, **sample.kwargs), seed)
    except Exception:  # noqa: BLE001 - torch refuses this sample: nothing to compare
        return
    fn = tr.function(op.op)
    our_wrapper = tr.function(wrapper)
    args = tr.value((sample.input, *sample.args))
    kwargs = tr.value(sample.kwargs)
    ours = _ours_call("forward", lambda: our_wrapper(fn, *args, **kwargs), seed)
    values = op.name not in VALUES_UNDEFINED
    if op.name in GAUGE_FREEDOM:
        # singular / eigen vectors are defined up to sign (phase), which LAPACKs choose differently:
        # compare them as the gradient checks see them, through output_process_fn_grad
        _check("forward", ours, ref, values=False)
        process = sample.output_process_fn_grad
        _check("forward", _ours_call("forward", lambda: tr.function(process)(ours), seed), process(ref))
    else:
        _check("forward", ours, ref, values=values)
    stages_seen.add("forward")

    # -- backward: the vector-Jacobian product with a fixed cotangent
    leaves = tr.leaves()
    if op.supports_autograd and leaves:
        process_ref = sample.output_process_fn_grad
        process_ours = tr.function(process_ref)
        ref_p = _torch_call(lambda: process_ref(ref), seed)
        ours_p = _ours_call("backward", lambda: process_ours(ours), seed)
        ref_outs = _diff_outputs(ref_p)
        if ref_outs:
            ours_outs = _diff_outputs(ours_p)
            if len(ours_outs) != len(ref_outs):
                raise _StageFailure("backward", f"{len(ours_outs)} differentiable outputs, torch's {len(ref_outs)}")
            cots = [_cotangent(t, seed + k) for k, t in enumerate(ref_outs)]
            t_in = [t for t, _ in leaves]
            o_in = [o for _, o in leaves]
            gradgrad = op.supports_gradgrad
            try:
                ref_g = _grads(torch, ref_outs, t_in, [torch.from_numpy(c) for c in cots], gradgrad)
            except Exception:  # noqa: BLE001 - torch cannot differentiate this sample
                return
            ours_g = _ours_call("backward", lambda: _grads(torchless, ours_outs, o_in,
                                                           [torchless.from_numpy(c) for c in cots], gradgrad), seed)
            _check("backward", _materialize(ours_g, o_in), _materialize(ref_g, t_in), grad_flag=False)
            stages_seen.add("backward")
            # -- gradgrad: a VJP through the first derivatives
            if gradgrad:
                ref_pairs = [(g, k) for k, g in enumerate(ref_g) if g is not None and g.requires_grad]
                if ref_pairs:
                    ref_gs = [g for g, _ in ref_pairs]
                    cots2 = [_cotangent(g, seed + 100 + k) for k, g in enumerate(ref_gs)]
                    try:
                        ref_gg = _grads(torch, ref_gs, t_in, [torch.from_numpy(c) for c in cots2], False)
                    except Exception:  # noqa: BLE001
                        ref_gg = None
                    if ref_gg is not None:
                        # a first derivative that does not depend on the inputs in torchless (relu's
                        # g * mask) has a zero second derivative, which torch computes the long way
                        live = [(ours_g[k], c) for (_, k), c in zip(ref_pairs, cots2)
                                if ours_g[k] is not None and ours_g[k].requires_grad]
                        ours_gg = [None] * len(o_in)
                        if live:
                            ours_gg = _ours_call("gradgrad", lambda: _grads(
                                torchless, [g for g, _ in live], o_in, [torchless.from_numpy(c) for _, c in live],
                                False), seed)
                        _check("gradgrad", _materialize(ours_gg, o_in), _materialize(ref_gg, t_in),
                               grad_flag=False)
                        stages_seen.add("gradgrad")

    # -- the method variant
    if op.method_variant is not None and _is_torch_tensor(sample.input):
        mname = op.method_variant.__name__
        try:
            ref_m = _torch_call(lambda: getattr(sample.input, mname)(*sample.args, **sample.kwargs), seed)
        except Exception:  # noqa: BLE001
            ref_m = _NOTHING
        if ref_m is not _NOTHING:
            tr_m = Translator()
            x, m_args, m_kwargs = tr_m.value((sample.input, sample.args, sample.kwargs))
            method = getattr(x, mname, None)
            if method is None:
                raise Missing(f"torchless.Tensor has no method {mname}")
            ours_m = _ours_call("method", lambda: method(*m_args, **m_kwargs), seed)
            if op.name in GAUGE_FREEDOM:  # (see the forward stage)
                process = sample.output_process_fn_grad
                _check("method", ours_m, ref_m, values=False)
                ours_m, ref_m = _ours_call("method", lambda: tr_m.function(process)(ours_m), seed), process(ref_m)
            _check("method", ours_m, ref_m, values=values)
            stages_seen.add("method")

    # -- the in-place variant, on detached copies
    if op.inplace_variant is not None and _is_torch_tensor(sample.input) and not sample.broadcasts_input:
        iname = getattr(op.inplace_variant, "__name__", None)
        inplace_fn = op.inplace_variant
        with torch.no_grad():
            t_args = _detached(torch, (sample.input, sample.args, sample.kwargs))
        tx, ta, tk = t_args
        tr_i = Translator()
        x, i_args, i_kwargs = tr_i.value((tx, ta, tk))  # (before torch's call changes tx)
        try:
            ref_i = _torch_call(lambda: inplace_fn(tx, *ta, **tk), seed)
        except Exception:  # noqa: BLE001
            ref_i = _NOTHING
        if ref_i is not _NOTHING:
            ours_fn = tr_i.function(inplace_fn)
            if iname and not hasattr(torchless.Tensor, iname) and getattr(inplace_fn, "__objclass__", None):
                raise Missing(f"torchless.Tensor has no method {iname}")
            ours_i = _ours_call("inplace", lambda: ours_fn(x, *i_args, **i_kwargs), seed)
            _check("inplace", ours_i, ref_i, values=values)
            _check("inplace", x, tx, values=values)
            stages_seen.add("inplace")
    del name


_NOTHING = object()


def _detached(torch, obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_detached(torch, v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_detached(torch, v) for v in obj)
    if isinstance(obj, dict):
        return {k: _detached(torch, v) for k, v in obj.items()}
    return obj


def select(pattern: str | None = None) -> list:
    """The OpInfos whose id matches ``pattern`` (a substring, or a regex when it starts with ^)."""
    ops = database()
    if not pattern:
        return ops
    if pattern.startswith("^"):
        rx = re.compile(pattern)
        return [op for op in ops if rx.search(op_id(op))]
    return [op for op in ops if pattern in op_id(op)]


@functools.cache
def covered_names() -> frozenset:
    """The registry names that the database exercises: each OpInfo's name, its aliases and the
    names of its method and in-place variants."""
    names = set()
    for op in database():
        names.update((op.name, op.name.rpartition(".")[2]))  # (torch.conv2d is F.conv2d's top-level form)
        names.update(a.name for a in getattr(op, "aliases", ()) or ())
        for variant in (op.method_variant, op.inplace_variant):
            if variant is not None and getattr(variant, "__name__", None):
                names.add(variant.__name__)
    return frozenset(names)
