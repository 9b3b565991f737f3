"""Arbitrary differentiable functions: their gradients and Hessians from the tape, compared with
formulas derived by hand. Prints the largest error of each comparison.

    python examples/gradients.py
"""

import numpy as np

import tensorgrad as tg
from tensorgrad.testing import check_formula, gradcheck

rng = np.random.default_rng(0)


def report(name, got, expected):
    err = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - expected)))
    print(f"{name:<48} max |autodiff - formula| = {err:.2e}")
    return err


def main():
    worst = 0.0

    # 1. f(x) = sum(x * tanh(x)):  df/dx = tanh(x) + x (1 - tanh(x)^2)
    x0 = rng.standard_normal(5)
    g = tg.grad(lambda x: (x * x.tanh()).sum())(tg.tensor(x0))
    worst = max(worst, report("x tanh(x): gradient", g.numpy(),
                              np.tanh(x0) + x0 * (1 - np.tanh(x0) ** 2)))

    # 2. Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2: gradient and Hessian by hand
    def rosen(v):
        return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2

    v0 = np.array([-1.2, 1.0])
    x, y = v0
    hand_grad = np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])
    hand_hess = np.array([[2 - 400 * (y - x ** 2) + 800 * x ** 2, -400 * x], [-400 * x, 200.0]])
    worst = max(worst, report("Rosenbrock: gradient", tg.grad(rosen)(tg.tensor(v0)).numpy(),
                              hand_grad))
    worst = max(worst, report("Rosenbrock: Hessian", tg.hessian(rosen)(tg.tensor(v0)).numpy(),
                              hand_hess))

    # 3. Softmax cross-entropy (the numpy seed's formula): dL/dz = (softmax(z) - onehot) / N
    logits = rng.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2])

    def xent(z):
        return -(z.log_softmax(-1)[np.arange(4), labels]).mean()

    def xent_grad(z):
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        return (p - np.eye(3)[labels]) / len(z)

    worst = max(worst, check_formula(xent, xent_grad, logits))
    print(f"{'softmax cross-entropy: (softmax - onehot) / N':<48} checked by check_formula")

    # 4. Dense layer (the slugnet seed): dL/dW = x^T delta, dL/dx = delta W^T, dL/db = sum(delta)
    xb, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    delta = rng.standard_normal((6, 3))

    def dense(x, w, b):
        return ((x @ w + b) * tg.tensor(delta)).sum()

    worst = max(worst, check_formula(dense, lambda x, w, b: (delta @ w.T, x.T @ delta,
                                                             delta.sum(0)), xb, w, b))
    print(f"{'dense layer: x^T delta, delta W^T, sum(delta)':<48} checked by check_formula")

    # 5. log-sum-exp Hessian: diag(p) - p p^T
    z0 = rng.standard_normal(4)
    p = np.exp(z0) / np.exp(z0).sum()
    worst = max(worst, report("logsumexp: Hessian", tg.hessian(lambda z: z.logsumexp(0))(
        tg.tensor(z0)).numpy(), np.diag(p) - np.outer(p, p)))

    # 6. Backprop's intermediate gradients (the "deltas" of the numpy notebook), kept by
    #    retain_grad: h = relu(z), z = x W1, y = h W2, L = 0.5 |y - t|^2 / N
    #    dL/dy = (y - t) / N,  dL/dh = dL/dy W2^T,  dL/dz = dL/dh * [z > 0]
    xv, tv = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    z = tg.tensor(xv) @ tg.tensor(w1, requires_grad=True)
    h = z.relu()
    out = h @ tg.tensor(w2)
    for t in (z, h, out):
        t.retain_grad()
    (0.5 * ((out - tg.tensor(tv)) ** 2).sum() / 5).backward()
    dy = (xv @ w1).clip(0) @ w2 - tv
    dy /= 5
    dh = dy @ w2.T
    worst = max(worst, report("retain_grad: dL/dy = (y - t) / N", out.grad.numpy(), dy))
    worst = max(worst, report("retain_grad: dL/dh = dL/dy W2^T", h.grad.numpy(), dh))
    worst = max(worst, report("retain_grad: dL/dz = dL/dh [z > 0]", z.grad.numpy(),
                              dh * (xv @ w1 > 0)))

    # 7. sin(x) cos(x) = sin(2x) / 2: its derivative is cos(2x)
    x1 = rng.standard_normal(5)
    worst = max(worst, report("sin(x) cos(x): gradient", tg.grad(
        lambda v: (v.sin() * v.cos()).sum())(tg.tensor(x1)).numpy(), np.cos(2 * x1)))

    # 8. Any function at all, checked against central differences
    gradcheck(lambda a, b: ((a @ b).sigmoid() * a.sum()).amax(0), tg.tensor(rng.standard_normal(
        (3, 2))), tg.tensor(rng.standard_normal((2, 4))))
    print(f"{'sigmoid(a @ b) * sum(a), max over dim 0':<48} passes gradcheck")

    print(f"worst error: {worst:.2e}")
    assert worst < 1e-8


if __name__ == "__main__":
    main()
