"""Forward-mode AD (autograd.forward_ad) against torch: tangents through ops, views, in-place ops
and custom Functions; its errors; Hessian-vector products both ways."""

from __future__ import annotations

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 1.5, (3, 4))
T = RNG.standard_normal((3, 4))
Y = RNG.uniform(0.5, 1.5, (3, 4))
W = RNG.standard_normal((4, 2))

OPS = {
    "add_mul_sub_div": lambda lib, x, y: (x + 2 * y - x / y) * x,
    "pow_and_rpow": lambda lib, x, y: x ** 3 + 2 ** x + x ** y,
    "exp_log_sqrt": lambda lib, x, y: x.exp() + x.log() + x.sqrt(),
    "trig": lambda lib, x, y: x.sin() * x.cos() + x.tanh() + x.atan(),
    "activations": lambda lib, x, y: lib.sigmoid(x) + lib.relu(x - 1) + lib.nn.functional.gelu(x)
    + lib.nn.functional.softplus(x),
    "reductions": lambda lib, x, y: lib.stack([x.sum(), x.mean(), x.prod(), x.amax(), x.norm(), x.var()]),
    "reductions_dim": lambda lib, x, y: x.sum(0) + x.mean(0) + x.max(0).values + x.logsumexp(0),
    "matmul": lambda lib, x, y: x @ lib.tensor(W) @ lib.tensor(W).t() @ y.t(),
    "shapes": lambda lib, x, y: x.reshape(4, 3).t().flatten()[2:9] * x.permute(1, 0).contiguous().view(-1)[:7],
    "indexing": lambda lib, x, y: x[1:, ::2] + x[[0, 2]][:, [1, 3]] + x[x > 1].sum(),
    "joining": lambda lib, x, y: lib.cat([x, y]).sum(0) + lib.stack([x, y], 2).mean(2)[0],
    "softmax_family": lambda lib, x, y: lib.softmax(x, 1) + lib.log_softmax(x * y, 0),
    "where_clamp_abs": lambda lib, x, y: lib.where(x > 1, x, y) + (x - 1).clamp(-0.2, 0.2) + (x - 1).abs(),
    "cumulative": lambda lib, x, y: x.cumsum(1) + x.cumprod(1),
    "losses": lambda lib, x, y: lib.nn.functional.mse_loss(x, y) + lib.nn.functional.cross_entropy(
        x, lib.tensor([0, 3, 1])),
    "conv": lambda lib, x, y: lib.nn.functional.conv1d(x.unsqueeze(0), y[:, :2].unsqueeze(1).expand(3, 3, 2)),
}


def _tangent(lib, name):
    fw = lib.autograd.forward_ad
    x, y = lib.tensor(X), lib.tensor(Y)
    with fw.dual_level():
        dx = fw.make_dual(x, lib.tensor(T))
        dy = fw.make_dual(y, lib.tensor(T[::-1].copy()))
        out = OPS[name](lib, dx, dy)
        primal, tangent = fw.unpack_dual(out)
        return primal.numpy(), tangent.numpy()


@pytest.mark.parametrize("name", list(OPS))
def test_tangents_match_torch(name):
    (pa, ta), (pb, tb) = _tangent(torch, name), _tangent(tl, name)
    np.testing.assert_allclose(pb, pa, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb, ta, rtol=1e-8, atol=1e-10)


def _inplace_and_views(lib):
    fw = lib.autograd.forward_ad
    x = lib.tensor(X)
    with fw.dual_level():
        d = fw.make_dual(x.clone(), lib.tensor(T))
        e = d * 1
        e.mul_(d)
        e[0].add_(3.0)
        e.sin_()
        view = e[1:, 1]
        return fw.unpack_dual(e).tangent.numpy(), fw.unpack_dual(view).tangent.numpy()


def test_in_place_ops_and_views_carry_tangents():
    for ours, theirs in zip(_inplace_and_views(tl), _inplace_and_views(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def _custom_function(lib):
    fw = lib.autograd.forward_ad

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("not used")

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * t

    with fw.dual_level():
        out = Cube.apply(fw.make_dual(lib.tensor(X), lib.tensor(T))).exp()
        return fw.unpack_dual(out).tangent.numpy()


def test_custom_function_jvp():
    np.testing.assert_allclose(_custom_function(tl), _custom_function(torch), rtol=1e-10)


def _hvp(lib):
    fw = lib.autograd.forward_ad
    w = lib.tensor(X[0], requires_grad=True)
    v = lib.tensor(T[0])

    def f(z):
        return (z.sin() * z.pow(2)).sum() + (z[:-1] * z[1:]).exp().sum()

    with fw.dual_level():
        wd = fw.make_dual(w, v)
        (g,) = lib.autograd.grad(f(wd), wd, create_graph=True)
        forward_over_reverse = fw.unpack_dual(g).tangent.detach().numpy()
    with fw.dual_level():
        jv = fw.unpack_dual(f(fw.make_dual(w, v))).tangent
    reverse_over_forward = lib.autograd.grad(jv, w)[0].numpy()
    return forward_over_reverse, reverse_over_forward


def test_hessian_vector_products_both_ways():
    (a1, a2), (b1, b2) = _hvp(torch), _hvp(tl)
    np.testing.assert_allclose(b1, a1, rtol=1e-10)
    np.testing.assert_allclose(b2, a2, rtol=1e-10)
    np.testing.assert_allclose(b1, b2, rtol=1e-10)


def _errors(lib):
    fw = lib.autograd.forward_ad

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = []
    for action in (lambda: fw.make_dual(lib.ones(2), lib.ones(2)),
                   lambda: fw.make_dual(lib.ones(2), lib.ones(3)),
                   lambda: fw.make_dual(lib.ones(2, dtype=lib.int64), lib.ones(2)),
                   lambda: NoJvp.apply(fw.make_dual(lib.ones(2), lib.ones(2))),
                   lambda: fw.enter_dual_level()):
        try:
            with fw.dual_level():
                action()
            out.append(None)
        except Exception as err:  # noqa: BLE001 - the type and message are what is compared
            out.append((type(err).__name__, str(err)))
    return out


def test_errors_match_torch():
    assert _errors(tl) == _errors(torch)


def test_tangents_go_away_with_the_level_and_unpack_outside_gives_none():
    fw = tl.autograd.forward_ad
    with fw.dual_level():
        d = fw.make_dual(tl.ones(2), tl.ones(2))
    assert fw.unpack_dual(d).tangent is None
    assert fw.unpack_dual(tl.ones(2)).tangent is None
