"""The tutorial programs in examples/ print under torchless what they print under PyTorch.

Each example is written for PyTorch (``import torch``). It runs twice in a fresh subprocess: as
written, with the real torch, and through ``examples/with_torchless.py``, which installs
torchless as ``torch`` and changes nothing else. The two stdouts are compared line by line.

Text must match exactly (object addresses such as ``0x7f...`` aside), and so must integers
(counts, sizes, labels). Other numbers may differ by float rounding, within ``RTOL`` relative or
one unit in the last printed decimal: the two libraries sum in different orders (NumPy's BLAS
against torch's kernels for matmul and convolution, pairwise against vectorised reductions), so a
float32 ``loss.item()`` printed with all 17 digits agrees to about 1e-6 relative after a few
hundred training steps (1.3e-6 the largest seen), and a value printed to 4 decimals can round the
other way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RTOL = 1e-5
TIMEOUT = 120

PROGRAMS = [
    "nn_polynomial",
    "nn_tutorial_mnist",
    "neural_networks_lenet",
    "build_the_neural_network",
    "optimizing_model_parameters",
    "save_and_load",
    "char_rnn_classification",
    "per_sample_grads",
]

# one thread for BLAS and torch: the runs are reproducible and do not oversubscribe the CPUs
ENV = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
           OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src"))

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def run(*args: str) -> str:
    p = subprocess.run([sys.executable, *args], check=False, capture_output=True, text=True, timeout=TIMEOUT,
                       env=ENV, cwd=ROOT)
    if p.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}", pytrace=False)
    return p.stdout


def last_digit(token: str) -> float:
    """One unit in the last printed decimal of a number: 1e-4 for '0.1234', 1e-6 for '1.5e-05';
    0 for integers and for '1.' (counts, sizes, labels and whole values must match)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals) if decimals else 0.0


def same_line(a: str, b: str) -> bool:
    a, b = ADDRESS.sub("0x?", a), ADDRESS.sub("0x?", b)
    if a == b:
        return True
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        if "." not in x + y and "e" not in (x + y).lower():  # integers: exactly
            if x != y:
                return False
            continue
        tol = max(RTOL * max(abs(float(x)), abs(float(y))), last_digit(x), last_digit(y))
        if abs(float(x) - float(y)) > tol * (1 + 1e-9):
            return False
    return True


def test_same_line_tolerance():
    assert same_line("tensor([0.0524, 0.0986])", "tensor([0.0525, 0.0986])")
    assert same_line("99 582.650390625", "99 582.6504211425781")
    assert same_line("<AddmmBackward0 object at 0x7fb3>", "<AddmmBackward0 object at 0x7ab1>")
    assert not same_line("tensor([0.0524])", "tensor([0.0526])")
    assert not same_line("99 582.65", "99 583.65")
    assert not same_line("Linear(in_features=3)", "Linear(in_features=4)")
    assert not same_line("tensor([1., 0.])", "tensor([0., 1.])")
    assert not same_line("<MseLossBackward0 object>", "<MSELossBackward0 object>")


@pytest.mark.parametrize("name", PROGRAMS)
def test_example_prints_what_torch_prints(name):
    program = str(EXAMPLES / f"{name}.py")
    want = run(program).splitlines()
    got = run(str(EXAMPLES / "with_torchless.py"), program).splitlines()
    for i, (w, g) in enumerate(zip(want, got)):
        assert same_line(w, g), f"line {i + 1}:\n  torch:     {w}\n  torchless: {g}"
    assert len(got) == len(want), f"torch printed {len(want)} lines, torchless {len(got)}"
