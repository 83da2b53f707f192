"""torchless.func's transforms (grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian)
against torch.func: values, output structure, grad state, argnums/has_aux, composition to depth,
perturbation confusion, the caller's tensors left alone, and error contracts."""

from __future__ import annotations

import pytest
from _transform_helpers import T, same, same_error

import torchless as tl

torch = pytest.importorskip("torch")

X = [0.5, -1.2, 2.0]
Y = [[1.0, 2.0, -0.5], [0.3, 0.7, 1.1]]


def cube_sum(x):
    return (x ** 3).sum()


def mixed(x):
    return x.sin() * x.sum() + x.exp()


# ---- grad and grad_and_value -----------------------------------------------------------------------
def test_grad_basic():
    same(lambda lib: lib.func.grad(cube_sum)(T(lib, X)))


def test_grad_argnums_int_tuple_negative():
    f = (lambda x, y: (x * y.sum(0)).sum() + (y ** 2).sum())
    same(lambda lib: lib.func.grad(f, argnums=1)(T(lib, X), T(lib, Y)))
    same(lambda lib: lib.func.grad(f, argnums=-1)(T(lib, X), T(lib, Y)))
    same(lambda lib: lib.func.grad(f, argnums=(0, 1))(T(lib, X), T(lib, Y)))
    same(lambda lib: lib.func.grad(f, argnums=(1,))(T(lib, X), T(lib, Y)))


def test_grad_pytree_inputs():
    def f(p, x):
        return (p["w"] * x).sum() + p["b"][0].sum() * p["b"][1].sum()
    same(lambda lib: lib.func.grad(f)({"w": T(lib, X), "b": [T(lib, 2.0), T(lib, X)]}, T(lib, X)))
    same(lambda lib: lib.func.grad(lambda t: t[0].sum() * t[1].prod())((T(lib, X), T(lib, Y))))


def test_grad_has_aux_and_value():
    f = (lambda x: (cube_sum(x), {"sq": x ** 2, "n": [x.sum()]}))
    same(lambda lib: lib.func.grad(f, has_aux=True)(T(lib, X)))
    same(lambda lib: lib.func.grad_and_value(f, has_aux=True)(T(lib, X)))
    same(lambda lib: lib.func.grad_and_value(cube_sum)(T(lib, X)))


def test_grad_kwargs_are_not_differentiated():
    same(lambda lib: lib.func.grad(lambda x, scale=1.0: (x * scale).sum())(T(lib, X), scale=T(lib, 3.0)))


def test_grad_unused_and_constant():
    same(lambda lib: lib.func.grad(lambda x, y: (x ** 2).sum(), argnums=(0, 1))(T(lib, X), T(lib, Y)))
    same(lambda lib: lib.func.grad(lambda x: T(lib, 1.0))(T(lib, X)))


def test_grad_of_grad_and_deeper():
    same(lambda lib: lib.func.grad(lambda x: lib.func.grad(lambda y: y.sin() * y ** 2)(x))(T(lib, 0.7)))
    g3 = (lambda lib: lib.func.grad(lib.func.grad(lib.func.grad(lambda y: y.sin() * y.exp())))(T(lib, 0.3)))
    same(g3)


def test_perturbation_confusion():
    same(lambda lib: lib.func.grad(lambda x: x * lib.func.grad(lambda y: x * y)(x))(T(lib, 2.0)))
    same(lambda lib: lib.func.grad(lambda x: lib.func.grad(lambda y: x * y ** 2)(x.sin()))(T(lib, 0.4)))
    # d/dx [x * d/dy (x + y)] = 1, not 2
    same(lambda lib: lib.func.grad(lambda x: x * lib.func.grad(lambda y: x + y)(x))(T(lib, 3.0)))


def test_forward_perturbation_confusion():
    same(lambda lib: lib.func.jvp(lambda x: x * lib.func.jvp(lambda y: x * y, (x,), (lib.ones((), dtype=lib.float64),))[1],
                                  (T(lib, 2.0),), (T(lib, 1.0),)))
    same(lambda lib: lib.func.grad(
        lambda x: x * lib.func.jvp(lambda y: x * y ** 2, (x,), (lib.ones((), dtype=lib.float64),))[1])(T(lib, 2.0)))


def test_inplace_inside_function():
    same(lambda lib: lib.func.grad(lambda x: (x * x).mul_(2).sum())(T(lib, X)))
    same_error(lambda lib: lib.func.grad(lambda x: x.mul_(2).sum())(T(lib, X)))


def test_grad_inside_autograd_grad():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        g = lib.func.grad(mixed_sum := (lambda v: (v.sin() * v.sum()).sum()))(x)
        hx, = lib.autograd.grad(g.sum(), x)
        assert mixed_sum is not None
        return g, hx
    same(run)


def test_grad_through_closed_over_tensor():
    def run(lib):
        w = T(lib, X, requires_grad=True)
        g = lib.func.grad(lambda x: (x * w).sin().sum())(T(lib, [1.0, 1.0, 1.0]))
        return g, lib.autograd.grad(g.sum(), w)
    same(run)


def test_caller_tensors_untouched():
    for lib in (torch, tl):
        x = T(lib, X)
        w = T(lib, X, requires_grad=True)
        lib.func.grad(lambda v, w=w: (v * w).sum())(x)
        lib.func.jacrev(lambda v, w=w: v * w)(x)
        lib.func.jacfwd(lambda v, w=w: v * w)(x)
        assert not x.requires_grad and x.grad is None and x.grad_fn is None
        assert w.requires_grad and w.grad is None


def test_grad_under_no_grad_is_not_differentiable():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        with lib.no_grad():
            g = lib.func.grad(cube_sum)(x)
        return g
    same(run)


def test_grad_errors():
    same_error(lambda lib: lib.func.grad(lambda x: x)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(cube_sum, argnums=2)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(cube_sum, argnums=())(T(lib, X)))
    same_error(lambda lib: lib.func.grad(cube_sum, argnums=(0, 0))(T(lib, X)))
    same_error(lambda lib: lib.func.grad(cube_sum, argnums=1.5)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(cube_sum)(3.0))
    same_error(lambda lib: lib.func.grad(cube_sum, has_aux=True)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(lambda x: (x.sum(), 1, 2), has_aux=True)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(lambda x: 1.0)(T(lib, X)))
    same_error(lambda lib: lib.func.grad(lambda x: x.sum())(lib.tensor([1, 2])))


# ---- vjp, jvp, linearize ---------------------------------------------------------------------------
def test_vjp_structures():
    def run(lib):
        out, fn = lib.func.vjp(lambda x, y: [x * y[0], {"e": y.exp()}], T(lib, X), T(lib, Y))
        return out, fn([T(lib, [1.0, 2.0, 3.0]), {"e": T(lib, Y)}]), fn([T(lib, X), {"e": T(lib, Y)}])
    same(run)


def test_vjp_has_aux_and_pytree_primal():
    def run(lib):
        out, fn, aux = lib.func.vjp(lambda p: (p["a"].sin(), p["a"] * 2), {"a": T(lib, X)}, has_aux=True)
        return out, fn(T(lib, [1.0, 0.0, 2.0])), aux
    same(run)


def test_vjp_errors():
    same_error(lambda lib: lib.func.vjp(lambda x: x, T(lib, X))[1]([T(lib, X)]))
    same_error(lambda lib: lib.func.vjp(lambda x: x, T(lib, X))[1](T(lib, [1.0, 2.0])))
    same_error(lambda lib: lib.func.vjp(lambda x: (x, 2), T(lib, X)))
    same_error(lambda lib: lib.func.vjp(lambda x: x, T(lib, X), has_aux=True))


def test_jvp_values_and_structure():
    same(lambda lib: lib.func.jvp(lambda x: (x.sin(), x.sum()), (T(lib, X),), (T(lib, [1.0, 0.0, 2.0]),)))
    same(lambda lib: lib.func.jvp(lambda x, y: {"z": x * y}, (T(lib, X), T(lib, Y)), (T(lib, X), T(lib, Y))))
    same(lambda lib: lib.func.jvp(lambda x: (x.sin(), {"aux": x}), (T(lib, X),), (T(lib, X),), has_aux=True))
    # an output that does not depend on the primals has a zero tangent
    same(lambda lib: lib.func.jvp(lambda x, y: (x * 2, y.exp()), (T(lib, X), T(lib, Y)),
                                  (T(lib, X), lib.zeros(2, 3, dtype=lib.float64))))
    same(lambda lib: lib.func.jvp(lambda x: T(lib, Y), (T(lib, X),), (T(lib, X),)))


def test_jvp_errors():
    same_error(lambda lib: lib.func.jvp(lambda x: x, T(lib, X), T(lib, X)))
    same_error(lambda lib: lib.func.jvp(lambda x: x, (T(lib, X),), [T(lib, X)]))
    same_error(lambda lib: lib.func.jvp(lambda x: x, (T(lib, X),), (T(lib, X), T(lib, X))))
    same_error(lambda lib: lib.func.jvp(lambda x: x, (T(lib, X),), (T(lib, [1.0, 2.0]),)))
    same_error(lambda lib: lib.func.jvp(lambda x: x, (3.0,), (T(lib, X),)))
    same_error(lambda lib: lib.func.jvp(lambda: T(lib, X), (), ()))
    same_error(lambda lib: lib.func.jvp(lambda x: (x, 1), (T(lib, X),), (T(lib, X),)))
    same_error(lambda lib: lib.func.jvp(lambda x: T(lib, Y), (T(lib, X),), (T(lib, X),), strict=True))
    same(lambda lib: lib.func.jvp(lambda x: x.sin(), (T(lib, X),), (T(lib, X),), strict=True))


def test_linearize_errors():
    same_error(lambda lib: lib.func.linearize(lambda x: x, T(lib, X))[1](T(lib, [1.0, 2.0])))
    same_error(lambda lib: lib.func.linearize(lambda x: x, T(lib, X))[1]([T(lib, X)]))


def test_linearize():
    def run(lib):
        out, fn = lib.func.linearize(lambda x, y: (x.sin() * y[0], y.sum()), T(lib, X), T(lib, Y))
        return out, fn(T(lib, [1.0, 0.0, 2.0]), T(lib, Y)), fn(T(lib, X), lib.ones(2, 3, dtype=lib.float64))
    same(run)


# ---- Jacobians and Hessians ------------------------------------------------------------------------
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian_structures(jac):
    same(lambda lib: getattr(lib.func, jac)(mixed)(T(lib, X)))
    same(lambda lib: getattr(lib.func, jac)(lambda x: {"p": x.sin(), "q": [(x ** 2).sum()]})(T(lib, X)))
    f = (lambda x, y: (x.sin() * y, x.sum()))
    same(lambda lib: getattr(lib.func, jac)(f, argnums=(0, 1))(T(lib, X), T(lib, Y)))
    same(lambda lib: getattr(lib.func, jac)(f, argnums=1)(T(lib, X), T(lib, Y)))
    same(lambda lib: getattr(lib.func, jac)(lambda p: p["a"] * p["b"].sum())({"a": T(lib, X), "b": T(lib, Y)}))
    same(lambda lib: getattr(lib.func, jac)(lambda x: (x ** 2, {"aux": x.sum()}), has_aux=True)(T(lib, X)))


def test_jacrev_chunk_size_is_accepted():
    same(lambda lib: lib.func.jacrev(mixed, chunk_size=2)(T(lib, X)))
    same_error(lambda lib: lib.func.jacrev(mixed, chunk_size=0)(T(lib, X)))


@pytest.mark.parametrize("outer", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("inner", ["jacrev", "jacfwd"])
def test_jacobians_compose(outer, inner):
    same(lambda lib: getattr(lib.func, outer)(getattr(lib.func, inner)(mixed))(T(lib, X)))


def test_hessian():
    same(lambda lib: lib.func.hessian(lambda x: (x.exp() * x.prod()).sum())(T(lib, X)))
    same(lambda lib: lib.func.hessian(lambda x, y: (x.sin() * y).sum(), argnums=(0, 1))(T(lib, X), T(lib, Y)))
    same(lambda lib: lib.func.jacrev(lib.func.hessian(lambda x: (x ** 4).sum()))(T(lib, X)))


def test_grad_of_jacrev_and_jacrev_of_grad():
    same(lambda lib: lib.func.grad(lambda x: lib.func.jacrev(mixed)(x).sum())(T(lib, X)))
    same(lambda lib: lib.func.jacrev(lib.func.grad(cube_sum))(T(lib, X)))
    same(lambda lib: lib.func.jacfwd(lib.func.grad(lambda x: (x.sin() * x).sum()))(T(lib, X)))


def test_jacobian_of_requires_grad_input_stays_differentiable():
    def run(lib):
        x = T(lib, X, requires_grad=True)
        j = lib.func.jacrev(mixed)(x)
        return j, lib.autograd.grad(j.sum(), x)
    same(run)


class _FakeModule:
    """The slice of the nn.Module interface functional_call relies on (torchless has no nn.Module yet)."""

    training = True

    def __init__(self):
        self._parameters = {"w": T(tl, X, requires_grad=True)}
        self._buffers = {"b": T(tl, 1.0)}

    def named_parameters(self):
        return iter(self._parameters.items())

    def named_buffers(self):
        return iter(self._buffers.items())

    def __call__(self, x):
        return (self._parameters["w"] * x).sum() + self._buffers["b"]


def test_functional_call_over_the_module_interface():
    m = _FakeModule()
    x = T(tl, [1.0, 2.0, 3.0])
    params = {"w": T(tl, [2.0, 2.0, 2.0])}
    assert tl.func.functional_call(m, params, (x,)).item() == 13.0
    assert tl.func.functional_call(m, (params, {"b": T(tl, 0.0)}), x).item() == 12.0
    g = tl.func.grad(lambda p, v: tl.func.functional_call(m, p, (v,)))(params, x)
    assert list(g) == ["w"] and g["w"].tolist() == x.tolist()
    assert m._parameters["w"].tolist() == X and m._buffers["b"].item() == 1.0  # put back
    stacked, buffers = tl.func.stack_module_state([m, _FakeModule()])
    assert tuple(stacked["w"].shape) == (2, 3) and stacked["w"].requires_grad and tuple(buffers["b"].shape) == (2,)


def test_module_functions_need_nn_module():
    with pytest.raises(NotImplementedError, match="nn.Module"):
        tl.func.functional_call(object(), {}, (T(tl, X),))
    with pytest.raises(NotImplementedError, match="nn.Module"):
        tl.func.stack_module_state([object()])


COMPOSITIONS = {
    "jvp_of_grad": lambda lib, x: lib.func.jvp(lib.func.grad(lambda v: (v.sin() * v).sum()), (x,), (x.cos(),)),
    "grad_of_vjp": lambda lib, x: lib.func.grad(lambda v: lib.func.vjp(lib.sin, v)[1](v)[0].sum())(x),
    "jacrev_of_jvp": lambda lib, x: lib.func.jacrev(lambda v: lib.func.jvp(lambda w: w.exp() * w, (v,), (v,))[1])(x),
    "jacrev_of_jacfwd": lambda lib, x: lib.func.jacrev(lib.func.jacfwd(lambda v: v.sin() * v.prod()))(x),
    "hessian_of_hessian_sum": lambda lib, x: lib.func.grad(lambda v: lib.func.hessian(lambda w: (w ** 4).sum())(v).sum())(x),
    "linearize_of_grad": lambda lib, x: lib.func.linearize(lib.func.grad(lambda v: (v.tanh() ** 2).sum()), x)[1](x),
    "grad_with_aux_nested": lambda lib, x: lib.func.grad(
        lambda v: _times(*lib.func.grad(lambda w: ((w * v).sum(), w.sum()), has_aux=True)(v)))(x),
}


def _times(g, aux):
    return (g * aux).sum()


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_compositions(name):
    same(lambda lib: COMPOSITIONS[name](lib, T(lib, X)))
