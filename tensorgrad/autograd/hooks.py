"""The handle register_hook returns (tensors' gradient hooks, modules' forward hooks)."""


class RemovableHandle:
    """What register_hook returns (PyTorch's name): remove() takes the hook off again."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
