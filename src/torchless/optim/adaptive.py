"""Per-element step sizes from the history of squared gradients: Adagrad, Adadelta, RMSprop.

Each update follows torch's single-tensor implementation operation by operation.
"""

from __future__ import annotations

from .. import _creation
from .adam import _step
from .optimizer import Optimizer, _check, _check_lr, scalar_dtype


def _decayed(p, grad, group):
    """The gradient, negated under ``maximize``, plus ``weight_decay * p``."""
    if group["maximize"]:
        grad = -grad
    if group["weight_decay"] != 0:
        grad = grad.add(p, alpha=group["weight_decay"])
    return grad


class Adagrad(Optimizer):
    """``s += g²``, ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:  # (Adagrad makes its state up front, as torch's does)
            for p in group["params"]:
                self.init_state(p, group, self.state[p])

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["sum"] = _creation.full_like(p, group["initial_accumulator_value"])

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        step = _step(state)
        grad = _decayed(p, grad, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt().add_(group["eps"])
        p.addcdiv_(grad, std, value=-clr)


class Adadelta(Optimizer):
    """``v = rho v + (1 - rho) g²``, ``d = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) d²``, ``p -= lr * d``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        _check("rho value", rho, 0.0, 1.0, closed_high=True)
        _check("epsilon value", eps)
        _check("weight_decay value", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["square_avg"] = _creation.zeros_like(p)
        state["acc_delta"] = _creation.zeros_like(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        _step(state)
        grad = _decayed(p, grad, group)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_()
        delta.div_(std).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])


class RMSprop(Optimizer):
    """``v = alpha v + (1 - alpha) g²``, ``p -= lr * g / (sqrt(v) + eps)`` (centered: the variance
    ``v - mean(g)²``; momentum: through a buffer)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["square_avg"] = _creation.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _creation.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _creation.zeros_like(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        _step(state)
        grad = _decayed(p, grad, group)
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add_(group["eps"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).addcdiv_(grad, avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, avg, value=-group["lr"])
