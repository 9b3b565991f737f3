"""SGD (momentum, Nesterov), RMSprop, Adam, AdamW, Adagrad, ASGD, Adamax, NAdam, RAdam, Adadelta:
PyTorch's update rules, with the formula of each in its docstring. Slugnet's RMSProp is a thin
wrapper."""

from __future__ import annotations

import math

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


class ASGD(Optimizer):
    """Averaged SGD (Polyak-Ruppert): p = p (1 - lambd eta) - eta g; the average ax follows p
    with weight mu; then eta = lr / (1 + lambd lr t)^alpha and mu = 1 / max(1, t - t0).
    state["ax"] holds the averaged parameters."""

    default_lr = 0.01

    def __init__(self, params=None, lr: float | None = None, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        if not state:
            state["step"], state["eta"], state["mu"] = 0, group["lr"], 1.0
            state["ax"] = tg.zeros_like(p)
        state["step"] += 1
        eta = state["eta"]
        p.mul_(1 - group["lambd"] * eta)
        p.add_(g, alpha=-eta)
        if state["mu"] != 1:
            state["ax"].add_((p.detach() - state["ax"]) * state["mu"])
        else:
            state["ax"].copy_(p.detach())
        t = state["step"]
        state["eta"] = group["lr"] / (1 + group["lambd"] * group["lr"] * t) ** group["alpha"]
        state["mu"] = 1 / max(1, t - group["t0"])




class _Moments(Optimizer):
    """The first and second moment state of the Adam family (exp_avg, exp_avg_sq, step)."""

    def _moments(self, p, g, state, group, second: str = "exp_avg_sq"):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = tg.zeros_like(p)
            state[second] = tg.zeros_like(p)
        state["step"] += 1
        b1 = group["betas"][0]
        state["exp_avg"].mul_(b1).add_(g, alpha=1 - b1)
        return g, state["step"], state["exp_avg"], state[second]


def _betas(name, betas):
    if not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1:
        raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")
    return tuple(betas)


class Adamax(_Moments):
    """m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps);  p -= lr / (1 - b1^t) m / u."""

    default_lr = 2e-3

    def __init__(self, params=None, lr: float | None = None, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=_betas("Adamax", betas), eps=eps,
                                      weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        g, t, m, u = self._moments(p, g, state, group, "exp_inf")
        b1, b2 = group["betas"]
        u.copy_(tg.maximum(u * b2, g.abs() + group["eps"]))
        p.add_(m / u, alpha=-group["lr"] / (1 - b1 ** t))


class NAdam(_Moments):
    """Adam with Nesterov momentum (Dozat), PyTorch's schedule mu_t = b1 (1 - 0.5 0.96^(t psi)):
    p -= lr (1 - mu_t) / (1 - prod mu) g / d + lr mu_{t+1} / (1 - prod mu mu_{t+1}) m / d,
    d = sqrt(v / (1 - b2^t)) + eps."""

    default_lr = 2e-3

    def __init__(self, params=None, lr: float | None = None, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3):
        super().__init__(params, dict(lr=lr, betas=_betas("NAdam", betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay))

    def _update(self, p, g, state, group):
        g, t, m, v = self._moments(p, g, state, group)
        b1, b2 = group["betas"]
        psi = group["momentum_decay"]
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] = state.get("mu_product", 1.0) * mu
        product = state["mu_product"]
        v.mul_(b2).add_(g * g, alpha=1 - b2)
        denom = (v / (1 - b2 ** t)).sqrt() + group["eps"]
        lr = group["lr"]
        p.add_(g / denom, alpha=-lr * (1 - mu) / (1 - product))
        p.add_(m / denom, alpha=-lr * mu_next / (1 - product * mu_next))


class RAdam(_Moments):
    """Rectified Adam: while the variance estimate is unreliable (rho_t <= 5) an SGD-with-
    momentum step p -= lr m^, then Adam's step scaled by the rectification r_t."""

    default_lr = 1e-3

    def __init__(self, params=None, lr: float | None = None, betas=(0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=_betas("RAdam", betas), eps=eps,
                                      weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        g, t, m, v = self._moments(p, g, state, group)
        b1, b2 = group["betas"]
        v.mul_(b2).add_(g * g, alpha=1 - b2)
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2 ** t / bc2
        lr = group["lr"]
        if rho <= 5:
            p.add_(m, alpha=-lr / bc1)
            return
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        p.add_(m / (v.sqrt() + group["eps"]), alpha=-lr / bc1 * rect * math.sqrt(bc2))


class Adadelta(Optimizer):
    """s = rho s + (1 - rho) g^2;  dx = sqrt(a + eps) / sqrt(s + eps) g;
    a = rho a + (1 - rho) dx^2;  p -= lr dx."""

    default_lr = 1.0

    def __init__(self, params=None, lr: float | None = None, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + p.detach() * group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = tg.zeros_like(p)
            state["acc_delta"] = tg.zeros_like(p)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        s, a = state["square_avg"], state["acc_delta"]
        s.mul_(rho).add_(g * g, alpha=1 - rho)
        delta = (a + eps).sqrt() / (s + eps).sqrt() * g
        a.mul_(rho).add_(delta * delta, alpha=1 - rho)
        p.add_(delta, alpha=-group["lr"])


class Rprop(Optimizer):
    """Resilient backpropagation (PyTorch's Rprop): each element's step size grows by etas[1]
    while its gradient keeps its sign and shrinks by etas[0] when it flips (that step skips the
    update), clamped to step_sizes; p -= sign(g) * step size."""

    default_lr = 0.01

    def __init__(self, params=None, lr: float | None = None, etas=(0.5, 1.2),
                 step_sizes=(1e-6, 50.0)):
        if not 0 < etas[0] < 1 < etas[1]:
            raise ValueError(f"Rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got {etas}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes)))

    def _update(self, p, g, state, group):
        minus, plus = group["etas"]
        low, high = group["step_sizes"]
        if not state:
            state["step"] = 0
            state["prev"] = tg.zeros_like(p)
            state["step_size"] = tg.full_like(p, group["lr"])
        state["step"] += 1
        sign = (g * state["prev"]).sign()
        factor = tg.where(sign > 0, tg.full_like(p, plus),
                          tg.where(sign < 0, tg.full_like(p, minus), tg.ones_like(p)))
        state["step_size"].mul_(factor).clamp_(low, high)
        g = tg.where(sign < 0, tg.zeros_like(g), g)
        p.sub_(g.sign() * state["step_size"])
        state["prev"].copy_(g)
