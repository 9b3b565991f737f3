"""functional_call: a module run with other tensors in place of its parameters and buffers
(PyTorch's torch.func.functional_call), so a model is a function of its parameters: for
meta-learning (MAML's adapted weights keep their graph), per-sample gradients with tg.vmap and
tg.grad, or any transform of the parameters."""

from __future__ import annotations

import tensorgrad as tg

from ..module import Module

__all__ = ["functional_call"]


def _slot(module: Module, name: str):
    """(the module owning the dotted name, its table, the last part of the name)."""
    *path, leaf = name.split(".")
    owner = module
    for part in path:
        owner = owner._modules.get(part)
        if owner is None:
            raise KeyError(f"functional_call: {type(module).__name__} has no submodule for "
                           f"{name!r}")
    for table in (owner._parameters, owner._buffers):
        if leaf in table:
            return owner, table, leaf
    raise KeyError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                   f"{name!r}")


def functional_call(module: Module, parameter_and_buffer_dicts, args=(), kwargs=None, *,
                    strict: bool = False):
    """module(*args, **kwargs) with the named tensors (one dict, or a tuple of dicts: names as in
    named_parameters / named_buffers) in place of the module's own for this call only; the
    module is restored afterwards, even if the call raises. Gradients flow to the given tensors.
    strict=True requires every parameter and buffer to be given."""
    dicts = (parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list))
             else (parameter_and_buffer_dicts,))
    values = {}
    for d in dicts:
        for name, tensor in d.items():
            if name in values:
                raise ValueError(f"functional_call: {name!r} is given twice")
            if not isinstance(tensor, tg.Tensor):
                raise TypeError(f"functional_call: {name!r} must be a tensor, got "
                                f"{type(tensor).__name__}")
            values[name] = tensor
    if strict:
        own = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing = sorted(own - set(values))
        if missing:
            raise KeyError(f"functional_call: strict, but no tensor given for {missing}")
    swapped = []
    try:
        for name, tensor in values.items():
            owner, table, leaf = _slot(module, name)
            if tuple(table[leaf].shape) != tuple(tensor.shape):
                raise ValueError(f"functional_call: {name!r} has shape "
                                 f"{tuple(table[leaf].shape)}, got {tuple(tensor.shape)}")
            swapped.append((table, leaf, table[leaf]))
            table[leaf] = tensor
        if not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for table, leaf, original in reversed(swapped):
            table[leaf] = original
