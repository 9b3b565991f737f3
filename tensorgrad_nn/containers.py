"""Containers: Sequential (a chain), ModuleList, ModuleDict, ParameterList, ParameterDict, and
Graph (named input ports and edges between named layers, like Wolfram's NetGraph). Containers
nest and behave like layers."""

from __future__ import annotations

from collections import OrderedDict

from .module import Module, Parameter

_FUSABLE = None


def _fusable():
    """((the layer classes that fuse a following ReLU), ReLU), imported on first use (the
    layers import this module)."""
    global _FUSABLE
    from .layers.activation import ReLU
    from .layers.conv import Conv2d
    from .layers.linear import Linear

    _FUSABLE = ((Linear, Conv2d), ReLU)
    return _FUSABLE


def _plain(m, classes) -> bool:
    """m is exactly one of classes (a class or a tuple), with no hooks and no forward of its
    own: its call is its class's forward."""
    return (m.__class__ in (classes if isinstance(classes, tuple) else (classes,))
            and not m._forward_hooks and not m._forward_pre_hooks
            and "forward" not in m.__dict__)


class Sequential(Module):
    """Applies its modules in order: Sequential(a, b, c)(x) == c(b(a(x)))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def forward(self, x):
        # A Linear or Conv2d followed by a ReLU runs as one fused primitive (forward(x,
        # activation="relu"): bias and ReLU in one pass, and in backward ReLU's gradient with the
        # bias's gradient), where that is exactly what the two calls would do: both modules of
        # exactly those classes, with no hooks. Such a layer is held until its successor is seen.
        fusable, relu = _FUSABLE or _fusable()
        held = None
        for m in self._modules.values():
            if held is not None:
                if _plain(m, relu):
                    x, held = held.forward(x, activation="relu"), None
                    continue
                x, held = held(x), None
            if _plain(m, fusable):
                held = m
            else:
                x = m(x)
        return x if held is None else held(x)

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        return items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class _Listed(Module):
    """A list of entries of one of the module's tables (registered as "0", "1", ...)."""

    _table = "_modules"

    def __init__(self, values=()):
        super().__init__()
        for v in values:
            self.append(v)

    def _store(self, name: str, value) -> None:
        raise NotImplementedError

    def _entries(self):
        return getattr(self, self._table)

    def append(self, value):
        self._store(str(len(self._entries())), value)
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, index):
        items = list(self._entries().values())
        return type(self)(items[index]) if isinstance(index, slice) else items[index]

    def __setitem__(self, index: int, value) -> None:
        self._store(str(range(len(self))[index]), value)

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries().values())


class _Keyed(Module):
    """A dict of entries of one of the module's tables, by name."""

    _table = "_modules"

    def __init__(self, values=None):
        super().__init__()
        for name, v in (values or {}).items():
            self[name] = v

    def _store(self, name: str, value) -> None:
        raise NotImplementedError

    def _entries(self):
        return getattr(self, self._table)

    def __getitem__(self, name: str):
        return self._entries()[name]

    def __setitem__(self, name: str, value) -> None:
        self._store(name, value)

    def __contains__(self, name: str) -> bool:
        return name in self._entries()

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def keys(self):
        return self._entries().keys()

    def values(self):
        return self._entries().values()

    def items(self):
        return self._entries().items()


class ModuleList(_Listed):
    def __init__(self, modules=()):
        super().__init__(modules)

    def _store(self, name: str, module) -> None:
        self.add_module(name, module)


class ModuleDict(_Keyed):
    def __init__(self, modules=None):
        super().__init__(modules)

    def _store(self, name: str, module) -> None:
        self.add_module(name, module)


def _as_parameter(value) -> Parameter:
    return value if isinstance(value, Parameter) else Parameter(value)


class ParameterList(_Listed):
    """Parameters held in a list (registered as "0", "1", ...): a tensor or array becomes a
    Parameter."""

    _table = "_parameters"

    def __init__(self, values=None):
        super().__init__(values or ())

    def _store(self, name: str, value) -> None:
        setattr(self, name, _as_parameter(value))


class ParameterDict(_Keyed):
    """Parameters held by name; a tensor or array becomes a Parameter."""

    _table = "_parameters"

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def _store(self, name: str, value) -> None:
        setattr(self, name, _as_parameter(value))


class Graph(Module):
    """A net with named input ports and edges between named layers (Wolfram's NetGraph).

        net = Graph({"tanh": Elementwise(tg.tanh), "sig": Elementwise(tg.sigmoid),
                     "total": Total()},
                    [("Input1", "tanh"), ("Input2", "sig"), (("tanh", "sig"), "total")])
        net(Input1=x1, Input2=x2)      # or net(x1, x2), ports in order of first use

    layers: a dict name -> module, or a list (named 1, 2, 3, ... as in Wolfram). edges: pairs
    (source, layer) where source is a port, a layer, or a tuple of them (passed positionally).
    Names that are not layers are input ports. The output is the layer no edge leaves, or
    `output=`.
    """

    def __init__(self, layers, edges, output=None):
        super().__init__()
        if not isinstance(layers, dict):
            layers = {i + 1: m for i, m in enumerate(layers)}
        self._names = {str(k): k for k in layers}
        for name, m in layers.items():
            self.add_module(str(name), m)
        self._sources = {}
        ports = []
        for src, dst in edges:
            dst = str(dst)
            if dst not in self._modules:
                raise ValueError(f"Graph: edge target {dst!r} is not a layer")
            if dst in self._sources:
                raise ValueError(f"Graph: layer {dst!r} has two incoming edges; pass a tuple")
            srcs = tuple(str(s) for s in (src if isinstance(src, (tuple, list)) else (src,)))
            for s in srcs:
                if s not in self._modules and s not in ports:
                    ports.append(s)
            self._sources[dst] = srcs
        self.input_ports = ports
        self._order = self._topological_order()
        feeding = {s for srcs in self._sources.values() for s in srcs}
        sinks = [n for n in self._modules if n not in feeding]
        if output is None:
            if len(sinks) != 1:
                raise ValueError(f"Graph: cannot tell the output among {sinks}; pass output=")
            output = sinks[0]
        self.output = str(output)

    def _topological_order(self):
        order, state = [], {}
        for start in self._modules:
            stack = [(start, False)]
            while stack:
                name, done = stack.pop()
                if done:
                    state[name] = 2
                    order.append(name)
                    continue
                if state.get(name) == 2:
                    continue
                if state.get(name) == 1:
                    raise ValueError(f"Graph: the edges form a cycle through {name!r}")
                state[name] = 1
                stack.append((name, True))
                for s in self._sources.get(name, ()):
                    if s in self._modules and state.get(s) != 2:
                        stack.append((s, False))
        return order

    def forward(self, *args, **ports):
        if args:
            if len(args) > len(self.input_ports):
                raise TypeError(f"Graph: got {len(args)} inputs for ports {self.input_ports}")
            ports = {**dict(zip(self.input_ports, args)), **ports}
        missing = [p for p in self.input_ports if p not in ports]
        if missing:
            raise TypeError(f"Graph: missing input ports {missing}")
        values = dict(ports)
        for name in self._order:
            srcs = self._sources.get(name)
            inputs = [values[s] for s in srcs] if srcs else []
            values[name] = self._modules[name](*inputs)
        return values[self.output]
