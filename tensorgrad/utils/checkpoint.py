"""Gradient checkpointing (torch.utils.checkpoint): trade compute for memory.

`checkpoint(fn, *args)` runs fn and keeps only its inputs and outputs on the tape, not the
activations inside it; backward runs fn again (with the random state it had, so dropout draws
the same mask) and differentiates that second run. A network of L blocks then holds one
block's activations at a time during backward instead of all L.

How the parameters fn uses get their gradients: after the first run, the graph it recorded is
walked from the outputs down to fn's tensor arguments, and the tensors that require grad met
on the way (a module's parameters, tensors fn closes over) become inputs of the checkpoint's
node together with the arguments; the recorded graph is then dropped. Backward computes the
gradients of all of them from the rerun, so `.backward()`, `autograd.grad` and gradients of
gradients (create_graph=True) all see through a checkpoint.
"""

from __future__ import annotations

import contextlib
import math

from ..autograd.function import Function
from ..autograd.functional import grad as autograd_grad
from ..autograd.mode import _grad_enabled, enable_grad
from ..random import get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state: bool = True,
               determinism_check: str = "default", debug: bool = False, **kwargs):
    """function(*args, **kwargs), with its inner activations recomputed in backward instead of
    kept. It returns a tensor or a tuple/list of tensors (and other values); the tensors that
    require grad must share one dtype. use_reentrant and debug are accepted for PyTorch's
    signature; the one behaviour is PyTorch's non-reentrant one (grad, create_graph and
    unused inputs work). determinism_check="default" checks that the rerun gives outputs of
    the same shapes ("none" skips it)."""
    from ..tensor import Tensor

    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got "
                         f"{determinism_check!r}")
    if not _grad_enabled.get():
        return function(*args, **kwargs)
    states = _rng_states(args) if preserve_rng_state else None
    result = function(*args, **kwargs)
    kind = type(result)
    single = isinstance(result, Tensor)
    values = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
    if values is None:
        raise TypeError(f"checkpoint: the function must return a tensor or a tuple/list of "
                        f"tensors, got {type(result).__name__}")
    recorded = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not recorded:
        return result  # nothing on the tape: nothing to recompute
    dtypes = {values[i].dtype for i in recorded}
    if len(dtypes) > 1:
        raise TypeError(f"checkpoint: the outputs that require grad must share a dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")
    arguments = [a for a in args if isinstance(a, Tensor)]
    captured = _captured([values[i] for i in recorded], {id(a) for a in arguments})
    inputs = [a for a in arguments if a.requires_grad] + captured
    shapes = [tuple(values[i].shape) for i in recorded]

    def rerun(create_graph):
        """The outputs that require grad of a second run, and the tensors they are differentiated
        against (in inputs' order): the arguments themselves under create_graph, so that
        gradients of gradients reach them, else detached copies that stop the backward there."""
        if create_graph:
            again = list(args)
        else:
            again = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                     for a in args]
        with _rng_replayed(states), enable_grad():
            out = function(*again, **kwargs)
        out = [out] if isinstance(out, Tensor) else list(out)
        outs = [out[i] if i < len(out) else None for i in recorded]
        if determinism_check == "default":
            got = [tuple(o.shape) if isinstance(o, Tensor) else None for o in outs]
            if got != shapes:
                raise RuntimeError(f"checkpoint: the recomputed outputs have shapes {got}, the "
                                   f"first run's {shapes}: the function must compute the same "
                                   "thing both times")
        differentiated = [a for a in again if isinstance(a, Tensor) and a.requires_grad]
        return outs, differentiated + captured

    datas = [values[i]._data for i in recorded]
    if len(datas) == 1:
        flat = datas[0]
    else:
        backend = values[recorded[0]]._device.backend
        flat = backend.concatenate([d.reshape(-1) for d in datas], 0)
    node_out = _Checkpoint.apply(*inputs, out=flat, rerun=rerun, shapes=shapes)
    del result  # the first run's graph goes with it
    if len(recorded) == 1:
        values[recorded[0]] = node_out
    else:
        start = 0
        for i, shape in zip(recorded, shapes):
            size = math.prod(shape)
            values[i] = node_out[start:start + size].reshape(shape)
            start += size
    return values[0] if single else values if kind is list else tuple(values)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules/functions) in `segments` chunks, each but the last
    checkpointed (torch.utils.checkpoint.checkpoint_sequential)."""
    functions = list(functions.children() if hasattr(functions, "children") else functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}")
    size = max(1, len(functions) // segments)

    def run(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end + 1), input, **kwargs)
    return run(end + 1, len(functions))(input)


class _Checkpoint(Function):
    """The node of a checkpointed call: its inputs are the call's tensor arguments and the
    tensors it captured; its output, the call's outputs (flattened and joined where several)."""

    @staticmethod
    def forward(ctx, *arrays, out, rerun, shapes):
        ctx.rerun, ctx.shapes = rerun, shapes
        return out

    @staticmethod
    def backward(ctx, grad):
        create_graph = _grad_enabled.get()  # the engine records backward only under it
        outs, targets = ctx.rerun(create_graph)
        if len(outs) == 1:
            pieces = [grad.reshape(ctx.shapes[0])]
        else:
            pieces, start = [], 0
            for shape in ctx.shapes:
                size = math.prod(shape)
                pieces.append(grad[start:start + size].reshape(shape))
                start += size
        used = [(o, g) for o, g in zip(outs, pieces) if o.requires_grad]
        wanted = [t for t, need in zip(targets, ctx.needs_input_grad) if need]
        grads = iter(autograd_grad([o for o, _ in used], wanted, [g for _, g in used],
                                   retain_graph=True, create_graph=create_graph,
                                   allow_unused=True) if used and wanted else ())
        return tuple(next(grads, None) if need else None for need in ctx.needs_input_grad)


def _captured(outputs, arguments) -> list:
    """The leaves that require grad on the graph below outputs, not counting the arguments and
    what lies below them: the parameters the call used, and the leaves below any tensor from
    outside it that it closed over (its backward then runs through that tensor's graph)."""
    found, seen, stack = [], set(), [o._node for o in outputs]
    ids = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for need, t in zip(node.needs_input_grad, node.inputs):
            if not need or id(t) in arguments:
                continue
            if t._node is None:
                if id(t) not in ids:
                    ids.add(id(t))
                    found.append(t)
            else:
                stack.append(t._node)
    return found


def _rng_states(args):
    """The random states a rerun must replay: the CPU generator's, and the CUDA generator's
    where an argument lives on the GPU."""
    cuda = any(getattr(a, "device", None) is not None and str(a.device).startswith("cuda")
               for a in args)
    if cuda:
        from .. import cuda as tg_cuda

        return get_rng_state(), tg_cuda.get_rng_state()
    return get_rng_state(), None


@contextlib.contextmanager
def _rng_replayed(states):
    """Run with the generators set to states, and give them back their current states after:
    the rerun draws what the first run drew without changing what later code draws."""
    if states is None:
        yield
        return
    from .. import cuda as tg_cuda

    now = get_rng_state(), tg_cuda.get_rng_state() if states[1] is not None else None
    set_rng_state(states[0])
    if states[1] is not None:
        tg_cuda.set_rng_state(states[1])
    try:
        yield
    finally:
        set_rng_state(now[0])
        if now[1] is not None:
            tg_cuda.set_rng_state(now[1])
