"""Run a torchless module against torch's on the samples of torch's ``module_db``.

For each sample: both modules are built from the same constructor arguments after the same seed
(their initial parameters must be equal: torchless draws torch's random numbers), the forward
inputs are copied over, and the outputs, the gradients of the inputs and parameters (of a random
weighting of the outputs) and the buffers after forward are compared. Where torch raises, torchless
must raise the same exception type.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")
common_modules = pytest.importorskip("torch.testing._internal.common_modules")

MODULE_DB = {info.name: info for info in common_modules.module_db}


def samples(name: str, training: bool = True) -> list:
    info = MODULE_DB[name]
    return info.module_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=True, training=training)


def sample_ids(name: str) -> list:
    return [f"{i}-{s.desc or 'default'}" for i, s in enumerate(samples(name))]


def to_torchless(v, leaves: list):
    """A torch value (tensors within containers) as torchless's, leaves that require grad listed."""
    if isinstance(v, torch.Tensor):
        t = torchless.tensor(v.detach().numpy().copy(), requires_grad=v.requires_grad)
        if v.requires_grad and v.is_leaf:
            leaves.append(t)
        return t
    if isinstance(v, tuple):
        return tuple(to_torchless(x, leaves) for x in v)
    if isinstance(v, list):
        return [to_torchless(x, leaves) for x in v]
    if isinstance(v, dict):
        return {k: to_torchless(x, leaves) for k, x in v.items()}
    if isinstance(v, torch.nn.Module):
        return _module_to_torchless(v)
    if _is_torch_functional(v):
        return getattr(torchless.nn.functional, v.__name__)
    return v


def _is_torch_functional(v) -> bool:
    return callable(v) and getattr(torch.nn.functional, getattr(v, "__name__", ""), None) is v


def _module_to_torchless(m):
    """A torchless twin of a torch module passed as a constructor argument (its parameters are
    copied over afterwards, by name, with the rest)."""
    name = type(m).__name__
    if name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        activation = m.activation
        if _is_torch_functional(activation):
            activation = getattr(torchless.nn.functional, activation.__name__)
        return getattr(torchless.nn, name)(
            m.linear1.in_features, m.self_attn.num_heads, m.linear1.out_features, m.dropout.p, activation,
            m.norm1.eps, m.self_attn.batch_first, m.norm_first, m.linear1.bias is not None)
    if name == "LayerNorm":
        return torchless.nn.LayerNorm(m.normalized_shape, m.eps, m.elementwise_affine, m.bias is not None)
    raise NotImplementedError(f"no torchless twin for a {name} constructor argument")


def torch_leaves(v, out: list) -> list:
    if isinstance(v, torch.Tensor):
        if v.requires_grad and v.is_leaf:
            out.append(v)
    elif isinstance(v, (tuple, list)):
        for x in v:
            torch_leaves(x, out)
    elif isinstance(v, dict):
        for x in v.values():
            torch_leaves(x, out)
    return out


def flat_tensors(v) -> list:
    if isinstance(v, (tuple, list)):
        return [t for x in v for t in flat_tensors(x)]
    return [v] if hasattr(v, "shape") else []


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach()._data


def assert_close(got, want, what: str, tol: float = 1e-7):
    g, w = _np(got), _np(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape}, torch's {w.shape}"
    np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def compare_sample(name: str, index: int, tol: float = 1e-7, check_init: bool = True, training: bool = True) -> None:
    torch.manual_seed(index)  # (the samples are random: the same ones on every run)
    sample = samples(name, training)[index]
    cls_t = MODULE_DB[name].module_cls
    cls_l = getattr(torchless.nn, cls_t.__name__)
    c = sample.constructor_input
    torch.manual_seed(0)
    mt = cls_t(*c.args, **c.kwargs).to(torch.float64)
    torchless.manual_seed(0)
    ml = cls_l(*to_torchless(c.args, []), **to_torchless(c.kwargs, [])).to(torchless.float64)
    mt.train(training)
    ml.train(training)
    params_t, params_l = dict(mt.named_parameters()), dict(ml.named_parameters())
    assert list(params_l) == list(params_t), "parameter names"
    assert list(dict(ml.named_buffers())) == list(dict(mt.named_buffers())), "buffer names"
    for k, p in params_t.items():
        if check_init:  # torch's initialisation, from torch's random numbers
            assert_close(params_l[k], p, f"initial {k}", tol=0)
        with torchless.no_grad():
            params_l[k].copy_(torchless.tensor(p.detach().numpy()))
    f = sample.forward_input
    leaves_l: list = []
    args_l, kwargs_l = to_torchless(f.args, leaves_l), to_torchless(f.kwargs, leaves_l)
    leaves_t = torch_leaves((f.args, f.kwargs), [])
    try:
        out_t = mt(*f.args, **f.kwargs)
    except Exception as e:  # noqa: BLE001 (torch refuses: so must torchless, with the same type)
        with pytest.raises(type(e)):
            ml(*args_l, **kwargs_l)
        return
    out_l = ml(*args_l, **kwargs_l)
    outs_t, outs_l = flat_tensors(out_t), flat_tensors(out_l)
    assert len(outs_l) == len(outs_t)
    for i, (a, b) in enumerate(zip(outs_l, outs_t)):
        assert_close(a, b, f"output {i}", tol)
    for (k, b), (k2, b2) in zip(mt.named_buffers(), ml.named_buffers()):
        assert_close(b2, b, f"buffer {k} after forward", tol)
    rng = np.random.default_rng(index)
    diff = [(a, b) for a, b in zip(outs_l, outs_t) if b.requires_grad and b.dtype.is_floating_point]
    if not diff:
        return
    weights = [rng.standard_normal(tuple(b.shape)) for _, b in diff]
    loss_t = sum((b * torch.tensor(w)).sum() for (_, b), w in zip(diff, weights))
    loss_l = sum((a * torchless.tensor(w)).sum() for (a, _), w in zip(diff, weights))
    loss_t.backward()
    loss_l.backward()
    for i, (a, b) in enumerate(zip(leaves_l, leaves_t)):
        if b.grad is None:
            assert a.grad is None or not _np(a.grad).any(), f"input {i} has a gradient, torch's has none"
        else:
            assert a.grad is not None, f"input {i} has no gradient"
            assert_close(a.grad, b.grad, f"gradient of input {i}", tol)
    for k, p in params_t.items():
        if p.grad is not None:
            assert_close(params_l[k].grad, p.grad, f"gradient of {k}", tol)
