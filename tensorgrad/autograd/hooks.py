"""The handle register_hook returns (tensors' gradient hooks, modules' forward hooks), and the
gate that modules' backward hooks run through."""

from .function import Function


class RemovableHandle:
    """What register_hook returns (PyTorch's name): remove() takes the hook off again."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class BackwardGate(Function):
    """The identity (a copy), whose backward hands its gradient to callback(g) and passes on
    what it returns (g where None): what modules' backward hooks run through."""

    @staticmethod
    def forward(ctx, x, callback):
        ctx.callback = callback
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        result = ctx.callback(g)
        return (g if result is None else result), None
