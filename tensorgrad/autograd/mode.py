"""Grad mode and anomaly mode, each in a ContextVar: per thread (and per asyncio task)."""

import contextvars
import functools

_grad_enabled = contextvars.ContextVar("tensorgrad_grad_enabled", default=True)
_anomaly = contextvars.ContextVar("tensorgrad_anomaly", default=False)


def is_grad_enabled() -> bool:
    return _grad_enabled.get()


def is_anomaly_enabled() -> bool:
    return _anomaly.get()


class _Mode:
    """A context manager that is also a decorator; sets one ContextVar for its extent."""

    _var: contextvars.ContextVar
    _value: bool

    def __enter__(self):
        self._token = self._var.set(self._value)
        return self

    def __exit__(self, *exc):
        self._var.reset(self._token)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            token = self._var.set(self._value)
            try:
                return fn(*args, **kwargs)
            finally:
                self._var.reset(token)

        return wrapper


class no_grad(_Mode):  # noqa: N801  (PyTorch's name)
    """Ops inside record nothing on the tape. Context manager or decorator."""

    _var = _grad_enabled
    _value = False


class enable_grad(_Mode):  # noqa: N801
    """Turn recording back on inside a no_grad region. Context manager or decorator."""

    _var = _grad_enabled
    _value = True


class set_grad_enabled(_Mode):  # noqa: N801
    _var = _grad_enabled

    def __init__(self, mode: bool):
        self._value = bool(mode)


class inference_mode(_Mode):  # noqa: N801
    """PyTorch's inference_mode(mode=True): here the same as no_grad (mode=False: grad mode
    on). Context manager or decorator."""

    _var = _grad_enabled

    def __init__(self, mode: bool = True):
        self._value = not mode


class detect_anomaly(_Mode):  # noqa: N801
    """The first NaN/Inf made by an op, forward or backward, raises an AnomalyError that names the
    op, its input shapes and the user's line that created it."""

    _var = _anomaly
    _value = True

    def __init__(self, check_nan: bool = True):
        self._value = bool(check_nan)
