"""Function: the base of every primitive and of users' own differentiable ops.

A subclass writes `forward(ctx, *arrays, **params) -> array` on raw arrays (numpy on the CPU) and
`backward(ctx, grad) -> grad or tuple of grads` in tensor ops, so that under `create_graph=True` the
gradient is itself recorded. `Function.apply(*inputs, **params)` runs forward and, when grad mode is
on and an input requires grad, returns a tensor whose node is the Function instance (the ctx).
"""

from __future__ import annotations

import contextvars
import os
import sys
import weakref

import numpy as np

from .mode import _anomaly, _grad_enabled

_in_backward = contextvars.ContextVar("tensorgrad_in_backward", default=None)

Tensor = None  # set by tensorgrad.tensor (the tensor module imports this one)


_new_tensor = object.__new__


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared under detect_anomaly()."""


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NN_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "tensorgrad_nn")


def _user_frame() -> str:
    """file:line of the innermost frame outside tensorgrad and tensorgrad_nn."""
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not (path.startswith(_PACKAGE_DIR) or path.startswith(_NN_DIR)):
            return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def _has_non_finite(array) -> bool:
    return array.dtype.kind == "f" and not np.isfinite(array).all()


class Function:
    """Base class of primitives and custom ops. The instance made by `apply` is the ctx."""

    # Set by apply on recorded nodes.
    inputs: tuple = ()
    needs_input_grad: tuple = ()
    _saved = ()
    _versions = ()
    _output = None
    _trace = None
    _hooks = None  # gradient hooks of the output tensor (Tensor.register_hook, retain_grad)
    may_view = False  # True for ops whose output can be a view of input 0 (reshape, slicing...)
    # True for elementwise ops of one tensor (inputs[0]; any further inputs are plain numbers)
    # whose backward returns its gradient in inputs[0]'s shape and dtype: the engine then skips
    # the walk over inputs and the broadcast check (a third of its time per node in a chain)
    _unary = False
    # True for getitem, whose backward is index_add(gy) into zeros of the input's shape: the
    # engine adds gy straight into a partial sum it owns instead (a tensor sliced L times then
    # costs one zeroed buffer in backward, not L)
    _scatter = False

    @staticmethod
    def forward(ctx, *args, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **params):
        ctx = _new_node(cls)
        arrays = []
        needs = []
        device = None
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                needs.append(a._requires_grad)
                if device is None:
                    device = a._device
                elif a._device is not device:
                    _mixed_devices(cls, args)
            else:
                arrays.append(a)
                needs.append(False)
        ctx.device = device
        ctx.backend = device._backend or device.backend  # the property only loads it once
        return _record(cls, ctx, args, needs, cls.forward(ctx, *arrays, **params))

    @classmethod
    def _apply_one(cls, x, value=None):
        """apply(x) or apply(x, value) for one tensor x, a plain (non-tensor) value or none,
        and a forward that returns a new array (never a view of x): what scalar arithmetic
        and the activations call. The same node as apply's, without its pass over the
        arguments and with _record inlined: x * 2.0 costs 1.5 instead of 1.9 us (the hottest
        Python of a small network, hence the second copy of _record's logic)."""
        ctx = _new_node(cls)
        device = ctx.device = x._device
        ctx.backend = device._backend or device.backend
        if value is None:
            out = cls.forward(ctx, x._data)
        else:
            out = cls.forward(ctx, x._data, value)
        anomaly = _anomaly.get()
        if anomaly:
            _check_forward(cls, (x,) if value is None else (x, value), out)
        if out.__class__ is not np.ndarray and isinstance(out, np.generic):
            out = np.asarray(out)  # numpy ufuncs turn 0-d arrays into scalars
        result = _new_tensor(Tensor)
        result._data = out
        result._device = device
        result._vc = [0]
        result.grad = None
        if x._requires_grad and _grad_enabled.get():
            if value is None:
                ctx.inputs = (x,)
                ctx.needs_input_grad = _ONE
            else:
                ctx.inputs = (x, value)
                ctx.needs_input_grad = _FIRST_OF_TWO
            if anomaly:
                ctx._trace = _user_frame()
            result._requires_grad = True
            result._node = ctx
            if ctx._saved:  # the output is found again, and version-checked, by saved_tensors
                ctx._versions = [x._vc[0], 0, 0] if value is not None else [x._vc[0], 0]
                ctx._output = weakref.ref(result)
        else:
            result._requires_grad = False
            result._node = None
        return result

    # ----- what forward and backward use -------------------------------------------------------

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays (inputs, the output, or anything computed) for backward."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The saved arrays as tensors: inputs and the output keep their place on the graph."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"backward: trying to backward through {self.name} a second time; its saved "
                "tensors were freed after the first backward. Pass retain_graph=True to the "
                "first backward (or autograd.grad) to keep them."
            )
        out = []
        output = self._output() if self._output is not None else None
        for array in saved:
            out.append(self._as_tensor(array, output))
        return tuple(out)

    def _as_tensor(self, array, output):
        if isinstance(array, Tensor):
            return array
        for i, a in enumerate(self.inputs):
            if isinstance(a, Tensor) and a._data is array:
                if self._versions and a._version != self._versions[i]:
                    raise RuntimeError(
                        f"backward: an input of {self.name} with shape {tuple(a.shape)} was "
                        f"modified in place after it was saved for backward (version "
                        f"{a._version}, expected {self._versions[i]}). Use an out-of-place op "
                        "or clone() the tensor before changing it."
                    )
                return a
        if output is not None and output._data is array:
            if self._versions and output._version != self._versions[-1]:
                raise RuntimeError(
                    f"backward: the output of {self.name} with shape {tuple(output.shape)} was "
                    "modified in place after it was saved for backward; clone() it first."
                )
            return output
        if _grad_enabled.get() and self._output is not None:
            # The output tensor is gone, but its gradient path still runs through this node.
            return Tensor._make(array, self.device, True, self)
        return Tensor._make(array, self.device, False, None)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    # ----- what the engine calls ---------------------------------------------------------------

    def _backward(self, grad, retain_graph: bool) -> tuple:
        anomaly = _anomaly.get()
        if anomaly:
            token = _in_backward.set(self)
            try:
                grads = type(self).backward(self, grad)
            finally:
                _in_backward.reset(token)
        else:
            grads = type(self).backward(self, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(self.inputs):
            self._count_error(grads)
        if anomaly:
            for i, g in enumerate(grads):
                if g is not None and _has_non_finite(g._data):
                    raise AnomalyError(
                        f"{self.name}.backward produced NaN/Inf in the gradient of input {i} "
                        f"(input shapes {_shapes(self.inputs)}); the op was created at "
                        f"{self._trace or '<run forward under detect_anomaly to see where>'}"
                    )
        if not retain_graph:
            self._saved = None
        return grads


    def _count_error(self, grads):
        raise RuntimeError(
            f"{self.name}.backward returned {len(grads)} gradients for {len(self.inputs)} inputs"
        )


_new_node = object.__new__
_ONE, _FIRST_OF_TWO = (True,), (True, False)  # _apply_one's needs_input_grad


def _record(cls, ctx, args, needs, out):
    """The output tensor of a forward; on the tape (ctx its node) when an input needs grad."""
    anomaly = _anomaly.get()
    if anomaly:
        _check_forward(cls, args, out)
    version = None
    if cls.may_view:
        base = getattr(out, "base", None)
        first = args[0]._data
        if base is not None and (base is first or base is getattr(first, "base", 0)):
            version = args[0]._vc  # a view: in-place changes to either are seen by both
    if out.__class__ is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)  # numpy ufuncs turn 0-d arrays into scalars
    result = _new_tensor(Tensor)
    result._data = out
    result._device = ctx.device  # forward may move the result (ToDevice)
    result._vc = [0] if version is None else version
    result.grad = None
    if True in needs and _grad_enabled.get() and out.dtype.kind == "f":
        ctx.inputs = args
        ctx.needs_input_grad = needs
        if anomaly:
            ctx._trace = _user_frame()
        result._requires_grad = True
        result._node = ctx
        if version is not None:  # a view on the graph: its base's in-place changes must see it
            n = len(version)
            if n > 8 and not n & (n - 1):  # drop the views that are gone (a weight's .T every
                # step), at lengths 16, 32, ...: amortised O(1) for a tensor sliced L times
                version[1:] = [r for r in version[1:] if r() is not None]
            version.append(weakref.ref(result))
        if ctx._saved:  # the output is found again, and version-checked, by saved_tensors
            ctx._versions = [a._vc[0] if isinstance(a, Tensor) else 0 for a in args]
            ctx._versions.append(result._vc[0])
            ctx._output = weakref.ref(result)
    else:
        result._requires_grad = False
        result._node = None
    return result


def _shapes(args) -> str:
    return ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, Tensor))


def _check_forward(cls, args, out) -> None:
    if not _has_non_finite(out):
        return
    node = _in_backward.get()
    if node is not None:
        raise AnomalyError(
            f"{node.name}.backward produced NaN/Inf (in its {cls.__name__} step; input shapes "
            f"{_shapes(node.inputs)}); the op was created at "
            f"{node._trace or '<run forward under detect_anomaly to see where>'}"
        )
    raise AnomalyError(
        f"{cls.__name__} produced NaN/Inf in its output (input shapes {_shapes(args)}) "
        f"at {_user_frame()}"
    )


def _mixed_devices(cls, args) -> None:
    devices = sorted({str(a._device) for a in args if isinstance(a, Tensor)})
    raise RuntimeError(
        f"{cls.__name__}: expected all tensors on the same device, got {' and '.join(devices)}"
    )
