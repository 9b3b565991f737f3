"""name -> primitive: every Function subclass defined in the op modules (read by the op-table
tests, which fail when a primitive has no entry, and by the docs)."""

from __future__ import annotations

from ..autograd.function import Function
from . import conv, elementwise, indexing, linalg, loss, pooling, reduction, shape

_MODULES = (elementwise, reduction, shape, indexing, linalg, conv, pooling, loss)


def primitives() -> dict[str, type[Function]]:
    table = {}
    for module in _MODULES:
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, Function)
                    and value.__module__ == module.__name__ and not name.startswith("_")):
                table[name] = value
    return table
