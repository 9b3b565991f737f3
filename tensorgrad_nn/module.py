"""Module and Parameter: registration in definition order, train/eval, state_dict, devices, and
lazy shape inference (parameters materialised on the first call)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

import tensorgrad as tg
from tensorgrad import Tensor
from tensorgrad.autograd.hooks import BackwardGate


class Parameter(Tensor):
    """A tensor that is a module's learnable state: requires grad, listed by parameters()."""

    __slots__ = ("_uninitialized",)

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=tg.get_default_dtype())
        if isinstance(data, Tensor):
            array, device = data._data, data.device
        else:
            array, device = np.asarray(data), None
        super().__init__(array, device=device)
        self._uninitialized = False
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        if self._uninitialized:
            return "<UninitializedParameter>"
        return "Parameter containing:\n" + super().__repr__().replace(", requires_grad=True", "")


class UninitializedParameter(Parameter):
    """A parameter whose shape is known only after the first forward (Lazy* layers). The object
    stays the same when materialised, so an optimizer built before the first call still holds it."""

    __slots__ = ()

    def __init__(self, dtype=None):
        super().__init__(np.empty(0, dtype=dtype or tg.get_default_dtype()))
        self._uninitialized = True

    def materialize(self, shape, dtype=None, device=None) -> None:
        dtype = np.dtype(dtype or self._data.dtype)
        self._data = np.empty(tuple(shape), dtype=dtype)
        if device is not None and tg.device(device) is not tg.device("cpu"):
            self._data = tg.device(device).backend.asarray(self._data)
            self._device = tg.device(device)
        self._uninitialized = False
        self.__class__ = Parameter


def _gate_input(module, args):
    """Forward pre-hook of a module with backward hooks: one call's state, the input gated."""
    if not module._backward_hooks and not module._backward_pre_hooks:
        return None
    tensors = [a for a in args if isinstance(a, Tensor)]
    if len(tensors) != 1:
        raise NotImplementedError(f"{type(module).__name__}: backward hooks support a module "
                                  f"called with one tensor input, got {len(tensors)}")
    call = {"grad_output": None}
    module.__dict__["_backward_call"] = call
    x = tensors[0]
    if not x.requires_grad:
        call["input_gated"] = False
        return None
    call["input_gated"] = True

    def on_input(g):
        return _run_backward_hooks(module, call, g)

    return tuple(BackwardGate.apply(a, on_input) if a is x else a for a in args)


def _gate_output(module, args, out):
    call = module.__dict__.pop("_backward_call", None)
    if call is None or not isinstance(out, Tensor) or not out.requires_grad:
        return None

    def on_output(g):
        for hook in module._backward_pre_hooks:
            result = hook(module, (g,))
            if result is not None:
                g = result[0] if isinstance(result, tuple) else result
        call["grad_output"] = g
        if not call["input_gated"]:
            _run_backward_hooks(module, call, None)
        return g

    return BackwardGate.apply(out, on_output)


def _run_backward_hooks(module, call, grad_input):
    for hook in module._backward_hooks:
        result = hook(module, (grad_input,), (call["grad_output"],))
        if result is not None:
            grad_input = result[0] if isinstance(result, tuple) else result
    return grad_input


class Module:
    """Base class of every layer and container. Subclasses set parameters, buffers and child
    modules as attributes in __init__ and define forward."""

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "training", True)

    # ----- registration ----------------------------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before setting "
                                 "attributes")
        if name in self._buffers and (value is None or isinstance(value, Tensor)) and not (
                isinstance(value, Parameter)):
            self._buffers[name] = value  # a buffer stays one (PyTorch's)
            return
        if name in self._parameters and value is not None and not isinstance(value, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as "
                            f"parameter {name!r} (Parameter or None expected)")
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
            return
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State that is not learned (e.g. BatchNorm's running mean): saved, moved, not trained."""
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._persistent.add(name)
        else:
            self._persistent.discard(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path ('encoder.layers.0'); '' is this module."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule "
                                     f"{part!r} (in {target!r})")
            module = child
        return module

    def _get_state(self, target: str, table: str, what: str):
        prefix, _, name = target.rpartition(".")
        module = self.get_submodule(prefix)
        entries = getattr(module, table)
        if name not in entries:
            raise AttributeError(f"get_{what}: {type(module).__name__} has no {what} {name!r}")
        return entries[name]

    def get_parameter(self, target: str) -> Parameter:
        return self._get_state(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_state(target, "_buffers", "buffer")

    # ----- calling ---------------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks:
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) after every forward; a result other than None replaces
        the output. Returns a handle with remove()."""
        self._forward_hooks.append(hook)
        return tg.autograd.RemovableHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        """hook(module, inputs) before every forward; a result other than None (a tuple, or one
        value) replaces the positional inputs. Returns a handle with remove()."""
        self._forward_pre_hooks.append(hook)
        return tg.autograd.RemovableHandle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) once the gradients of the module's input and
        output are known in a backward pass (tuples; grad_input (None,) where the input needs
        no gradient); a result other than None replaces grad_input. For modules called with one
        tensor input. Runs through forward hooks, so the module is not fused in a Sequential.
        Returns a handle with remove()."""
        self._backward_gates()
        self._backward_hooks.append(hook)
        return tg.autograd.RemovableHandle(self._backward_hooks, hook)

    def register_full_backward_pre_hook(self, hook):
        """hook(module, grad_output) when the gradient of the module's output is known; a result
        other than None (a tuple or one tensor) replaces grad_output. Returns a handle."""
        self._backward_gates()
        self._backward_pre_hooks.append(hook)
        return tg.autograd.RemovableHandle(self._backward_pre_hooks, hook)

    def _backward_gates(self) -> None:
        """On the first backward hook: forward hooks that put identity gates on the
        input and the output of every call (tensorgrad.autograd.hooks.BackwardGate), whose
        backward runs the module's backward hooks."""
        if "_backward_hooks" in self.__dict__:
            return
        object.__setattr__(self, "_backward_hooks", [])
        object.__setattr__(self, "_backward_pre_hooks", [])
        self.register_forward_pre_hook(_gate_input)
        self.register_forward_hook(_gate_output)

    # ----- traversal -------------------------------------------------------------------------

    def named_modules(self, prefix: str = "", memo=None) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients ---------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = tg.zeros_like(p.grad)

    # ----- state -----------------------------------------------------------------------------

    def state_dict(self) -> OrderedDict:
        """name -> tensor (detached, sharing memory) for every parameter and persistent buffer."""
        out = OrderedDict()
        for mod_prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name in module._persistent:
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values into this module's parameters and buffers. With strict=True any missing,
        unexpected or mis-shaped key raises one error that lists all of them."""
        own = {}
        for mod_prefix, module in self.named_modules():
            for table, names in ((module._parameters, None), (module._buffers,
                                                               module._persistent)):
                for name, t in table.items():
                    if t is not None and (names is None or name in names):
                        own[f"{mod_prefix}.{name}" if mod_prefix else name] = (module, table,
                                                                                name)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, (_, table, name) in own.items():
            if key not in state_dict:
                continue
            target = table[name]
            value = state_dict[key]
            shape = tuple(value.shape)
            if isinstance(target, Parameter) and target._uninitialized:
                target.materialize(shape, dtype=np.asarray(value).dtype)
            if tuple(target.shape) != shape:
                mismatched.append(f"{key}: checkpoint {shape} vs model {tuple(target.shape)}")
            elif np.dtype(value.dtype).kind != target.dtype.kind:
                mismatched.append(f"{key}: checkpoint dtype {value.dtype} vs model "
                                  f"{target.dtype}")
        if strict and (missing or unexpected or mismatched):
            parts = []
            if missing:
                parts.append(f"missing keys: {missing}")
            if unexpected:
                parts.append(f"unexpected keys: {unexpected}")
            if mismatched:
                parts.append(f"shape/dtype mismatch: {mismatched}")
            raise KeyError("load_state_dict: " + "; ".join(parts))
        if mismatched:
            raise ValueError("load_state_dict: shape/dtype mismatch: " + "; ".join(mismatched))
        with tg.no_grad():
            for key, (_, table, name) in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    array = value.detach().numpy() if isinstance(value, Tensor) else np.asarray(
                        value)
                    target = table[name]
                    target._data = target._device.backend.asarray(
                        array.astype(target.dtype, copy=True))
                    target._bump()
        for module in self.modules():
            if hasattr(module, "_on_load"):
                module._on_load()
        return _LoadResult(missing, unexpected)

    # ----- devices and dtypes ----------------------------------------------------------------

    def _apply_to_tensors(self, fn) -> Module:
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for t in table.values():
                    if t is None or (isinstance(t, Parameter) and t._uninitialized):
                        continue
                    new = fn(t.detach())
                    t._data = new._data
                    t._device = new._device
                    t._bump()
                    if t.grad is not None:
                        t.grad = fn(t.grad)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move (and/or cast floating) parameters and buffers in place, as PyTorch's Module.to."""
        def move(t):
            if t.dtype.kind != "f":
                kw = {k: v for k, v in kwargs.items() if k == "device"}
                return t.to(*[a for a in args if not _is_dtype(a)], **kw)
            return t.to(*args, **kwargs)

        return self._apply_to_tensors(move)

    def cuda(self) -> Module:
        return self.to("cuda")

    def cpu(self) -> Module:
        return self.to("cpu")

    def float(self) -> Module:
        return self.to(tg.float32)

    def double(self) -> Module:
        return self.to(tg.float64)

    # ----- printing --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"


def _is_dtype(a) -> bool:
    if isinstance(a, (str, tg.Device)):
        return False
    try:
        np.dtype(a)
        return True
    except TypeError:
        return False


class _LoadResult(tuple):
    def __new__(cls, missing, unexpected):
        out = super().__new__(cls, (missing, unexpected))
        out.missing_keys, out.unexpected_keys = missing, unexpected
        return out
