"""Complex dtypes against torch: promotion, tensor() inference, printing, views, complex autograd."""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

import torchless

RNG = np.random.default_rng(0)
Z = (RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))).tolist()
W = (RNG.standard_normal((4,)) + 1j * RNG.standard_normal((4,))).tolist()
X = RNG.standard_normal((3, 4)).tolist()


def z(lib, data=Z, rg=False, dtype="complex128"):
    return lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=rg)


# ---- dtypes and promotion ----------------------------------------------------------------------
@pytest.mark.parametrize("a", ["complex64", "complex128", "float16", "float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("b", ["complex64", "complex128"])
def test_promote_types(a, b):
    same_as_torch(lambda lib: lib.promote_types(getattr(lib, a), getattr(lib, b)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("kind", ["number", "0-d", "dimensioned"])
def test_result_dtype_with_complex(dtype, kind):
    def f(lib):
        x = lib.ones(3, dtype=getattr(lib, dtype))
        other = {"number": 1 + 2j, "0-d": lib.tensor(1j, dtype=lib.complex64),
                 "dimensioned": lib.ones(3, dtype=lib.complex64)}[kind]
        return x * other, other + x

    same_as_torch(f)


def test_default_complex_follows_default_float():
    def f(lib):
        lib.set_default_dtype(lib.float64)
        try:
            return lib.tensor([1j]).dtype, (lib.ones(2, dtype=lib.long) * 1j).dtype, (lib.ones(2) * 1j).dtype
        finally:
            lib.set_default_dtype(lib.float32)

    same_as_torch(f)


def test_dtype_attributes():
    same_as_torch(lambda lib: [(d.is_complex, d.is_floating_point, d.is_signed, d.itemsize, d.to_real(),
                                d.to_complex()) for d in (lib.cfloat, lib.cdouble)] + [lib.float64.to_complex()])


@pytest.mark.parametrize("data", [[1, 2j], 1 + 2j, [[1.5, 2j], [3, -1j]], [True, 1j]])
def test_tensor_infers_complex(data):
    same_as_torch(lambda lib: lib.tensor(data))


# ---- printing ----------------------------------------------------------------------------------
PRINTED = [
    [1, 2j], 1 + 2j, [[1e-5 + 3j, 1e4 - 2.5j], [float("nan") + 1j, -0.0 - 0.0j]], [complex(float("inf"), -1), 3 - 1e9j],
    [1e-8j, 1 + 0j], (RNG.standard_normal(30) + 1j * RNG.standard_normal(30)).tolist(),
    (RNG.standard_normal((40, 50)) * 100 + 1j * RNG.standard_normal((40, 50))).tolist(),
]


@pytest.mark.parametrize("data", PRINTED, ids=range(len(PRINTED)))
@pytest.mark.parametrize("dtype", [None, "complex128"])
def test_repr(data, dtype):
    import torch

    ours = torchless.tensor(data, dtype=None if dtype is None else getattr(torchless, dtype))
    ref = torch.tensor(data, dtype=None if dtype is None else getattr(torch, dtype))
    assert repr(ours) == repr(ref)


def test_repr_with_grad_and_empty():
    import torch

    assert repr(torchless.tensor([1j], requires_grad=True)) == repr(torch.tensor([1j], requires_grad=True))
    assert repr(torchless.zeros(0, dtype=torchless.cdouble)) == repr(torch.zeros(0, dtype=torch.cdouble))


# ---- views and flags ---------------------------------------------------------------------------
def test_real_imag_are_views():
    def f(lib):
        t = z(lib)
        r, i = t.real, t.imag
        r.mul_(2)
        t.imag = lib.ones(3, 4, dtype=lib.float64)
        return t, r, i, lib.view_as_real(t), t.real.dtype

    same_as_torch(f)


def test_view_as_real_and_complex_share_memory():
    def f(lib):
        t = z(lib)
        v = lib.view_as_real(t)
        v[0, 0, 0] = 100.0
        back = lib.view_as_complex(v)
        back[1, 1] = 5j
        return t, v.shape, back

    same_as_torch(f)


def test_conj_flags():
    def f(lib):
        t = z(lib)
        c = t.conj()
        return (c.resolve_conj(), c.is_conj(), t.is_conj(), c.conj().is_conj(), c.resolve_conj().is_conj(), c.imag.is_neg(),
                c.imag.resolve_neg().is_neg(), t.conj_physical().is_conj())

    same_as_torch(f)


def test_real_tensor_passthrough():
    def f(lib):
        x = lib.tensor(X, dtype=lib.float64)
        return x.conj() is x, x.real is x, x.resolve_conj() is x, x.is_complex(), z(lib).is_complex()

    same_as_torch(f)


def test_errors():
    raises_like_torch(lambda lib: lib.ones(3).imag, "imag is not implemented")
    raises_like_torch(lambda lib: lib.view_as_real(lib.ones(3)), "only supported for complex")
    raises_like_torch(lambda lib: lib.view_as_complex(lib.ones(3, 3)), "last dimension of size 2")
    raises_like_torch(lambda lib: lib.complex(lib.ones(2, dtype=lib.long), lib.ones(2, dtype=lib.long)), "Expected both")
    raises_like_torch(lambda lib: lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64)), "Expected object of scalar")
    raises_like_torch(lambda lib: z(lib, rg=True).sum().backward(), "real scalar outputs")


@pytest.mark.parametrize("fn", ["abs", "angle", "sgn", "conj", "conj_physical", "real", "cfloat", "cdouble"])
def test_unary_forward(fn):
    same_as_torch(lambda lib: [getattr(lib, fn)(t) if hasattr(lib, fn) else getattr(t, fn)()
                               for t in (z(lib), lib.tensor([-1.0, 0.0, 2.0, float("nan")]))])


def test_polar_and_complex():
    same_as_torch(lambda lib: (lib.polar(lib.tensor([2.0, 0.5], dtype=lib.float64), lib.tensor([0.3, -2.0],
                                                                                              dtype=lib.float64)),
                               lib.complex(lib.tensor([[1.0], [2.0]]), lib.tensor([3.0, 4.0]))))


# ---- complex autograd --------------------------------------------------------------------------
def _vjp(lib, fn, *inputs, seed=0):
    """The output of ``fn`` and its vector-Jacobian product with a fixed (complex) cotangent, the
    gradients recorded (create_graph) and then differentiated once more."""
    rng = np.random.default_rng(seed)
    out = fn(lib, *inputs)
    shape = tuple(out.shape)
    v = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if out.is_complex() else 0)
    grads = lib.autograd.grad(out, inputs, lib.tensor(v, dtype=out.dtype), create_graph=True)
    u = [lib.tensor(rng.standard_normal(tuple(g.shape)) + (1j if g.is_complex() else 0), dtype=g.dtype)
         for g in grads]
    second = lib.autograd.grad(grads, inputs, u, allow_unused=True)
    return out, grads, second


UNARY = ["exp", "log", "sin", "cos", "tanh", "sqrt", "reciprocal", "neg", "abs", "angle", "sgn", "conj",
         "conj_physical", "sinh", "cosh", "tan", "rsqrt", "sigmoid", "expm1", "log1p", "exp2", "log2", "log10"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_vjp(name):
    def f(lib):
        return _vjp(lib, lambda lib, t: getattr(t, name)(), z(lib, rg=True))

    same_as_torch(f, rtol=1e-9)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b, "matmul": lambda a, b: a @ b.reshape(4, 1), "mul_number": lambda a, b: a * (2 - 3j),
    "rdiv_number": lambda a, b: (1 + 1j) / a, "pow_number": lambda a, b: a ** 2.5, "square": lambda a, b: a ** 2,
    "rpow": lambda a, b: (2 + 1j) ** a, "mul_real": lambda a, b: a * b.real, "sum": lambda a, b: (a * b).sum(),
    "mean": lambda a, b: (a * b).mean(0), "mm": lambda a, b: a.mm(b.reshape(4, 1)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_vjp(name):
    def f(lib):
        return _vjp(lib, lambda lib, a, b: BINARY[name](a, b), z(lib, rg=True), z(lib, W, rg=True))

    same_as_torch(f, rtol=1e-9)


def test_real_input_gets_real_gradient():
    def f(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        return _vjp(lib, lambda lib, x: (x * (1 + 2j)).exp() * z(lib), x)

    same_as_torch(f, rtol=1e-9)


@pytest.mark.parametrize("name", ["polar", "complex", "view_as_real", "view_as_complex", "real", "imag"])
def test_complex_construction_vjp(name):
    fns = {
        "polar": lambda lib, a, b: lib.polar(a.abs(), b),
        "complex": lambda lib, a, b: lib.complex(a, b) ** 2,
        "view_as_real": lambda lib, a, b: lib.view_as_real(lib.complex(a, b) ** 2) * 3,
        "view_as_complex": lambda lib, a, b: lib.view_as_complex(lib.stack([a, b], -1)) ** 2,
        "real": lambda lib, a, b: (lib.complex(a, b) ** 2).real,
        "imag": lambda lib, a, b: (lib.complex(a, b) ** 2).imag,
    }

    def f(lib):
        a = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(X, dtype=lib.float64, requires_grad=True) * 0.5
        return _vjp(lib, fns[name], a, b)

    same_as_torch(f, rtol=1e-9)


def test_backward_accumulates_complex_grad():
    def f(lib):
        t = z(lib, rg=True)
        (t * t.conj()).real.sum().backward()
        (t.abs() ** 2).sum().backward()
        return t.grad

    same_as_torch(f)


def test_hermitian_transposes():
    same_as_torch(lambda lib: (z(lib).H, z(lib).mH, z(lib).mT, z(lib).adjoint(), lib.ones(2, 3).H))
