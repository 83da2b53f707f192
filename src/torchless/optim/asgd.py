"""Averaged stochastic gradient descent: SGD with a decaying step, keeping a running average of
the iterates (``state["ax"]``)."""

from __future__ import annotations

from .. import _creation
from .adam import _step
from .adaptive import _decayed
from .optimizer import Optimizer, _check, _check_lr, scalar_dtype


class ASGD(Optimizer):
    """``p = p (1 - lambd eta) - eta g``; ``ax`` averages ``p`` from step ``t0`` on; then
    ``eta = lr / (1 + lambd lr t)^alpha`` and ``mu = 1 / max(1, t - t0)``."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        _check_lr(lr)
        _check("weight_decay value", weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["eta"] = _creation.tensor(float(group["lr"]), dtype=scalar_dtype())
        state["mu"] = _creation.tensor(1.0, dtype=scalar_dtype())
        state["ax"] = _creation.zeros_like(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        grad = _decayed(p, grad, group)
        step = _step(state)
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        lr, lambd = group["lr"], group["lambd"]
        eta_value = eta.item()
        p.mul_(1 - lambd * eta_value)
        p.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(p.sub(ax).mul_(mu))
        else:
            ax.copy_(p)
        eta.copy_(_creation.as_tensor(lr / ((1 + lambd * lr * step) ** group["alpha"])))
        mu.copy_(_creation.as_tensor(1 / max(1, step - group["t0"])))
