"""nn.Module's contract, program by program against torch 2.13: registration, traversal, state
dicts (torch's keys, metadata and error texts; files torch and torchless read from each other),
hooks, modes, conversions, printing. (module_db for the core layers: test_nn_module.py.)"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")

def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 3))
            self.head = nn.ModuleDict({"out": nn.Linear(3, 2, bias=False)})
            self.scale = nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.shared = self.features[0]  # the same module twice

        def forward(self, x):
            return self.head["out"](self.features(x)) * self.scale

    lib.manual_seed(0)
    return Net()


def _np(t):
    return t.detach().numpy()


def test_registration_traversal_and_repr_match_torch():
    a, b = _net(torch), _net(tl)
    assert repr(b) == repr(a)
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(b, method)()] == [n for n, _ in getattr(a, method)()]
    assert [n for n, _ in b.named_modules(remove_duplicate=False)] == \
        [n for n, _ in a.named_modules(remove_duplicate=False)]
    assert [n for n, _ in b.named_parameters(prefix="m", recurse=False)] == \
        [n for n, _ in a.named_parameters(prefix="m", recurse=False)]
    for (n, p), (_, q) in zip(b.named_parameters(), a.named_parameters()):
        np.testing.assert_array_equal(_np(p), _np(q), err_msg=n)  # torch's initialisation, bit for bit
    assert sorted(dir(b)) == sorted(d for d in dir(b))
    assert "features" in dir(b) and "scale" in dir(b)


def test_state_dict_keys_metadata_and_round_trip_through_both_libraries():
    a, b = _net(torch), _net(tl)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sb) == list(sa) and isinstance(sb, OrderedDict)
    assert dict(sb._metadata) == dict(sa._metadata)
    assert all(not t.requires_grad for t in sb.values())
    assert all(isinstance(t, tl.nn.Parameter) for k, t in b.state_dict(keep_vars=True).items() if k != "steps")
    # torchless writes, torch reads, and the other way round
    buf = io.BytesIO()
    tl.save(sb, buf)
    buf.seek(0)
    back = torch.load(buf)
    assert list(back) == list(sa)
    buf = io.BytesIO()
    torch.save({k: v + 1 for k, v in sa.items()}, buf)
    buf.seek(0)
    result = b.load_state_dict(tl.load(buf))
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_allclose(_np(b.scale), _np(a.scale) + 1)


def _load_errors(lib):
    net = _net(lib)
    state = net.state_dict()
    del state["scale"]
    state["extra.weight"] = lib.zeros(1)
    state["features.0.weight"] = lib.zeros(5, 4)
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        strict_error = str(err)
    result = _net(lib).load_state_dict({k: v for k, v in state.items() if k != "features.0.weight"}, strict=False)
    return strict_error, result.missing_keys, result.unexpected_keys


def test_load_state_dict_reports_what_torch_reports():
    assert _load_errors(tl) == _load_errors(torch)


def _assignment_errors(lib):
    out = []
    m = lib.nn.Linear(2, 2)
    for action in (lambda: setattr(m, "weight", lib.zeros(2, 2)), lambda: m.register_parameter("a.b", None),
                   lambda: m.register_buffer("weight", lib.zeros(1)), lambda: m.add_module("x", 3),
                   lambda: m.register_parameter("p", lib.nn.Parameter(lib.ones(1)) * 2),
                   lambda: lib.nn.Module().forward(), lambda: m.get_submodule("nope"),
                   lambda: m.load_state_dict([1])):
        try:
            action()
            out.append(None)
        except Exception as err:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(err).__name__, str(err)))
    return out


def test_bad_assignments_raise_torchs_errors():
    assert _assignment_errors(tl) == _assignment_errors(torch)


def _hooks(lib):
    calls = []
    m = lib.nn.Linear(3, 2)
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(("fwd-kw", sorted(kwargs))), with_kwargs=True)
    m.register_full_backward_pre_hook(lambda mod, go: calls.append(("bwd-pre", [tuple(g.shape) for g in go])))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(("bwd", [None if g is None else tuple(g.shape)
                                                                           for g in gi])))
    x = lib.ones(4, 3, requires_grad=True)
    y = m(x)
    y.sum().backward()
    pre.remove()
    y2 = m(lib.ones(4, 3))  # no input needs a gradient: the backward hook gets None
    y2.sum().backward()
    return calls, _np(y), _np(x.grad)


def test_forward_and_backward_hooks_run_as_in_torch():
    (ca, ya, ga), (cb, yb, gb) = _hooks(torch), _hooks(tl)
    assert cb == ca
    np.testing.assert_allclose(yb, ya, rtol=1e-6)
    np.testing.assert_allclose(gb, ga, rtol=1e-6)


def test_train_eval_zero_grad_requires_grad_and_conversions():
    net = _net(tl)
    assert net.training and not net.eval().features[1].training and net.train().features[1].training
    net(tl.ones(2, 4)).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(tl.ones(2, 4)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.double()
    assert net.scale.dtype == tl.float64 and net.steps.dtype == tl.int64 and isinstance(net.scale, tl.nn.Parameter)
    assert net.to(tl.float32).features[0].weight.dtype == tl.float32
    with pytest.raises(RuntimeError, match="CuPy"):
        net.to("cuda")
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and visited[0] == "Linear"


def test_pickle_deepcopy_and_parameter_repr():
    import copy
    net = _net(tl)
    clone = copy.deepcopy(net)
    assert clone.shared is clone.features[0] and clone.scale is not net.scale
    again = pickle.loads(pickle.dumps(net.features))
    np.testing.assert_array_equal(_np(again[0].weight), _np(net.features[0].weight))
    assert isinstance(again[0].weight, tl.nn.Parameter)
    assert repr(tl.nn.Parameter(tl.tensor([1.0]))) == repr(torch.nn.Parameter(torch.tensor([1.0])))


def _containers(lib):
    nn = lib.nn
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    seq.append(nn.Sigmoid())
    seq.insert(1, nn.Tanh())
    del seq[2]
    out = [repr(seq), repr(seq[1:3]), len(seq), repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()]))]
    pl = nn.ParameterList([nn.Parameter(lib.ones(2)), lib.zeros(3)])
    pd = nn.ParameterDict({"b": lib.ones(1), "a": nn.Parameter(lib.zeros(2))})
    out += [repr(pl), len(pl), list(pd.keys()), [n for n, _ in nn.Sequential(OrderedDict(x=nn.ReLU())).named_children()]]
    return out


def test_containers_match_torch():
    assert _containers(tl) == _containers(torch)
