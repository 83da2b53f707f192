"""torchless.optim against torch.optim: every optimizer input of torch's own optimizer database
(``common_optimizers.optim_db``) runs 100 steps (LBFGS: 5 closures) on the same problem in both
libraries; parameters, state and state dicts must agree."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")

from torch.testing._internal.common_optimizers import optim_db

import torchless

MISSING = {"Adafactor", "Muon", "SparseAdam"}  # (not in torchless yet)


def _tl(value):
    """A torch value of an optimizer's kwargs, in torchless terms."""
    if isinstance(value, torch.Tensor):
        return torchless.tensor(value.numpy())
    if isinstance(value, (tuple, list)):
        return type(value)(_tl(v) for v in value)
    if isinstance(value, dict):
        return {k: _tl(v) for k, v in value.items()}
    return value


def _np(value):
    if isinstance(value, (torch.Tensor, torchless.Tensor)):
        return np.asarray(value.detach().numpy())
    return value


def train(lib, cls_name, kwargs, dtype="float64", steps=100):
    """Fit tanh(X W + b) (LBFGS: X W + b) to Y (mean squared error) with the optimizer; returns the parameters and
    the optimizer's state dict."""
    rng = np.random.default_rng(0)
    W0, b0 = rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)
    X, Y = rng.standard_normal((8, 5)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)
    W, b = lib.tensor(W0, requires_grad=True), lib.tensor(b0, requires_grad=True)
    X, Y = lib.tensor(X), lib.tensor(Y)
    opt = getattr(lib.optim, cls_name)([W, b], **kwargs)

    squash = (lambda v: v) if cls_name == "LBFGS" else lib.tanh  # (LBFGS: a convex problem, well conditioned)

    def closure():
        opt.zero_grad()
        loss = ((squash(X @ W + b) - Y) ** 2).mean()
        loss.backward()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5 if cls_name == "LBFGS" else steps):
            opt.step(closure)
    return [W, b], opt.state_dict()


def same_structure(a, b, rtol):
    """Two state dicts alike: the same keys in the same order, equal numbers, close tensors."""
    assert type(_np(a)) is type(_np(b)) or isinstance(_np(a), np.ndarray), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same_structure(a[k], b[k], rtol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same_structure(x, y, rtol)
    elif isinstance(a, (torch.Tensor, torchless.Tensor)):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(_np(b), _np(a), rtol=rtol, atol=rtol)
    elif isinstance(a, float) and not math.isnan(a):
        assert b == pytest.approx(a, rel=rtol, abs=rtol)
    else:
        assert a == b


def _cases():
    for info in optim_db:
        name = info.optim_cls.__name__
        marks = [pytest.mark.xfail(reason="not in torchless yet", strict=True)] if name in MISSING else []
        for i, oi in enumerate(info.optim_inputs_func(device="cpu", dtype=torch.float64)):
            yield pytest.param(name, oi.kwargs, id=f"{name}-{i}-{oi.desc or 'default'}", marks=marks)


@pytest.mark.parametrize("name, kwargs", list(_cases()))
def test_optimizer_matches_torch(name, kwargs):
    ref_params, ref_state = train(torch, name, kwargs)
    params, state = train(torchless, name, _tl(kwargs))
    # LBFGS's curvature pairs amplify rounding (its dot products sum in another order than torch's)
    rtol = 1e-7 if name == "LBFGS" else 1e-10
    for p, q in zip(ref_params, params):
        np.testing.assert_allclose(_np(q), _np(p), rtol=rtol, atol=rtol)
    same_structure(ref_state, state, rtol)


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}), ("Adam", {}),
                                          ("AdamW", {"amsgrad": True}), ("RMSprop", {"centered": True}),
                                          ("Adagrad", {}), ("NAdam", {}), ("RAdam", {})])
def test_float32_updates_round_as_torch(name, kwargs):
    ref, _ = train(torch, name, kwargs, dtype="float32")
    out, _ = train(torchless, name, kwargs, dtype="float32")
    for p, q in zip(ref, out):
        assert q.dtype == torchless.float32
        np.testing.assert_allclose(_np(q), _np(p), rtol=2e-5, atol=2e-6)


def test_state_dict_round_trip_resumes_identically():
    W = torchless.tensor([[1.0, -2.0]], requires_grad=True)
    opt = torchless.optim.Adam([W], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (W**2).sum().backward()
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    W2 = W.detach().clone().requires_grad_()
    opt2 = torchless.optim.Adam([W2], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"][0] is W2
    for w, o in ((W, opt), (W2, opt2)):
        o.zero_grad()
        (w**2).sum().backward()
        o.step()
    assert W.tolist() == W2.tolist()


def test_param_groups_and_errors_as_torch():
    a, b = torchless.zeros(2, requires_grad=True), torchless.zeros(3, requires_grad=True)
    opt = torchless.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert list(opt.state_dict()["param_groups"][1]) == list(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).state_dict()["param_groups"][0])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        torchless.optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        torchless.optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torchless.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        torchless.optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torchless.optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        torchless.optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_zero_grad_and_step_hooks():
    w = torchless.ones(2, requires_grad=True)
    opt = torchless.optim.SGD([w], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append("pre"))
    handle = opt.register_step_post_hook(lambda o, args, kwargs: seen.append("post"))
    (w * 2).sum().backward()
    opt.step()
    handle.remove()
    opt.step()
    assert seen == ["pre", "post", "pre"]
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [2, 5, 5], 0.3),
    "ConstantLR": lambda S, o: S.ConstantLR(o, 0.5, 4),
    "LinearLR": lambda S, o: S.LinearLR(o, 0.2, 0.9, 7),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, 8, 2.0),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, 5, 0.01),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95**e),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, 0.01, 0.1, 4, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, 3, 5, mode="exp_range", gamma=0.9),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, 0.5, total_steps=25),
    "OneCycleLR-three-phase": lambda S, o: S.OneCycleLR(o, [0.5, 1.0], total_steps=25, three_phase=True,
                                                        anneal_strategy="linear"),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 4), S.ExponentialLR(o, 0.8)], [5]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 4), S.ExponentialLR(o, 0.9)]),
}


def _schedule(lib, make, steps=24):
    groups = [{"params": [lib.zeros(2, requires_grad=True)]}, {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5}]
    opt = lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    sched = make(lib.optim.lr_scheduler, opt)
    seen = []
    for _ in range(steps):
        opt.step()
        sched.step()
        seen.append([g["lr"] for g in opt.param_groups] + [g["momentum"] for g in opt.param_groups]
                    + list(sched.get_last_lr()))
    return seen, sched.state_dict()


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_matches_torch_exactly(name):
    ref, ref_state = _schedule(torch, SCHEDULERS[name])
    out, state = _schedule(torchless, SCHEDULERS[name])
    assert out == ref  # (the same float operations: equal to the last bit)
    assert sorted(state) == sorted(ref_state)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    results = []
    for lib in (torch, torchless):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, cooldown=1, factor=0.5)
        results.append([(sched.step(m), sched.get_last_lr())[1] for m in metrics])
    assert results[0] == results[1]


def test_scheduler_warns_when_stepped_before_the_optimizer():
    opt = torchless.optim.SGD([torchless.zeros(1, requires_grad=True)], lr=0.1)
    sched = torchless.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
