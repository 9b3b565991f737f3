"""Tensor: an array, its device, whether it requires grad, its .grad, and the node that made it."""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes
from .autograd import function as _function
from .autograd.hooks import RemovableHandle
from .backends import CPU, Device, device_of
from .backends import device as as_device
from .errors import DtypeError


class Tensor:
    """An n-d array that records the ops applied to it when it requires grad.

    `tensor(data)` keeps an ndarray's dtype; Python floats and lists become float32, ints int64.
    """

    __slots__ = ("_data", "_requires_grad", "grad", "_node", "_vc", "_device", "__weakref__")
    __array_ufunc__ = None  # numpy defers to Tensor's operators: ndarray * Tensor -> Tensor
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, dtype=None, device=None):
        array = _to_array(data, dtype)
        dev = as_device(device) if device is not None else device_of(array)
        if dev is not device_of(array):
            array = dev.backend.asarray(array)
        self._data = array
        self._device = dev
        self._node = None
        self._vc = [0]
        self.grad = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(data, device, requires_grad: bool, node, version=None) -> Tensor:
        if isinstance(data, np.generic):  # numpy ufuncs turn 0-d arrays into scalars
            data = np.asarray(data)
        t = object.__new__(Tensor)
        t._data = data
        t._device = device
        t._requires_grad = requires_grad
        t._node = node
        t._vc = [0] if version is None else version
        t.grad = None
        return t

    # The version counter counts in-place changes; views share their base's counter (a list),
    # so changing either is seen by a backward that saved the other.

    @property
    def _version(self) -> int:
        return self._vc[0]

    def _bump(self) -> None:
        self._vc[0] += 1

    # ----- attributes ------------------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's array, detached from the graph (PyTorch's .data)."""
        return Tensor._make(self._data, self._device, False, None, self._vc)

    @data.setter
    def data(self, value) -> None:
        value = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = value
        self._bump()

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            raise DtypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self._data.dtype} (shape {tuple(self._data.shape)})"
            )
        if not value and self._node is not None:
            raise RuntimeError(
                "requires_grad: cannot turn off requires_grad of a non-leaf tensor; "
                "use detach() instead"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def shape(self) -> tuple:
        shape = self._data.shape
        return shape if shape.__class__ is tuple else tuple(shape)  # the CUDA simulator's isn't

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> Device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----- conversion ------------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The values as a read-only numpy array (a view on the CPU, a copy from a GPU).

        Read-only because the array may be saved for a backward pass: a write through it would
        change a gradient silently (version counters only see tensor ops). Copy it
        (np.array(t)) to get an array you can change.
        """
        if self._requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; use "
                "tensor.detach().numpy()"
            )
        array = self._device.backend.to_host(self._data)
        if array is self._data:
            array = array.view()
            array.flags.writeable = False
        return array

    def __array__(self, dtype=None, copy=None):
        array = self._device.backend.to_host(self._data)
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return np.array(array, copy=True) if copy else array

    def item(self):
        if self._data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to Python scalars, "
                f"got shape {tuple(self.shape)}"
            )
        return self._device.backend.to_host(self._data).reshape(()).item()

    def tolist(self):
        return self._device.backend.to_host(self._data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory and the version counter)."""
        return Tensor._make(self._data, self._device, False, None, self._vc)

    def detach_(self) -> Tensor:
        self._node = None
        self._requires_grad = False
        return self

    def clone(self) -> Tensor:
        return _ops().elementwise.clone(self)

    def __deepcopy__(self, memo) -> Tensor:
        """A leaf with copied values, the same class (a Parameter stays one), requires_grad and a
        copied .grad (copy.deepcopy of a model, as PyTorch's); a non-leaf refuses, as PyTorch's."""
        if self._node is not None:
            raise RuntimeError("deepcopy: only leaf tensors support deepcopy (this one was made "
                               "by an op); copy x.detach() instead")
        if id(self) in memo:
            return memo[id(self)]
        new = object.__new__(type(self))
        memo[id(self)] = new
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if name != "__weakref__" and hasattr(self, name):
                    object.__setattr__(new, name, getattr(self, name))
        new._data = self._device.backend.copy(self._data)
        new._vc = [0]
        new.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        return new

    def to(self, *args, dtype=None, device=None, copy: bool = False) -> Tensor:
        """to(dtype), to(device), to(device, dtype), to(other): differentiable casts and moves."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, Device)):
                device = a
            else:
                dtype = a
        out = self
        if device is not None and as_device(device) is not self._device:
            out = _ops().elementwise.to_device(out, as_device(device))
        if dtype is not None and dtypes.as_dtype(dtype) != out.dtype:
            out = _ops().elementwise.cast(out, dtypes.as_dtype(dtype))
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def type(self, dtype) -> Tensor:
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def get_device(self) -> int:
        """-1 on the CPU, the device index (0) on CUDA (PyTorch's)."""
        return -1 if self._device.type == "cpu" else 0

    def is_contiguous(self) -> bool:
        """Whether the data is one C-ordered block (transposes and strided slices are not)."""
        if self._device.type != "cpu":
            return True  # device arrays are always C-contiguous here
        return bool(self._data.flags.c_contiguous)

    # ----- autograd --------------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad (PyTorch's semantics)."""
        from .autograd.functional import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook) -> RemovableHandle:
        """Call hook(grad) whenever this tensor's gradient is computed (PyTorch's): a hook that
        returns a tensor replaces the gradient; remove() on the handle unregisters it."""
        if not self._requires_grad:
            raise RuntimeError(f"register_hook: this tensor (shape {tuple(self.shape)}) does not "
                               "require grad, so no gradient reaches it")
        if self._node is None:
            from .autograd.graph import leaf_hooks

            hooks = leaf_hooks(self)
        else:
            if self._node._hooks is None:
                self._node._hooks = []
            hooks = self._node._hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad after backward (accumulated, like a
        leaf's). Leaves keep theirs anyway."""
        if self._node is None:
            if not self._requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad")
            return
        if getattr(self._node, "_retains", None) is not None:
            return
        me = weakref.ref(self)

        def keep(grad):
            t = me()
            if t is not None:
                g = grad.detach() if not grad._requires_grad else grad
                t.grad = g if t.grad is None else t.grad + g
            return None

        self._node._retains = keep
        self.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return self._node is not None and getattr(self._node, "_retains", None) is not None

    def zero_(self) -> Tensor:
        return self.fill_(0)

    # ----- in-place ---------------------------------------------------------------------------
    # Each bumps the version counter. Outside a graph (grad mode off, or neither this tensor
    # nor the value written has a history) the array is changed in place and nothing else.
    # On a graph (`out += identity` in a residual block, `logits[mask] = -inf`) the new value is
    # computed out of place by differentiable ops from a copy of the old one, written back into
    # this tensor's array (views still see it), and this tensor takes that computation's
    # history, so gradients stay right (PyTorch rebases the same way). Where PyTorch would also
    # rewrite the history of views (an in-place change of a view on the graph, or of a tensor
    # whose view is on the graph), this refuses with an error instead of a wrong gradient.

    def _check_inplace(self, op: str) -> None:
        if self._requires_grad and self._node is None and _grad_on():
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad (shape {tuple(self.shape)}) cannot be "
                "changed in place while grad mode is on; wrap the update in tensorgrad.no_grad()"
            )

    def _on_graph(self, other=None) -> bool:
        return _grad_on() and (self._node is not None or (
            isinstance(other, Tensor) and other._requires_grad))

    def _rebase(self, op: str, compute) -> Tensor:
        """self = compute(old self), recorded on the tape (see above)."""
        node = self._node
        if node is not None and type(node).may_view and self._data.base is not None:
            raise RuntimeError(
                f"{op}: this tensor (shape {tuple(self.shape)}) is a view of another tensor on "
                "the autograd graph, whose gradient an in-place change here would leave wrong; "
                "clone() it first, or use an out-of-place op")
        # views of this tensor on the graph (the counter list holds weak references to them
        # after the count): they would see the new values but keep the old history
        for ref in self._vc[1:]:
            view = ref()
            if view is not None and view is not self and view._node is not None:
                raise RuntimeError(
                    f"{op}: a view of this tensor (shape {tuple(view.shape)} of "
                    f"{tuple(self.shape)}) is on the autograd graph and would see the new "
                    "values with its old history, leaving gradients wrong; clone() the view, "
                    "or use an out-of-place op")
        old = Tensor._make(self._device.backend.copy(self._data), self._device,
                           self._requires_grad, node)
        new = compute(old)
        if tuple(new.shape) != tuple(self.shape):
            from .errors import ShapeError

            raise ShapeError(f"{op}: the result's shape {tuple(new.shape)} differs from the "
                             f"tensor's {tuple(self.shape)} (an in-place op cannot grow it)")
        if new._data.dtype != self._data.dtype:
            new = new.to(self._data.dtype)
        self._device.backend.setitem(self._data, Ellipsis, new._data)
        self._bump()
        node = new._node
        self._node, self._requires_grad = node, new._requires_grad
        if node is not None:  # the node's output is this tensor now, with this array
            saved = getattr(node, "_saved", None)
            if saved:
                node._saved = tuple(self._data if a is new._data else a for a in saved)
            if getattr(node, "_output", None) is not None:
                node._output = weakref.ref(self)
            if getattr(node, "_versions", None):
                node._versions[-1] = self._vc[0]
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace("fill_")
        if self._on_graph(value):
            return self._rebase("fill_", lambda old: _ops().elementwise.where(
                _all_true(old), value, old))
        self._device.backend.fill(self._data, value._data if isinstance(value, Tensor)
                                  else value)
        self._bump()
        return self

    def copy_(self, src) -> Tensor:
        self._check_inplace("copy_")
        if self._on_graph(src):
            if not isinstance(src, Tensor):
                src = Tensor(np.asarray(src), dtype=self.dtype)
            return self._rebase("copy_", lambda old: _ops().elementwise.where(
                _all_true(old), src.to(old.device), old))
        src = src._data if isinstance(src, Tensor) else np.asarray(src)
        self._device.backend.setitem(self._data, Ellipsis, self._device.backend.asarray(src))
        self._bump()
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with draws from U(a, b) (tensorgrad's seeded generator)."""
        from .random import generator

        self._check_inplace("uniform_")
        return self.copy_(generator().uniform(a, b, size=self.shape).astype(self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with draws from N(mean, std^2) (tensorgrad's seeded generator)."""
        from .random import generator

        self._check_inplace("normal_")
        return self.copy_(generator().normal(mean, std, size=self.shape).astype(self.dtype))

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        self._check_inplace("clamp_")
        clamp = _ops().elementwise.clamp
        if self._on_graph(min) or self._on_graph(max):
            return self._rebase("clamp_", lambda old: clamp(old, min, max))
        out = clamp(Tensor._make(self._data, self._device, False, None), min, max)
        self._device.backend.setitem(self._data, Ellipsis, out._data)
        self._bump()
        return self

    def _inplace(self, name: str, op: str, other) -> Tensor:
        self._check_inplace(name)
        if isinstance(other, Tensor) and other._device is not self._device:
            raise RuntimeError(f"{name}: tensors on {self._device} and {other._device}")
        if self._on_graph(other):
            ew = _ops().elementwise
            fn = {"add": ew.add, "subtract": ew.sub, "multiply": ew.mul, "divide": ew.div}[op]
            return self._rebase(name, lambda old: fn(old, other))
        if isinstance(other, Tensor):
            other = other._data
        self._device.backend.inplace(op, self._data, other)
        self._bump()
        return self

    def add_(self, other, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return self._inplace("add_", "add", other)

    def sub_(self, other) -> Tensor:
        return self._inplace("sub_", "subtract", other)

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", "multiply", other)

    def div_(self, other) -> Tensor:
        return self._inplace("div_", "divide", other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def __setitem__(self, index, value) -> None:
        self._check_inplace("setitem")
        index = _ops().indexing.normalize_index(index)
        if self._on_graph(value):
            self._rebase("setitem", lambda old: _put(old, index, value))
            return
        value = value._data if isinstance(value, Tensor) else value
        self._device.backend.setitem(self._data, index, value)
        self._bump()

    # ----- printing --------------------------------------------------------------------------

    def __repr__(self) -> str:
        body = np.array2string(
            np.asarray(self._device.backend.to_host(self._data)), separator=", ", prefix="tensor(",
            precision=4,
        )
        extras = []
        if self._data.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self._device is not CPU:
            extras.append(f"device='{self._device}'")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    __hash__ = object.__hash__

    # The operators (+ - * / ** @, comparisons, indexing) are bound in _methods.py, with the
    # other methods that call ops/, since the op modules import this one.

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def _all_true(like: Tensor) -> Tensor:
    return Tensor._make(like._device.backend.full(like._data.shape, True, np.bool_),
                        like._device, False, None)


def _put(old: Tensor, index, value) -> Tensor:
    """old with value written at index, out of place and differentiable in both (a where over
    the index's mask; a tensor value is scattered into place by index_add, getitem's adjoint)."""
    ops = _ops()
    shape = tuple(old.shape)
    mask = np.zeros(shape, dtype=np.bool_)
    mask[index] = True
    cond = Tensor._make(old._device.backend.asarray(mask), old._device, False, None)
    if isinstance(value, Tensor):
        region = np.broadcast_to(np.empty((), dtype=np.bool_), shape)[index].shape
        value = value.to(old.device).to(old.dtype)
        if tuple(value.shape) != region:
            value = value.expand(region)
        value = ops.indexing.index_add(value, index, shape)
    return ops.elementwise.where(cond, value, old)


def _grad_on() -> bool:
    from .autograd.mode import is_grad_enabled

    return is_grad_enabled()


def _to_array(data, dtype) -> np.ndarray:
    """PyTorch's factory rules: ndarrays keep their dtype; Python floats become the default
    float (float32), Python ints int64, bools bool."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        array = data._data
        return array if dtype is None else array.astype(dtype)
    if hasattr(data, "__cuda_array_interface__") or type(data).__module__.startswith("numba"):
        return data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return np.array(data, dtype=dtype, copy=True)  # tensor() copies, as torch.tensor does
    array = np.asarray(data)
    if dtype is not None:
        return array.astype(dtype)
    if array.dtype == np.float64:
        return array.astype(dtypes.get_default_dtype())
    if array.dtype.kind == "i":
        return array.astype(np.int64)
    if array.dtype.kind not in "fiub":
        raise DtypeError(f"tensor: cannot make a tensor from data of dtype {array.dtype}")
    return array


_function.Tensor = Tensor


class _OpsNamespace:
    """The op modules, imported on first use (they import this module)."""

    def __init__(self):
        from .ops import composite, conv, elementwise, indexing, linalg, pooling, reduction, shape

        self.elementwise = elementwise
        self.reduction = reduction
        self.shape = shape
        self.indexing = indexing
        self.linalg = linalg
        self.conv = conv
        self.pooling = pooling
        self.composite = composite


_OPS = None


def _ops() -> _OpsNamespace:
    global _OPS
    if _OPS is None:
        _OPS = _OpsNamespace()
    return _OPS
