"""Anomaly mode's torchless extensions: detect_anomaly(forward=True, check_inf=True) stops at the
op where a value stops being finite, naming the op, the operand elements and the user's line."""

from __future__ import annotations

import pytest

import torchless as torch

pytestmark = pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")


def test_forward_names_the_op_the_element_and_the_line():
    x = torch.tensor([1.0, 2.0, 0.0, 4.0], requires_grad=True)
    with torch.autograd.detect_anomaly(forward=True, check_inf=True):
        y = x * 2
        with pytest.raises(RuntimeError) as info:
            y.log()  # the line the error names
    message = str(info.value)
    assert message.startswith("Anomaly in forward: LogBackward0 produced -inf at index (2,)")
    assert "input 0: [4] float32, 0.0 there" in message
    assert "test_anomaly_forward.py" in message and "y.log()  # the line the error names" in message


def test_nan_is_caught_without_check_inf_and_inf_is_not():
    x = torch.tensor([-1.0, 0.0], requires_grad=True)
    with torch.autograd.detect_anomaly(forward=True):
        (x + 1).log()  # log(0) = -inf: not an anomaly without check_inf
        with pytest.raises(RuntimeError, match=r"SqrtBackward0 produced nan at index \(0,\)"):
            x.sqrt()


def test_backward_infinities_with_check_inf():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly(check_inf=True):
        y = x.sqrt()  # forward is fine (0), its gradient is not (1 / (2 * 0))
        with pytest.warns(UserWarning, match="Error detected in SqrtBackward0"), \
                pytest.raises(RuntimeError, match="returned inf values"):
            y.sum().backward()


def test_off_by_default_and_outside_the_block():
    x = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.detect_anomaly():
        assert torch.isinf(x.log()).all()  # torch's anomaly mode does not look at forward
    assert torch.isinf(x.log()).all()
    assert not torch.is_anomaly_enabled()
