"""L-BFGS: quasi-Newton steps from the last ``history_size`` curvature pairs, optionally with a
line search that satisfies the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and 3.6).

The parameters are handled as one flat vector (their gradients gathered, updates scattered back).
Scalars stay 0-d tensors where torch's do, so that the float32 arithmetic rounds as torch's.
"""

from __future__ import annotations

from .. import _creation
from .._grad_mode import enable_grad, no_grad
from ..ops.shape import cat
from .optimizer import Optimizer, _check_lr


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser, within ``bounds`` (default: between x1 and x2), of the cubic through two
    points with values f and slopes g; the midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square.sqrt()
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` with sufficient decrease (``f(t) <= f + c1 t gtd``) and curvature
    (``|f'(t)| <= c2 |gtd|``). ``evaluate(x, t, d)`` gives the loss and flat gradient at ``x + t d``.
    Returns the loss and gradient there, ``t`` and the number of evaluations."""
    d_norm = d.abs().max()
    g = g.clone()
    f_new, g_new = evaluate(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    # phase 1 (bracketing): grow t until an interval surely holds an acceptable step
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.clone(), gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [[t, f_new, g_new, None]]
            done = True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.clone(), gtd_new]]
            break
        # extrapolate: the cubic's minimum, at least 1% beyond t and at most 10 t
        next_t = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.clone(), gtd_new
        t = next_t
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]

    # phase 2 (zoom): shrink the bracket around an acceptable step
    insufficient = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        ends = [bracket[0][0], bracket[1][0]]
        if abs(ends[1] - ends[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
        # keep t at least a tenth of the bracket away from its ends (unless the last step did)
        top, bottom = max(ends), min(ends)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new.clone(), gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = list(bracket[low])
            bracket[low] = [t, f_new, g_new.clone(), gtd_new]
    t, f_new, g_new = bracket[low][:3]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    """L-BFGS over all parameters as one vector. ``step(closure)`` runs up to ``max_iter``
    iterations (``max_eval`` loss evaluations); ``closure`` clears the gradients, computes the loss,
    calls backward and returns the loss. ``line_search_fn="strong_wolfe"`` picks each step length
    by line search; otherwise the step is ``lr`` (the first one scaled by the gradient's size)."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ----------------------------------------------------------
    def _flat_grad(self):
        views = []
        for p in self._params:
            if p.grad is None:
                views.append(_creation.zeros(p.numel(), dtype=p.dtype))
            else:
                views.append(p.grad.reshape(-1))
        return cat(views, 0)

    def _move(self, t, d) -> None:
        """Parameters += t * d."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].view_as(p), alpha=t)
            offset += n

    def _evaluate(self, closure, x, t, d):
        """The loss and flat gradient at ``x + t d`` (the parameters are put back to ``x``)."""
        self._move(t, d)
        loss = float(closure())
        g = self._flat_grad()
        for p, saved in zip(self._params, x):
            p.copy_(saved)
        return loss, g

    @staticmethod
    def _direction(g, state, history_size, pairs, H_diag):
        """The quasi-Newton direction ``-H g`` by the two-loop recursion over the stored pairs."""
        old_dirs, old_stps, ro = pairs
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        q = g.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q.add_(old_dirs[i], alpha=-al[i])
        d = r = q * H_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r.add_(old_stps[i], alpha=al[i] - be_i)
        return d

    def step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        def evaluate_closure():
            with enable_grad():
                return closure()

        with no_grad():
            orig_loss = evaluate_closure()
            loss = float(orig_loss)
            evals = 1
            state["func_evals"] += 1
            g = self._flat_grad()
            if g.abs().max() <= tolerance_grad:  # already optimal
                return orig_loss
            d, t = state.get("d"), state.get("t")
            old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            H_diag = state.get("H_diag")
            prev_g, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = g.neg()
                    old_dirs, old_stps, ro, H_diag = [], [], [], 1
                else:  # a new curvature pair (kept if it is positive), then the new direction
                    y = g.sub(prev_g)
                    s = d.mul(t)
                    ys = y.dot(s)
                    if ys > 1e-10:
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y)
                    d = self._direction(g, state, history_size, (old_dirs, old_stps, ro), H_diag)
                if prev_g is None:
                    prev_g = g.clone()
                else:
                    prev_g.copy_(g)
                prev_loss = loss
                t = min(1.0, 1.0 / g.abs().sum()) * lr if state["n_iter"] == 1 else lr
                gtd = g.dot(d)  # the directional derivative
                if gtd > -tolerance_change:
                    break
                ls_evals = 0
                if group["line_search_fn"] is not None:
                    if group["line_search_fn"] != "strong_wolfe":
                        raise RuntimeError("only 'strong_wolfe' is supported")
                    x = [p.clone() for p in self._params]
                    loss, g, t, ls_evals = _strong_wolfe(
                        lambda x, t, d: self._evaluate(evaluate_closure, x, t, d), x, t, d, loss, g, gtd,
                        max_ls=max_eval - evals)
                    self._move(t, d)
                    optimal = g.abs().max() <= tolerance_grad
                else:
                    self._move(t, d)
                    optimal = False
                    if n_iter != max_iter:  # (the last iteration's loss is not needed)
                        loss = float(evaluate_closure())
                        g = self._flat_grad()
                        optimal = g.abs().max() <= tolerance_grad
                        ls_evals = 1
                evals += ls_evals
                state["func_evals"] += ls_evals
                if (n_iter == max_iter or evals >= max_eval or optimal
                        or d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                    break
            state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag, prev_flat_grad=prev_g,
                         prev_loss=prev_loss)
        return orig_loss
