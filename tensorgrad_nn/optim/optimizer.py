"""Optimizer base: parameter groups, per-parameter state, state_dict round trips. Updates run
under no_grad with in-place tensor ops, so they never touch the tape."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


class Optimizer:
    """params: an iterable of tensors or of dicts {'params': [...], **overrides}. Slugnet-style
    construction without params (RMSProp()) is allowed; Model.fit binds them later, with the
    Model's lr unless one was given here. default_lr applies when lr is left out."""

    default_lr: float | None = None

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        if params is None:
            return
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, tg.Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for p in params:
            if not isinstance(p, tg.Tensor) or not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: can only optimize tensors that require "
                                 "grad")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: a parameter appears in two groups")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        if group.get("lr") is None:
            group["lr"] = self.default_lr
        if group["lr"] is None:
            raise ValueError(f"{type(self).__name__}: no learning rate given")
        self.param_groups.append(group)

    @property
    def bound(self) -> bool:
        return bool(self.param_groups)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = tg.zeros_like(p.grad)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with tg.enable_grad():
                loss = closure()
        with tg.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.setdefault(id(p), {})
                    self._update(p, p.grad.detach(), state, group)
        return loss

    def _update(self, p, g, state: dict, group: dict) -> None:
        raise NotImplementedError

    # ----- state dicts: tensors by parameter position, like PyTorch ---------------------------

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[k]: {n: (v.detach().clone() if isinstance(v, tg.Tensor) else v)
                            for n, v in s.items()}
                 for k, s in self.state.items() if k in index}
        groups = []
        for group in self.param_groups:
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = [index[id(p)] for p in group["params"]]
            groups.append(g)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        params = self._params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups,
                                                                        self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved parameter groups "
                             "do not match this optimizer's")
        for g, own in zip(groups, self.param_groups):
            for k, v in g.items():
                if k != "params":
                    own[k] = v
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            entry = {}
            for n, v in s.items():
                if isinstance(v, (tg.Tensor, np.ndarray)):
                    arr = v.detach().numpy() if isinstance(v, tg.Tensor) else v
                    if arr.shape != tuple(p.shape) and arr.ndim:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: state {n!r} of "
                                         f"parameter {i} has shape {arr.shape}, expected "
                                         f"{tuple(p.shape)}")
                    v = tg.tensor(np.array(arr, copy=True), device=p.device)
                entry[n] = v
            self.state[id(p)] = entry

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k, v in group.items():
                if k != "params":
                    lines.append(f"    {k}: {v}")
        return "\n".join(lines) + "\n)"


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> tg.Tensor:
    """Scale all gradients so that their joint norm is at most max_norm; returns the norm."""
    params = [parameters] if isinstance(parameters, tg.Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return tg.tensor(0.0)
    with tg.no_grad():
        if norm_type == float("inf"):
            total = max(float(g.abs().amax().item()) for g in grads)
        else:
            total = float(sum(float((g.abs() ** norm_type).sum().item()) for g in grads)) ** (
                1.0 / norm_type)
        scale = max_norm / (total + 1e-6)
        if scale < 1:
            for p in params:
                if p.grad is not None:
                    p.grad = p.grad * scale
    return tg.tensor(total)
