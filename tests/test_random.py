"""Random numbers: bit for bit torch's CPU generator, after the same seed.

Each test runs the same program with torchless and with torch and asks for equal arrays
(``assert_array_equal``: no tolerance), for many seeds, sizes around torch's thresholds (16 for
the vectorised normal path) and dtypes; plus generator states, isolation and error contracts.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_compare import raises_like_torch, same_as_torch

import torchless as tl

torch = pytest.importorskip("torch")

SEEDS = (0, 1, 7, 12345, 2**32 + 3, 2**63 + 5)
SIZES = (1, 2, 3, 5, 8, 15, 16, 17, 31, 32, 33, 40, 255, 256, 257, 1000)
FLOATS = ("float32", "float64", "float16")


def same_draws(program, seeds=SEEDS):
    """``program(lib)`` after ``lib.manual_seed(s)`` gives the same arrays in both libraries."""
    for s in seeds:
        tl.manual_seed(s)
        torch.manual_seed(s)
        ours, ref = program(tl), program(torch)
        ours, ref = (ours, ref) if isinstance(ref, (list, tuple)) else ([ours], [ref])
        for a, b in zip(ours, ref):
            assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"seed {s}")


# ---- the generator itself ---------------------------------------------------------------------
def test_state_bytes_match_torch():
    for s in SEEDS:
        tl.manual_seed(s)
        torch.manual_seed(s)
        np.testing.assert_array_equal(tl.get_rng_state().numpy(), torch.get_rng_state().numpy())
        tl.randn(5)  # draws, and keeps a cached normal value
        torch.randn(5)
        np.testing.assert_array_equal(tl.get_rng_state().numpy(), torch.get_rng_state().numpy())
        tl.rand(700)  # past a twist of the state
        torch.rand(700)
        np.testing.assert_array_equal(tl.get_rng_state().numpy(), torch.get_rng_state().numpy())


def test_set_state_from_torch_and_round_trip():
    torch.manual_seed(3)
    torch.rand(10)
    torch.randn(3)
    tl.set_rng_state(tl.tensor(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(tl.randn(7).numpy(), torch.randn(7).numpy())
    state = tl.get_rng_state()
    a = tl.rand(5)
    tl.set_rng_state(state)
    assert tl.equal(a, tl.rand(5))


def test_set_state_errors():
    raises_like_torch(lambda t: t.set_rng_state(t.zeros(10, dtype=t.uint8)), "size")
    raises_like_torch(lambda t: t.Generator().set_state(t.zeros(5056, dtype=t.uint8)), "Invalid mt19937 state")


def test_generator_objects():
    def f(t):
        g = t.Generator()
        out = [g.initial_seed(), g.manual_seed(5) is g, g.initial_seed(), str(g.device)]
        a = t.rand(4, generator=g)
        state = g.get_state()
        b = t.randn(20, generator=g)
        g.set_state(state)
        return out + [a, b, t.randn(20, generator=g), t.Generator().manual_seed(-1).initial_seed()]

    same_as_torch(f, exact=True)


def test_generators_are_isolated():
    g = tl.Generator().manual_seed(1)
    tl.manual_seed(1)
    a = tl.rand(3, generator=g)
    b = tl.rand(3)
    assert tl.equal(a, b)
    tl.rand(5, generator=g)  # the default one does not move
    c = tl.rand(3)
    tl.manual_seed(1)
    tl.rand(3)
    assert tl.equal(c, tl.rand(3))


def test_seed_functions():
    for s in (0, 5, -1, 2**64 - 1, -(2**63), 1.5):
        same_as_torch(lambda t, s=s: t.manual_seed(s).initial_seed())
        same_as_torch(lambda t, s=s: (t.manual_seed(s), t.initial_seed())[1])
    raises_like_torch(lambda t: t.manual_seed(2**64), "Overflow")
    s = tl.seed()
    assert isinstance(s, int) and tl.initial_seed() == s
    assert tl.default_generator.initial_seed() == s
    assert tl.random.initial_seed() == s


def test_fork_rng():
    tl.random.manual_seed(2)
    with tl.random.fork_rng():
        a = tl.rand(3)
    assert tl.equal(a, tl.rand(3))


# ---- rand, randn: every size and dtype ----------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand(dtype):
    same_draws(lambda t: [t.rand(n, dtype=getattr(t, dtype)) for n in SIZES])


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn(dtype):
    same_draws(lambda t: [t.randn(n, dtype=getattr(t, dtype)) for n in SIZES])


def test_randn_shapes_and_cache():
    # small ones use Box-Muller one pair at a time, keeping the second value for the next call
    same_draws(lambda t: [t.randn(3), t.randn(1), t.randn(2, 3), t.randn(()), t.randn(4, 5), t.randn(0),
                          t.randn(5, dtype=t.float64), t.randn(2, 2, 5)])


def test_large_sizes():
    same_draws(lambda t: [t.randn(100003), t.rand(10007), t.randn(4099, dtype=t.float64)], seeds=(0, 9))


def test_uniform_normal_inplace():
    def f(t):
        out = []
        for dt in (t.float32, t.float64, t.float16):
            for n in (5, 16, 33):
                out.append(t.empty(n, dtype=dt).uniform_(-3.7, 2.9))
                out.append(t.empty(n, dtype=dt).normal_(0.5, 2.5))
        return out

    same_draws(f)


def test_noncontiguous_fills_follow_memory_order():
    def f(t):
        x = t.zeros(6, 5).t()
        y = t.zeros(4, 8)[:, ::2]
        return [x.uniform_(), t.zeros(3, 10).t().normal_(), t.zeros(20, 3).t().normal_(), y.normal_(), x.bernoulli_(0.3),
                t.rand_like(t.zeros(5, 4).t()), t.randn_like(t.zeros(8, 4).t())]

    same_draws(f)


def test_random_dtype_errors():
    raises_like_torch(lambda t: t.rand(3, dtype=t.int64), "not implemented for 'Long'")
    raises_like_torch(lambda t: t.randn(3, dtype=t.int64), "not implemented for 'Long'")
    raises_like_torch(lambda t: t.empty(3, dtype=t.int32).uniform_(), "not implemented for 'Int'")
    raises_like_torch(lambda t: t.empty(3).uniform_(2, 1), "from=2 > to=1")
    raises_like_torch(lambda t: t.empty(3).normal_(0, -1), "std >= 0.0")


# ---- integers -----------------------------------------------------------------------------------
RANGES = [(0, 10, "int64"), (-5, 7, "int32"), (0, 2**40, "int64"), (-(2**63), 2**63 - 1, "int64"),
          (3, 200, "uint8"), (0, 2**40, "float64"), (-100, 100, "int8"), (0, 2, "bool"), (-7, 1000, "float32"),
          (0, 2**31 - 1, "int32"), (0, 2**32, "int64"), (0, 2**32 - 1, "int64"), (5, 6, "int16"),
          (0, 2**28 - 1, "int64"), (0, 2**28, "int32"), (-(2**27), 2**27, "int64"), (0, 2**28, "float32"),
          (0, 2**28 + 1, "float32"), (3, 2000, "float16")]


@pytest.mark.parametrize("low,high,dtype", RANGES)
def test_randint(low, high, dtype):
    same_draws(lambda t: [t.randint(low, high, (n,), dtype=getattr(t, dtype)) for n in (1, 7, 40)])


def test_randint_forms_and_errors():
    same_draws(lambda t: [t.randint(10, (2, 3)), t.randint(-3, 3, size=(5,)), t.randint_like(t.zeros(4), 9),
                          t.randint_like(t.zeros(2, 3, dtype=t.int32), 2, 20), t.randint(3, (4,), dtype=t.float16)])
    raises_like_torch(lambda t: t.randint(5, 5, (3,)), "from=5 >= to=5")
    raises_like_torch(lambda t: t.randint(0, 300, (3,), dtype=t.uint8), "out of bounds")
    raises_like_torch(lambda t: t.randint(3, 2**30, (3,), dtype=t.float16), "to - 1 is out of bounds for c10::Half")


def test_random_():
    def f(t):
        out = [t.empty(6, dtype=getattr(t, d)).random_() for d in ("int64", "int32", "int16", "int8", "uint8", "bool",
                                                                     "float32", "float64", "float16")]
        out += [t.empty(6).random_(10), t.empty(6, dtype=t.int64).random_(-4, 9), t.empty(6, dtype=t.int64).random_(5, None),
                t.empty(6, dtype=t.int64).random_(-(2**63), None), t.empty(5).random_(3, to=None)]
        return out

    same_draws(f)


# ---- randperm -----------------------------------------------------------------------------------
def test_randperm():
    same_draws(lambda t: [t.randperm(n) for n in (0, 1, 2, 3, 5, 10, 17, 100, 1000, 20000)])
    same_draws(lambda t: [t.randperm(9, dtype=t.float32), t.randperm(9, dtype=t.int32)])
    raises_like_torch(lambda t: t.randperm(-1), "")


# ---- bernoulli ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ("float32", "float64", "int64", "bool", "uint8"))
def test_bernoulli_scalar_p(dtype):
    same_draws(lambda t: [t.empty(n, dtype=getattr(t, dtype)).bernoulli_(p) for n in (1, 5, 17, 300)
                          for p in (0.0, 0.1, 0.5, 0.9, 1.0)])


def test_bernoulli_tensor_p():
    def f(t):
        p32 = t.rand(4, 7)
        p64 = t.rand(4, 7, dtype=t.float64)
        return [t.bernoulli(p32), t.bernoulli(p64), t.empty(4, 7).bernoulli_(p64), t.empty(3, 4, 7).bernoulli_(p32),
                p32.bernoulli(), t.bernoulli(p32, 0.25), t.empty(4, 7, dtype=t.float64).bernoulli_(p32[0])]

    same_draws(f)


def test_dropout_mask():
    """torch's CPU dropout: input * empty_like(input).bernoulli_(1 - p) / (1 - p)."""
    def f(t):
        x = t.randn(8, 33)
        return [x * t.empty_like(x).bernoulli_(0.9) / 0.9, x.double() * t.empty_like(x.double()).bernoulli_(0.5) / 0.5]

    same_draws(f)


def test_bernoulli_errors():
    raises_like_torch(lambda t: t.empty(3).bernoulli_(1.5), r"bernoulli_ expects p to be in \[0, 1\]")
    raises_like_torch(lambda t: t.bernoulli(t.tensor([1.5])), "p_in >= 0")


# ---- the other distributions -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
def test_distributions(dtype):
    def f(t):
        d = getattr(t, dtype)
        return [t.empty(n, dtype=d).exponential_(2.5) for n in (1, 17)] + [
            t.empty(n, dtype=d).cauchy_(0.5, 2.0) for n in (1, 17)] + [
            t.empty(n, dtype=d).geometric_(0.3) for n in (1, 17)] + [
            t.empty(n, dtype=d).log_normal_(0.2, 0.5) for n in (1, 2, 17)]

    same_draws(f)


def test_geometric_integer_dtype():
    same_draws(lambda t: [t.empty(9, dtype=t.int64).geometric_(0.2), t.empty(9, dtype=t.int32).geometric_(0.7)])


def test_distribution_errors():
    raises_like_torch(lambda t: t.empty(3).geometric_(0), "p to be in")
    raises_like_torch(lambda t: t.empty(3).exponential_(-1), "lambda > 0.0")


# ---- normal with tensors, and its gradient ---------------------------------------------------------
def test_normal_forms():
    def f(t):
        m, s = t.arange(6.0).reshape(2, 3), t.rand(3) + 0.5
        m17 = t.arange(17.0)
        return [t.normal(m, s), t.normal(m, 2.0), t.normal(1.0, s), t.normal(m17, 0.5), t.normal(-1.0, m17 + 1),
                t.normal(2.0, 3.0, (4, 5)), t.normal(m.double(), 1.5)]

    same_draws(f)


def test_normal_gradient_is_zero():
    def f(t):
        m = t.tensor([0.0, 1.0, 2.0], requires_grad=True)
        s = t.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        out = t.normal(m, s)
        out.sum().backward()
        return [out.requires_grad, type(out.grad_fn).__name__, m.grad, s.grad]

    same_as_torch(f)


def test_normal_errors():
    raises_like_torch(lambda t: t.normal(t.zeros(3), t.tensor([1.0, -1.0, 1.0])), "std >= 0.0")
    raises_like_torch(lambda t: t.normal(t.zeros(3), t.ones(4)), "must match the size")


# ---- multinomial --------------------------------------------------------------------------------
def test_multinomial():
    def f(t):
        p = t.tensor([0.1, 0.2, 0.3, 0.4])
        w = t.rand(3, 10)
        return [t.multinomial(p, 1), t.multinomial(p, 3), t.multinomial(p, 10, replacement=True),
                t.multinomial(w, 4), t.multinomial(w, 20, True), t.multinomial(w.double(), 5, True),
                w.multinomial(1), t.multinomial(t.tensor([0.0, 5.0, 0.0]), 2, True)]

    same_draws(f)


def test_multinomial_errors():
    raises_like_torch(lambda t: t.multinomial(t.tensor([0.5, 0.5]), 3), "without replacement")
    raises_like_torch(lambda t: t.multinomial(t.tensor([1, 2]), 1), "floating-point")
    raises_like_torch(lambda t: t.multinomial(t.tensor([1.0, -2.0]), 1), "element < 0")
    raises_like_torch(lambda t: t.multinomial(t.tensor([0.0, 0.0]), 1, True), "sum of probabilities")


# ---- like forms and generator arguments ----------------------------------------------------------
def test_like_and_generator_arguments():
    def f(t):
        g = t.Generator().manual_seed(11)
        x = t.zeros(3, 17)
        return [t.rand_like(x), t.randn_like(x), t.randn_like(x, dtype=t.float64), t.rand(4, generator=g),
                t.randn(20, generator=g), t.randint(0, 5, (6,), generator=g), t.randperm(7, generator=g),
                t.empty(5).uniform_(generator=g), t.empty(5).normal_(generator=g), t.bernoulli(t.rand(5), generator=g),
                t.multinomial(t.rand(6), 3, generator=g), t.normal(t.zeros(5), 1.0, generator=g),
                t.empty(4).exponential_(generator=g), t.rand_like(x, generator=g), t.randint_like(x, 10, generator=g)]

    same_draws(f)


def test_inplace_sampling_records_a_zero_gradient():
    def f(t):
        x = t.ones(3, requires_grad=True)
        y = x * 2
        y.uniform_()
        y.sum().backward()
        return [type(y.grad_fn).__name__, x.grad]

    same_as_torch(f)
    raises_like_torch(lambda t: t.ones(2, requires_grad=True).normal_(), "leaf Variable")


def test_requires_grad_flags():
    same_as_torch(lambda t: [t.rand(2, requires_grad=True).requires_grad, t.randn(17, requires_grad=True).requires_grad,
                             t.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad])


def test_size_forms():
    same_draws(lambda t: [t.rand(size=(2, 3)), t.randn(size=[4]), t.randint(high=5, size=(3,)), t.rand((2, 2)),
                          t.randn(t.Size([3, 1]))])
    raises_like_torch(lambda t: t.rand(2, size=(3,)), "invalid combination")
