"""Resilient backpropagation: a step size per element that grows while the gradient keeps its
sign and shrinks when it flips; only the gradient's sign is used."""

from __future__ import annotations

from .. import _creation
from .adam import _step
from .optimizer import Optimizer, _check_lr, scalar_dtype


class Rprop(Optimizer):
    """Per element: the step size times ``etaplus`` where ``g * g_prev > 0``, times ``etaminus``
    (and no move) where it is < 0, clamped to ``step_sizes``; ``p -= sign(g) * step size``."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def init_state(self, p, group, state):
        state["step"] = _creation.tensor(0.0, dtype=scalar_dtype())
        state["prev"] = _creation.zeros_like(p)
        state["step_size"] = _creation.full_like(p.grad, group["lr"])

    def update(self, p, grad, group):
        state = self.param_state(p, group)
        if group["maximize"]:
            grad = -grad
        _step(state)
        etaminus, etaplus = group["etas"]
        prev, step_size = state["prev"], state["step_size"]
        sign = grad.mul(prev).sign()
        sign[sign.gt(0)] = etaplus
        sign[sign.lt(0)] = etaminus
        sign[sign.eq(0)] = 1
        step_size.mul_(sign).clamp_(*group["step_sizes"])
        grad = grad.clone()
        grad[sign.eq(etaminus)] = 0
        p.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
