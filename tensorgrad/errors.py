"""The errors tensorgrad raises for bad input: each message names the op and the shapes."""


class ShapeError(ValueError):
    """Shapes that do not fit the op (broadcasting, matmul, conv, reshape, ...)."""


class DtypeError(TypeError):
    """A dtype the op cannot take (requires_grad on integers, mixed float widths in conv, ...)."""


def shape_str(shape) -> str:
    return str(tuple(int(n) for n in shape))
