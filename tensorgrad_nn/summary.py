"""summary(model, input_shape): each layer's output shape and parameter count, from one forward
pass on zeros (which also settles the shapes of lazy layers), like Keras' and torchinfo's."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg

from .module import Module


def summary(model: Module, input_shape, dtype=None, print_fn=print) -> str:
    """input_shape: one sample's shape (the batch dim 1 is added), or several for Graph inputs.
    Returns the table as text and prints it."""
    shapes = input_shape if input_shape and isinstance(input_shape[0], (tuple, list)) else [
        input_shape]
    inputs = [tg.zeros((1,) + tuple(s), dtype=dtype) for s in shapes]
    rows = []
    hooks = []
    for name, module in _layers(model):

        def record(m, args, out, name=name):
            own = sum(int(np.prod(p.shape)) for p in m.parameters())
            rows.append((name or type(m).__name__, type(m).__name__, tuple(out.shape), own))

        hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        with tg.no_grad():
            out = model(*inputs)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    total = sum(int(np.prod(p.shape)) for p in model.parameters())
    width = max([len(r[0]) + len(r[1]) + 3 for r in rows] + [20])
    lines = [f"{'Layer (type)':<{width}} {'Output shape':<22} {'Params':>10}",
             "-" * (width + 34)]
    for name, kind, shape, count in rows:
        lines.append(f"{name + ' (' + kind + ')':<{width}} {str(('N',) + shape[1:]):<22} "
                     f"{count:>10,}")
    lines.append("-" * (width + 34))
    lines.append(f"Total params: {total:,}   output: {tuple(out.shape)}")
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text


def _layers(model: Module, prefix: str = ""):
    """The modules a reader thinks of as layers: leaves, and modules holding their own
    parameters (a Dense with its activation is one layer)."""
    children = list(model.named_children())
    if not children or model._parameters:
        yield prefix, model
        return
    for name, child in children:
        yield from _layers(child, f"{prefix}.{name}" if prefix else name)
