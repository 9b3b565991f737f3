"""PyTorch's torch.nn.utils.parametrize: a module's tensor computed from learned originals.

After register_parametrization(module, "weight", P), module.weight is P(original) on every
access (differentiable: the originals are the parameters that train), the original lives at
module.parametrizations.weight.original (original0, original1, ... where P.right_inverse returns
several), and state_dicts use those names, as PyTorch's do. As in PyTorch, the module's class is
swapped for a subclass of it that holds the property.
"""

from __future__ import annotations

import tensorgrad as tg

from ..containers import ModuleDict, ModuleList
from ..module import Module, Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "ParametrizationList"]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to its original(s)."""

    def __init__(self, modules, original, is_parameter: bool):
        super().__init__(modules)
        self.is_parameter = is_parameter
        with tg.no_grad():
            value = original
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    value = m.right_inverse(value)
        make = Parameter if is_parameter else (lambda t: t)
        if isinstance(value, tg.Tensor):
            self.ntensors = 1
            self._keep("original", make(value.detach()))
        else:
            self.ntensors = len(value)
            for i, t in enumerate(value):
                self._keep(f"original{i}", make(t.detach()))

    def _keep(self, name: str, tensor) -> None:
        if self.is_parameter:
            setattr(self, name, tensor)
        else:
            self.register_buffer(name, tensor)

    def originals(self) -> list:
        if self.ntensors == 1:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def forward(self):
        modules = list(self)
        x = modules[0](*self.originals())
        for m in modules[1:]:
            x = m(x)
        return x

    def right_inverse(self, value) -> None:
        """Set the originals so that forward() gives value (module.weight = value)."""
        with tg.no_grad():
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    value = m.right_inverse(value)
            values = [value] if isinstance(value, tg.Tensor) else list(value)
            for original, v in zip(self.originals(), values):
                original.copy_(v)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    plist = module._modules.get("parametrizations")
    if plist is None:
        return False
    return tensor_name is None or tensor_name in plist._modules


def _parametrized_class(module: Module) -> None:
    """Swap module's class for a fresh subclass that can hold the properties (PyTorch's way)."""
    cls = module.__class__
    swapped = type(f"Parametrized{cls.__name__}", (cls,), {"_unparametrized": cls})
    module.__class__ = swapped


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """module.<tensor_name> becomes parametrization(original); a second registration on the same
    tensor chains after the first. The original keeps the tensor's value where the
    parametrization has a right_inverse (weight_norm's splits it into its norm and direction).
    Unless unsafe, the parametrization must keep the tensor's shape and dtype."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be a Module, got "
                        f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        before = getattr(module, tensor_name)
        plist.append(parametrization)
    else:
        if tensor_name in module._parameters:
            original, is_parameter = module._parameters[tensor_name], True
        elif tensor_name in module._buffers:
            original, is_parameter = module._buffers[tensor_name], False
        else:
            raise ValueError(f"register_parametrization: {type(module).__name__} has no "
                             f"parameter or buffer {tensor_name!r}")
        before = original
        plist = ParametrizationList([parametrization], original, is_parameter)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _parametrized_class(module)
            module.parametrizations = ModuleDict()
        module.parametrizations[tensor_name] = plist
        setattr(module.__class__, tensor_name, property(
            lambda self: self.parametrizations[tensor_name](),
            lambda self, value: self.parametrizations[tensor_name].right_inverse(value)))
    if not unsafe:
        with tg.no_grad():
            after = getattr(module, tensor_name)
        if tuple(after.shape) != tuple(before.shape) or after.dtype != before.dtype:
            raise ValueError(f"register_parametrization: the parametrization changes "
                             f"{tensor_name!r} from {tuple(before.shape)} {before.dtype} to "
                             f"{tuple(after.shape)} {after.dtype}; pass unsafe=True to allow it")
    return module


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo register_parametrization: module.<tensor_name> is a plain parameter (buffer) again,
    holding the parametrized value (leave_parametrized) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__}.{tensor_name} is not "
                         "parametrized")
    plist = module.parametrizations[tensor_name]
    with tg.no_grad():
        if leave_parametrized:
            value = getattr(module, tensor_name).detach().clone()
        elif plist.ntensors == 1:
            value = plist.original.detach()
        else:
            raise ValueError("remove_parametrizations: leave_parametrized=False needs a single "
                             "original tensor")
    delattr(module.__class__, tensor_name)
    del module.parametrizations._modules[tensor_name]
    if not module.parametrizations._modules:
        del module._modules["parametrizations"]
        module.__class__ = module.__class__._unparametrized
    if plist.is_parameter:
        setattr(module, tensor_name, Parameter(value))
    else:
        module.register_buffer(tensor_name, value)
    return module
