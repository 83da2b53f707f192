"""torchless.autograd: the reverse-mode engine's public face."""

from .._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .._legacy import Variable
from . import anomaly_mode, forward_ad, function, functional, graph
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .api import backward, grad
from .function import Function, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .lint import FunctionLintWarning, lint_functions
from .strict import strict
from .trace import trace_backward

__all__ = ["backward", "grad", "Function", "once_differentiable", "gradcheck", "gradgradcheck", "GradcheckError",
           "Variable", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "function",
           "functional", "graph", "anomaly_mode", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "trace_backward", "lint_functions", "FunctionLintWarning", "strict", "forward_ad"]
