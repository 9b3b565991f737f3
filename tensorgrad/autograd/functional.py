"""Entry points over the tape: Tensor.backward, autograd.grad, and JAX-style transforms
(grad, value_and_grad, vjp, jacobian, hessian)."""

from __future__ import annotations

import functools

from . import function
from .graph import run_backward


def _tensor_cls():
    return function.Tensor


def _root_grads(outputs, grad_outputs, op: str):
    Tensor = _tensor_cls()
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be created implicitly only for scalar outputs; the output "
                    f"has shape {tuple(out.shape)}, so pass a gradient of that shape"
                )
            g = Tensor._make(out._device.backend.ones(out.shape, out.dtype), out._device, False,
                             None)
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=out.dtype)
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"{op}: gradient of shape {tuple(g.shape)} does not match the output's shape "
                f"{tuple(out.shape)}"
            )
        grads.append(g)
    return grads


def _check_requires_grad(outputs, op: str):
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of the outputs does not require grad and has no grad_fn "
                "(was it computed under no_grad, or from tensors without requires_grad=True?)"
            )


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Tensor.backward: accumulate gradients into the .grad of the leaves."""
    _check_requires_grad([tensor], "backward")
    grads = _root_grads([tensor], [gradient], "backward")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, _tensor_cls()) else list(inputs)
        captured = run_backward([tensor], grads, retain, create_graph, inputs)
        for t, g in zip(inputs, captured):
            if g is not None:
                g = g if create_graph else g.detach()
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward([tensor], grads, retain, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) weighted by grad_outputs, as a tuple; no .grad is touched
    (torch.autograd.grad). With create_graph=True the result is differentiable again."""
    Tensor = _tensor_cls()
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is not None and isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    _check_requires_grad(outputs, "grad")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {tuple(t.shape)}) does not require grad")
    roots = _root_grads(outputs, grad_outputs, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward(outputs, roots, retain, create_graph, inputs)
    for i, g in enumerate(captured):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(inputs[i].shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(captured)


# ----- JAX-style transforms --------------------------------------------------------------------


def _prepare(args, argnums):
    """Copies of the differentiated args that require grad. Inside an outer transform (the arg
    already requires grad) keep the arg itself so the outer one can differentiate through."""
    Tensor = _tensor_cls()
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    args = list(args)
    nested = False
    for i in nums:
        a = args[i]
        if not isinstance(a, Tensor):
            a = Tensor(a)
        if a._requires_grad:
            nested = True
        else:
            a = a.detach().requires_grad_()
        args[i] = a
    return args, nums, single, nested


def value_and_grad(f, argnums=0, has_aux: bool = False):
    """f -> (x -> (f(x), df/dx)) for scalar-valued f; grads follow argnums (an int or tuple)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from .mode import enable_grad

        args, nums, single, nested = _prepare(args, argnums)
        with enable_grad():
            out = f(*args, **kwargs)
            value, aux = out if has_aux else (out, None)
            if value._data.size != 1:
                raise RuntimeError(
                    f"grad: f must return a scalar, got shape {tuple(value.shape)}; use "
                    "jacobian or vjp for vector outputs"
                )
            grads = grad(value, [args[i] for i in nums], create_graph=nested, allow_unused=True)
        grads = tuple(
            g if g is not None else args[i].detach() * 0 for g, i in zip(grads, nums)
        )
        result = grads[0] if single else grads
        if not nested:
            value = value.detach()
        return ((value, aux), result) if has_aux else (value, result)

    return wrapper


def grad_fn(f, argnums=0, has_aux: bool = False):
    """f -> df/dx for scalar-valued f (jax.grad). Composes: grad(grad(f)) is the 2nd derivative."""
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        out, g = vg(*args, **kwargs)
        return (g, out[1]) if has_aux else g

    return wrapper


def vjp(f, *primals):
    """(f(*primals), vjp_fn) with vjp_fn(v) = v^T J as a tuple, one entry per primal."""
    from .mode import enable_grad

    args, nums, _, nested = _prepare(primals, tuple(range(len(primals))))
    with enable_grad():
        out = f(*args)

    def vjp_fn(v):
        Tensor = _tensor_cls()
        v = v if isinstance(v, Tensor) else Tensor(v, dtype=out.dtype)
        with enable_grad():
            return grad(out, args, grad_outputs=[v], retain_graph=True, create_graph=nested,
                        allow_unused=True)

    return (out if nested else out.detach()), vjp_fn


def jacobian(f, argnums=0):
    """f -> (x -> J) with J of shape out.shape + x.shape, one backward per output element."""

    def wrapper(*args):
        from ..ops.shape import stack
        from .mode import enable_grad

        args, nums, single, nested = _prepare(args, argnums)
        Tensor = _tensor_cls()
        with enable_grad():
            out = f(*args)
            flat = out.reshape(-1)
            rows = [[] for _ in nums]
            for k in range(flat.shape[0]):
                gs = grad(flat[k], [args[i] for i in nums], retain_graph=True,
                          create_graph=nested, allow_unused=True)
                for r, g, i in zip(rows, gs, nums):
                    r.append(g if g is not None else args[i].detach() * 0)
        jacs = []
        for r, i in zip(rows, nums):
            shape = tuple(out.shape) + tuple(args[i].shape)
            if r:
                jac = stack(r).reshape(shape)
            else:
                jac = Tensor(args[i]._data.reshape(-1)[:0].reshape(shape))
            jacs.append(jac if nested else jac.detach())
        return jacs[0] if single else tuple(jacs)

    return wrapper


def hessian(f, argnums=0):
    """f -> (x -> H) for scalar f: the Jacobian of the gradient, shape x.shape + x.shape."""
    return jacobian(grad_fn(f, argnums), argnums)


def _as_tuple(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def jvp(f, primals, tangents):
    """(f(*primals), J t): the Jacobian-vector (forward-mode) product, torch.func.jvp's and
    jax.jvp's signature (primals and tangents are tuples). Built from two reverse passes: with
    u a dummy cotangent, g(u) = J^T u is linear in u, and J t = d(g . t)/du."""
    from ..creation import zeros_like
    from .mode import enable_grad

    primals, tangents = _as_tuple(primals), _as_tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    args, _, _, nested = _prepare(primals, tuple(range(len(primals))))
    Tensor = _tensor_cls()
    tangents = [t if isinstance(t, Tensor) else Tensor(t, dtype=a.dtype)
                for t, a in zip(tangents, args)]
    for t, a in zip(tangents, args):
        if tuple(t.shape) != tuple(a.shape):
            raise ValueError(f"jvp: a tangent of shape {tuple(t.shape)} for a primal of shape "
                             f"{tuple(a.shape)}")
    with enable_grad():
        out = f(*args)
        dummy = zeros_like(out).requires_grad_()
        pulled = grad(out, args, grad_outputs=[dummy], create_graph=True, allow_unused=True)
        terms = [(g * t).sum() for g, t in zip(pulled, tangents) if g is not None]
        if not terms:
            return (out if nested else out.detach()), zeros_like(out)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        (pushed,) = grad(total, [dummy], create_graph=nested, allow_unused=True)
    if pushed is None:
        pushed = zeros_like(out)
    return (out if nested else out.detach()), (pushed if nested else pushed.detach())


def hvp(f, primals, tangents):
    """(f(*primals), H t) for scalar f: the gradient's Jacobian-vector product, one backward
    through the gradient (no Hessian is formed)."""
    from .mode import enable_grad

    primals, tangents = _as_tuple(primals), _as_tuple(tangents)
    args, _, _, nested = _prepare(primals, tuple(range(len(primals))))
    Tensor = _tensor_cls()
    with enable_grad():
        out = f(*args)
        if out._data.size != 1:
            raise RuntimeError(f"hvp: f must return a scalar, got shape {tuple(out.shape)}")
        grads = grad(out, args, create_graph=True, allow_unused=True)
        total = None
        for g, t, a in zip(grads, tangents, args):
            if g is not None:
                t = t if isinstance(t, Tensor) else Tensor(t, dtype=a.dtype)
                term = (g * t).sum()
                total = term if total is None else total + term
        if total is None:
            products = tuple(a.detach() * 0 for a in args)
        else:
            products = grad(total, args, create_graph=nested, allow_unused=True)
            products = tuple(p if p is not None else a.detach() * 0
                             for p, a in zip(products, args))
    products = products if nested else tuple(p.detach() for p in products)
    return (out if nested else out.detach()), (products[0] if len(products) == 1 else products)


def vmap(f, in_dims=0, out_dims=0):
    """f mapped over a dim of its inputs (torch.vmap's and jax.vmap's signature): in_dims gives,
    per positional argument (or one for all), the dim to map over or None for an argument passed
    whole; the results, a tensor or a tuple of tensors, are stacked along out_dims (one, or one
    per result). It runs as a loop, f called once per entry on the slices: a vectorised vmap's
    answers, not its speed. Composes with the other transforms: vmap(grad(f)) gives per-sample
    gradients, and the tape differentiates through it."""

    @functools.wraps(f)
    def wrapper(*args):
        from ..ops.shape import stack

        Tensor = _tensor_cls()
        dims = tuple(in_dims) if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes, norm = set(), []
        for k, (a, d) in enumerate(zip(args, dims)):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(a, Tensor):
                raise TypeError(f"vmap: argument {k} is mapped (in_dims {d}) but is a "
                                f"{type(a).__name__}, not a tensor; give it in_dims None")
            if not -a.ndim <= d < a.ndim:
                raise ValueError(f"vmap: in_dims {d} is out of range for argument {k} of shape "
                                 f"{tuple(a.shape)}")
            norm.append(d % a.ndim)
            sizes.add(a.shape[d])
        if not sizes:
            raise ValueError("vmap: in_dims maps no argument (all None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: the mapped dims have different sizes {sorted(sizes)}")
        n = sizes.pop()
        if n == 0:
            raise ValueError("vmap: the mapped dim has size 0 (no call to infer the results from)")

        def entry(a, d, i):
            return a if d is None else a[(slice(None),) * d + (i,)]

        outs = [f(*(entry(a, d, i) for a, d in zip(args, norm))) for i in range(n)]
        if isinstance(outs[0], tuple):
            count = len(outs[0])
            odims = tuple(out_dims) if isinstance(out_dims, (tuple, list)) else (out_dims,) * count
            return tuple(stack([o[j] for o in outs], odims[j]) for j in range(count))
        if not isinstance(outs[0], Tensor):
            raise TypeError(f"vmap: f must return a tensor or a tuple of tensors, got "
                            f"{type(outs[0]).__name__}")
        return stack(outs, out_dims)

    return wrapper
