"""PyTorch's torch.func for modules: functional_call, with tensorgrad's transforms beside it
(grad, grad_and_value, vmap, vjp, jvp, jacrev, hessian)."""

from __future__ import annotations

import tensorgrad as tg

from .utils.stateless import functional_call

__all__ = ["functional_call", "grad", "grad_and_value", "vmap", "vjp", "jvp", "jacrev",
           "hessian"]

grad = tg.grad
vmap = tg.vmap
vjp = tg.vjp
jvp = tg.jvp
jacrev = tg.jacobian
hessian = tg.hessian


def grad_and_value(f, argnums=0, has_aux: bool = False):
    """torch.func.grad_and_value: f -> (x -> (df/dx, f(x)))."""
    value_and_grad = tg.value_and_grad(f, argnums, has_aux)

    def wrapper(*args, **kwargs):
        value, g = value_and_grad(*args, **kwargs)
        return g, value

    return wrapper
