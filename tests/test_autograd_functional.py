"""torchless.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against
torch.autograd.functional: values, Tensor-or-tuple mirroring, create_graph, strict-mode errors,
strategies and argument checks."""

from __future__ import annotations

import pytest
from _transform_helpers import T, same, same_error

import torchless as tl

torch = pytest.importorskip("torch")

X = [0.5, -1.2, 2.0]
Y = [[1.0, 2.0, -0.5], [0.3, 0.7, 1.1]]
V3 = [1.0, 0.5, -2.0]


def F(lib):
    return lib.autograd.functional


def two_in_two_out(x, y):
    return x.sin() * y, (x * y).sum()


def scalar(x, y):
    return (x.exp() * y).sum() + (x ** 3).sum()


# ---- vjp / jvp -------------------------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp(create_graph):
    same(lambda lib: F(lib).vjp(lambda x: x ** 2, T(lib, X), T(lib, V3), create_graph=create_graph))
    same(lambda lib: F(lib).vjp(two_in_two_out, (T(lib, X), T(lib, Y)), (T(lib, Y), T(lib, 2.0)),
                                create_graph=create_graph))
    same(lambda lib: F(lib).vjp(lambda x: x.sum(), T(lib, X)))  # v may be omitted for one element
    same(lambda lib: F(lib).vjp(lambda x, y: x * 2, (T(lib, X), T(lib, Y)), T(lib, V3)))  # unused input: zeros


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp(create_graph):
    same(lambda lib: F(lib).jvp(lambda x: x ** 2, T(lib, X), T(lib, V3), create_graph=create_graph))
    same(lambda lib: F(lib).jvp(two_in_two_out, (T(lib, X), T(lib, Y)), (T(lib, V3), T(lib, Y)),
                                create_graph=create_graph))
    same(lambda lib: F(lib).jvp(lambda x: x * 3, T(lib, [2.0])))


def test_create_graph_keeps_inputs_differentiable():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        out, g = F(lib).vjp(lambda v: v.sin() * v, x, T(lib, V3), create_graph=True)
        return out, g, lib.autograd.grad(g.sum(), x)
    same(run)


def test_inputs_left_alone():
    for lib in (torch, tl):
        x = T(lib, X)
        F(lib).jacobian(lambda v: v ** 2, x)
        F(lib).hessian(lambda v: (v ** 3).sum(), x)
        assert not x.requires_grad and x.grad is None


def test_vjp_jvp_errors():
    same_error(lambda lib: F(lib).vjp(lambda x: x, T(lib, X)))
    same_error(lambda lib: F(lib).jvp(lambda x: x, T(lib, X)))
    same_error(lambda lib: F(lib).vjp(lambda x: x, T(lib, X), (T(lib, X), T(lib, X))))
    same_error(lambda lib: F(lib).vjp(lambda x: (x, x), T(lib, X), (T(lib, X),)))
    same_error(lambda lib: F(lib).vjp(lambda x: x, T(lib, X), T(lib, [1.0])))
    same_error(lambda lib: F(lib).vjp(lambda x: (x, x), T(lib, X), (T(lib, X), T(lib, [1.0]))))
    same_error(lambda lib: F(lib).vjp(lambda x: x, [T(lib, X)]))
    same_error(lambda lib: F(lib).vjp(lambda x: x, (T(lib, X), 3.0)))
    same_error(lambda lib: F(lib).vjp(lambda x: 3.0, T(lib, X)))


def test_strict_mode():
    same_error(lambda lib: F(lib).vjp(lambda x, y: x * 2, (T(lib, X), T(lib, Y)), T(lib, V3), strict=True))
    same_error(lambda lib: F(lib).vjp(lambda x: T(lib, X), T(lib, X), T(lib, V3), strict=True))
    same_error(lambda lib: F(lib).jvp(lambda x: x * 2, T(lib, X), T(lib, V3), strict=True, create_graph=True))
    same_error(lambda lib: F(lib).jacobian(lambda x, y: x * 2, (T(lib, X), T(lib, Y)), strict=True))
    same_error(lambda lib: F(lib).jacobian(lambda x: x * 2, T(lib, X), strict=True, create_graph=True))
    same_error(lambda lib: F(lib).hessian(lambda x: x.sum(), T(lib, X), strict=True))
    same_error(lambda lib: F(lib).hvp(lambda x: (x * 2).sum(), T(lib, X), T(lib, V3), strict=True))
    same_error(lambda lib: F(lib).vhp(lambda x, y: (x ** 3).sum(), (T(lib, X), T(lib, Y)), (T(lib, V3), T(lib, Y)),
                                      strict=True))
    # strict passes where every output depends on every input
    same(lambda lib: F(lib).jacobian(lambda x: x.sin(), T(lib, X), strict=True))


# ---- jacobian --------------------------------------------------------------------------------------
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_mirrors_tuples(vectorize):
    same(lambda lib: F(lib).jacobian(lambda x: x.sin() * x.sum(), T(lib, X), vectorize=vectorize))
    same(lambda lib: F(lib).jacobian(lambda x: (x.sin(), x.sum()), T(lib, X), vectorize=vectorize))
    same(lambda lib: F(lib).jacobian(lambda x, y: (x * y).sum(0), (T(lib, X), T(lib, Y)), vectorize=vectorize))
    same(lambda lib: F(lib).jacobian(two_in_two_out, (T(lib, X), T(lib, Y)), vectorize=vectorize))
    same(lambda lib: F(lib).jacobian(lambda x: x.sin(), (T(lib, X),), vectorize=vectorize))


def test_jacobian_forward_mode():
    same(lambda lib: F(lib).jacobian(two_in_two_out, (T(lib, X), T(lib, Y)), vectorize=True,
                                     strategy="forward-mode"))
    same(lambda lib: F(lib).jacobian(lambda x: x.exp(), T(lib, X), vectorize=True, strategy="forward-mode"))
    same(lambda lib: F(lib).jacobian(lambda x: x.exp(), T(lib, X, requires_grad=True), vectorize=True,
                                     strategy="forward-mode"))
    same(lambda lib: F(lib).jacobian(lambda x, y: x * y, (T(lib, X), T(lib, V3)), vectorize=True,
                                     strategy="forward-mode"))
    same_error(lambda lib: F(lib).jacobian(lambda x: x, T(lib, X), strategy="forward-mode"))
    same_error(lambda lib: F(lib).jacobian(lambda x: x, T(lib, X), strategy="forward-mode", create_graph=True))
    same_error(lambda lib: F(lib).jacobian(lambda x: x, T(lib, X), strategy="forward-mode", strict=True,
                                           vectorize=True))
    same_error(lambda lib: F(lib).jacobian(lambda x: x, T(lib, X), strategy="sideways"))
    same_error(lambda lib: F(lib).jacobian(lambda x: x, T(lib, X), strict=True, vectorize=True))


def test_jacobian_create_graph_differentiable():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        j = F(lib).jacobian(lambda v: v.sin() * v.sum(), x, create_graph=True)
        return j, lib.autograd.grad(j.sum(), x)
    same(run)


# ---- hessian, vhp, hvp -----------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_hessian(strategy):
    vec = strategy == "forward-mode"
    same(lambda lib: F(lib).hessian(lambda x: (x.exp() * x.prod()).sum(), T(lib, X), vectorize=vec,
                                    outer_jacobian_strategy=strategy))
    same(lambda lib: F(lib).hessian(scalar, (T(lib, X), T(lib, Y)), vectorize=vec,
                                    outer_jacobian_strategy=strategy))


def test_hessian_create_graph_and_errors():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        h = F(lib).hessian(lambda v: (v ** 4).sum(), x, create_graph=True)
        return h, lib.autograd.grad(h.sum(), x)
    same(run)
    same_error(lambda lib: F(lib).hessian(lambda x: x, T(lib, X)))
    same_error(lambda lib: F(lib).hessian(lambda x: (x.sum(),), T(lib, X)))
    same_error(lambda lib: F(lib).hessian(lambda x: x.sum(), T(lib, X), outer_jacobian_strategy="x"))
    same_error(lambda lib: F(lib).hessian(lambda x: (x ** 3).sum(), T(lib, X), outer_jacobian_strategy="forward-mode"))


@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_vector_products(name, create_graph):
    same(lambda lib: getattr(F(lib), name)(lambda x: (x.sin() * x.sum()).sum(), T(lib, X), T(lib, V3),
                                           create_graph=create_graph))
    same(lambda lib: getattr(F(lib), name)(scalar, (T(lib, X), T(lib, Y)), (T(lib, V3), T(lib, Y)),
                                           create_graph=create_graph))
    same(lambda lib: getattr(F(lib), name)(lambda x: x ** 3, T(lib, [2.0])))
    same_error(lambda lib: getattr(F(lib), name)(lambda x: x ** 3, T(lib, X), T(lib, V3)))
    same_error(lambda lib: getattr(F(lib), name)(lambda x: (x.sum(), x.sum()), T(lib, X), T(lib, V3)))
    same_error(lambda lib: getattr(F(lib), name)(lambda x: (x ** 3).sum(), T(lib, X)))


def test_grad_inside_functional():
    same(lambda lib: F(lib).jacobian(lib.func.grad(lambda x: (x.sin() * x).sum()), T(lib, X)))
    same(lambda lib: lib.func.grad(lambda x: F(lib).jacobian(lambda v: v ** 3, x, create_graph=True).sum())(
        T(lib, X)))
