"""Activation and loss modules against torch 2.13: module_db samples (outputs, gradients), repr
text, state dicts, initialisation, train/eval, legacy arguments and errors."""

import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")
from nn_module_db_compare import MODULE_DB, compare_sample, samples

ACTIVATIONS = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish",
               "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus",
               "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"]
LOSSES = ["L1Loss", "MSELoss", "NLLLoss", "CrossEntropyLoss", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss",
          "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss", "SmoothL1Loss", "HuberLoss",
          "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss",
          "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]

CASES = [(f"nn.{n}", i) for n in ACTIVATIONS + LOSSES if f"nn.{n}" in MODULE_DB for i in range(len(samples(f"nn.{n}")))]


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n[3:]}-{i}" for n, i in CASES])
def test_module_db(name, index):
    compare_sample(name, index, tol=1e-6 if name == "nn.CTCLoss" else 1e-7)


# ---- repr, attributes, state dicts -------------------------------------------------------------
REPRS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {"inplace": True}), ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.1, 20.0, True), {}), ("RReLU", (), {}), ("RReLU", (0.1, 0.3, True), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 2.0, True), {}), ("ELU", (), {"alpha": 0.5}), ("CELU", (2.0, True), {}), ("SELU", (), {}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("Hardshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("Softplus", (2, 10), {}),
    ("PReLU", (), {}), ("PReLU", (3, 0.1), {}), ("Softmax", (), {}), ("Softmax", (1,), {}), ("Softmin", (-1,), {}),
    ("LogSoftmax", (), {"dim": 0}), ("Softmax2d", (), {}), ("SiLU", (True,), {}), ("Mish", (), {}),
    ("Hardswish", (), {}), ("Hardsigmoid", (True,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("LogSigmoid", (), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("L1Loss", (), {}), ("MSELoss", (), {"reduction": "sum"}), ("CrossEntropyLoss", (), {"label_smoothing": 0.1}),
    ("NLLLoss", (), {"ignore_index": 2}), ("KLDivLoss", (), {"log_target": True}), ("HuberLoss", (), {"delta": 2.0}),
    ("TripletMarginLoss", (), {}), ("CTCLoss", (), {"blank": 1}), ("MultiMarginLoss", (), {"p": 2}),
    ("TripletMarginWithDistanceLoss", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", REPRS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REPRS)])
def test_repr_and_state_dict(name, args, kwargs):
    if name == "TripletMarginWithDistanceLoss" and not hasattr(torchless.nn, "PairwiseDistance"):
        pytest.skip("its default distance_function is an nn.PairwiseDistance")
    torch.manual_seed(0)
    mt = getattr(torch.nn, name)(*args, **kwargs)
    torchless.manual_seed(0)
    ml = getattr(torchless.nn, name)(*args, **kwargs)
    assert repr(ml) == repr(mt)
    sd_t, sd_l = mt.state_dict(), ml.state_dict()
    assert list(sd_l) == list(sd_t)
    for k in sd_t:
        assert np.array_equal(sd_l[k].numpy(), sd_t[k].numpy()), k
    for attr in ("inplace", "dim", "reduction", "alpha", "lambd", "negative_slope", "beta", "threshold", "value",
                 "min_val", "max_val", "lower", "upper", "approximate", "num_parameters", "ignore_index",
                 "label_smoothing", "margin", "p", "eps", "swap", "blank", "zero_infinity", "log_target", "delta"):
        if hasattr(mt, attr) and not callable(getattr(mt, attr)):
            assert getattr(ml, attr) == getattr(mt, attr), attr


def test_in_a_sequential_prints_as_torch():
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.1) if hasattr(nn, "Dropout") else nn.Identity(),
                             nn.LeakyReLU(0.2, inplace=True), nn.Softmax(dim=1))

    torch.manual_seed(0)
    want = repr(build(torch))
    if not hasattr(torchless.nn, "Dropout"):
        want = want.replace("Dropout(p=0.1, inplace=False)", "Identity()")
    assert repr(build(torchless)) == want


def test_weighted_losses_register_weight_as_buffer():
    w = [1.0, 2.0, 0.5]
    for name in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss"):
        mt = getattr(torch.nn, name)(weight=torch.tensor(w))
        ml = getattr(torchless.nn, name)(weight=torchless.tensor(w))
        assert list(ml.state_dict()) == list(mt.state_dict()) == ["weight"]
        assert [n for n, _ in ml.named_buffers()] == ["weight"]
    mt = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))
    ml = torchless.nn.BCEWithLogitsLoss(pos_weight=torchless.tensor(w))
    assert list(ml.state_dict()) == list(mt.state_dict()) == ["pos_weight"]
    assert list(torchless.nn.CrossEntropyLoss().state_dict()) == list(torch.nn.CrossEntropyLoss().state_dict()) == []


def test_cross_entropy_with_weight_ignore_index_smoothing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    y = np.array([0, 3, 2, 1, 2, 0])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    for kw in ({}, {"ignore_index": 2}, {"label_smoothing": 0.2}, {"reduction": "none"}, {"reduction": "sum"}):
        lt = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), **kw)
        ll = torchless.nn.CrossEntropyLoss(weight=torchless.tensor(w), **kw)
        xt = torch.tensor(x, requires_grad=True)
        xl = torchless.tensor(x, requires_grad=True)
        ot, ol = lt(xt, torch.tensor(y)), ll(xl, torchless.tensor(y))
        np.testing.assert_allclose(ol.detach().numpy(), ot.detach().numpy(), rtol=1e-12, atol=1e-12)
        ot.sum().backward()
        ol.sum().backward()
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---- initialisation, train/eval -------------------------------------------------------------------
def test_prelu_init_and_gradient():
    torch.manual_seed(0)
    torchless.manual_seed(0)
    mt, ml = torch.nn.PReLU(3, init=0.1), torchless.nn.PReLU(3, init=0.1)
    assert isinstance(ml.weight, torchless.nn.Parameter)
    assert np.array_equal(ml.weight.detach().numpy(), mt.weight.detach().numpy())
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    mt(torch.tensor(x)).sum().backward()
    ml(torchless.tensor(x)).sum().backward()
    np.testing.assert_allclose(ml.weight.grad.numpy(), mt.weight.grad.numpy(), rtol=1e-6)


def test_rrelu_train_and_eval():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    mt, ml = torch.nn.RReLU(), torchless.nn.RReLU()
    torch.manual_seed(3)
    torchless.manual_seed(3)
    # training: random slopes, torch's draws
    np.testing.assert_allclose(ml(torchless.tensor(x)).numpy(), mt(torch.tensor(x)).numpy(), rtol=1e-6)
    mt.eval()
    ml.eval()
    assert not ml.training
    np.testing.assert_allclose(ml(torchless.tensor(x)).numpy(), mt(torch.tensor(x)).numpy(), rtol=1e-6)


def test_inplace_activation_modifies_input():
    for name in ("ReLU", "LeakyReLU", "ELU", "Hardtanh", "SiLU", "ReLU6", "SELU", "CELU", "Hardswish"):
        x = torchless.tensor([-1.0, 0.5, 2.0])
        out = getattr(torchless.nn, name)(inplace=True)(x)
        xt = torch.tensor([-1.0, 0.5, 2.0])
        getattr(torch.nn, name)(inplace=True)(xt)
        np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-6, err_msg=name)
        assert out is x or out.data_ptr() == x.data_ptr()


# ---- legacy arguments, errors ---------------------------------------------------------------------
@pytest.mark.parametrize("size_average,reduce,expected", [(None, False, "none"), (False, None, "sum"),
                                                          (True, True, "mean"), (False, True, "sum")])
def test_legacy_size_average_reduce(size_average, reduce, expected):
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        mt = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        ml = torchless.nn.MSELoss(size_average=size_average, reduce=reduce)
    assert ml.reduction == mt.reduction == expected
    assert [str(w.message) for w in wl] == [str(w.message) for w in wt]
    assert [w.category for w in wl] == [w.category for w in wt]
    ml2 = torchless.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    assert ml2.reduction == expected


def test_constructor_errors_match_torch():
    cases = [
        ("Hardtanh", (1.0, -1.0), {}),
        ("MultiMarginLoss", (), {"p": 3}),
        ("TripletMarginLoss", (), {"margin": 0.0}),
        ("TripletMarginWithDistanceLoss", (), {"margin": -1.0}),
        ("HuberLoss", (), {"delta": "1"}),
    ]
    for name, args, kwargs in cases:
        with pytest.raises(Exception) as et:
            getattr(torch.nn, name)(*args, **kwargs)
        with pytest.raises(type(et.value)) as el:
            getattr(torchless.nn, name)(*args, **kwargs)
        assert str(el.value) == str(et.value)


def test_forward_errors_match_torch():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        torchless.nn.Softmax2d()(torchless.ones(2, 3))
    for name, shapes in (("MSELoss", None), ("CrossEntropyLoss", ((3, 4), (5,))), ("NLLLoss", ((3, 4), (2,)))):
        a, b = shapes or ((3, 4), (3, 4))
        tgt_t = torch.zeros(b, dtype=torch.long) if name != "MSELoss" else torch.zeros(b)
        tgt_l = torchless.zeros(b, dtype=torchless.long) if name != "MSELoss" else torchless.zeros(b)
        if name == "MSELoss":
            continue
        with pytest.raises(Exception) as et:
            getattr(torch.nn, name)()(torch.zeros(a), tgt_t)
        with pytest.raises(type(et.value)):
            getattr(torchless.nn, name)()(torchless.zeros(a), tgt_l)


def test_softmax_implicit_dim_warns_as_torch():
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.nn.Softmax()(torch.ones(2, 3))
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        torchless.nn.Softmax()(torchless.ones(2, 3))
    assert [str(w.message) for w in wl] == [str(w.message) for w in wt]


def test_every_activation_and_loss_is_public():
    for name in ACTIVATIONS + LOSSES:
        assert issubclass(getattr(torchless.nn, name), torchless.nn.Module), name
