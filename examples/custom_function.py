"""Your own differentiable code: (1) an arbitrary function written with tensor ops, its gradient
from the tape against a formula derived by hand; (2) a custom primitive (a tg.Function with a
numpy forward and a tensor-op backward) that composes with everything, second order included.

    python examples/custom_function.py
"""

import numpy as np

import tensorgrad as tg
from tensorgrad.testing import check_formula, gradcheck, gradgradcheck


# (1) f(w) = mean(log(1 + exp(-y * (X @ w)))) + 0.5 * lam * |w|^2   (L2-regularised logistic loss)
#     hand-derived: df/dw = -X^T (y * sigmoid(-y * X w)) / N + lam * w
def logistic_loss(w, X, y, lam):
    margin = (X @ w) * y
    return (1 + (-margin).exp()).log().mean() + 0.5 * lam * (w * w).sum()


def logistic_grad(w, X, y, lam):
    s = 1 / (1 + np.exp(y * (X @ w)))
    return -(X.T @ (y * s)) / len(y) + lam * w


# (2) Swish as a primitive: y = x sigmoid(x);  dy/dx = s + x s (1 - s)
class Swish(tg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + np.exp(-x))

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return gy * (s + x * s * (1 - s))


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    y = rng.choice([-1.0, 1.0], size=50)
    w0 = rng.standard_normal(4)

    err = check_formula(lambda w: logistic_loss(w, tg.tensor(X), tg.tensor(y), 0.1),
                        lambda w: logistic_grad(w, X, y, 0.1), w0)
    print(f"logistic loss: max |autodiff - hand formula| = {err:.2e}")

    x = tg.tensor(rng.standard_normal(6))
    gradcheck(Swish.apply, x)
    gradgradcheck(Swish.apply, x)
    hess = tg.hessian(lambda v: Swish.apply(v).sum())(x)
    xs = x.numpy()
    s = 1 / (1 + np.exp(-xs))
    d2 = s * (1 - s) * (2 + xs * (1 - 2 * s))  # d^2/dx^2 of x sigmoid(x), by hand
    print(f"Swish primitive: gradcheck and gradgradcheck pass; Hessian diagonal vs formula: "
          f"max error {np.abs(np.diag(hess.numpy()) - d2).max():.2e}")

    # It composes with the rest of the library like any built-in op
    layer = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    out = Swish.apply(tg.tensor(X) @ layer).sum()
    out.backward()
    print(f"gradient through Swish(X @ W) has shape {tuple(layer.grad.shape)}")


if __name__ == "__main__":
    main()
