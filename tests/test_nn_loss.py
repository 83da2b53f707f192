"""nn.functional losses against torch: values, gradients, grad_fn names, reductions (and the
legacy size_average / reduce flags) and error contracts."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

RNG = np.random.default_rng(1)
X = RNG.normal(size=(4, 5))
Y = RNG.normal(size=(4, 5))
P = RNG.uniform(0.05, 0.95, (4, 5))
C = np.array([1, 0, 4, 2])
X4 = RNG.normal(size=(2, 3, 4, 2))
C4 = RNG.integers(0, 3, (2, 4, 2))


def _t(lib, a, rg=True):
    return lib.tensor(a, dtype=lib.float64, requires_grad=rg)


def _grads(lib, out, *inputs):
    """out, the gradients of sum(out * cot) wrt inputs, and the grad_fn's name."""
    cot = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)), dtype=out.dtype)
    grads = lib.autograd.grad(out, inputs, cot, allow_unused=True)
    return out, grads, out.grad_fn.name()


PAIR = {  # (input, target) losses where both get gradients
    "mse_loss": lambda F, x, y, r: F.mse_loss(x, y, reduction=r),
    "l1_loss": lambda F, x, y, r: F.l1_loss(x, y, reduction=r),
    "smooth_l1_loss": lambda F, x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.7),
    "huber_loss": lambda F, x, y, r: F.huber_loss(x, y, reduction=r, delta=0.8),
    "binary_cross_entropy_with_logits": lambda F, x, y, r: F.binary_cross_entropy_with_logits(x, y.sigmoid(),
                                                                                               reduction=r),
    "kl_div": lambda F, x, y, r: F.kl_div(x, y.abs(), reduction=r),
    "kl_div_log_target": lambda F, x, y, r: F.kl_div(x, y, reduction=r, log_target=True),
    "poisson_nll_loss": lambda F, x, y, r: F.poisson_nll_loss(x, y.abs(), reduction=r),
    "poisson_nll_full": lambda F, x, y, r: F.poisson_nll_loss(x.abs() + 0.1, y.abs() * 3, log_input=False, full=True,
                                                              reduction=r),
    "gaussian_nll_loss": lambda F, x, y, r: F.gaussian_nll_loss(x, y, x.abs() + 0.5, reduction=r),
    "margin_ranking_loss": lambda F, x, y, r: F.margin_ranking_loss(x, y, (x - y).detach().sign(), 0.2, reduction=r),
    "multilabel_soft_margin_loss": lambda F, x, y, r: F.multilabel_soft_margin_loss(x, (y > 0).double(),
                                                                                    reduction=r),
    "triplet_margin_loss": lambda F, x, y, r: F.triplet_margin_loss(x, y, x.flip(0), reduction=r, swap=True),
    "cosine_embedding_loss": lambda F, x, y, r: F.cosine_embedding_loss(
        x, y, x.new_tensor([1.0, -1.0, 1.0, -1.0]), 0.1, reduction=r),
}


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(PAIR))
def test_pair_losses(name, reduction):
    def f(lib):
        x, y = _t(lib, X), _t(lib, Y)
        return _grads(lib, PAIR[name](lib.nn.functional, x, y, reduction), x, y)

    same_as_torch(f)


INPUT_ONLY = {  # losses whose targets are not differentiable
    "soft_margin_loss": lambda F, x, lib, r: F.soft_margin_loss(x, lib.tensor(np.sign(Y)), reduction=r),
    "binary_cross_entropy": lambda F, x, lib, r: F.binary_cross_entropy(
        x.sigmoid(), lib.tensor(P), weight=lib.tensor(P[0]), reduction=r),
    "nll_loss": lambda F, x, lib, r: F.nll_loss(x, lib.tensor(C), reduction=r),
    "nll_loss_weight_ignore": lambda F, x, lib, r: F.nll_loss(x, lib.tensor(C), weight=lib.tensor(P[0]),
                                                              ignore_index=4, reduction=r),
    "cross_entropy": lambda F, x, lib, r: F.cross_entropy(x, lib.tensor(C), reduction=r),
    "cross_entropy_smoothing": lambda F, x, lib, r: F.cross_entropy(
        x, lib.tensor(C), weight=lib.tensor(P[1]), ignore_index=0, label_smoothing=0.2, reduction=r),
    "cross_entropy_probs": lambda F, x, lib, r: F.cross_entropy(x, lib.tensor(P).softmax(1), label_smoothing=0.1,
                                                                reduction=r) * 1,
    "multi_margin_loss": lambda F, x, lib, r: F.multi_margin_loss(x, lib.tensor(C), reduction=r),
    "multi_margin_loss_p2": lambda F, x, lib, r: F.multi_margin_loss(x, lib.tensor(C), p=2, margin=0.5,
                                                                     weight=lib.tensor(P[2]), reduction=r),
    "multilabel_margin_loss": lambda F, x, lib, r: F.multilabel_margin_loss(
        x, lib.tensor([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [4, 4, 1, -1, 2]]), reduction=r),
    "hinge_embedding_loss": lambda F, x, lib, r: F.hinge_embedding_loss(x, lib.tensor(np.sign(Y)), 0.5,
                                                                        reduction=r),
}


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(INPUT_ONLY))
def test_input_losses(name, reduction):
    def f(lib):
        x = _t(lib, X)
        return _grads(lib, INPUT_ONLY[name](lib.nn.functional, x, lib, reduction), x)

    same_as_torch(f)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_spatial(reduction):
    def f(lib):
        x = _t(lib, X4)
        out = lib.nn.functional.cross_entropy(x, lib.tensor(C4), weight=lib.tensor(P[0, :3]), ignore_index=1,
                                              reduction=reduction, label_smoothing=0.05)
        nll = lib.nn.functional.nll_loss(x, lib.tensor(C4), reduction=reduction)
        return _grads(lib, out, x), _grads(lib, nll, x)

    same_as_torch(f)


def test_unbatched_class_target():
    def f(lib):
        x = _t(lib, X[0])
        return _grads(lib, lib.nn.functional.cross_entropy(x, lib.tensor(3), label_smoothing=0.3), x)

    same_as_torch(f)
    same_as_torch(lambda lib: lib.nn.functional.nll_loss(_t(lib, X[0]), lib.tensor(2), reduction="none"))


def test_legacy_reduction_flags():
    for flags in ((None, False), (False, None), (True, True), (False, True)):
        same_as_torch(lambda lib, flags=flags: lib.nn.functional.mse_loss(_t(lib, X), lib.tensor(Y), *flags))
        same_as_torch(lambda lib, flags=flags: lib.nn.functional.nll_loss(_t(lib, X), lib.tensor(C), None, flags[0],
                                                                          -100, flags[1]))


def test_batchmean_and_double_backward():
    def f(lib):
        x = _t(lib, X)
        out = lib.nn.functional.kl_div(x.log_softmax(1), lib.tensor(P).softmax(1), reduction="batchmean")
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        return out, g, lib.autograd.grad((g * g).sum(), x)[0]

    same_as_torch(f)

    def ce(lib):
        x = _t(lib, X)
        out = lib.nn.functional.cross_entropy(x, lib.tensor(C), label_smoothing=0.1)
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        return g, lib.autograd.grad((g * g).sum(), x)[0]

    same_as_torch(ce)


def test_bce_clamps_log():
    same_as_torch(lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.0, 1.0, 0.5], dtype=lib.float64), lib.tensor([1.0, 0.0, 0.5], dtype=lib.float64)))


def test_bce_with_logits_weights():
    def f(lib):
        x = _t(lib, X)
        out = lib.nn.functional.binary_cross_entropy_with_logits(
            x, lib.tensor(P), weight=lib.tensor(P[0]), pos_weight=lib.tensor(np.arange(1.0, 6.0)))
        return _grads(lib, out, x)

    same_as_torch(f)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss(reduction):
    rng = np.random.default_rng(5)
    lp = rng.normal(size=(12, 3, 6))
    targets = np.array([[1, 2, 2, 0], [3, 1, 5, 4], [2, 2, 2, 2]])

    def f(lib):
        x = _t(lib, lp)
        logp = x.log_softmax(2)
        out = lib.nn.functional.ctc_loss(logp, lib.tensor(targets), lib.tensor([12, 10, 5]), lib.tensor([3, 4, 4]),
                                         reduction=reduction, zero_infinity=True)
        flat = lib.nn.functional.ctc_loss(logp, lib.tensor([1, 2, 2, 3, 1, 5, 4, 2, 2]), [12, 10, 9], [3, 4, 2],
                                          reduction=reduction)
        return _grads(lib, out, x), _grads(lib, flat, x)

    same_as_torch(f, rtol=1e-9)


def test_ctc_loss_raw_log_probs_gradient():
    """torch's gradient treats log_probs as log_softmax outputs; torchless gives the same numbers."""
    lp = np.random.default_rng(6).normal(size=(7, 2, 4))
    same_as_torch(lambda lib: _grads(lib, lib.nn.functional.ctc_loss(_t(lib, lp), lib.tensor([[1, 2], [3, 3]]),
                                                                     [7, 6], [2, 2]), _t(lib, lp)), rtol=1e-9)


def test_errors():
    def fn(lib):
        return lib.nn.functional

    raises_like_torch(lambda lib: fn(lib).mse_loss(lib.tensor(X), lib.tensor(Y), reduction="avg"),
                      "avg is not a valid value for reduction")
    raises_like_torch(lambda lib: fn(lib).cross_entropy(lib.tensor(X), lib.tensor(C), reduction="bad"),
                      "bad is not a valid value for reduction")
    raises_like_torch(lambda lib: fn(lib).nll_loss(lib.tensor(X), lib.tensor([0, 1, 9, 2])),
                      "Target 9 is out of bounds")
    raises_like_torch(lambda lib: fn(lib).nll_loss(lib.tensor(X), lib.tensor([0, 1, 2])),
                      r"Expected input batch_size \(4\) to match target batch_size \(3\)")
    raises_like_torch(lambda lib: fn(lib).nll_loss(lib.tensor(X), lib.tensor([0.0, 1, 2, 3])),
                      "expected target dtype to be Long")
    raises_like_torch(lambda lib: fn(lib).binary_cross_entropy(lib.tensor(P), lib.tensor(P[0])),
                      "different to the input size")
    raises_like_torch(lambda lib: fn(lib).binary_cross_entropy(lib.tensor(X), lib.tensor(P)),
                      "all elements of input should be between 0 and 1")
    raises_like_torch(lambda lib: fn(lib).multi_margin_loss(lib.tensor(X), lib.tensor(C), p=3),
                      "only p == 1 and p == 2 supported")
    raises_like_torch(lambda lib: fn(lib).gaussian_nll_loss(lib.tensor(X), lib.tensor(Y), lib.tensor(-P)),
                      "var has negative entry")
    raises_like_torch(lambda lib: fn(lib).smooth_l1_loss(lib.tensor(X), lib.tensor(Y), beta=-1.0),
                      "negative values for beta")
    raises_like_torch(lambda lib: fn(lib).soft_margin_loss(lib.tensor(X), _t(lib, Y)),
                      "not differentiable with respect to argument 'target'")
    raises_like_torch(lambda lib: fn(lib).triplet_margin_with_distance_loss(lib.tensor(X), lib.tensor(X),
                                                                            lib.tensor(X), margin=0.0),
                      "margin must be greater than 0")


def test_more_error_contracts():
    raises_like_torch(lambda lib: lib.nn.functional.cross_entropy(lib.tensor(X), lib.tensor(C), label_smoothing=1.5),
                      "label_smoothing must be between 0.0 and 1.0")
    raises_like_torch(lambda lib: lib.nn.functional.cross_entropy(lib.tensor(X), lib.tensor(np.ones((4, 5), np.int64))),
                      "Expected floating point type for target with class probabilities")
    raises_like_torch(lambda lib: lib.nn.functional.nll_loss(lib.tensor(X4), lib.tensor(np.zeros((2, 4, 3), np.int64))),
                      "size mismatch")
    raises_like_torch(lambda lib: lib.nn.functional.nll_loss(lib.tensor(X4[..., 0]), lib.tensor(np.zeros((2, 3), np.int64))),
                      "Expected target size")
    raises_like_torch(lambda lib: lib.nn.functional.nll_loss(lib.tensor(X), lib.tensor(C), weight=lib.tensor([1.0])),
                      "weight tensor should be defined either for all 5 classes or no classes")
    raises_like_torch(lambda lib: lib.nn.functional.ctc_loss(lib.tensor(np.zeros((3, 1, 4))), lib.tensor([[1, 2]]),
                                                             [5], [2]),
                      "Expected input_lengths to have value at most 3")


def test_every_target_ignored():
    """mean over no targets: nan, with a zero gradient (not nan) as torch's."""
    def f(lib):
        x = _t(lib, X)
        out = lib.nn.functional.cross_entropy(x, lib.tensor(np.full(len(X), 2)), ignore_index=2)
        return _grads(lib, out, x)

    same_as_torch(f)


def test_gaussian_nll_var_with_one_size_one_dim():
    """var may differ from input in one dim, where its size is 1 (torch's homoscedastic case)."""
    def f(lib):
        x = _t(lib, X)
        var = lib.tensor(np.abs(X[:1]) + 0.5)  # (1, 5) for a (4, 5) input
        return _grads(lib, lib.nn.functional.gaussian_nll_loss(x, lib.tensor(Y), var), x)

    same_as_torch(f)
