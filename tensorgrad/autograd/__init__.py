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


def _pytorch_style(check, name):
    def run(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
            raise_exception: bool = True, **_ignored) -> bool:
        import importlib

        module = importlib.import_module("tensorgrad.testing.gradcheck")
        inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
        try:
            return getattr(module, check)(func, *inputs, eps=eps, atol=atol, rtol=rtol)
        except module.GradcheckError:
            if raise_exception:
                raise
            return False

    run.__name__ = run.__qualname__ = name
    run.__doc__ = (f"PyTorch's torch.autograd.{name}(func, inputs, eps, atol, rtol, "
                   f"raise_exception): tensorgrad.testing.{check} with inputs as one tuple (in "
                   "float64 central differences; other keyword arguments are accepted and "
                   "ignored).")
    return run


gradcheck = _pytorch_style("gradcheck", "gradcheck")
gradgradcheck = _pytorch_style("gradgradcheck", "gradgradcheck")

__all__ = [
    "AnomalyError", "Function", "backward", "grad", "hessian", "jacobian", "value_and_grad", "vjp",
    "jvp", "hvp", "vmap", "gradcheck", "gradgradcheck",
    "detect_anomaly", "enable_grad", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "set_grad_enabled", "inference_mode", "RemovableHandle",
]
