"""Run one expression on torch and on torchless and compare: nesting, values, shapes, grad state,
or the error raised."""

from __future__ import annotations

import numpy as np
import pytest

import torchless as tl

torch = pytest.importorskip("torch")


def assert_same_tree(a, b, path="out"):
    """Same python structure (tuple/list/dict), and at the leaves tensors equal in value,
    shape and requires_grad."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, tl.Tensor), f"{path}: expected a Tensor, got {type(b).__name__}"
        assert tuple(a.shape) == tuple(b.shape), f"{path}: shape {tuple(b.shape)} != {tuple(a.shape)}"
        assert a.requires_grad == b.requires_grad, f"{path}: requires_grad {b.requires_grad} != {a.requires_grad}"
        np.testing.assert_allclose(np.asarray(b.detach()._data), a.detach().numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=path)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: {b!r} vs {a!r}"
        for k in a:
            assert_same_tree(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b), f"{path}: {type(b).__name__} != {type(a).__name__}"
        assert len(a) == len(b), f"{path}: length {len(b)} != {len(a)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {b!r} != {a!r}"


def same(make):
    """``make(lib)`` on both libraries gives the same tree."""
    assert_same_tree(make(torch), make(tl))


def same_error(make, match_message=True):
    """``make(lib)`` raises the same exception type (and message) on both libraries."""
    with pytest.raises(Exception) as expected:
        make(torch)
    with pytest.raises(type(expected.value)) as got:
        make(tl)
    if match_message:
        want = str(expected.value).replace("torch.Size", "Size")
        assert str(got.value).replace("torch.Size", "Size").replace("torchless.", "") == want.replace("torch.", "")


def T(lib, values, requires_grad=False):
    """A float64 tensor of ``values`` in ``lib``."""
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)
