"""randn / rand / randint of a million numbers: torchless's time over torch's (same numbers)."""

import timeit

import torch

import torchless as tl


def best(fn, repeat=7):
    return min(timeit.repeat(fn, number=1, repeat=repeat))


if __name__ == "__main__":
    n = 1_000_000
    cases = {
        "randn float32": (lambda: tl.randn(n), lambda: torch.randn(n)),
        "randn float64": (lambda: tl.randn(n, dtype=tl.float64), lambda: torch.randn(n, dtype=torch.float64)),
        "rand float32": (lambda: tl.rand(n), lambda: torch.rand(n)),
        "randint": (lambda: tl.randint(0, 100, (n,)), lambda: torch.randint(0, 100, (n,))),
        "randperm": (lambda: tl.randperm(n), lambda: torch.randperm(n)),
        "bernoulli_(0.5)": (lambda: tl.empty(n).bernoulli_(0.5), lambda: torch.empty(n).bernoulli_(0.5)),
        "randn(100)": (lambda: tl.randn(100), lambda: torch.randn(100)),
    }
    for name, (ours, ref) in cases.items():
        a, b = best(ours), best(ref)
        print(f"{name:18} torchless {a * 1e3:8.2f} ms   torch {b * 1e3:8.2f} ms   ratio {a / b:6.1f}")
