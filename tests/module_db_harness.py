"""Tests generated from torch's ``module_db``, for any list of nn layers.

A layer's test file needs two lines::

    from module_db_harness import module_db_test
    test_module_db = module_db_test(["nn.Conv2d", "nn.MaxPool2d"])

That is one test per sample of each ModuleInfo, in training and in eval mode: torch's module and
the torchless module are built from the sample's constructor arguments after the same seed (their
initial parameters must be bit-identical, except for lazy modules, whose parameters appear on the
first call), parameters are copied over, and forward outputs, buffers after forward, and the
gradients of inputs and parameters are compared (``nn_module_db_compare.compare_sample``). A name
torchless.nn does not have yet is reported as skipped, "not built yet"; one torch's module_db does
not list, as skipped too.

``python tests/module_db_harness.py`` prints which module_db entries torchless builds.
"""

from __future__ import annotations

import pytest
from nn_module_db_compare import MODULE_DB, compare_sample, samples

import torchless


def built(name: str) -> bool:
    """Whether torchless.nn has the class of module_db entry ``name`` ("nn.Linear")."""
    return hasattr(torchless.nn, name.rsplit(".", 1)[-1])


def module_db_cases(names: list[str], modes: tuple = (True, False)) -> list:
    """One pytest.param(name, index, training) per sample of each named ModuleInfo and mode."""
    cases = []
    for name in names:
        if name not in MODULE_DB:
            cases.append(pytest.param(name, 0, True, id=f"{name[3:]}", marks=pytest.mark.skip(
                reason="not in torch's module_db")))
        elif not built(name):
            cases.append(pytest.param(name, 0, True, id=f"{name[3:]}", marks=pytest.mark.skip(reason="not built yet")))
        else:
            for training in modes:
                mode = "train" if training else "eval"
                cases += [pytest.param(name, i, training, id=f"{name[3:]}-{mode}-{i}")
                          for i in range(len(samples(name, training)))]
    return cases


def module_db_test(names: list[str], tol: float = 1e-7, modes: tuple = (True, False), skip: dict | None = None):
    """A test function over the module_db samples of ``names`` (assign it to a ``test_`` name).
    ``skip`` maps a case id (``"Linear-train-3"``) to the reason it is skipped."""
    skip = skip or {}

    @pytest.mark.parametrize("name,index,training", module_db_cases(names, modes))
    def test(name: str, index: int, training: bool, request) -> None:
        case_id = request.node.callspec.id
        if case_id in skip:
            pytest.skip(skip[case_id])
        compare_sample(name, index, tol=tol, check_init="Lazy" not in name, training=training)

    return test


if __name__ == "__main__":
    names = sorted(MODULE_DB)
    missing = [n for n in names if not built(n)]
    print(f"torch's module_db: {len(names)} entries; torchless builds {len(names) - len(missing)}")
    for name in missing:
        print(f"  not built yet: {name}")
