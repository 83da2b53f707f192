"""Adam and its relatives: running averages of the gradient and of its square, bias-corrected.

Each update follows torch's single-tensor implementation operation by operation (the same
in-place ops in the same order), so that the numbers agree with torch's to the last rounding.
"""

from __future__ import annotations

from .. import _creation
from ..ops.elementwise import maximum
from .optimizer import Optimizer, _check, _check_betas, _check_lr, scalar_dtype


def _step(state: dict) -> float:
    """Count one more step (kept as a 0-d tensor, as torch keeps it) and return the new count."""
    t = state["step"]
    t += 1
    return t.item()


def _decay(p, grad, group):
    """Weight decay: decoupled (AdamW: shrink the parameter) or added to the gradient."""
    wd = group["weight_decay"]
    if wd != 0:
        if group.get("decoupled_weight_decay"):
            p.mul_(1 - group["lr"] * wd)
        else:
            grad = grad.add(p, alpha=wd)
    return grad


def _zeros(p):
    return _creation.zeros_like(p)


class Adam(Optimizer):
    """Adam: ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g²``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`` (amsgrad: the running
    maximum of ``v``); ``decoupled_weight_decay`` makes it AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_lr(lr)
        _check("epsilon value", eps)
        _check_betas(betas)
        _check("weight_decay value", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["exp_avg"] = _zeros(p)
        state["exp_avg_sq"] = _zeros(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        if group["maximize"]:
            grad = -grad
        step = _step(state)
        grad = _decay(p, grad, group)
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = group["lr"] / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            best = state["max_exp_avg_sq"]
            best.copy_(maximum(best, exp_avg_sq))
            denom = (best.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        p.addcdiv_(exp_avg, denom, value=-step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the update)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


class Adamax(Adam):
    """Adam with the infinity norm: ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check("epsilon value", eps)
        _check_betas(betas)
        _check("weight_decay value", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        Optimizer.__init__(self, params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["exp_avg"] = _zeros(p)
        state["exp_inf"] = _zeros(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        if group["maximize"]:
            grad = -grad
        step = _step(state)
        grad = _decay(p, grad, group)
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_inf.copy_(maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"])))
        p.addcdiv_(exp_avg, exp_inf, value=-group["lr"] / (1 - beta1**step))


class NAdam(Adam):
    """Adam with Nesterov momentum, its momentum warmed up by ``momentum_decay``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check("epsilon value", eps)
        _check_betas(betas)
        _check("weight_decay value", weight_decay)
        _check("momentum_decay value", momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        Optimizer.__init__(self, params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["mu_product"] = _creation.tensor(1.0, dtype=scalar_dtype())
        state["exp_avg"] = _zeros(p)
        state["exp_avg_sq"] = _zeros(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        if group["maximize"]:
            grad = -grad
        step = _step(state)
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        bias_correction2 = 1 - beta2**step
        grad = _decay(p, grad, group)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]
        mu_product *= mu
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt()
        product = mu_product.item()
        denom.add_(group["eps"])
        p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
        p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - product * mu_next))


class RAdam(Adam):
    """Rectified Adam: plain momentum SGD while the variance estimate is unreliable (rho_t <= 5),
    then Adam scaled by the rectification term."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check("epsilon value", eps)
        _check_betas(betas)
        _check("weight_decay value", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        Optimizer.__init__(self, params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["exp_avg"] = _zeros(p)
        state["exp_avg_sq"] = _zeros(p)

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        if group["maximize"]:
            grad = -grad
        step = _step(state)
        grad = _decay(p, grad, group)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(group["eps"])
            p.add_(corrected * lr * adaptive_lr * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)
