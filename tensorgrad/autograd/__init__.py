"""The tape: Function (primitives and custom ops), the backward engine, grad mode, transforms."""

from .function import AnomalyError, Function
from .functional import backward, grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp, vmap
from .hooks import RemovableHandle
from .mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "AnomalyError", "Function", "backward", "grad", "hessian", "jacobian", "value_and_grad", "vjp",
    "jvp", "hvp", "vmap",
    "detect_anomaly", "enable_grad", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_grad_enabled", "inference_mode", "RemovableHandle",
]
