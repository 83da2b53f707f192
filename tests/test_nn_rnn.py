"""RNN, LSTM, GRU, their cells and nn.utils.rnn against torch 2.13: module_db samples, and stacked,
bidirectional, projected, batch-first, packed and unbatched runs with copied weights (outputs,
final states, gradients of inputs, initial states and every parameter), double backward, dropout
masks, repr, state dicts, seeded initialisation and torch's errors."""

import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")
from nn_module_db_compare import MODULE_DB, compare_sample, samples

tur = torch.nn.utils.rnn
lur = torchless.nn.utils.rnn

NAMES = ["nn.RNN", "nn.GRU", "nn.LSTM", "nn.RNNCell", "nn.GRUCell", "nn.LSTMCell"]
CASES = [(n, i) for n in NAMES if n in MODULE_DB for i in range(len(samples(n)))]


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n[3:]}-{i}" for n, i in CASES])
def test_module_db(name, index):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch: "LSTM with projections is not supported with oneDNN")
        compare_sample(name, index)


# ---- layers with copied weights ---------------------------------------------------------------------
def _pair(cls, input_size, dtype, **kw):
    torch.manual_seed(0)
    mt = getattr(torch.nn, cls)(input_size, **kw).to(dtype=getattr(torch, dtype))
    torchless.manual_seed(0)
    ml = getattr(torchless.nn, cls)(input_size, **kw).to(dtype=getattr(torchless, dtype))
    for (n, p), (n2, p2) in zip(mt.named_parameters(), ml.named_parameters()):
        assert n == n2
        assert np.array_equal(p2.detach().numpy(), p.detach().numpy()), f"initial {n}"
    return mt, ml


def _leaf(rng, shape, dtype):
    a = rng.standard_normal(shape).astype(dtype)
    return torch.tensor(a, requires_grad=True), torchless.tensor(a, requires_grad=True)


CONFIGS = [
    ("LSTM", {"hidden_size": 6}),
    ("LSTM", {"hidden_size": 6, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"hidden_size": 6, "num_layers": 2, "bidirectional": True, "proj_size": 3}),
    ("LSTM", {"hidden_size": 5, "proj_size": 2, "bias": False, "batch_first": True}),
    ("GRU", {"hidden_size": 6}),
    ("GRU", {"hidden_size": 6, "num_layers": 3, "bidirectional": True, "batch_first": True}),
    ("GRU", {"hidden_size": 6, "bias": False}),
    ("RNN", {"hidden_size": 6, "num_layers": 2}),
    ("RNN", {"hidden_size": 6, "nonlinearity": "relu", "bidirectional": True, "bias": False}),
]


def _run(cls, kw, mode, with_hx, dtype="float64"):
    T, B, In = 5, 3, 4
    mt, ml = _pair(cls, In, dtype, **kw)
    rng = np.random.default_rng(1)
    bf = kw.get("batch_first", False)
    shape = (T, In) if mode == "unbatched" else ((B, T, In) if bf else (T, B, In))
    xt, xl = _leaf(rng, shape, dtype)
    D = 2 if kw.get("bidirectional") else 1
    L, H = kw.get("num_layers", 1), kw["hidden_size"]
    P = kw.get("proj_size", 0) or H
    lead = (L * D,) if mode == "unbatched" else (L * D, B)
    states = []
    if with_hx:
        states = [_leaf(rng, lead + (P,), dtype)]
        if cls == "LSTM":
            states.append(_leaf(rng, lead + (H,), dtype))
    hx_t = None if not states else (tuple(s[0] for s in states) if cls == "LSTM" else states[0][0])
    hx_l = None if not states else (tuple(s[1] for s in states) if cls == "LSTM" else states[0][1])
    if mode == "packed":
        lengths = [5, 2, 4]
        it = tur.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=False)
        il = lur.pack_padded_sequence(xl, lengths, batch_first=bf, enforce_sorted=False)
        ot, st = mt(it, hx_t)
        ol, sl = ml(il, hx_l)
        assert isinstance(ol, lur.PackedSequence)
        np.testing.assert_array_equal(ol.batch_sizes.numpy(), ot.batch_sizes.numpy())
        np.testing.assert_array_equal(ol.unsorted_indices.numpy(), ot.unsorted_indices.numpy())
        ot, lt = tur.pad_packed_sequence(ot, batch_first=bf)
        ol, ll = lur.pad_packed_sequence(ol, batch_first=bf)
        np.testing.assert_array_equal(ll.numpy(), lt.numpy())
    else:
        ot, st = mt(xt, hx_t)
        ol, sl = ml(xl, hx_l)
    st = st if isinstance(st, tuple) else (st,)
    sl = sl if isinstance(sl, tuple) else (sl,)
    tol = 1e-10 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(ol.detach().numpy(), ot.detach().numpy(), rtol=tol, atol=tol)
    assert len(sl) == len(st)
    for a, b in zip(sl, st):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    w = rng.standard_normal(tuple(ot.shape))
    loss_t = (ot * torch.tensor(w, dtype=ot.dtype)).sum() + sum((s * s).sum() for s in st)
    loss_l = (ol * torchless.tensor(w, dtype=ol.dtype)).sum() + sum((s * s).sum() for s in sl)
    loss_t.backward()
    loss_l.backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    for s_t, s_l in states:
        np.testing.assert_allclose(s_l.grad.numpy(), s_t.grad.numpy(), rtol=tol, atol=tol)
    for (n, p), (_, q) in zip(mt.named_parameters(), ml.named_parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=tol, atol=tol, err_msg=n)


@pytest.mark.parametrize("mode", ["padded", "packed", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CONFIGS)])
def test_layer_matches_torch(cls, kw, mode, with_hx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(cls, kw, mode, with_hx)


@pytest.mark.parametrize("cls,kw", CONFIGS[:5:2], ids=["LSTM", "LSTM-proj", "GRU"])
def test_layer_float32(cls, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(cls, kw, "padded", True, dtype="float32")


@pytest.mark.parametrize("cls,kw", [("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
                                    ("GRU", {"bidirectional": True}), ("RNN", {"nonlinearity": "relu"})])
def test_double_backward(cls, kw):
    """The gradient of a gradient: the layer's rule recomputed in tensor ops under create_graph."""
    def grads(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(3, 4, **kw).double()
        x = lib.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)), requires_grad=True)
        (g,) = lib.autograd.grad((m(x)[0] ** 2).sum(), x, create_graph=True)
        (g ** 2).sum().backward()
        return [x.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in zip(grads(torchless), grads(torch)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_dropout_between_layers_draws_torchs_masks_and_eval_has_none():
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    outs = {}
    for lib in (torch, torchless):
        lib.manual_seed(0)
        m = lib.nn.LSTM(3, 4, num_layers=3, dropout=0.5)
        lib.manual_seed(1)
        train = m(lib.tensor(x))[0].detach().numpy()
        m.eval()
        outs[lib.__name__] = train, m(lib.tensor(x))[0].detach().numpy()
    for a, b in zip(outs["torchless"], outs["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(cls, batched):
    mt, ml = _pair(cls, 4, "float64", hidden_size=5)
    rng = np.random.default_rng(2)
    lead = (3,) if batched else ()
    xt, xl = _leaf(rng, lead + (4,), "float64")
    h = [_leaf(rng, lead + (5,), "float64") for _ in range(2 if cls == "LSTMCell" else 1)]
    hx_t = tuple(a for a, _ in h) if cls == "LSTMCell" else h[0][0]
    hx_l = tuple(b for _, b in h) if cls == "LSTMCell" else h[0][1]
    ot, ol = mt(xt, hx_t), ml(xl, hx_l)
    ot = ot if isinstance(ot, tuple) else (ot,)
    ol = ol if isinstance(ol, tuple) else (ol,)
    for a, b in zip(ol, ot):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    sum((o ** 2).sum() for o in ot).backward()
    sum((o ** 2).sum() for o in ol).backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (n, p), (_, q) in zip(mt.named_parameters(), ml.named_parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=n)


# ---- parameters, repr, state dicts -----------------------------------------------------------------
REPRS = [("RNN", (3, 4), {}), ("RNN", (3, 4, 2), {"nonlinearity": "relu", "dropout": 0.5}),
         ("LSTM", (3, 4), {"num_layers": 2, "bidirectional": True, "proj_size": 2, "batch_first": True}),
         ("GRU", (3, 4), {"bias": False}), ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
         ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False})]


@pytest.mark.parametrize("cls,args,kwargs", REPRS, ids=[r[0] for r in REPRS])
def test_repr_state_dict_and_seeded_init(cls, args, kwargs):
    torch.manual_seed(0)
    mt = getattr(torch.nn, cls)(*args, **kwargs)
    torchless.manual_seed(0)
    ml = getattr(torchless.nn, cls)(*args, **kwargs)
    assert repr(ml) == repr(mt)
    assert repr(torchless.nn.Sequential(ml)) == repr(torch.nn.Sequential(mt))
    sd_t, sd_l = mt.state_dict(), ml.state_dict()
    assert list(sd_l) == list(sd_t)
    for k in sd_t:
        assert sd_l[k].shape == sd_t[k].shape
        assert np.array_equal(sd_l[k].numpy(), sd_t[k].numpy()), k  # torch's init, bit for bit
    if hasattr(mt, "_flat_weights_names"):
        assert ml._flat_weights_names == mt._flat_weights_names
        assert [[tuple(p.shape) for p in ws] for ws in ml.all_weights] == \
               [[tuple(p.shape) for p in ws] for ws in mt.all_weights]
        ml.flatten_parameters()
    ml.load_state_dict({k: torchless.tensor(v.numpy()) for k, v in sd_t.items()})


def test_reset_parameters_and_parameter_replacement():
    torch.manual_seed(5)
    mt = torch.nn.GRU(3, 4, num_layers=2)
    mt.reset_parameters()
    torchless.manual_seed(5)
    ml = torchless.nn.GRU(3, 4, num_layers=2)
    ml.reset_parameters()
    for (n, p), (_, q) in zip(mt.named_parameters(), ml.named_parameters()):
        assert np.array_equal(q.detach().numpy(), p.detach().numpy()), n
    # a parameter replaced after construction is the one the layer uses
    ml.weight_hh_l1 = torchless.nn.Parameter(torchless.zeros(12, 4))
    mt.weight_hh_l1 = torch.nn.Parameter(torch.zeros(12, 4))
    x = np.random.default_rng(0).standard_normal((2, 1, 3)).astype(np.float32)
    np.testing.assert_allclose(ml(torchless.tensor(x))[0].detach().numpy(), mt(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)


# ---- errors ---------------------------------------------------------------------------------------
def _same_error(fn):
    with pytest.raises(Exception) as et:
        fn(torch)
    with pytest.raises(type(et.value)) as el:
        fn(torchless)
    assert str(el.value) == str(et.value)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.GRU(3, 4, proj_size=2),
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
    lambda lib: lib.nn.RNN(3, 4, dropout=1.5),
    lambda lib: lib.nn.RNN(3, 0),
    lambda lib: lib.nn.RNN(3, 4, num_layers=0),
    lambda lib: lib.nn.RNN(3.0, 4),
    lambda lib: lib.nn.GRU(3, 4, bias=1),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3, 1)),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 2)),
    lambda lib: lib.nn.RNN(3, 4)(lib.zeros(5, 2, 3, 1)),
    lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 2, 3), lib.zeros(2, 4)),
    lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 2, 3), lib.zeros(1, 3, 4)),
    lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 3), lib.zeros(1, 1, 4)),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 2, 5))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3, dtype=lib.float64)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.zeros(2, 3, 1)),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.zeros(2, 3), lib.zeros(1, 2, 4)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(1, 2, 4))),
])
def test_errors_match_torch(make):
    _same_error(make)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        torchless.nn.LSTM(3, 4, dropout=0.2)


# ---- nn.utils.rnn ------------------------------------------------------------------------------------
def _seqs(lib, lengths=(3, 5, 2)):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in lengths]


def _same(a, b):
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    st, sl = _seqs(torch), _seqs(torchless)
    pt = tur.pad_sequence(st, batch_first=batch_first, padding_value=-1.0, padding_side=padding_side)
    pl = lur.pad_sequence(sl, batch_first=batch_first, padding_value=-1.0, padding_side=padding_side)
    _same(pl, pt)
    (pt * pt).sum().backward()
    (pl * pl).sum().backward()
    for a, b in zip(sl, st):
        _same(a.grad, b.grad)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_round_trip(enforce_sorted):
    lengths = (5, 3, 2) if enforce_sorted else (3, 5, 2)
    st, sl = _seqs(torch, lengths), _seqs(torchless, lengths)
    pt, pl = tur.pack_sequence(st, enforce_sorted), lur.pack_sequence(sl, enforce_sorted)
    for a, b in zip(pl, pt):
        if b is None:
            assert a is None
        else:
            _same(a, b)
    assert repr(pl.batch_sizes) == repr(pt.batch_sizes)
    for a, b in zip(lur.unpack_sequence(pl), tur.unpack_sequence(pt)):
        _same(a, b)
    padded_t, len_t = tur.pad_packed_sequence(pt, batch_first=True, padding_value=9.0, total_length=7)
    padded_l, len_l = lur.pad_packed_sequence(pl, batch_first=True, padding_value=9.0, total_length=7)
    _same(padded_l, padded_t)
    _same(len_l, len_t)
    assert len_l.dtype == torchless.int64
    (padded_t ** 2).sum().backward()
    (padded_l ** 2).sum().backward()
    for a, b in zip(sl, st):
        _same(a.grad, b.grad)
    for a, b in zip(lur.unpad_sequence(padded_l, len_l, batch_first=True),
                    tur.unpad_sequence(padded_t, len_t, batch_first=True)):
        _same(a, b)


def test_packed_sequence_is_a_tuple_with_torchs_fields():
    p = lur.pack_sequence(_seqs(torchless, (3, 2)))
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert p._fields == tur.PackedSequence._fields
    assert sorted_indices is None and unsorted_indices is None
    assert p.to(torchless.float32).data.dtype == torchless.float32
    assert p.double().data.dtype == torchless.float64
    assert not p.is_cuda
    q = lur.PackedSequence(data, batch_sizes, torchless.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0]


@pytest.mark.parametrize("call", [
    lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
    lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 0, 0]),
    lambda u, lib: u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
    lambda u, lib: u.pad_packed_sequence(u.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 1]), total_length=2),
])
def test_utils_errors_match_torch(call):
    _same_error(lambda lib: call(tur if lib is torch else lur, lib))
