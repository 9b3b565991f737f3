"""SGD (momentum, Nesterov), RMSprop, Adam, AdamW, Adagrad: PyTorch's update rules, with the
formula of each in its docstring. Slugnet's RMSProp is a thin wrapper."""

from __future__ import annotations

import tensorgrad as tg
from tensorgrad import fused

from .optimizer import Optimizer


class SGD(Optimizer):
    """g += wd p;  b = mu b + (1 - dampening) g;  g = g + mu b (nesterov) or b;  p -= lr g."""

    def __init__(self, params=None, lr: float | None = None, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        if lr is not None and lr < 0:
            raise ValueError(f"SGD: invalid learning rate {lr}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.clone()
            else:
                buf.mul_(mu).add_(g, alpha=1 - group["dampening"])
            g = g + buf * mu if group["nesterov"] else buf
        p.add_(g, alpha=-group["lr"])


class RMSprop(Optimizer):
    """v = alpha v + (1 - alpha) g^2;  p -= lr g / (sqrt(v) + eps) (centered: v - mean(g)^2)."""

    default_lr = 0.01

    def __init__(self, params=None, lr: float | None = None, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = tg.zeros_like(p)
            if group["momentum"]:
                state["momentum_buffer"] = tg.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = tg.zeros_like(p)
        state["step"] += 1
        alpha = group["alpha"]
        v = state["square_avg"]
        v.mul_(alpha).add_(g * g, alpha=1 - alpha)
        if group["centered"]:
            state["grad_avg"].mul_(alpha).add_(g, alpha=1 - alpha)
            avg = (v - state["grad_avg"] * state["grad_avg"]).sqrt() + group["eps"]
        else:
            avg = v.sqrt() + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).add_(g / avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.add_(g / avg, alpha=-group["lr"])


class RMSProp(RMSprop):
    """Slugnet's name: RMSProp() without parameters; Model.fit binds them with its lr."""

    def __init__(self, params=None, lr: float | None = None, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(params, lr=lr, alpha=rho, eps=eps)


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t), v^ = v / (1 - b2^t);
    p -= lr m^ / (sqrt(v^) + eps). weight_decay adds wd p to g (L2), as torch.optim.Adam."""

    _decoupled = False
    default_lr = 1e-3

    def __init__(self, params=None, lr: float | None = None, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False):
        if not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1:
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, p, g, state, group):
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self._decoupled:
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + p.detach() * wd
        if not state:
            state["step"] = 0
            state["exp_avg"] = tg.zeros_like(p)
            state["exp_avg_sq"] = tg.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = tg.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        b1, b2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if not group["amsgrad"] and fused.adam_(p, g, m, v, lr=lr, betas=(b1, b2),
                                                 eps=group["eps"], step=t):
            return  # one kernel pass; the formula below where none applies
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).add_(g * g, alpha=1 - b2)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            vmax.copy_(tg.maximum(vmax, v))
            v = vmax
        denom = (v / (1 - b2 ** t)).sqrt() + group["eps"]
        p.add_(m / denom, alpha=-lr / (1 - b1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr wd before the Adam step."""

    _decoupled = True

    def __init__(self, params=None, lr: float | None = None, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class Adagrad(Optimizer):
    """s += g^2;  p -= lr / (1 + (t - 1) lr_decay) g / (sqrt(s) + eps)."""

    default_lr = 0.01

    def __init__(self, params=None, lr: float | None = None, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        if not state:
            state["step"] = 0
            state["sum"] = tg.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"].add_(g * g)
        p.add_(g / (state["sum"].sqrt() + group["eps"]), alpha=-clr)


