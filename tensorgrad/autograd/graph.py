"""The backward pass: order the nodes once by dependency counts (iteratively, no recursion), call
each node's backward, sum gradients of broadcast inputs back to their shapes (here and nowhere
else), accumulate, and free what the nodes saved."""

from __future__ import annotations

import weakref

from . import function
from .mode import _anomaly, enable_grad, no_grad

_reduce = None  # (sum_to, cast) from tensorgrad.ops, bound on first use (ops import autograd)


def _fit(grad, tensor):
    """Sum a broadcast gradient back to the tensor's shape and give it the tensor's dtype."""
    global _reduce
    if _reduce is None:
        from ..ops.elementwise import cast
        from ..ops.shape import sum_to

        _reduce = (sum_to, cast)
    if grad._data.shape != tensor._data.shape:
        grad = _reduce[0](grad, tensor._data.shape)
    if grad._data.dtype != tensor._data.dtype:
        grad = _reduce[1](grad, tensor._data.dtype)
    return grad


def _dependencies(roots) -> dict:
    """For every node reachable from the roots, how many edges point at it."""
    deps = {node: 0 for node in roots}
    stack = list(deps)
    while stack:
        node = stack.pop()
        if node._unary:
            child = node.inputs[0]._node
            if child is not None:
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    stack.append(child)
            continue
        for needs, t in zip(node.needs_input_grad, node.inputs):
            if needs and t._node is not None:
                child = t._node
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    stack.append(child)
    return deps


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate root_grads from roots. With `inputs` (a sequence of tensors) return their gradients
    and touch no .grad; otherwise accumulate into the .grad of every leaf that requires grad."""
    capture = None
    if inputs is not None:
        capture = {id(t): i for i, t in enumerate(inputs)}
        captured = [None] * len(inputs)
        capture_nodes = {t._node: i for i, t in enumerate(inputs) if t._node is not None}
    grads = {}
    anomaly = _anomaly.get()
    with enable_grad() if create_graph else no_grad():
        for t, g in zip(roots, root_grads):
            g = _fit(g, t)
            if t._node is None:
                _to_leaf(t, g, create_graph, capture, captured if capture else None)
            else:
                grads[t._node] = grads[t._node] + g if t._node in grads else g
        deps = _dependencies(list(grads))
        # ready holds (node, its summed gradient); grads only the partial sums of nodes still
        # waiting for a consumer, so a chain never touches it
        ready = [(node, grads.pop(node)) for node in list(grads) if deps[node] == 0]
        # nodes whose partial sum in grads is an array this pass made and nothing else holds:
        # further gradients are added into it in place (never under create_graph, where the
        # sums are recorded ops)
        owned = set()
        while ready:
            node, gy = ready.pop()
            if node._hooks is not None and gy is not None:
                gy = _run_hooks(node._hooks, gy, create_graph)
            if capture is not None and node in capture_nodes:
                captured[capture_nodes[node]] = gy
            if node._scatter and not anomaly and gy is not None and node.inputs[0]._node in owned:
                # x[index]'s gradient added into x's partial sum where it lies
                child = node.inputs[0]._node
                node.inputs[0]._device.backend.index_add_(grads[child]._data, node.index,
                                                          gy._data)
                if not retain_graph:
                    node._saved = None
                waiting = deps[child] - 1
                if waiting:
                    deps[child] = waiting
                else:
                    owned.discard(child)
                    ready.append((child, grads.pop(child)))
                continue
            if gy is None:
                gxs = (None,) * len(node.inputs)
            elif anomaly:
                gxs = node._backward(gy, retain_graph)
            else:  # node._backward without its anomaly checks, inlined: the hot loop
                gxs = type(node).backward(node, gy)
                if not isinstance(gxs, tuple):
                    gxs = (gxs,)
                if len(gxs) != len(node.inputs):
                    node._count_error(gxs)
                if not retain_graph:
                    node._saved = None
            if node._unary:  # one input, its gradient already of its shape and dtype
                edges = ((node.inputs[0], gxs[0]),)
            else:
                edges = []
                for t, need, g in zip(node.inputs, node.needs_input_grad, gxs):
                    if need:
                        if g is not None:
                            data, target = g._data, t._data
                            if data.shape != target.shape or data.dtype != target.dtype:
                                g = _fit(g, t)
                        edges.append((t, g))
            for t, g in edges:
                child = t._node
                if child is None:
                    if g is not None:
                        _to_leaf(t, g, create_graph, capture, captured if capture else None)
                    continue
                waiting = deps[child] - 1
                if waiting:
                    deps[child] = waiting
                    if g is None:
                        continue
                    if child not in grads:
                        grads[child] = g
                        if node._scatter and not create_graph:  # index_add's fresh zeros
                            owned.add(child)
                    elif child in owned:
                        t._device.backend.inplace("add", grads[child]._data, g._data)
                    else:
                        grads[child] = grads[child] + g
                        if not create_graph:
                            owned.add(child)
                else:  # its last consumer: it is ready with the sum of all
                    if child in grads:
                        partial = grads.pop(child)
                        if g is None:
                            g = partial
                        elif child in owned:
                            t._device.backend.inplace("add", partial._data, g._data)
                            g = partial
                        else:
                            g = partial + g
                        owned.discard(child)
                    ready.append((child, g))
    return captured if capture is not None else None


def _run_hooks(hooks, g, create_graph):
    """Each hook in turn on the tensor's gradient (PyTorch's: a hook returning a tensor
    replaces the gradient for the later hooks and for the graph)."""
    for hook in list(hooks):
        out = hook(g if create_graph else function.Tensor._make(g._data, g._device, False, None))
        if out is not None:
            if tuple(out.shape) != tuple(g.shape):
                raise RuntimeError(f"a gradient hook returned shape {tuple(out.shape)} for a "
                                   f"gradient of shape {tuple(g.shape)}")
            g = out
    return g


# id(leaf tensor) -> (a weak reference to it, its gradient hooks); by identity, since a
# tensor's == is elementwise, and dropped when the tensor goes
LEAF_HOOKS: dict = {}


def leaf_hooks(t) -> list:
    """The hook list of leaf tensor t, made on first use."""
    entry = LEAF_HOOKS.get(id(t))
    if entry is None or entry[0]() is not t:
        key = id(t)
        entry = LEAF_HOOKS[key] = (weakref.ref(t, lambda _, k=key: LEAF_HOOKS.pop(k, None)), [])
    return entry[1]


def _to_leaf(t, g, create_graph, capture, captured) -> None:
    if LEAF_HOOKS:
        entry = LEAF_HOOKS.get(id(t))
        if entry is not None and entry[0]() is t and entry[1]:
            g = _run_hooks(entry[1], g, create_graph)
    if capture is not None:
        i = capture.get(id(t))
        if i is not None:
            captured[i] = g if captured[i] is None else captured[i] + g
        return
    if not create_graph:
        g = function.Tensor._make(g._data, g._device, False, None)
    t.grad = g if t.grad is None else t.grad + g
