"""gradcheck and gradgradcheck: analytical gradients compared with central differences.

``gradcheck(func, inputs)`` builds two Jacobians for every pair (differentiable output,
input that requires grad) and compares them entry by entry:

* the *numerical* one, by central differences: each element of each input is nudged by
  ``±eps`` in place and ``func`` is run again, ``(f(x + eps) - f(x - eps)) / (2 eps)``;
* the *analytical* one, from the autograd engine: one ``autograd.grad`` call per output
  element with a one-hot ``grad_output`` gives one row.

An entry passes when ``|analytical - numerical| <= atol + rtol * |numerical|`` (``torch.allclose``).
On failure the error names the output and the input, the worst entry with both values, and how
many entries disagree, instead of printing both Jacobians as torch does.

``gradgradcheck`` runs the same check on the function ``(inputs, grad_outputs) -> grads``
built with ``create_graph=True``: it checks the backward's own derivatives.

Indices follow torch: "output i" counts the outputs that require grad, "input j" counts the
inputs that require grad; the message also says which ``inputs[k]`` that is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .._grad_mode import no_grad
from .._tensor import Tensor, _wrap
from ..backend import np
from .api import grad as _grad
from .function import BackwardCFunction
from .graph import edge_node


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when the gradients disagree."""


# A fixed seed: fast mode's projections and gradgradcheck's grad_outputs are the same on every
# run, and the user's random state (torchless.manual_seed) is never touched.
_SEED = 0x5EED

_FAILED_NONDET_MSG = (
    "\nNOTE: if your function relies on non-deterministic operations this failure might be expected; "
    "call gradcheck/gradgradcheck with nondet_tol=<tol>."
)


# ---- small helpers -----------------------------------------------------------------------------
def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_float_tensor(x) -> bool:
    return isinstance(x, Tensor) and x._data.dtype.kind == "f"


def _differentiable(outputs: Sequence) -> list[int]:
    """Positions of the outputs that require grad: the ones whose analytical Jacobian exists."""
    return [k for k, o in enumerate(outputs) if isinstance(o, Tensor) and o._rg]


def _shape_str(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _index_str(name: str, flat: int, shape) -> str:
    """``output[3, 7]`` for the flat index 67 of a [20, 30] tensor; a 0-d tensor is just ``output``."""
    if not shape:
        return name
    return name + _shape_str(np.unravel_index(flat, shape))


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _zeros_like(t: Tensor) -> Tensor:
    return _wrap(np.zeros(t._data.shape, dtype=t._data.dtype), None)


def _random_unit(rng, size: int):
    """Uniform in [0, 1), scaled to length 1 (left at zero when empty): fast mode's u and v."""
    v = rng.random(size)
    return v / (np.linalg.norm(v) or 1.0)


def _reject_unsupported(**flags: bool) -> None:
    """Flags that need machinery torchless does not have: refuse them rather than skip the check."""
    missing = {
        "check_batched_grad": "batched gradients (vmap)",
        "check_batched_forward_grad": "batched forward-mode gradients (vmap and forward-mode AD)",
        "check_forward_ad": "forward-mode AD (torch.autograd.forward_ad)",
        "check_fwd_over_rev": "forward-mode AD (torch.autograd.forward_ad)",
        "masked": "sparse tensors (masked gradients)",
    }
    for name, value in flags.items():
        if value:
            raise NotImplementedError(
                f"torchless: {name}=True needs {missing[name]}, which torchless does not have yet; "
                f"call with {name}=False"
            )


def _check_inputs(inputs: tuple, stacklevel: int) -> list[int]:
    """Positions of the inputs that require grad, after torch's sanity checks on them."""
    diff = []
    for k, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._rg):
            continue
        if x._data.dtype != np.float64:
            warnings.warn(
                f"Input #{k} requires gradient and is not double precision ({x.dtype}); gradcheck's finite "
                "differences are unreliable in float32 and lower precisions, so this check will likely fail: "
                "use dtype=torch.float64 for the inputs.",
                UserWarning,
                stacklevel=stacklevel,
            )
        # perturbing one element of a stride-0 dimension would move all the elements it stands for
        if x._data.size and any(st == 0 and sz > 1 for st, sz in zip(x._data.strides, x._data.shape)):
            raise RuntimeError(
                f"The {k}th input has a dimension with stride 0. gradcheck only supports inputs that are "
                "non-overlapping to be able to compute the numerical gradients correctly. You should call "
                ".contiguous on the input before passing it to gradcheck."
            )
        diff.append(k)
    if not diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them have "
            "requires_grad=True."
        )
    return diff


# ---- numerical derivatives ---------------------------------------------------------------------
class _Perturbed:
    """Run ``func`` with one input's data nudged in place, and give back copies of its outputs.

    The input's own array is written (torch writes through ``x.data``), so the function sees the
    very tensor it was given: that matters for gradgradcheck, whose function differentiates with
    respect to its inputs. Writing ``_data`` records nothing in any graph and bumps no version
    counter, and the original values are always put back, so graphs recorded before stay valid.
    ``func`` runs in the caller's grad mode for the same reason.
    """

    def __init__(self, func: Callable, inputs: tuple, pos: int, reference: Sequence, eps: float):
        self.func, self.inputs, self.eps = func, inputs, eps
        self.tensor = inputs[pos]
        self.reference = [(o._data.shape, o._data.dtype) if _is_float_tensor(o) else None for o in reference]

    def __enter__(self) -> _Perturbed:  # noqa: PYI034 - typing.Self needs Python 3.11
        t = self.tensor
        self.saved = t._data
        if not t._data.flags.writeable:  # e.g. a tensor over a read-only buffer: work on a copy
            t._data = t._data.copy()
        self.array = t._data
        return self

    def __exit__(self, *exc) -> None:
        self.tensor._data = self.saved

    def outputs(self, where: str) -> list:
        """Copies of the float outputs (None elsewhere): an output may share the input's memory."""
        got = _as_tuple(self.func(*self.inputs))
        result = []
        for k, ref in enumerate(self.reference):
            if ref is None:
                result.append(None)
                continue
            o = got[k] if k < len(got) else None
            actual = (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else (None, None)
            for what, want, have in zip(("shape", "dtype"), ref, actual):
                if have != want:
                    raise AssertionError(
                        f"Expected `func` to return outputs with the same {what} when inputs are perturbed "
                        f"{where}by {self.eps}, but got: {what}s {want} and {have}."
                    )
            result.append(np.array(o._data, copy=True))
        return result

    def central_difference(self, key, step) -> list:
        """``(f(x + step) - f(x - step)) / (2 eps)`` at ``x[key]``, per float output, flattened.

        ``key`` is one element's index (``step`` is eps) or ``...`` for a whole direction (fast
        mode, ``step`` is an array). The input's values are put back afterwards.
        """
        arr = self.array
        where = "" if key is Ellipsis else f"on index {key} "
        orig = arr[key].copy()
        try:
            arr[key] = orig - step
            below = self.outputs(where)
            arr[key] = orig + step
            above = self.outputs(where)
        finally:
            arr[key] = orig
        return [None if a is None else ((b - a) / (2 * self.eps)).reshape(-1) for a, b in zip(below, above)]

    def along(self, u) -> list:
        """Numerical ``J u`` per float output: a central difference along the flat vector ``u``."""
        x = self.array
        return self.central_difference(..., (self.eps * u).astype(x.dtype).reshape(x.shape))


def _numerical_jacobians(func: Callable, inputs: tuple, pos: int, reference: Sequence, eps: float) -> list:
    """For ``inputs[pos]``: one ``(input numel, output numel)`` Jacobian per float output (None else)."""
    n_in = inputs[pos]._data.size
    jac = [
        np.zeros((n_in, o._data.size), dtype=o._data.dtype) if _is_float_tensor(o) else None
        for o in reference
    ]
    with _Perturbed(func, inputs, pos, reference, eps) as p:
        for row, idx in enumerate(np.ndindex(p.array.shape)):
            for j, col in zip(jac, p.central_difference(idx, eps)):
                if j is not None:
                    j[row] = col
    return jac


# ---- analytical derivatives --------------------------------------------------------------------
def _vjp(output: Tensor, diff_inputs: list, grad_output, check_grad_dtypes: bool) -> list:
    """``grad_output^T J`` for each input, flattened (zeros where autograd returned None)."""
    go = _wrap(np.asarray(grad_output, dtype=output._data.dtype).reshape(output._data.shape), None)
    grads = _grad(output, diff_inputs, go, retain_graph=True, allow_unused=True)
    rows = []
    for g, x in zip(grads, diff_inputs):
        if g is None:
            rows.append(np.zeros(x._data.size, dtype=x._data.dtype))
            continue
        if g._data.shape != x._data.shape:
            raise GradcheckError(
                f"Analytical gradient has incorrect size: got {_shape_str(g._data.shape)} for an input of "
                f"shape {_shape_str(x._data.shape)}"
            )
        if check_grad_dtypes and g._data.dtype != x._data.dtype:
            raise GradcheckError(
                f"Gradient has dtype mismatch: got {g.dtype} for an input of dtype {x.dtype}"
            )
        rows.append(np.array(g._data, copy=True).reshape(-1))
    return rows


def _check_reentrant(first: list, second: list, nondet_tol: float) -> None:
    """The same backward run twice must give the same numbers (within ``nondet_tol``)."""
    for a, b in zip(first, second):
        if a.size and np.max(np.abs(a - b)) > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and grad_output multiple "
                "times gives different values, although analytical gradient matches numerical gradient. "
                f"The tolerance for nondeterminism was {nondet_tol}." + _FAILED_NONDET_MSG
            )


def _analytical_jacobians(
    output: Tensor, diff_inputs: list, nondet_tol: float, check_grad_dtypes: bool
) -> list:
    """One ``(input numel, output numel)`` Jacobian per input, a column per one-hot grad_output.

    Computed twice, as torch does, to catch a backward that is not deterministic.
    """
    n_out = output._data.size

    def once() -> list:
        jac = [np.zeros((x._data.size, n_out), dtype=x._data.dtype) for x in diff_inputs]
        for col in range(n_out):
            one_hot = np.zeros(n_out, dtype=output._data.dtype)
            one_hot[col] = 1
            for j, row in zip(jac, _vjp(output, diff_inputs, one_hot, check_grad_dtypes)):
                j[:, col] = row
        return jac

    first = once()
    _check_reentrant(first, once(), nondet_tol)
    return first


# ---- the failure message -----------------------------------------------------------------------
class _Names:
    """How the message refers to outputs and inputs (gradgradcheck names them differently)."""

    def output(self, k: int) -> str:
        return f"func's output {k}"

    def input(self, k: int) -> str:
        return f"inputs[{k}]"


def _mismatch_message(
    header: str,
    analytical,
    numerical,
    out: tuple,
    inp: tuple,
    atol: float,
    rtol: float,
    hint: str | None = None,
) -> str:
    """A few lines about where two ``(input numel, output numel)`` Jacobians disagree.

    ``out`` and ``inp`` are ``(label, description, shape)``: ``("output 0", "func's output 0", (20, 30))``.
    """
    a = np.asarray(analytical, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    diff = np.abs(a - n)
    with np.errstate(invalid="ignore"):
        bad = ~(diff <= atol + rtol * np.abs(n))  # NaN anywhere counts as a disagreement, as in allclose
    count, total = int(bad.sum()), bad.size
    nan_bad = bad & np.isnan(diff)
    if nan_bad.any():
        worst = int(np.flatnonzero(nan_bad)[0])
    else:
        worst = int(np.argmax(np.where(bad, diff, -1.0)))
    row, col = np.unravel_index(worst, a.shape)
    counts = (
        f"  {count} of {total} Jacobian entries disagree beyond atol + rtol * |numerical| "
        f"(atol={atol:g}, rtol={rtol:g})"
    )
    worst_entry = (
        f"  worst: d {_index_str('output', col, out[2])} / d {_index_str('input', row, inp[2])}: "
        f"analytical {_fmt(a[row, col])} vs numerical {_fmt(n[row, col])} (difference {_fmt(diff[row, col])})"
    )
    lines = [
        header,
        f"  {out[0]}: {out[1]}, shape {_shape_str(out[2])}",
        f"  {inp[0]}: {inp[1]}, shape {_shape_str(inp[2])}",
        counts,
        worst_entry,
    ]
    hint = hint or _pattern_hint(a[bad], n[bad], a, n)
    if hint:
        lines.append("  " + hint)
    return "\n".join(lines)


def _pattern_hint(a_bad, n_bad, a, n) -> str | None:
    """Name a pattern shared by all the disagreeing entries (a constant factor, a zero side), if any."""
    if a_bad.size == 0 or not (np.isfinite(a_bad).all() and np.isfinite(n_bad).all()):
        return None
    if not a.any():
        return (
            "the analytical Jacobian is all zero: no gradient reaches this input "
            "(None, zeros, or detached tensors?)"
        )
    if not n.any():
        return "the numerical Jacobian is all zero: this output does not depend on this input"
    if (n_bad != 0).all():
        ratio = a_bad / n_bad
        if np.allclose(ratio, ratio[0], rtol=1e-3, atol=1e-6):
            return f"on every disagreeing entry analytical = {ratio[0]:.4g} * numerical"
    return None


# ---- the checks --------------------------------------------------------------------------------
def _check_no_differentiable_outputs(
    func, inputs, func_out, diff_inputs_pos, skip_out, eps, nondet_tol, names, fast_mode, rng
) -> None:
    """Outputs that do not require grad have a zero analytical Jacobian: the numerical one must be zero too.

    torch checks this only when no output requires grad; gradgradcheck also asks it of the gradients
    that came back detached (``skip_out`` lists the outputs exempt from it).
    """
    for j, pos in enumerate(diff_inputs_pos):
        x = inputs[pos]
        if fast_mode:
            with _Perturbed(func, inputs, pos, func_out, eps) as p:
                ju = p.along(_random_unit(rng, x._data.size))
            if not any(
                c is not None and k not in skip_out and c.size and np.max(np.abs(c)) > nondet_tol
                for k, c in enumerate(ju)
            ):
                continue
        # in fast mode the full Jacobian is computed only to write the message
        jac = _numerical_jacobians(func, inputs, pos, func_out, eps)
        for k, nj in enumerate(jac):
            if nj is None or k in skip_out or not (np.abs(nj) > nondet_tol).any():
                continue
            o = func_out[k]
            raise GradcheckError(
                _mismatch_message(
                    "Numerical gradient for function expected to be zero, "
                    f"for output {k} with respect to input {j},",
                    np.zeros_like(nj),
                    nj,
                    (f"output {k}", f"{names.output(k)}, which does not require grad", o._data.shape),
                    (f"input {j}", names.input(pos), x._data.shape),
                    nondet_tol,
                    0.0,
                    "it has no graph (no_grad, detached tensors, a backward that is not differentiable?) "
                    "yet it depends on this input",
                )
            )


def _compare(i, j, a, n, out, x, out_pos, in_pos, atol, rtol, names) -> str | None:
    """None when the Jacobians of output i wrt input j agree, else the message."""
    with np.errstate(invalid="ignore"):
        ok = np.abs(a.astype(np.float64) - n) <= atol + rtol * np.abs(n.astype(np.float64))
    if ok.all():
        return None
    return _mismatch_message(
        f"Jacobian mismatch for output {i} with respect to input {j},",
        a,
        n,
        (f"output {i}", names.output(out_pos), out._data.shape),
        (f"input {j}", names.input(in_pos), x._data.shape),
        atol,
        rtol,
    )


def _slow_check(
    func, inputs, func_out, out_pos, in_pos, eps, atol, rtol, nondet_tol, check_grad_dtypes, names
) -> None:
    """Every entry of every Jacobian."""
    numerical = [_numerical_jacobians(func, inputs, pos, func_out, eps) for pos in in_pos]
    diff_inputs = [inputs[p] for p in in_pos]
    for i, op in enumerate(out_pos):
        out = func_out[op]
        analytical = _analytical_jacobians(out, diff_inputs, nondet_tol, check_grad_dtypes)
        for j, ip in enumerate(in_pos):
            msg = _compare(i, j, analytical[j], numerical[j][op], out, inputs[ip], op, ip, atol, rtol, names)
            if msg:
                raise GradcheckError(msg)


def _fast_check(
    func, inputs, func_out, out_pos, in_pos, eps, atol, rtol, nondet_tol, check_grad_dtypes, names, rng
) -> None:
    """torch's fast mode: compare the scalars ``v^T J u`` for random u (per input) and v (per output).

    One pair of function calls per input and one backward per output instead of one per element.
    It can only miss an error whose contributions cancel in that one projection; when it fails,
    the full Jacobians of the failing pair are computed to write the message.
    """
    diff_inputs = [inputs[p] for p in in_pos]
    us = [_random_unit(rng, x._data.size) for x in diff_inputs]
    vs = [_random_unit(rng, func_out[op]._data.size) for op in out_pos]
    # numerical J u, one central difference along u per input
    ju = []
    for pos, u in zip(in_pos, us):
        with _Perturbed(func, inputs, pos, func_out, eps) as p:
            ju.append(p.along(u))
    # analytical v^T J, one backward per output, twice for reentrancy
    vj = []
    for op, v in zip(out_pos, vs):
        out = func_out[op]
        first = _vjp(out, diff_inputs, v, check_grad_dtypes)
        _check_reentrant(first, _vjp(out, diff_inputs, v, check_grad_dtypes), nondet_tol)
        vj.append(first)
    for j, (ip, u) in enumerate(zip(in_pos, us)):
        for i, (op, v) in enumerate(zip(out_pos, vs)):
            a = float(np.dot(vj[i][j].astype(np.float64), u))
            n = float(np.dot(v, ju[j][op].astype(np.float64)))
            tol = atol * float(u.sum()) * float(v.sum())  # atol on every entry, summed through u and v
            if abs(a - n) <= tol + rtol * abs(n):
                continue
            out, x = func_out[op], inputs[ip]
            jac_a = _analytical_jacobians(out, diff_inputs, float("inf"), False)[j]
            jac_n = _numerical_jacobians(func, inputs, ip, func_out, eps)[op]
            detail = _compare(i, j, jac_a, jac_n, out, x, op, ip, atol, rtol, names)
            fast = (
                f"  fast_mode compared v^T J u (random unit u, v): analytical {_fmt(a)} "
                f"vs numerical {_fmt(n)}"
            )
            if detail is None:
                detail = (
                    f"Jacobian mismatch for output {i} with respect to input {j},\n{fast}\n"
                    "  but entry by entry the Jacobians agree within tolerance: fast_mode=False passes"
                )
            else:
                detail += "\n" + fast
            raise GradcheckError(detail)


def _test_backward_mul_by_grad_output(outputs: list, diff_inputs: list) -> None:
    """Zero grad_outputs must give zero gradients of the inputs' dtype and shape."""
    grads = _grad(outputs, diff_inputs, [_zeros_like(o) for o in outputs], allow_unused=True)
    for j, (g, x) in enumerate(zip(grads, diff_inputs)):
        if g is None:
            continue
        if (g._data != 0).any():
            raise GradcheckError(
                "backward not multiplied by grad_output: with all grad_outputs zero, the gradient of "
                f"input {j} is not zero (max |grad| = {_fmt(float(np.nanmax(np.abs(g._data))))})"
            )
        if g._data.dtype != x._data.dtype:
            raise GradcheckError(f"grad is incorrect type: {g.dtype} for input {j} of dtype {x.dtype}")
        if g._data.shape != x._data.shape:
            raise GradcheckError(
                f"grad is incorrect size: {_shape_str(g._data.shape)} for input {j} of shape "
                f"{_shape_str(x._data.shape)}"
            )


def _test_undefined_backward_mode(func: Callable, inputs: tuple, in_pos: list) -> None:
    """Backward must cope with output gradients that are undefined, and give zero (or no) gradients.

    torchless has no "undefined" gradient tensor, and its engine never runs a node that received
    no gradient at all. So the three situations torch checks are played this way:

    * all output grads undefined: every custom Function met from the outputs is called directly
      with None for each of its outputs (what torch's engine passes it; a Function sees zeros
      unless it called ``ctx.set_materialize_grads(False)``), then autograd.grad runs with zero
      grad_outputs for the built-in derivative rules;
    * one output's grad undefined, the others zero: that output is left out of the roots of
      autograd.grad, so its node gets None for it.
    """
    diff_inputs = [inputs[p] for p in in_pos]

    def check(outputs: list, which: str) -> None:
        grads = _handled(
            lambda: _grad(outputs, diff_inputs, [_zeros_like(o) for o in outputs], allow_unused=True), which
        )
        _check_all_zero(grads, which, "the gradient of input")

    def fresh_outputs() -> list:
        out = _as_tuple(func(*inputs))
        return [out[k] for k in _differentiable(out)]

    outputs = fresh_outputs()
    if not outputs:
        return
    _call_functions_with_undefined_grads(outputs)
    check(outputs, "all output grads zero")
    if len(outputs) > 1:  # undefine one output's gradient at a time, the others zero
        for k in range(len(outputs)):
            rest = [o for i, o in enumerate(fresh_outputs()) if i != k]
            check(rest, f"output {k}'s grad undefined, the others zero")


def _handled(call: Callable, which: str):
    """``call()``, with a RuntimeError from a backward turned into a GradcheckError."""
    try:
        return call()
    except RuntimeError as e:
        raise GradcheckError(
            f"Expected backward function to handle undefined output grads ({which}), but it raised "
            f"{type(e).__name__}: {e}"
        ) from e


def _check_all_zero(grads, which: str, whose: str) -> None:
    for j, g in enumerate(grads):
        if g is not None and (g._data != 0).any():
            raise GradcheckError(
                "Expected all input grads to be undefined or zero when all output grads are undefined or "
                f"zero ({which}); {whose} {j} is not"
            )


def _call_functions_with_undefined_grads(outputs: list) -> None:
    """Walk the graph from ``outputs`` as an all-undefined gradient would travel in torch.

    Built-in derivative rules pass an undefined gradient on as undefined; a custom Function is
    called with None for every output and must return None or zeros. The walk goes on through
    what came back as None.
    """
    which = "all output grads undefined"
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        edges = list(node._next)
        if isinstance(node, BackwardCFunction):
            with no_grad():
                grads = _handled(lambda n=node: n._apply([None] * n.n_outputs), which)
            _check_all_zero(grads, which, f"the gradient {node.name()} returned for its input")
            edges = [e for e, g in zip(node._next, grads) if g is None]
        stack.extend(edge_node(e) for e in edges if e)


def _run_checks(
    func: Callable,
    inputs: tuple,
    in_pos: list,
    *,
    eps: float,
    atol: float,
    rtol: float,
    nondet_tol: float,
    check_undefined_grad: bool,
    check_grad_dtypes: bool,
    fast_mode: bool,
    raise_exception: bool,
    names: _Names,
    strict_outputs: bool = False,
) -> bool:
    """The checks gradcheck and gradgradcheck share: True, or False on failure unless ``raise_exception``."""
    try:
        func_out = _as_tuple(func(*inputs))
        out_pos = _differentiable(func_out)
        rng = np.random.default_rng(_SEED)
        # outputs that do not require grad: torch checks them only when no output does
        detached = [k for k, o in enumerate(func_out) if _is_float_tensor(o) and not o._rg]
        if not out_pos or (strict_outputs and detached):
            _check_no_differentiable_outputs(
                func, inputs, func_out, in_pos, set(out_pos), eps, nondet_tol, names, fast_mode, rng
            )
        if out_pos:
            args = (func, inputs, func_out, out_pos, in_pos, eps, atol, rtol, nondet_tol, check_grad_dtypes)
            if fast_mode:
                _fast_check(*args, names, rng)
            else:
                _slow_check(*args, names)
            _test_backward_mul_by_grad_output([func_out[k] for k in out_pos], [inputs[p] for p in in_pos])
            if check_undefined_grad:
                _test_undefined_backward_mode(func, inputs, in_pos)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


# ---- the public functions ----------------------------------------------------------------------
def gradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central differences.

    Every floating-point input with ``requires_grad=True`` is checked against every output that
    requires grad; other inputs (tensors or not) are passed through unchanged. Use float64 inputs:
    in float32 the finite differences are too coarse for the default tolerances.

    ``fast_mode=True`` compares one random projection ``v^T J u`` per (output, input) pair, as
    torch does, instead of every entry; it is much cheaper on large inputs and only misses errors
    that happen to cancel in that projection. On failure the full Jacobians of the failing pair
    are computed for the message.

    Returns True, or raises GradcheckError (returns False when ``raise_exception=False``).

    >>> import torchless as torch
    >>> x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(lambda t: (t.sin() * t).sum(0), (x,))
    True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    _reject_unsupported(
        check_batched_grad=check_batched_grad,
        check_batched_forward_grad=check_batched_forward_grad,
        check_forward_ad=check_forward_ad,
        masked=bool(masked),
    )
    inputs = _as_tuple(inputs)
    in_pos = _check_inputs(inputs, stacklevel=3)
    return _run_checks(
        func,
        inputs,
        in_pos,
        eps=eps,
        atol=atol,
        rtol=rtol,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
        raise_exception=raise_exception,
        names=_Names(),
    )


class _GradgradNames(_Names):
    """gradgradcheck's function returns gradients and takes the grad_outputs after the inputs."""

    def __init__(self, n_inputs: int, kept: list):
        self.n_inputs, self.kept = n_inputs, kept

    def output(self, k: int) -> str:
        if k < len(self.kept):
            return f"the first-order gradient with respect to inputs[{self.kept[k]}]"
        return f"gradient {k}"

    def input(self, k: int) -> str:
        return f"inputs[{k}]" if k < self.n_inputs else f"grad_outputs[{k - self.n_inputs}]"


def _random_grad_outputs(outputs: list, noncontiguous: bool) -> tuple:
    """Uniform in [-1, 1), the dtype of each output (float64 for non-float ones), requiring grad."""
    rng = np.random.default_rng(_SEED)
    result = []
    for o in outputs:
        dtype = o._data.dtype if o._data.dtype.kind == "f" else np.float64
        shape = o._data.shape
        if noncontiguous and o._data.size > 1:
            data = rng.uniform(-1, 1, size=shape + (2,)).astype(dtype)[..., 0]  # every other element
        else:
            data = rng.uniform(-1, 1, size=shape).astype(dtype)
        t = _wrap(data, None)
        t._rg = True
        result.append(t)
    return tuple(result)


def gradgradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check the second derivatives of ``func``: gradcheck the map ``(inputs, grad_outputs) -> grads``.

    ``grads = autograd.grad(func(*inputs), inputs requiring grad, grad_outputs, create_graph=True)``;
    that map is differentiated numerically and by autograd, with respect to both the inputs and the
    grad_outputs. Without ``grad_outputs``, random ones in [-1, 1) are used (from a fixed seed, so
    the check is repeatable and the global random state is left alone).

    Stricter than torch in one way: a first-order gradient that comes back without a graph
    (a backward computed from detached tensors) while depending on the inputs fails the check,
    even when other gradients are differentiable; torch skips it in that case.

    >>> import torchless as torch
    >>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradgradcheck(lambda t: t ** 3, (x,))
    True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    _reject_unsupported(
        check_fwd_over_rev=check_fwd_over_rev, check_batched_grad=check_batched_grad, masked=bool(masked)
    )
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        first = _as_tuple(func(*inputs))
        grad_outputs = _random_grad_outputs(
            [first[k] for k in _differentiable(first)], gen_non_contig_grad_outputs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_in = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    kept: list[int] = []  # which inputs the returned gradients belong to (None ones are dropped)

    def first_order_grads(*args):
        outs = _as_tuple(func(*args[:n_in]))
        outs = [outs[k] for k in _differentiable(outs)]
        if not outs:  # nothing to differentiate: no gradients, so nothing to check
            return ()
        grads = _grad(
            outs, [args[k] for k in diff_in], list(args[n_in:]), create_graph=True, allow_unused=True
        )
        kept[:] = [k for k, g in zip(diff_in, grads) if g is not None]
        return tuple(g for g in grads if g is not None)

    all_inputs = inputs + grad_outputs
    in_pos = _check_inputs(all_inputs, stacklevel=3)
    return _run_checks(
        first_order_grads,
        all_inputs,
        in_pos,
        eps=eps,
        atol=atol,
        rtol=rtol,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        fast_mode=fast_mode,
        raise_exception=raise_exception,
        names=_GradgradNames(n_in, kept),
        strict_outputs=True,
    )


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
