"""nn.init against torch 2.13: after the same seed (or with the same Generator) every initialiser
fills a tensor with torch's values, bit for bit; gains, fans, warnings and errors as torch's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (1,), (8, 3, 3, 3), (2, 3, 4), (40, 30), (17, 1), (4, 6, 5)]
DTYPES = ["float32", "float64"]

# name -> init(lib, tensor): each draws from the global generator
INITS = {
    "uniform_": lambda lib, t: lib.nn.init.uniform_(t, -2, 3),
    "uniform_default": lambda lib, t: lib.nn.init.uniform_(t),
    "normal_": lambda lib, t: lib.nn.init.normal_(t, 1, 2),
    "trunc_normal_default": lambda lib, t: lib.nn.init.trunc_normal_(t),
    "trunc_normal_shifted": lambda lib, t: lib.nn.init.trunc_normal_(t, 0.5, 1.5, -1, 2),
    "trunc_normal_narrow": lambda lib, t: lib.nn.init.trunc_normal_(t, 0, 1, -0.3, 0.3),  # (uniform proposals)
    "trunc_normal_tail": lambda lib, t: lib.nn.init.trunc_normal_(t, 0, 1, 2, 3),
    "trunc_normal_far": lambda lib, t: lib.nn.init.trunc_normal_(t, 3, 1, -1, 1),
    "constant_": lambda lib, t: lib.nn.init.constant_(t, 0.3),
    "ones_": lambda lib, t: lib.nn.init.ones_(t),
    "zeros_": lambda lib, t: lib.nn.init.zeros_(t),
    "eye_": lambda lib, t: lib.nn.init.eye_(t),
    "dirac_": lambda lib, t: lib.nn.init.dirac_(t),
    "xavier_uniform_": lambda lib, t: lib.nn.init.xavier_uniform_(t, gain=2.0),
    "xavier_normal_": lambda lib, t: lib.nn.init.xavier_normal_(t),
    "kaiming_uniform_": lambda lib, t: lib.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
    "kaiming_uniform_fan_out": lambda lib, t: lib.nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    "kaiming_normal_": lambda lib, t: lib.nn.init.kaiming_normal_(t),
    "kaiming_normal_tanh": lambda lib, t: lib.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"),
    "kaiming_bad_mode": lambda lib, t: lib.nn.init.kaiming_uniform_(t, mode="bad"),
    "orthogonal_": lambda lib, t: lib.nn.init.orthogonal_(t, gain=1.5),
    "sparse_": lambda lib, t: lib.nn.init.sparse_(t, 0.3, 0.5),
}


def _fill(lib, name, shape, dtype):
    """(values, None) or (None, (error type, message)), and the warnings' texts."""
    lib.manual_seed(0)
    t = lib.empty(*shape, dtype=getattr(lib, dtype))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = INITS[name](lib, t)
            assert out is t
            result = (t.numpy().copy(), None)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            result = (None, (type(e).__name__, str(e)))
    return result, [str(w.message) for w in caught]


CASES = [(n, s, d) for n in INITS for s in SHAPES for d in DTYPES]


@pytest.mark.parametrize("name,shape,dtype", CASES, ids=[f"{n}-{'x'.join(map(str, s))}-{d}" for n, s, d in CASES])
def test_initialiser_draws_torchs_values(name, shape, dtype):
    (want, want_err), want_warn = _fill(torch, name, shape, dtype)
    (got, got_err), got_warn = _fill(tl, name, shape, dtype)
    assert got_err == want_err
    assert got_warn == want_warn
    if want is None:
        return
    assert got.dtype == want.dtype and got.shape == want.shape
    if name == "orthogonal_":
        # the same normal draws; the QR is NumPy's LAPACK against torch's: a few ulps apart
        np.testing.assert_allclose(got, want, rtol=0, atol=4e-6 if dtype == "float32" else 1e-14)
    else:
        np.testing.assert_array_equal(got, want)


def _with_generator(lib):
    g = lib.Generator().manual_seed(5)
    t = lib.empty(6, 5)
    init = lib.nn.init
    out = []
    for fill in (lambda: init.uniform_(t, generator=g), lambda: init.normal_(t, generator=g),
                 lambda: init.trunc_normal_(t, generator=g), lambda: init.trunc_normal_(t, 0, 1, 0, 0.1, generator=g),
                 lambda: init.xavier_uniform_(t, generator=g), lambda: init.xavier_normal_(t, generator=g),
                 lambda: init.kaiming_uniform_(t, generator=g), lambda: init.kaiming_normal_(t, generator=g),
                 lambda: init.orthogonal_(t, generator=g)):
        out.append(fill().numpy().copy())
    out.append(lib.rand(3).numpy())  # (the global generator untouched: seeded as before)
    return out


def test_generator_argument_draws_from_that_generator():
    torch.manual_seed(1)
    tl.manual_seed(1)
    for got, want in zip(_with_generator(tl), _with_generator(torch)):
        np.testing.assert_allclose(got, want, rtol=0, atol=4e-6)  # (exact but for the orthogonal QR)


def test_runs_under_no_grad_on_parameters():
    for lib in (tl, torch):
        p = lib.nn.Parameter(lib.empty(3, 4))
        for fill in (lib.nn.init.kaiming_uniform_, lib.nn.init.xavier_normal_, lib.nn.init.orthogonal_,
                     lib.nn.init.trunc_normal_, lib.nn.init.zeros_, lib.nn.init.eye_):
            assert fill(p) is p and p.grad_fn is None and p.requires_grad and p.is_leaf


def _gains_and_fans(lib):
    init = lib.nn.init
    out = [init.calculate_gain(n) for n in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                            "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                                            "leaky_relu", "selu")]
    out += [init.calculate_gain("leaky_relu", 0.2), init.calculate_gain("leaky_relu", 1)]
    for bad in (lambda: init.calculate_gain("leaky_relu", True), lambda: init.calculate_gain("foo"),
                lambda: init.calculate_gain("leaky_relu", "x"), lambda: init._calculate_fan_in_and_fan_out(lib.empty(3)),
                lambda: init.eye_(lib.empty(3)), lambda: init.dirac_(lib.empty(3, 3)),
                lambda: init.dirac_(lib.empty(5, 2, 3), 2), lambda: init.orthogonal_(lib.empty(3)),
                lambda: init.sparse_(lib.empty(2, 2, 2), 0.1), lambda: init.xavier_uniform_(lib.empty(3))):
        try:
            bad()
            out.append(None)
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    for shape in ((3, 4), (3, 4, 5, 6), (0, 4), (2, 3, 0)):
        out.append(init._calculate_fan_in_and_fan_out(lib.empty(*shape)))
    out.append(init.dirac_(lib.empty(6, 2, 3, 3), groups=3).numpy().tolist())
    out.append(init.dirac_(lib.empty(2, 4, 3, 3, 3)).numpy().tolist())
    out.append(init.eye_(lib.empty(2, 5)).numpy().tolist())
    return out


def test_gains_fans_and_errors_match_torch():
    assert _gains_and_fans(tl) == _gains_and_fans(torch)


def _zero_elements_and_integers(lib):
    init = lib.nn.init
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fill in (init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_):
            out.append(fill(lib.empty(0, 3)).shape)
    out.append([str(w.message) for w in caught])
    for fill in (lambda t: init.constant_(t, 2), init.eye_, init.zeros_, lambda t: init.uniform_(t, 0, 5)):
        t = lib.zeros(3, 3, dtype=lib.int64)
        lib.manual_seed(0)
        try:
            out.append(fill(t).numpy().tolist())
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    return out


def test_zero_element_and_integer_tensors_as_torch():
    assert _zero_elements_and_integers(tl) == _zero_elements_and_integers(torch)


def _deprecated_forms(lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.manual_seed(0)
        t = lib.nn.init.uniform(lib.empty(2))
        lib.nn.init.kaiming_normal(lib.empty(2, 2))
    return t.numpy().tolist(), [(w.category.__name__, str(w.message)) for w in caught]


def test_deprecated_names_warn_as_torch():
    assert _deprecated_forms(tl) == _deprecated_forms(torch)


def test_trunc_normal_warns_when_the_mean_is_far_from_the_interval():
    for lib in (tl, torch):
        with pytest.warns(UserWarning, match="mean is more than 2 std"):
            lib.nn.init.trunc_normal_(lib.empty(3), mean=10.0)
