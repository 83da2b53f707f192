"""nn.Module, Parameter/Buffer, the containers and the core layers, program by program against
torch 2.13: each ``program(lib)`` below runs once with torch and once with torchless, and what it
returns (tensors by dtype, shape, values, requires_grad and class; strings; errors as type and
message) must be the same. Plus torch's module_db for the core layers (module_db_harness)."""

from __future__ import annotations

import copy
import io
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from module_db_harness import module_db_test

import torchless as tl

torch = pytest.importorskip("torch")

test_module_db = module_db_test(["nn.Linear", "nn.Bilinear", "nn.Identity", "nn.Flatten", "nn.Unflatten",
                                 "nn.LazyLinear"])


# ---- running a program both ways ----------------------------------------------------------------
class _Values:
    """A tensor's values, equal to another's within float rounding (matmuls may sum in another order)."""

    def __init__(self, array):
        self.array = array

    def __eq__(self, other):
        return self.array.shape == other.array.shape and np.allclose(self.array, other.array, rtol=1e-6, atol=1e-7,
                                                                     equal_nan=True)

    def __repr__(self):
        return repr(self.array)


def _norm(v):
    """What a program returned, with torch and torchless objects made comparable."""
    if isinstance(v, (torch.Tensor, tl.Tensor)):
        return ("tensor", str(v.dtype).replace("torchless", "torch"), tuple(v.shape), _Values(v.detach().numpy()),
                v.requires_grad, type(v).__name__)
    if isinstance(v, (torch.dtype, tl.dtype)):
        return str(v).replace("torchless", "torch")
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_norm(x) for x in v]
    if isinstance(v, dict):
        return type(v).__name__, [(k, _norm(x)) for k, x in v.items()]
    if isinstance(v, str):
        return v.replace("torchless", "torch")
    return v


def _run(program, lib):
    try:
        return _norm(program(lib))
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return ("raised", type(e).__name__, str(e).replace("torchless", "torch"))


def _try(f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001
        return ("raised", type(e).__name__, str(e))


PROGRAMS = {}


def program(f):
    PROGRAMS[f.__name__] = f
    return f


# ---- Parameter and Buffer ------------------------------------------------------------------------
@program
def parameter_basics(lib):
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    q = lib.nn.Parameter(lib.tensor([1.0, 2.0]), requires_grad=False)
    return [repr(p), str(p), repr(q), p.is_leaf, isinstance(p, lib.Tensor), repr(lib.nn.Parameter()), repr(p * 2),
            type(p.detach()).__name__, type(p.data).__name__, type(p.clone()).__name__, type(p[0]).__name__,
            repr(lib.nn.Parameter(lib.tensor([1, 2]), requires_grad=False)), repr(lib.nn.Parameter(lib.ones(2, 2)))]


@program
def parameter_integer_requires_grad(lib):
    return lib.nn.Parameter(lib.tensor([1, 2]))


@program
def parameter_copies(lib):
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    p.grad = lib.tensor([3.0, 4.0])
    c, d = copy.deepcopy(p), pickle.loads(pickle.dumps(p))
    q = lib.nn.Parameter(lib.tensor([5.0]), requires_grad=False)
    e = copy.deepcopy(q)
    return [repr(c), c.grad, type(c).__name__, repr(d), d.grad, type(d).__name__, repr(e), c is p]


@program
def buffer_registration(lib):
    m = lib.nn.Module()
    b = lib.nn.Buffer(lib.ones(2))
    m.b = b
    m.c = lib.nn.Buffer(lib.zeros(1), persistent=False)
    m.register_buffer("d", lib.nn.Buffer(lib.ones(1), persistent=False))  # (the argument's default wins)
    return [repr(b), list(m.state_dict()), m.b is b, lib.nn.Buffer(lib.ones(1, requires_grad=True)).requires_grad,
            [n for n, _ in m.named_buffers()]]


@program
def parameter_through_files(lib):
    buf = io.BytesIO()
    lib.save({"p": lib.nn.Parameter(lib.tensor([1.0, 2.0])), "q": lib.nn.Parameter(lib.ones(1), False)}, buf)
    buf.seek(0)
    back = torch.load(buf)  # torch reads what either library wrote
    buf.seek(0)
    again = lib.load(buf)
    return [repr(back["p"]), type(back["p"]).__name__, repr(back["q"]), repr(again["p"]), type(again["q"]).__name__]


# ---- registration and traversal ------------------------------------------------------------------
def _shared(lib):
    nn = lib.nn
    lin = nn.Linear(1, 1)
    return nn.Sequential(lin, lin, nn.Sequential(lin, nn.ReLU()))


@program
def traversal(lib):
    s = _shared(lib)
    s.register_buffer("steps", lib.zeros(()))
    return [[n for n, _ in s.named_modules()], [n for n, _ in s.named_modules(remove_duplicate=False)],
            [n for n, _ in s.named_modules(prefix="net")], [n for n, _ in s.named_modules(memo={s[2]})],
            [n for n, _ in s.named_parameters()], [n for n, _ in s.named_parameters(remove_duplicate=False)],
            [n for n, _ in s.named_parameters(prefix="m", recurse=False)], [n for n, _ in s.named_children()],
            [n for n, _ in s.named_buffers(prefix="b")], len(list(s.parameters())), len(list(s.modules())),
            len(list(s.children())), list(s.state_dict())]


@program
def registration_errors(lib):
    nn = lib.nn
    m, s = nn.Linear(2, 2), nn.Sequential(nn.Linear(1, 1))
    actions = [lambda: setattr(m, "weight", lib.zeros(2, 2)), lambda: setattr(m, "weight", 3),
               lambda: setattr(m, "weight", None), lambda: setattr(s, "0", 3), lambda: m.register_buffer("x", 3),
               lambda: m.register_buffer(3, None), lambda: m.register_buffer("", None),
               lambda: m.register_buffer("a.b", None), lambda: m.register_parameter("", None),
               lambda: m.register_parameter(1, None), lambda: m.register_parameter("training", None),
               lambda: m.register_parameter("q", lib.ones(1)),
               lambda: m.register_parameter("p", lib.nn.Parameter(lib.ones(1)) * 2),
               lambda: m.add_module("a.b", nn.Identity()), lambda: m.add_module("", nn.Identity()),
               lambda: m.add_module(1, nn.Identity()), lambda: m.add_module("in_features", nn.Identity()),
               lambda: m.add_module("x", 3), lambda: m.register_buffer("zz", lib.ones(1)),
               lambda: setattr(m, "zz", 4), lambda: m.nope, lambda: delattr(m, "bias"),
               lambda: [n for n, _ in m.named_parameters()], lambda: delattr(m, "nope"),
               lambda: m.get_parameter("nope"), lambda: m.get_parameter("zz"), lambda: m.get_buffer("weight"),
               lambda: m.get_buffer("zz"), lambda: s.get_submodule("0.weight"), lambda: s.get_submodule("1"),
               lambda: s.get_submodule("0").in_features, lambda: s.get_parameter("0.weight").shape,
               lambda: nn.Module(3), lambda: nn.Module(a=3), lambda: m.train(1), lambda: m.to(lib.int32),
               lambda: nn.Module().forward(), lambda: nn.Module()(1), lambda: m.load_state_dict([1])]
    return [_try(a) for a in actions]


@program
def assignment_before_init(lib):
    out = []
    for k in range(4):
        class M(lib.nn.Module):
            def __init__(self, k=k):
                if k == 0:
                    self.p = lib.nn.Parameter(lib.ones(1))
                if k == 1:
                    self.p = lib.nn.Linear(1, 1)
                if k == 2:
                    self.register_buffer("b", lib.ones(1))
                if k == 3:
                    self.x = 3
                super().__init__()
        out.append(_try(lambda: type(M()).__name__))
    return out


@program
def reassigning_between_kinds(lib):
    nn = lib.nn
    m = nn.Module()
    m.x = nn.Parameter(lib.ones(1))
    m.x = nn.Linear(1, 1)
    a = [list(m._parameters), list(m._modules)]
    m.register_buffer("y", lib.ones(1))
    m.y = lib.zeros(2)
    b = [list(m._buffers), m.y]
    m.y = nn.Parameter(lib.ones(1))
    c = [list(m._buffers), list(m._parameters)]
    m.z = 5
    d = _try(lambda: m.register_buffer("z", lib.ones(1)))
    del m.x
    m.a = None
    m.register_module("b", None)
    m.register_parameter("p", None)
    m.register_buffer("q", None)
    return [a, b, c, d, list(m._modules), repr(m), list(m.state_dict()), m.a, m.b, m.p, m.q]


# ---- printing --------------------------------------------------------------------------------------
@program
def reprs(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]))
            self.heads = nn.ModuleDict({"a": nn.Linear(4, 1), "b": nn.Bilinear(4, 4, 2, bias=False)})
            self.flat = nn.Flatten(0, -1)

        def extra_repr(self):
            return "two\nlines"

    return [repr(Net()), repr(nn.Identity(3, k=4)), repr(nn.Linear(2, 3, bias=False)), repr(nn.Flatten()),
            repr(nn.Unflatten(1, (2, 3))), repr(nn.Unflatten(1, [2, 2])), repr(nn.LazyLinear(4)),
            repr(nn.Sequential()), repr(nn.ModuleList()), repr(nn.ModuleDict()), repr(nn.ParameterList()),
            repr(nn.ParameterDict()), Net().extra_repr(), nn.Linear(1, 1).extra_repr(), Net()._get_name()]


# ---- state dicts ---------------------------------------------------------------------------------
@program
def state_dict_keys_and_metadata(lib):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    m.register_buffer("nb", lib.ones(1), persistent=False)
    m.register_buffer("pb", lib.ones(1))
    m.register_parameter("none", None)
    sd, kept = m.state_dict(), m.state_dict(prefix="pre.", keep_vars=True)
    dest = {}
    m.state_dict(destination=dest, prefix="x.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        positional = m.state_dict(None, "p.")
    return [type(sd).__name__, list(sd), list(sd._metadata.items()), list(kept), list(kept._metadata.items()),
            type(kept["pre.0.weight"]).__name__, kept["pre.0.weight"].requires_grad, sd["0.weight"].requires_grad,
            list(dest), list(positional), [c.category.__name__ for c in caught], sd]


@program
def load_state_dict_results(lib):
    nn = lib.nn
    m = nn.Linear(2, 2)
    w = m.weight
    r1 = m.load_state_dict({"weight": lib.ones(2, 2), "bias": lib.zeros(2)})
    r2 = m.load_state_dict({"weight": lib.ones(2, 2) * 2, "bias": lib.zeros(2), "x": lib.ones(1)}, strict=False)
    r3 = m.load_state_dict({"weight": lib.ones(2, 2) * 3}, strict=False)
    same = m.weight is w
    r4 = m.load_state_dict({"weight": lib.ones(2, 2, dtype=lib.float64) * 4, "bias": lib.zeros(2)}, assign=True)
    return [repr(r1), repr(r2), str(r3), r2.missing_keys, r2.unexpected_keys, list(r3), same, m.weight is w,
            m.weight, repr(r4), type(r3).__name__]


@program
def load_state_dict_errors(lib):
    nn = lib.nn
    m = nn.Sequential(nn.Linear(2, 2))
    cases = [({"0.weight": lib.ones(3, 2), "0.bias": lib.ones(2)}, True), ({"0.weight": lib.ones(3, 2)}, False),
             ({"0.weight": 3, "0.bias": lib.ones(2)}, True),
             ({"0.weight": lib.ones(2, 2), "0.bias": lib.ones(2), "1.weight": lib.ones(1), "foo": lib.ones(1),
               "0.foo": 1}, True), ({}, True), ({"0.weight": lib.ones(2, 3), "0.bias": lib.ones(2, 1)}, True)]
    return [_try(lambda sd=sd, strict=strict: repr(m.load_state_dict(sd, strict=strict))) for sd, strict in cases]


@program
def state_dict_hooks(lib):
    nn = lib.nn
    m = nn.Linear(2, 2)
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", prefix, list(sd), dict(meta))))
    m.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, meta, strict, mk, uk, em: calls.append(("lpre", prefix, dict(meta), strict)))
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(("lpost", repr(keys))))
    s = nn.Sequential(m)
    s.load_state_dict(s.state_dict())
    return calls


@program
def extra_state(lib):
    nn = lib.nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.v = 1
            self.lin = nn.Linear(1, 1)

        def get_extra_state(self):
            return {"v": self.v}

        def set_extra_state(self, state):
            self.v = state["v"] + 10

    m = M()
    sd = m.state_dict()
    m.load_state_dict(sd)
    result = m.load_state_dict({"lin.weight": lib.ones(1, 1), "lin.bias": lib.ones(1)}, strict=False)
    return [list(sd), sd["_extra_state"], m.v, repr(result)]


@program
def custom_load_from_state_dict(lib):
    nn = lib.nn

    class Renamed(nn.Linear):  # an old checkpoint's key renamed as it loads, torch's recipe
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "note"] = lib.tensor(1.0)

    m = nn.Sequential(Renamed(1, 2))
    sd = m.state_dict()
    result = m.load_state_dict({"0.w": lib.ones(2, 1), "0.bias": lib.zeros(2)})
    return [list(sd), repr(result), m[0].weight]


# ---- hooks -----------------------------------------------------------------------------------------
@program
def forward_hooks(lib):
    nn = lib.nn
    calls = []
    m = nn.Linear(2, 2)
    first = m.register_forward_pre_hook(lambda mod, a: calls.append("pre1"))
    m.register_forward_pre_hook(lambda mod, a: calls.append("pre0"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, k: calls.append(("prekw", sorted(k))) or (a, k), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, o: calls.append("f1"))
    m.register_forward_hook(lambda mod, a, o: calls.append("f0"), prepend=True)
    m.register_forward_hook(lambda mod, a, k, o: calls.append(("fkw", sorted(k))), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, o: calls.append("always"), always_call=True)
    x = lib.ones(1, 2, requires_grad=True)
    m(x)
    first.remove()
    first.remove()
    m(input=x)

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Failing()
    b.register_forward_hook(lambda mod, a, o: calls.append(("always-called", o)), always_call=True)
    b.register_forward_hook(lambda mod, a, o: calls.append(("not-called", o)))
    calls.append(_try(lambda: b(1)))
    return calls


@program
def forward_hooks_change_values(lib):
    nn = lib.nn
    ident = nn.Identity()
    ident.register_forward_pre_hook(lambda mod, a: 5)  # (a non-tuple becomes the only argument)
    lin = nn.Linear(2, 1)
    with lib.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.fill_(0.0)
    lin.register_forward_pre_hook(lambda mod, a: (a[0] * 2,))
    lin.register_forward_hook(lambda mod, a, o: o + 1)
    bad = nn.Linear(2, 1)
    bad.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
    return [ident(1), lin(lib.ones(1, 2)), _try(lambda: bad(lib.ones(1, 2)))]


def _grads(gs):
    return [None if g is None else g.tolist() for g in gs]


@program
def full_backward_hooks(lib):
    nn = lib.nn
    calls = []

    class M(nn.Module):
        def forward(self, a, b, scale, c):
            return a * 2, b * 3, (a + c) * scale

    m = M()
    m.register_full_backward_pre_hook(lambda mod, go: calls.append(("pre", _grads(go))))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(("bwd", _grads(gi), _grads(go))))
    a, b, c = lib.ones(2, requires_grad=True), lib.ones(2), lib.ones(2, requires_grad=True)
    out = m(a, b, 5.0, c)
    (out[0].sum() + out[2].sum()).backward()
    return calls + [a.grad, c.grad, type(out).__name__, out[0].grad_fn.name(), out[1].grad_fn is None,
                     out[1].requires_grad]


@program
def full_backward_hooks_change_gradients(lib):
    nn = lib.nn
    m = nn.Linear(2, 1)
    with lib.no_grad():
        m.weight.fill_(1.0)
        m.bias.fill_(0.0)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
    x = lib.ones(3, 2, requires_grad=True)
    m(x).sum().backward()
    return [x.grad, m.weight.grad, m.bias.grad]


@program
def full_backward_hooks_wrong_lengths(lib):
    nn = lib.nn
    out = []
    for kind in ("pre", "post"):
        m = nn.Linear(2, 1)
        if kind == "pre":
            m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        else:
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        out.append(_try(lambda m=m: m(lib.ones(1, 2, requires_grad=True)).sum().backward()))
    return out


@program
def full_backward_hook_without_input_gradients(lib):
    nn = lib.nn
    calls = []
    m = nn.Linear(2, 1)
    m.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, _grads(go))))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m(lib.ones(1, 2)).sum().backward()
    bad = nn.Linear(2, 1)
    bad.register_full_backward_hook(lambda mod, gi, go: (lib.ones(1, 2),))
    calls.append(_try(lambda: bad(lib.ones(1, 2)).sum().backward()))
    return calls + [sorted({c.category.__name__ for c in caught})]


@program
def hook_handles(lib):
    nn = lib.nn
    m = nn.Linear(1, 1)
    calls = []
    h1 = m.register_full_backward_hook(lambda mod, gi, go: calls.append("b"))
    h2 = m.register_forward_hook(lambda mod, a, k, o: calls.append("f"), with_kwargs=True, always_call=True)
    m(lib.ones(1, 1, requires_grad=True)).sum().backward()
    h1.remove()
    h2.remove()
    m(lib.ones(1, 1, requires_grad=True)).sum().backward()
    return [calls, len(m._forward_hooks), len(m._forward_hooks_with_kwargs), len(m._forward_hooks_always_called),
            len(m._backward_hooks)]


# ---- modes, gradients, conversions ------------------------------------------------------------------
@program
def train_eval_zero_grad(lib):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 1), nn.Sequential(nn.Linear(1, 1)))
    out = [m.training, m.eval() is m, m[1][0].training, m.train()[1][0].training, m.train(False).training]
    m(lib.ones(1, 2)).sum().backward()
    m.zero_grad(False)
    out.append(m[0].weight.grad)
    m.zero_grad()
    out.append(m[0].weight.grad)
    out += [m.requires_grad_(False) is m, m[0].weight.requires_grad, m.requires_grad_().training]
    names = []
    out += [m.apply(lambda mod: names.append(type(mod).__name__)) is m, names]
    return out


@program
def conversions(lib):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Linear(2, 2)
    m.register_buffer("i", lib.ones(2, dtype=lib.int64))
    m.register_buffer("c", lib.ones(2, dtype=lib.complex64))
    w = m.weight
    m.weight.grad = lib.ones(2, 2)

    def dtypes():
        return [(n, str(t.dtype).replace("torchless", "torch")) for n, t in m.state_dict().items()]

    out = [dtypes(), m.double() is m, dtypes(), m.weight is w, m.weight.grad.dtype, type(m.weight).__name__,
           m.weight.requires_grad]
    for convert in (lambda: m.half(), lambda: m.float(), lambda: m.to(lib.float64), lambda: m.to(dtype=lib.complex128),
                    lambda: m.to(lib.zeros(1, dtype=lib.float32)), lambda: m.to("cpu", lib.float64),
                    lambda: m.type(lib.float32)):
        convert()
        out.append(dtypes())
    return out + [_try(lambda: m.to("cpu", lib.int32)), m.cpu() is m, m.share_memory() is m, m.weight]


@program
def copies_of_modules(lib):
    nn = lib.nn
    lib.manual_seed(0)
    m = _shared(lib).eval()
    m[0].weight.grad = lib.ones(1, 1)
    clone = copy.deepcopy(m)
    again = pickle.loads(pickle.dumps(m))
    return [repr(clone), clone[0] is clone[1], clone[0].weight is m[0].weight, clone[0].weight, clone[0].weight.grad,
            clone[0].training, repr(again), again[2][0] is again[0], sorted(m.__getstate__())[:3],
            type(nn.Module.__dict__.get("_version")).__name__, nn.Module.dump_patches]


# ---- containers --------------------------------------------------------------------------------------
@program
def sequential(lib):
    nn = lib.nn
    s = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    out = [repr(s[1:]), repr(s[::2]), repr(s[-1]), _try(lambda: s[10]), len(s), repr(s.pop(1)), repr(s)]
    s.extend([nn.ReLU(), nn.GELU()])
    out += [repr(s), repr(s + nn.Sequential(nn.ELU()))]
    del s[1:3]
    out.append(repr(s))
    s[0] = nn.Identity()
    s.insert(-1, nn.Softplus())
    s.insert(0, nn.Tanh())
    out += [repr(s), _try(lambda: s.insert(10, nn.ReLU())), _try(lambda: s + 3), repr(s * 2), repr(2 * s),
            _try(lambda: s.append(3)), [type(x).__name__ for x in s]]
    named = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))
    out += [repr(named), repr(named[1:]), _try(lambda: named["a"])]
    s += nn.Sequential(nn.ReLU())
    out.append(repr(s))
    lib.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    return out + [net(lib.ones(4, 2))]


@program
def module_list(lib):
    nn = lib.nn
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.append(nn.ReLU())
    ml.extend([nn.ELU()])
    ml.insert(0, nn.GELU())
    out = [repr(ml), repr(ml[1:3]), type(ml[1:3]).__name__, repr(ml[-1]), len(ml), _try(lambda: ml[9])]
    del ml[0]
    out += [repr(ml), repr(ml.pop(0))]
    ml[0] = nn.Identity()
    ml += [nn.Tanh()]
    out += [repr(ml), repr(ml + nn.ModuleList([nn.ReLU()])), _try(lambda: ml.extend(3)), _try(lambda: ml())]
    out.append(repr(nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(1, 1)])))
    return out


@program
def module_dict(lib):
    nn = lib.nn
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    md["c"] = nn.ELU()
    md.update([("d", nn.GELU())])
    out = [repr(md), list(md.keys()), len(md), "a" in md, repr(md.pop("a")), list(md)]
    del md["b"]
    out += [repr(md), [k for k, _ in md.items()], _try(lambda: md["zz"]), _try(lambda: md.update(3)),
            _try(lambda: md.update([(1, 2, 3)])), _try(lambda: md())]
    md.clear()
    return out + [repr(md)]


@program
def parameter_list(lib):
    nn = lib.nn
    pl = nn.ParameterList([nn.Parameter(lib.ones(2)), lib.zeros(3, dtype=lib.float64), 5])
    pl.append(nn.Parameter(lib.ones(1, 2), requires_grad=False))
    out = [repr(pl), len(pl), [n for n, _ in pl.named_parameters()], type(pl[1]).__name__, pl[2]]
    pl.extend([lib.ones(1)])
    out += [repr(pl), repr(pl[1:3])]
    pl[0] = lib.ones(4)
    return out + [repr(pl), list(pl.state_dict()), _try(lambda: pl())]


@program
def parameter_dict(lib):
    nn = lib.nn
    pd = nn.ParameterDict({"b": lib.ones(2), "a": nn.Parameter(lib.zeros(2)), "c": "str"})
    pd["d"] = lib.ones(1, dtype=lib.float64)
    out = [repr(pd), list(pd.keys()), type(pd["b"]).__name__, [n for n, _ in pd.named_parameters()], len(pd),
           "a" in pd, repr(pd.pop("a")), list(pd), repr(pd | nn.ParameterDict({"z": lib.ones(1)})),
           repr(pd.copy()), list(pd.state_dict()), repr(pd.get("b")), pd.get("zzz", 3),
           repr(pd.setdefault("q", lib.ones(1)))]
    pd.update({"u": lib.ones(1)})
    return out + [list(pd), list(nn.ParameterDict({"x": lib.ones(1)}).fromkeys(["x", "y"], lib.ones(1))),
                  _try(lambda: pd())]


# ---- the core layers ------------------------------------------------------------------------------------
@program
def seeded_initialisation(lib):
    nn = lib.nn
    lib.manual_seed(0)
    layers = [nn.Linear(3, 1), nn.Linear(5, 4, bias=False), nn.Bilinear(3, 2, 4), nn.Linear(2, 3, dtype=lib.float64)]
    return [dict(layer.named_parameters()) for layer in layers]


@program
def lazy_linear(lib):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.LazyLinear(3)
    before = [repr(m), repr(m.weight), list(m.state_dict()), m.has_uninitialized_params()]
    y = m(lib.ones(2, 4))
    loaded = nn.LazyLinear(3)
    loaded.load_state_dict({"weight": lib.ones(3, 2), "bias": lib.ones(3)})
    return before + [repr(m), type(m).__name__, m.weight, m.bias, type(m.weight).__name__, m.in_features, y,
                     repr(loaded), type(loaded).__name__, loaded.has_uninitialized_params()]


@program
def lazy_linear_conversion_before_first_call(lib):
    m = lib.nn.LazyLinear(2).double()
    return [m(lib.ones(1, 3, dtype=lib.float64)).dtype, m.weight.dtype]


@program
def flatten_and_unflatten(lib):
    nn = lib.nn
    x = lib.arange(24.0).reshape(2, 3, 4)
    return [nn.Flatten()(x).shape, nn.Flatten(0, -1)(x).shape, nn.Unflatten(2, (2, 2))(x).shape,
            nn.Unflatten(-1, (2, -1))(x).shape, _try(lambda: nn.Unflatten(1, [2, "a"])),
            _try(lambda: nn.Unflatten(1, 3)), _try(lambda: nn.Unflatten(1, ((1, 2),)))]


@program
def identity_and_layers_forward(lib):
    nn = lib.nn
    lib.manual_seed(0)
    lin, bil = nn.Linear(2, 3), nn.Bilinear(2, 3, 4)
    x = lib.ones(5, 2, requires_grad=True)
    out = [nn.Identity(54, unused="x")(x) is x, lin(x), bil(x, lib.ones(5, 3)), lin(lib.ones(2)),
           _try(lambda: lin(lib.ones(4, 3)))]
    lin(x).sum().backward()
    return out + [x.grad, lin.weight.grad, lin.bias.grad]


# ---- nn.utils: gradient clipping, parameter vectors ------------------------------------------------
def _with_grads(lib, nonfinite=None):
    lib.manual_seed(0)
    ps = [lib.nn.Parameter(lib.randn(3, 2)), lib.nn.Parameter(lib.randn(4)), lib.nn.Parameter(lib.randn(2))]
    for p in ps[:2]:
        p.grad = lib.randn(p.shape)
    if nonfinite is not None:
        ps[1].grad[0] = nonfinite
    return ps


@program
def clip_grad_norm(lib):
    out = []
    for norm_type in (2.0, 1, 3, 0.5, math.inf, -math.inf, 0):
        for max_norm in (0.5, 100.0):
            ps = _with_grads(lib)
            out.append([lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type), [p.grad for p in ps]])
    ps = _with_grads(lib)
    out += [lib.nn.utils.clip_grad_norm_(ps[0], 0.1), ps[0].grad, lib.nn.utils.clip_grad_norm_([], 1.0),
            lib.nn.utils.clip_grad_norm_(ps[2:], 1.0), lib.nn.utils.clip_grad_norm_(_with_grads(lib), 1.0, foreach=True)]
    return out


@program
def clip_grad_norm_nonfinite(lib):
    ps = _with_grads(lib, float("nan"))
    refused = _try(lambda: lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True))
    ps_inf = _with_grads(lib, float("inf"))
    return [refused, [p.grad for p in ps], lib.nn.utils.clip_grad_norm_(ps, 1.0), [p.grad for p in ps],
            lib.nn.utils.clip_grad_norm_(ps_inf, 1.0, norm_type=math.inf), [p.grad for p in ps_inf]]


@program
def clip_grad_value_and_total_norm(lib):
    ps = _with_grads(lib)
    clipped = lib.nn.utils.clip_grad_value_(ps, 0.5)
    missing = _try(lambda: lib.nn.utils.get_total_norm([p.grad for p in _with_grads(lib)]))
    grads = [p.grad for p in _with_grads(lib)][:2]
    total = lib.nn.utils.get_total_norm(grads, 3.0)
    ps2 = _with_grads(lib)
    lib.nn.utils.clip_grads_with_norm_(ps2, 0.5, total)
    return [missing, clipped, [p.grad for p in ps], total, [p.grad for p in ps2], lib.nn.utils.get_total_norm([]),
            lib.nn.utils.get_total_norm(grads[0]), lib.nn.utils.get_total_norm(grads, math.inf),
            lib.nn.utils.get_total_norm([lib.ones(2, dtype=lib.float64), lib.ones(3)])]


@program
def parameter_vectors(lib):
    ps = _with_grads(lib)
    v = lib.nn.utils.parameters_to_vector(ps)
    (v * lib.arange(12.0)).sum().backward()
    lib.nn.utils.vector_to_parameters(v.detach() * 2, ps)
    return [v, v.grad_fn.name(), ps, [p.grad for p in ps], _try(lambda: lib.nn.utils.parameters_to_vector(ps[0])),
            _try(lambda: lib.nn.utils.vector_to_parameters([1], ps))]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = _run(PROGRAMS[name], torch), _run(PROGRAMS[name], tl)
    assert got == want


# ---- what a program cannot show by comparison ----------------------------------------------------
def test_parameter_is_a_tensor_and_a_leaf():
    p = tl.nn.Parameter(tl.randn(2, 3))
    assert isinstance(p, tl.Tensor) and isinstance(p, tl.nn.Parameter) and p.is_leaf and p.requires_grad
    (p * 2).sum().backward()
    assert p.grad is not None and type(p.grad) is tl.Tensor


def test_torch_state_dict_loads_and_ours_loads_in_torch():
    torch.manual_seed(3)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    ours = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.ReLU(), tl.nn.Linear(3, 2))
    buf = io.BytesIO()
    torch.save(theirs.state_dict(), buf)
    buf.seek(0)
    assert repr(ours.load_state_dict(tl.load(buf))) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(tl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)
    with tl.no_grad():
        for p in ours.parameters():
            p.mul_(2)
    buf = io.BytesIO()
    tl.save(ours.state_dict(), buf)
    buf.seek(0)
    theirs.load_state_dict(torch.load(buf))
    np.testing.assert_allclose(ours(tl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)


def test_the_call_without_hooks_is_forward_itself():
    """The common path adds no wrapping: no hook tables consulted beyond four dict reads, and the
    output is forward's own tensor."""
    m = tl.nn.Linear(2, 2)
    x = tl.ones(1, 2)
    y = m(x)
    assert y.grad_fn.name() == "AddmmBackward0"
    m.register_full_backward_hook(lambda *a: None)
    assert m(x.requires_grad_()).grad_fn.name() == "BackwardHookFunctionBackward"


def test_importing_torchless_does_not_import_nn():
    import subprocess
    import sys
    code = "import sys, torchless; print('torchless.nn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_init_follows_kaiming_with_a_sqrt5():
    """reset_parameters draws the weight through kaiming_uniform_(a=sqrt(5)), then the bias."""
    tl.manual_seed(7)
    lin = tl.nn.Linear(6, 4)
    tl.manual_seed(7)
    w = tl.nn.init.kaiming_uniform_(tl.empty(4, 6), a=math.sqrt(5))
    b = tl.nn.init.uniform_(tl.empty(4), -1 / math.sqrt(6), 1 / math.sqrt(6))
    assert tl.equal(lin.weight.detach(), w) and tl.equal(lin.bias.detach(), b)
