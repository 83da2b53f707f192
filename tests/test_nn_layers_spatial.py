"""Convolution, pooling, normalisation, dropout, embedding, padding and the other spatial layers
against torch 2.13: torch's module_db samples (outputs, input and parameter gradients, buffers after
forward, seeded initial parameters bit-identical), plus what module_db leaves out: repr text,
state dicts, train/eval, running statistics, masks, lazy modules, errors."""

import copy
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")
from nn_module_db_compare import MODULE_DB, assert_close, compare_sample, samples, to_torchless, torch_leaves

SPATIAL = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
           "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm", "Embedding",
           "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]
LAZY = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
        "LazyConvTranspose3d"]


def _cases(names):
    return [(f"nn.{n}", i) for n in names if f"nn.{n}" in MODULE_DB for i in range(len(samples(f"nn.{n}")))]


CASES, LAZY_CASES = _cases(SPATIAL), _cases(LAZY)


def test_module_db_lists_them_all():
    assert {n for n in SPATIAL + LAZY if f"nn.{n}" in MODULE_DB} == set(SPATIAL + LAZY)


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n[3:]}-{i}" for n, i in CASES])
def test_module_db(name, index):
    compare_sample(name, index)


@pytest.mark.parametrize("name,index", LAZY_CASES, ids=[f"{n[3:]}-{i}" for n, i in LAZY_CASES])
def test_module_db_lazy(name, index):
    """A lazy module's parameters take their shape (and torch's random init) on the first call,
    after which it is its ``cls_to_become``; then it must run as torch's."""
    torch.manual_seed(index)
    sample = samples(name)[index]
    c, f = sample.constructor_input, sample.forward_input
    torch.manual_seed(0)
    mt = getattr(torch.nn, name[3:])(*c.args, **c.kwargs)
    torchless.manual_seed(0)
    ml = getattr(torchless.nn, name[3:])(*to_torchless(c.args, []), **to_torchless(c.kwargs, []))
    assert repr(ml) == repr(mt)
    args_f = [a.detach().float() if isinstance(a, torch.Tensor) else a for a in f.args]
    try:
        mt(*args_f, **f.kwargs)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ml(*to_torchless(args_f, []), **to_torchless(f.kwargs, []))
        return
    ml(*to_torchless(args_f, []), **to_torchless(f.kwargs, []))
    assert type(ml).__name__ == type(mt).__name__ and repr(ml) == repr(mt)
    for (k, p), (k2, p2) in zip(mt.named_parameters(), ml.named_parameters(), strict=True):
        assert k == k2
        assert_close(p2, p, f"initial {k}", tol=0)
    mt.double()
    ml.double()
    leaves_l = []
    out_l = ml(*to_torchless(f.args, leaves_l), **to_torchless(f.kwargs, leaves_l))
    out_t = mt(*f.args, **f.kwargs)
    assert_close(out_l, out_t, "output")
    g = np.random.default_rng(index).standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(g)).sum().backward()
    (out_l * torchless.tensor(g)).sum().backward()
    for a, b in zip(leaves_l, torch_leaves((f.args, f.kwargs), [])):
        assert_close(a.grad, b.grad, "input gradient")
    for (k, p), (_, p2) in zip(mt.named_parameters(), ml.named_parameters()):
        assert_close(p2.grad, p.grad, f"gradient of {k}")


# ---- helpers: the same layer in both, run on the same input ------------------------------------
def build(name, *args, **kwargs):
    torch.manual_seed(0)
    mt = getattr(torch.nn, name)(*args, **kwargs)
    torchless.manual_seed(0)
    ml = getattr(torchless.nn, name)(*args, **kwargs)
    return mt, ml


def run_both(mt, ml, *inputs, grad=True, tol=1e-9, **kwargs):
    """Forward (and, with ``grad``, backward of a random weighting) in both; outputs, input and
    parameter gradients compared, in float64. Float inputs are made leaves that require grad."""
    mt.double()
    ml.double()
    ins_t = [torch.tensor(x, requires_grad=grad and x.dtype.kind == "f") if isinstance(x, np.ndarray) else x
             for x in inputs]
    ins_l = [torchless.tensor(x, requires_grad=grad and x.dtype.kind == "f") if isinstance(x, np.ndarray) else x
             for x in inputs]
    out_t, out_l = mt(*ins_t, **kwargs), ml(*ins_l, **kwargs)
    assert_close(out_l, out_t, "output", tol)
    if grad and out_t.requires_grad:
        w = np.random.default_rng(1).standard_normal(tuple(out_t.shape))
        (out_t * torch.tensor(w)).sum().backward()
        (out_l * torchless.tensor(w)).sum().backward()
        for a, b in zip(ins_l, ins_t):
            if isinstance(b, torch.Tensor) and b.requires_grad:
                assert_close(a.grad, b.grad, "input gradient", tol)
        for (k, p), (_, p2) in zip(mt.named_parameters(), ml.named_parameters()):
            if p.grad is not None:
                assert_close(p2.grad, p.grad, f"gradient of {k}", tol)
    return out_t, out_l


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- repr, state dicts, initialisation ---------------------------------------------------------
REPRS = [
    ("Conv1d", (2, 4, 3), {}), ("Conv1d", (2, 4, 3), {"padding": "same", "dilation": 2, "bias": False}),
    ("Conv2d", (3, 6, 3), {"stride": 2, "padding": 1, "groups": 3, "padding_mode": "reflect"}),
    ("Conv2d", (3, 6, (3, 5)), {"padding": "valid"}), ("Conv3d", (2, 2, 2), {"padding_mode": "circular"}),
    ("ConvTranspose1d", (4, 2, 3), {"stride": 2, "output_padding": 1}),
    ("ConvTranspose2d", (4, 2, 3), {"groups": 2, "dilation": 2, "bias": False}), ("ConvTranspose3d", (2, 4, 1), {}),
    ("MaxPool1d", (3,), {}), ("MaxPool2d", (2, 1), {"padding": 1, "ceil_mode": True, "return_indices": True}),
    ("MaxPool3d", ((2, 1, 2),), {"dilation": 2}), ("AvgPool1d", (3,), {}), ("AvgPool2d", (2,), {"padding": 1}),
    ("AvgPool3d", (2, 1), {"divisor_override": 3}), ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool2d", ((None, 2),), {}), ("AdaptiveMaxPool3d", (2,), {"return_indices": True}),
    ("LPPool1d", (2, 3), {}), ("LPPool2d", (1.5, (2, 2), 1), {"ceil_mode": True}),
    ("FractionalMaxPool2d", (2,), {"output_size": 3}), ("FractionalMaxPool3d", (2,), {"output_ratio": 0.5}),
    ("MaxUnpool1d", (2,), {}), ("MaxUnpool2d", (2, 1, 1), {}), ("MaxUnpool3d", (3,), {}),
    ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"momentum": None, "affine": False}),
    ("BatchNorm3d", (3,), {"eps": 1e-3, "track_running_stats": False, "bias": False}),
    ("InstanceNorm1d", (3,), {}), ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm3d", (3,), {"momentum": 0.2}), ("LayerNorm", ((2, 3),), {"bias": False}),
    ("LayerNorm", (4,), {"elementwise_affine": False, "eps": 1e-6}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (1, 4), {"affine": False}), ("RMSNorm", (4,), {}), ("RMSNorm", ([2, 3],), {"eps": 1e-5}),
    ("LocalResponseNorm", (2,), {}),
    ("Dropout", (), {}), ("Dropout1d", (0.2,), {}), ("Dropout2d", (0.3, True), {}), ("Dropout3d", (), {}),
    ("AlphaDropout", (0.1,), {}), ("FeatureAlphaDropout", (), {}),
    ("Embedding", (10, 3), {}), ("Embedding", (10, 3), {"padding_idx": -1, "max_norm": 1.0, "norm_type": 1.0,
                                                        "scale_grad_by_freq": True, "sparse": True}),
    ("EmbeddingBag", (10, 3), {}), ("EmbeddingBag", (10, 3), {"mode": "max", "padding_idx": 2, "max_norm": 2.0}),
    ("ZeroPad1d", (1,), {}), ("ZeroPad2d", ((1, 2, 0, 1),), {}), ("ZeroPad3d", (2,), {}),
    ("ConstantPad1d", ((1, 2), 3.5), {}), ("ConstantPad2d", (1, 0), {}), ("ConstantPad3d", ([1, 2, 3, 4, 5, 6], 1), {}),
    ("ReflectionPad1d", (2,), {}), ("ReflectionPad2d", ((1, 0, 2, 1),), {}), ("ReflectionPad3d", (1,), {}),
    ("ReplicationPad1d", (2,), {}), ("ReplicationPad2d", (1,), {}), ("ReplicationPad3d", (1,), {}),
    ("CircularPad1d", (2,), {}), ("CircularPad2d", (1,), {}), ("CircularPad3d", (1,), {}),
    ("PixelShuffle", (2,), {}), ("PixelUnshuffle", (3,), {}), ("ChannelShuffle", (2,), {}),
    ("Upsample", (), {"scale_factor": 2}), ("Upsample", ((4, 5),), {"mode": "bilinear", "align_corners": True}),
    ("Upsample", (), {"scale_factor": (2, 3), "mode": "nearest-exact"}), ("UpsamplingNearest2d", (), {"size": 4}),
    ("UpsamplingBilinear2d", (), {"scale_factor": 1.5}),
    ("Fold", ((4, 5), 2), {}), ("Fold", (4, (2, 3)), {"dilation": 1, "padding": 1, "stride": 2}),
    ("Unfold", (2,), {}), ("Unfold", ((2, 3),), {"padding": (1, 0), "stride": 2}),
    ("PairwiseDistance", (), {}), ("PairwiseDistance", (1.0, 1e-3, True), {}), ("CosineSimilarity", (0,), {}),
    ("LazyConv2d", (4, 3), {}), ("LazyConvTranspose1d", (4, 3, 2), {"bias": False}), ("LazyBatchNorm2d", (), {}),
    ("LazyInstanceNorm1d", (), {"affine": True}),
]


@pytest.mark.parametrize("name,args,kwargs", REPRS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REPRS)])
def test_repr_state_dict_and_init(name, args, kwargs):
    """repr as torch prints it; state dict keys, shapes, dtypes and values (torch's seeded init,
    bit for bit); the attributes torch keeps."""
    mt, ml = build(name, *args, **kwargs)
    assert repr(ml) == repr(mt)
    if name.startswith("Lazy"):
        return
    sd_t, sd_l = mt.state_dict(), ml.state_dict()
    assert list(sd_l) == list(sd_t)
    for k in sd_t:
        assert sd_l[k].dtype.__repr__().split(".")[-1] == str(sd_t[k].dtype).split(".")[-1], k
        assert np.array_equal(sd_l[k].numpy(), sd_t[k].numpy()), k
    assert [k for k, _ in ml.named_parameters()] == [k for k, _ in mt.named_parameters()]
    assert [k for k, _ in ml.named_buffers()] == [k for k, _ in mt.named_buffers()]
    for attr, value in vars(mt).items():
        if not attr.startswith("_") and not isinstance(value, (torch.Tensor, dict, set)) and attr != "training":
            assert getattr(ml, attr) == value, attr
    if hasattr(mt, "_reversed_padding_repeated_twice"):
        assert list(ml._reversed_padding_repeated_twice) == list(mt._reversed_padding_repeated_twice)


def test_init_follows_the_seed_in_a_model():
    """A LeNet-5 built after the same seed has torch's parameters, and prints as torch's."""
    def lenet(nn):
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                             nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                             nn.Dropout(0.1), nn.Linear(120, 84), nn.BatchNorm1d(84), nn.ReLU(), nn.Linear(84, 10))

    torch.manual_seed(3)
    mt = lenet(torch.nn)
    torchless.manual_seed(3)
    ml = lenet(torchless.nn)
    assert repr(ml) == repr(mt)
    for (k, a), (k2, b) in zip(ml.state_dict().items(), mt.state_dict().items(), strict=True):
        assert k == k2 and np.array_equal(a.numpy(), b.numpy()), k
    x = randn(4, 1, 28, 28)
    torch.manual_seed(5)
    torchless.manual_seed(5)
    run_both(mt, ml, x, tol=1e-9)  # (the same dropout mask too)
    for (k, a), (_, b) in zip(ml.state_dict().items(), mt.state_dict().items()):
        assert_close(a, b, k, 1e-6)


# ---- convolutions ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same", "valid"])
def test_conv2d_padding_modes(mode, padding):
    mt, ml = build("Conv2d", 4, 6, (3, 4), padding=padding, padding_mode=mode, groups=2, dilation=(1, 2))
    run_both(mt, ml, randn(2, 4, 7, 9))


@pytest.mark.parametrize("name,shape", [("Conv1d", (3, 8)), ("Conv3d", (3, 5, 4, 6))])
def test_conv_unbatched_and_same(name, shape):
    mt, ml = build(name, 3, 2, 2, padding="same", dilation=3, padding_mode="replicate")
    run_both(mt, ml, randn(*shape))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_output_size(nd):
    mt, ml = build(f"ConvTranspose{nd}d", 4, 2, 3, stride=2, padding=1, groups=2)
    x = randn(1, 4, *([5] * nd))
    for size in ([9] * nd, [10] * nd, [1, 2] + [10] * nd):
        run_both(mt, ml, x, output_size=size)
    with pytest.raises(ValueError, match="requested an output size of"):
        ml(torchless.tensor(x), output_size=[12] * nd)
    with pytest.raises(ValueError, match="output_size must have"):
        ml(torchless.tensor(x), output_size=[9] * (nd + 1))


@pytest.mark.parametrize("ctor,kwargs", [
    ("Conv2d", {"groups": 0}), ("Conv2d", {"groups": 2}), ("Conv2d", {"padding": "full"}),
    ("Conv2d", {"padding": "same", "stride": 2}), ("Conv2d", {"padding_mode": "mirror"}),
    ("ConvTranspose2d", {"padding_mode": "reflect"}),
])
def test_conv_constructor_errors(ctor, kwargs):
    with pytest.raises(ValueError) as want:
        getattr(torch.nn, ctor)(3, 4, 3, **kwargs)
    with pytest.raises(ValueError) as got:
        getattr(torchless.nn, ctor)(3, 4, 3, **kwargs)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("name,shape", [("Conv2d", (3, 5)), ("Conv2d", (1, 1, 3, 5, 5)), ("Conv2d", (1, 2, 5, 5)),
                                        ("Conv1d", (1, 3, 4, 4)), ("ConvTranspose2d", (3, 5))])
def test_conv_input_errors(name, shape):
    mt, ml = build(name, 3, 4, 3)
    with pytest.raises(RuntimeError) as want:
        mt(torch.zeros(shape))
    with pytest.raises(RuntimeError):
        ml(torchless.zeros(shape))
    assert want.type is RuntimeError


def test_lazy_conv_becomes_conv():
    torch.manual_seed(0)
    mt = torch.nn.LazyConv2d(4, 3, padding=1)
    torchless.manual_seed(0)
    ml = torchless.nn.LazyConv2d(4, 3, padding=1)
    assert ml.has_uninitialized_params()
    x = randn(2, 5, 6, 6)
    run_both(mt, ml, x)
    assert type(ml) is torchless.nn.Conv2d and ml.in_channels == 5 and tuple(ml.weight.shape) == (4, 5, 3, 3)
    assert repr(ml) == repr(mt)
    with pytest.raises(RuntimeError, match="Expected 3D"):
        torchless.nn.LazyConv2d(4, 3)(torchless.zeros(5, 6))


# ---- pooling -----------------------------------------------------------------------------------
def test_max_pool_and_unpool_round_trip():
    mt, ml = build("MaxPool2d", 2, return_indices=True, ceil_mode=True)
    x = randn(2, 3, 7, 5)
    (vt, it), (vl, il) = mt(torch.tensor(x)), ml(torchless.tensor(x))
    assert np.array_equal(il.numpy(), it.numpy())
    ut, ul = build("MaxUnpool2d", 2)
    out_t = ut(vt, it, output_size=[7, 5])
    out_l = ul(vl, il, output_size=[7, 5])
    assert_close(out_l, out_t, "unpooled")
    for nd in (1, 3):
        pt, pl = build(f"MaxPool{nd}d", 2, return_indices=True)
        x = randn(1, 2, *([4] * nd))
        (vt, it), (vl, il) = pt(torch.tensor(x)), pl(torchless.tensor(x))
        ut, ul = build(f"MaxUnpool{nd}d", 2)
        assert_close(ul(vl, il), ut(vt, it), f"unpooled {nd}d")


def test_fractional_max_pool_random_samples_are_a_buffer():
    s = torch.rand(2, 3, 2)
    mt = torch.nn.FractionalMaxPool2d(2, output_size=(3, 4), _random_samples=s)
    ml = torchless.nn.FractionalMaxPool2d(2, output_size=(3, 4), _random_samples=torchless.tensor(s.numpy()))
    assert list(ml.state_dict()) == list(mt.state_dict()) == ["_random_samples"]
    run_both(mt, ml, randn(2, 3, 7, 9))
    with pytest.raises(ValueError, match="requires specifying either"):
        torchless.nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        torchless.nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="kernel_size must be greater than 0"):
        torchless.nn.FractionalMaxPool3d(0, output_ratio=0.5)


def test_pooling_with_non_finite_values_keeps_them_in_their_windows():
    x = randn(1, 2, 6, 6)
    x[0, 0, 0, 0], x[0, 1, 5, 5] = np.nan, np.inf
    for name, args in [("AvgPool2d", (2,)), ("AdaptiveAvgPool2d", (3,)), ("LPPool2d", (2, 2))]:
        mt, ml = build(name, *args)
        run_both(mt, ml, x)


# ---- normalisation -----------------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_running_stats_train_and_eval(momentum, affine):
    mt, ml = build("BatchNorm2d", 3, momentum=momentum, affine=affine)
    for step in range(3):
        run_both(mt, ml, randn(4, 3, 5, 5, seed=step) * (step + 1) + step)
        for (k, a), (_, b) in zip(ml.named_buffers(), mt.named_buffers()):
            assert_close(a, b, k, 1e-6)
    assert int(ml.num_batches_tracked) == 3 and ml.num_batches_tracked.dtype == torchless.int64
    mt.eval()
    ml.eval()
    run_both(mt, ml, randn(2, 3, 5, 5, seed=9))  # (the running statistics, unchanged)
    assert int(ml.num_batches_tracked) == 3
    ml.reset_running_stats()
    assert int(ml.num_batches_tracked) == 0 and not ml.running_mean.numpy().any()


def test_batch_norm_without_running_stats_uses_the_batch_in_eval():
    mt, ml = build("BatchNorm1d", 4, track_running_stats=False)
    mt.eval()
    ml.eval()
    assert ml.running_mean is None and list(ml.state_dict()) == ["weight", "bias"]
    run_both(mt, ml, randn(6, 4, 3))


def test_batch_norm_errors_and_unbatched_check():
    for name, shape in [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3, 4)), ("BatchNorm3d", (2, 3, 4, 5))]:
        with pytest.raises(ValueError) as want:
            getattr(torch.nn, name)(3)(torch.zeros(shape))
        with pytest.raises(ValueError) as got:
            getattr(torchless.nn, name)(3)(torchless.zeros(shape))
        assert str(got.value) == str(want.value)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torchless.nn.BatchNorm1d(3)(torchless.zeros(1, 3))


def test_batch_norm_loads_a_state_dict_from_before_num_batches_tracked():
    ml = torchless.nn.BatchNorm1d(3)
    ml.num_batches_tracked.fill_(7)
    sd = ml.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    fresh = torchless.nn.BatchNorm1d(3)
    fresh.num_batches_tracked.fill_(4)
    result = fresh.load_state_dict(sd)
    assert result.missing_keys == [] and int(fresh.num_batches_tracked) == 4
    del sd._metadata[""]["version"]  # (no version at all: treated the same)
    assert torchless.nn.BatchNorm1d(3).load_state_dict(sd).missing_keys == []
    sd2 = ml.state_dict()
    del sd2["num_batches_tracked"]  # version 2 without the key: missing
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        torchless.nn.BatchNorm1d(3).load_state_dict(sd2)
    assert ml.state_dict()._metadata[""]["version"] == torch.nn.BatchNorm1d(3).state_dict()._metadata[""]["version"]


@pytest.mark.parametrize("track", [False, True])
def test_instance_norm_train_eval_and_warning(track):
    mt, ml = build("InstanceNorm2d", 3, affine=True, track_running_stats=track)
    run_both(mt, ml, randn(2, 3, 4, 5))
    for (k, a), (_, b) in zip(ml.named_buffers(), mt.named_buffers()):
        assert_close(a, b, k, 1e-6)
    mt.eval()
    ml.eval()
    run_both(mt, ml, randn(3, 4, 5, seed=2))  # (unbatched)
    with pytest.raises(ValueError, match="to match num_features"):
        ml(torchless.zeros(2, 4, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        torchless.nn.InstanceNorm1d(3)(torchless.randn(2, 4, 5))


def test_instance_norm_refuses_old_running_stats():
    """A state dict without version metadata (before 0.4) with running stats an untracking
    InstanceNorm has no place for: the error torch gives."""
    sd = {"running_mean": torchless.zeros(3), "running_var": torchless.ones(3)}
    with pytest.raises(RuntimeError, match='Unexpected running stats buffer\\(s\\) "running_mean" and "running_var"'):
        torchless.nn.InstanceNorm1d(3).load_state_dict(sd)


@pytest.mark.parametrize("name,args,shape", [
    ("LayerNorm", ((4, 5),), (2, 3, 4, 5)), ("GroupNorm", (2, 6), (3, 6, 4)), ("RMSNorm", (5,), (2, 3, 5)),
    ("LocalResponseNorm", (3,), (2, 5, 4, 4)), ("LocalResponseNorm", (4, 1e-2, 0.5, 2.0), (2, 6, 3)),
])
def test_norm_layers(name, args, shape):
    mt, ml = build(name, *args)
    x = randn(*shape)
    if ml.__dict__.get("_parameters"):
        with torch.no_grad():
            for p in mt.parameters():
                p.add_(torch.randn(p.shape))
        with torchless.no_grad():
            for p, q in zip(ml.parameters(), mt.parameters()):
                p.copy_(torchless.tensor(q.detach().numpy()))
    run_both(mt, ml, x)


def test_lazy_norms():
    for name, shape in [("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm2d", (2, 3, 4, 4)),
                        ("LazyInstanceNorm1d", (2, 3, 5))]:
        mt, ml = build(name, affine=True, track_running_stats=True)
        run_both(mt, ml, randn(*shape))
        assert type(ml).__name__ == type(mt).__name__ and repr(ml) == repr(mt)
        for (k, a), (_, b) in zip(ml.state_dict().items(), mt.state_dict().items(), strict=True):
            assert_close(a, b, k, 1e-6)


# ---- dropout -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,shape", [("Dropout", (4, 5)), ("Dropout1d", (3, 4, 5)), ("Dropout1d", (4, 5)),
                                        ("Dropout2d", (2, 3, 4, 5)), ("Dropout3d", (2, 3, 2, 4, 5)),
                                        ("AlphaDropout", (4, 5)), ("FeatureAlphaDropout", (2, 3, 4, 5))])
def test_dropout_masks_follow_the_seed(name, shape):
    mt, ml = build(name, 0.4)
    torch.manual_seed(11)
    torchless.manual_seed(11)
    run_both(mt, ml, randn(*shape))
    mt.eval()
    ml.eval()
    x = randn(*shape)
    assert np.array_equal(ml(torchless.tensor(x)).numpy(), x)


def test_dropout_inplace_and_bad_p():
    torch.manual_seed(2)
    xt = torch.ones(3, 4)
    torch.nn.Dropout(0.5, inplace=True)(xt)
    torchless.manual_seed(2)
    xl = torchless.ones(3, 4)
    torchless.nn.Dropout(0.5, inplace=True)(xl)
    assert np.array_equal(xl.numpy(), xt.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        torchless.nn.Dropout2d(1.5)


# ---- embeddings --------------------------------------------------------------------------------
def test_embedding_padding_idx_max_norm_and_from_pretrained():
    mt, ml = build("Embedding", 10, 4, padding_idx=2, max_norm=1.5)
    idx = np.array([[1, 2, 3], [2, 9, 1]])
    out_t, out_l = mt(torch.tensor(idx)), ml(torchless.tensor(idx))
    assert_close(out_l, out_t, "output", 1e-6)
    assert_close(ml.weight, mt.weight, "renormalised weight", 1e-6)  # (max_norm renorms the rows in place)
    w = randn(*out_t.shape)
    (out_t * torch.tensor(w)).sum().backward()
    (out_l * torchless.tensor(w)).sum().backward()
    assert_close(ml.weight.grad, mt.weight.grad, "weight gradient", 1e-6)
    assert not ml.weight.grad.numpy()[2].any()
    table = randn(5, 3)
    et = torch.nn.Embedding.from_pretrained(torch.tensor(table), padding_idx=0)
    el = torchless.nn.Embedding.from_pretrained(torchless.tensor(table), padding_idx=0)
    assert not el.weight.requires_grad and repr(el) == repr(et)
    assert el.weight.requires_grad is False and torchless.nn.Embedding.from_pretrained(
        torchless.tensor(table), freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        torchless.nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="2-dimensional"):
        torchless.nn.Embedding.from_pretrained(torchless.zeros(3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    mt, ml = build("EmbeddingBag", 10, 3, mode=mode, padding_idx=1)
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 6])
    out_t = mt(torch.tensor(idx), torch.tensor(offsets))
    out_l = ml(torchless.tensor(idx), torchless.tensor(offsets))
    assert_close(out_l, out_t, "output", 1e-6)
    w = randn(*out_t.shape)
    (out_t * torch.tensor(w)).sum().backward()
    (out_l * torchless.tensor(w)).sum().backward()
    assert_close(ml.weight.grad, mt.weight.grad, "weight gradient", 1e-6)
    bt = torch.nn.EmbeddingBag.from_pretrained(mt.weight.detach(), mode=mode)
    bl = torchless.nn.EmbeddingBag.from_pretrained(ml.weight.detach(), mode=mode)
    assert repr(bl) == repr(bt) and not bl.weight.requires_grad
    two_d = np.array([[1, 2], [4, 5]])
    assert_close(bl(torchless.tensor(two_d)), bt(torch.tensor(two_d)), "2-d input", 1e-6)


# ---- the rest ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,args,kwargs,shapes", [
    ("PixelShuffle", (2,), {}, [(2, 8, 3, 4)]), ("PixelUnshuffle", (2,), {}, [(2, 2, 6, 4)]),
    ("ChannelShuffle", (3,), {}, [(2, 6, 2, 2)]),
    ("Upsample", (), {"scale_factor": 2}, [(1, 2, 3, 4)]),
    ("Upsample", ((5, 7),), {"mode": "bilinear"}, [(1, 2, 3, 4)]),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True}, [(1, 2, 3, 4)]),
    ("Upsample", (), {"scale_factor": 2, "mode": "linear"}, [(1, 2, 3)]),
    ("Upsample", (), {"scale_factor": (2, 1, 2), "mode": "trilinear"}, [(1, 1, 2, 3, 2)]),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, [(1, 2, 3, 4)]),
    ("UpsamplingBilinear2d", ((6, 6),), {}, [(1, 2, 3, 4)]),
    ("Fold", ((4, 5), 2), {}, [(2, 12, 12)]), ("Unfold", ((2, 3),), {"padding": 1, "stride": 2}, [(2, 3, 5, 6)]),
    ("PairwiseDistance", (), {}, [(4, 5), (4, 5)]), ("PairwiseDistance", (1.0, 1e-3, True), {}, [(4, 5), (5,)]),
    ("CosineSimilarity", (), {}, [(4, 5), (4, 5)]), ("CosineSimilarity", (0,), {}, [(5, 3), (5, 1)]),
    ("ZeroPad2d", ((1, -1, 2, 0),), {}, [(2, 3, 4)]), ("ConstantPad3d", (1, 2.5), {}, [(1, 2, 2, 3, 2)]),
    ("ReflectionPad2d", (2,), {}, [(1, 2, 4, 4)]), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), {}, [(2, 2, 3, 3)]),
    ("CircularPad1d", ((2, 1),), {}, [(2, 3, 4)]),
])
def test_layers_against_torch(name, args, kwargs, shapes):
    mt, ml = build(name, *args, **kwargs)
    run_both(mt, ml, *[randn(*s, seed=i) for i, s in enumerate(shapes)])


def test_circular_pad_checks_dims():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        torchless.nn.CircularPad1d(1)(torchless.zeros(1, 2, 3, 4))


def test_modules_deepcopy_and_pickle():
    import pickle

    ml = torchless.nn.Sequential(torchless.nn.Conv2d(2, 3, 3), torchless.nn.BatchNorm2d(3),
                                 torchless.nn.Embedding(4, 2))
    for other in (copy.deepcopy(ml), pickle.loads(pickle.dumps(ml))):
        assert repr(other) == repr(ml)
        for (k, a), (_, b) in zip(other.state_dict().items(), ml.state_dict().items()):
            assert np.array_equal(a.numpy(), b.numpy()), k


def test_no_warnings_from_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torchless.nn.Conv2d(1, 1, 3)(torchless.zeros(1, 1, 4, 4))
        torchless.nn.BatchNorm2d(1)(torchless.zeros(2, 1, 2, 2))
