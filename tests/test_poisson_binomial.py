"""torch.poisson and torch.binomial: torch's samples for torch's seed, number for number."""

from __future__ import annotations

import pytest
from torch_compare import raises_like_torch, same_as_torch


def seeded(fn):
    def run(lib):
        lib.manual_seed(0)
        out = fn(lib)
        return out, lib.rand(3)  # (and the generator is left where torch leaves it)

    return run


def test_poisson_small_and_large_rates():
    same_as_torch(seeded(lambda lib: lib.poisson(lib.tensor([0.5, 3.0, 15.0, 0.0, 100.0, 9.99, 10.0, 1e6, 1e-3]))),
                  exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_poisson_many_rates(dtype):
    same_as_torch(seeded(lambda lib: lib.poisson((lib.rand(2000) * 40).to(getattr(lib, dtype)))), exact=True)


def test_poisson_follows_memory_order_and_generators():
    same_as_torch(seeded(lambda lib: (lib.poisson((lib.rand(100, 3) * 20).t()),
                                      lib.poisson(lib.full((4,), 12.0), lib.Generator().manual_seed(3)),
                                      lib.poisson(lib.zeros(0, 3)))), exact=True)


def test_poisson_gradient_is_zero():
    def run(lib):
        rates = lib.tensor([1.0, 20.0], requires_grad=True)
        out = lib.poisson(rates)
        out.sum().backward()
        return out, type(out.grad_fn).__name__, rates.grad

    same_as_torch(seeded(run), exact=True)


def test_poisson_refusals():
    raises_like_torch(lambda lib: lib.poisson(lib.tensor([1.0, -1.0])), "expected rate to be non-negative")
    raises_like_torch(lambda lib: lib.poisson(lib.tensor([float("nan")])), "expected rate to be non-negative")
    raises_like_torch(lambda lib: lib.poisson(lib.tensor([1])), "not implemented for 'Long'")


def test_poisson_infinite_rate():
    same_as_torch(seeded(lambda lib: lib.poisson(lib.tensor([float("inf"), 5.0]))), exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binomial_every_regime(dtype):
    def run(lib):
        d = getattr(lib, dtype)
        n = lib.randint(0, 200, (3000,)).to(d)
        return (lib.binomial(n, lib.rand(3000).to(d)),  # inversion and BTRS, p below and above 1/2
                lib.binomial(lib.full((1000,), 1e6, dtype=d), (lib.rand(1000) * 0.01).to(d)),
                lib.binomial((lib.rand(1000) * 1e4).floor().to(d), lib.rand(1000).to(d)),
                lib.binomial(lib.tensor([10.0, 0.0, -3.0, 7.0, 7.0], dtype=d),
                             lib.tensor([0.5, 0.5, 0.5, 0.0, 1.0], dtype=d)))

    same_as_torch(seeded(run), exact=True)


def test_binomial_broadcasts_and_takes_a_generator():
    same_as_torch(seeded(lambda lib: (lib.binomial(lib.tensor([10.0, 100.0]), lib.tensor([0.5])),
                                      lib.binomial(lib.tensor([[5.0], [50.0]]), lib.tensor([0.3, 0.9])),
                                      lib.binomial(lib.tensor([40.0]), lib.tensor([0.4]),
                                                   generator=lib.Generator().manual_seed(5)))), exact=True)


def test_binomial_nan_probability_and_no_derivative():
    def run(lib):
        count = lib.tensor([10.0], requires_grad=True)
        out = lib.binomial(count, lib.tensor([0.4]))
        return lib.binomial(lib.tensor([10.0]), lib.tensor([float("nan")])), out, type(out.grad_fn).__name__

    same_as_torch(seeded(run), exact=True)
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([10.0], requires_grad=True), lib.tensor([0.4])).sum()
                      .backward(), "derivative for aten::binomial is not implemented")


def test_binomial_refusals():
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([10]), lib.tensor([0.5])), "floating-point dtypes for count")
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([10.0]), lib.tensor([1])), "floating-point dtypes for prob")
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([10.0]), lib.tensor([0.5], dtype=lib.float64)),
                      "Found dtype Double but expected Float")
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([10.0]).half(), lib.tensor([0.5]).half()),
                      "not implemented for 'Half'")
    raises_like_torch(lambda lib: lib.binomial(lib.tensor([1.0, 2.0]), lib.tensor([0.1, 0.2, 0.3])), "size of tensor")
