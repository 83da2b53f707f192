"""Topic files that load on first use (src/torchless/ops/_lazy.py): ``import torchless`` loads only the
core, and every name of the others works the first time it is used, however it is reached."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> str:
    """Run ``code`` in a fresh interpreter (this one has loaded everything) and return its output."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_index_is_current():
    """ops/_index.py is what the registry says today (else: regenerate it, see ops/_lazy.py)."""
    from pathlib import Path

    import torchless.ops._lazy as lazy

    current = Path(lazy.__file__).with_name("_index.py").read_text()
    assert lazy.build_index() == current, (
        'ops/_index.py is stale: python -c "from torchless.ops import _lazy; _lazy.write_index()"')


def test_import_loads_only_the_core():
    out = run("import sys, torchless; print(sorted(m for m in sys.modules if m.startswith('torchless.ops.')"
              " and m.split('.')[2] not in torchless.ops.CORE and not m.split('.')[2].startswith('_'))); "
              "print('numpy.random' in sys.modules, 'scipy' in sys.modules)")
    assert out.splitlines() == ["[]", "False False"]


@pytest.mark.parametrize("expr, expected", [
    ("torch.sort(torch.tensor([3., 1., 2.])).values.tolist()", "[1.0, 2.0, 3.0]"),
    ("torch.tensor([3., 1., 2.]).sort().indices.tolist()", "[1, 2, 0]"),
    ("torch.Tensor.argsort(torch.tensor([3., 1., 2.])).tolist()", "[1, 2, 0]"),
    ("torch.linalg.det(2 * torch.eye(3)).item()", "8.0"),
    ("torch.det(2 * torch.eye(2)).item()", "4.0"),
    ("(torch.eye(2) @ torch.ones(2)).tolist()", "[1.0, 1.0]"),
    ("torch.nn.functional.relu(torch.tensor([-1., 2.])).tolist()", "[0.0, 2.0]"),
    ("torch.zeros(3).index_fill_(0, torch.tensor([1]), 5.).tolist()", "[0.0, 5.0, 0.0]"),
    ("torch.special.expit(torch.tensor(0.)).item()", "0.5"),
    ("torch.tensor([1., 2.]).cumsum(0).tolist()", "[1.0, 3.0]"),
    ("'sort' in dir(torch) and 'cumsum' in dir(torch.Tensor) and 'svd' in dir(torch.linalg)", "True"),
    ("hasattr(torch.tensor(1.), 'kthvalue') and not hasattr(torch.tensor(1.), 'nosuch')", "True"),
    ("type(torch.ops.aten.slice).__name__", "function"),
])
def test_first_use_loads(expr, expected):
    assert run(f"import torchless as torch; print({expr})") == expected


def test_gradient_through_a_lazily_loaded_op():
    out = run("import torchless as torch\n"
              "x = torch.tensor([3., 1., 2.], requires_grad=True)\n"
              "(x.sort().values * torch.tensor([1., 2., 3.])).sum().backward()\n"
              "print(x.grad.tolist())")
    assert out == "[3.0, 1.0, 2.0]"


@pytest.mark.parametrize("expr, error", [
    ("torch.nosuch", "module 'torchless' has no attribute 'nosuch'"),
    ("torch.tensor(1.).nosuch", "'Tensor' object has no attribute 'nosuch'"),
    ("torch.linalg.nosuch", "module 'torchless.linalg' has no attribute 'nosuch'"),
])
def test_unknown_names_raise_attribute_error(expr, error):
    out = run(f"import torchless as torch\ntry:\n    {expr}\nexcept AttributeError as e:\n    print(e)")
    assert out == error
