"""tensorgrad.linalg against numpy.linalg (forward, float32 and float64), the textbook gradient
formulas evaluated in numpy, and central differences in float64 to second order."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import gradcheck, gradgradcheck

L = tg.linalg


def _well_conditioned(rng, *shape):
    """Random square matrices kept away from singularity: n I plus noise."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def _spd(rng, *shape):
    m = rng.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy_and_keeps_dtype(dtype):
    rng = np.random.default_rng(0)
    a = _well_conditioned(rng, 3, 4, 4).astype(dtype)
    b = rng.standard_normal((3, 4, 2)).astype(dtype)
    s = _spd(rng, 2, 5, 5).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    A, B, S = tg.tensor(a), tg.tensor(b), tg.tensor(s)
    cases = [
        (L.inv(A), np.linalg.inv(a)),
        (L.det(A), np.linalg.det(a)),
        (L.slogdet(A)[1], np.linalg.slogdet(a)[1]),
        (L.slogdet(A)[0], np.linalg.slogdet(a)[0]),
        (L.solve(A, B), np.linalg.solve(a, b)),
        (L.solve(A[0], B[0, :, 0]), np.linalg.solve(a[0], b[0, :, 0])),
        (L.cholesky(S), np.linalg.cholesky(s)),
        (L.cholesky(S, upper=True), np.swapaxes(np.linalg.cholesky(s), -1, -2)),
        (L.logdet(S), np.log(np.linalg.det(s.astype(np.float64)))),
        (L.eigvalsh(S), np.linalg.eigvalsh(s)),
        (L.eigh(S)[1], np.linalg.eigh(s)[1]),
        (L.eigvalsh(tg.tensor(np.triu(s)), UPLO="U"), np.linalg.eigvalsh(s)),
    ]
    for got, want in cases:
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want, **tol)


def test_norms_match_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4, 5))
    A = tg.tensor(a)
    for ord in (2, 1, math.inf, -math.inf, 3, 0.5, 0, -1):
        np.testing.assert_allclose(L.vector_norm(A, ord, dim=-1).numpy(),
                                   np.linalg.norm(a, ord, axis=-1), rtol=1e-12)
    for ord in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        np.testing.assert_allclose(L.matrix_norm(A, ord).numpy(),
                                   np.linalg.norm(a, ord, axis=(-2, -1)), rtol=1e-12)
    np.testing.assert_allclose(L.matrix_norm(A, "nuc", dim=(0, 2), keepdim=True).numpy(),
                               np.linalg.norm(a, "nuc", axis=(0, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(L.norm(A).numpy(), np.linalg.norm(a.ravel()), rtol=1e-12)
    np.testing.assert_allclose(L.norm(A[0], 1).numpy(), np.linalg.norm(a[0], 1), rtol=1e-12)
    np.testing.assert_allclose(L.norm(A, math.inf, dim=(0, 2), keepdim=True).numpy(),
                               np.linalg.norm(a, math.inf, axis=(0, 2), keepdims=True),
                               rtol=1e-12)


def test_gradients_match_the_textbook_formulas():
    """d det = det A^-T, d log|det| = A^-T, d inv = -Y^T G Y^T, solve: dB = A^-T G, dA = -dB X^T
    (numpy, batched), with a random upstream gradient G."""
    rng = np.random.default_rng(2)
    a = _well_conditioned(rng, 2, 3, 3)
    b = rng.standard_normal((2, 3, 2))
    inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)

    A = tg.tensor(a, requires_grad=True)
    g = rng.standard_normal(2)
    L.det(A).backward(tg.tensor(g))
    np.testing.assert_allclose(A.grad.numpy(), (g * np.linalg.det(a))[:, None, None] * inv_t,
                               rtol=1e-10)
    A.grad = None
    L.slogdet(A)[1].backward(tg.tensor(g))
    np.testing.assert_allclose(A.grad.numpy(), g[:, None, None] * inv_t, rtol=1e-10)
    A.grad = None
    G = rng.standard_normal((2, 3, 3))
    L.inv(A).backward(tg.tensor(G))
    y_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(A.grad.numpy(), -y_t @ G @ y_t, rtol=1e-10)
    A.grad = None
    B = tg.tensor(b, requires_grad=True)
    G = rng.standard_normal((2, 3, 2))
    L.solve(A, B).backward(tg.tensor(G))
    gb = np.linalg.solve(np.swapaxes(a, -1, -2), G)
    np.testing.assert_allclose(B.grad.numpy(), gb, rtol=1e-10)
    np.testing.assert_allclose(A.grad.numpy(),
                               -gb @ np.swapaxes(np.linalg.solve(a, b), -1, -2), rtol=1e-10)


def test_eigh_gradients_match_closed_forms():
    """d w_k / dA = v_k v_k^T (the eigenvalues' gradient, for a symmetric A), and the gradient of
    sum(V * G) in the symmetric direction matches the first-order perturbation of eigenvectors,
    dv_k = sum_{j != k} v_j (v_j^T dA v_k) / (w_k - w_j), contracted with G (numpy)."""
    rng = np.random.default_rng(4)
    m = rng.standard_normal((5, 5))
    a = m + m.T
    w, v = np.linalg.eigh(a)
    gw = rng.standard_normal(5)
    A = tg.tensor(a, requires_grad=True)
    L.eigvalsh(A).backward(tg.tensor(gw))
    np.testing.assert_allclose(A.grad.numpy(), (v * gw) @ v.T, rtol=1e-10, atol=1e-12)
    G = rng.standard_normal((5, 5)) * np.sign(v[0])  # a sign-fixed loss: v with v[0] >= 0
    A = tg.tensor(a, requires_grad=True)
    V = L.eigh(A)[1]
    (V * tg.tensor(np.sign(v[0]))).mul(tg.tensor(G)).sum().backward()
    d = rng.standard_normal((5, 5))
    d = d + d.T  # a symmetric direction
    dv = np.zeros_like(v)
    for k in range(5):
        for j in range(5):
            if j != k:
                dv[:, k] += v[:, j] * (v[:, j] @ d @ v[:, k]) / (w[k] - w[j])
    expected = ((dv * np.sign(v[0])) * G).sum()
    np.testing.assert_allclose((A.grad.numpy() * d).sum(), expected, rtol=1e-8)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3)])
def test_svd_matches_numpy_and_its_value_gradient_is_u_g_vh(shape):
    """The reduced SVD against numpy's (S, and U diag(S) Vh = A), pinv against numpy's, and the
    singular values' gradient against its closed form U diag(g) Vh."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    U, S, Vh = L.svd(tg.tensor(a))
    k = min(shape[-2:])
    assert U.shape == shape[:-1] + (k,) and Vh.shape == shape[:-2] + (k, shape[-1])
    np.testing.assert_allclose(S.numpy(), s, rtol=1e-12)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ Vh).numpy(), a, atol=1e-12)
    np.testing.assert_allclose(L.pinv(tg.tensor(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    g = rng.standard_normal(s.shape)
    A = tg.tensor(a, requires_grad=True)
    L.svdvals(A).backward(tg.tensor(g))
    np.testing.assert_allclose(A.grad.numpy(), (u * g[..., None, :]) @ vh, atol=1e-12)
    assert L.svdvals(tg.tensor(a.astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3)])
def test_qr_and_lstsq_match_numpy(shape):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(shape)
    q, r = np.linalg.qr(a)
    Q, R = L.qr(tg.tensor(a))
    np.testing.assert_allclose(Q.numpy(), q, atol=1e-12)
    np.testing.assert_allclose(R.numpy(), r, atol=1e-12)
    if len(shape) == 2:
        b = rng.standard_normal((shape[0], 2))
        x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
        got = L.lstsq(tg.tensor(a), tg.tensor(b))
        np.testing.assert_allclose(got.solution.numpy(), x, atol=1e-12)
        np.testing.assert_allclose(got.residuals.numpy(), residuals, atol=1e-12)
        assert int(got.rank.item()) == rank
        np.testing.assert_allclose(got.singular_values.numpy(), sv, rtol=1e-12)


def test_lstsq_of_a_rank_deficient_matrix_is_the_minimum_norm_solution():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    b = np.array([1.0, 2.0, 2.0])
    got = L.lstsq(tg.tensor(a), tg.tensor(b))
    np.testing.assert_allclose(got.solution.numpy(), np.linalg.pinv(a) @ b, rtol=1e-12)
    assert int(got.rank.item()) == 1 and got.residuals.shape == (0,)


@pytest.mark.parametrize("name", ["inv", "det", "logabsdet", "logdet", "solve", "solve_vector",
                                  "solve_broadcast", "cholesky", "cholesky_upper", "norms",
                                  "eigh", "svd_tall", "svd_wide", "svd_square", "qr_tall",
                                  "qr_wide", "lstsq"])
def test_first_and_second_derivatives_by_central_differences(name):
    rng = np.random.default_rng(3)
    a = tg.tensor(_well_conditioned(rng, 2, 3, 3))
    b = tg.tensor(rng.standard_normal((2, 3, 2)))
    m = tg.tensor(rng.standard_normal((2, 3, 3)))

    def spd(m):  # a positive-definite function of an unconstrained m
        return m @ m.mT + 3 * tg.eye(3, dtype=m.dtype)

    cases = {
        "inv": (L.inv, (a,)),
        "det": (L.det, (a,)),
        "logabsdet": (lambda a: L.slogdet(a)[1], (a,)),
        "logdet": (lambda m: L.logdet(spd(m)), (m,)),
        "solve": (L.solve, (a, b)),
        "solve_vector": (lambda a, v: L.solve(a, v), (a, b[..., 0])),
        "solve_broadcast": (lambda a, b: L.solve(a, b), (a[0], b)),  # one A for two Bs
        "cholesky": (lambda m: L.cholesky(spd(m)), (m,)),
        "cholesky_upper": (lambda m: L.cholesky(spd(m), upper=True), (m,)),
        "eigh": (lambda m: (lambda w, v: w ** 2 + (v ** 2).sum(-2) + (v ** 2)[..., 0, :])(
            *L.eigh(m + m.mT)), (m,)),
        "svd_tall": (_svd_loss, (tg.tensor(rng.standard_normal((4, 3))),)),
        "svd_wide": (_svd_loss, (tg.tensor(rng.standard_normal((2, 3, 4))),)),
        "svd_square": (_svd_loss, (m,)),
        "qr_tall": (_qr_loss, (tg.tensor(rng.standard_normal((4, 3))),)),
        "qr_wide": (_qr_loss, (tg.tensor(rng.standard_normal((2, 3, 4))),)),
        "lstsq": (lambda a, b: L.lstsq(a, b).solution, (tg.tensor(rng.standard_normal((5, 3))),
                                                        tg.tensor(rng.standard_normal((5, 2))))),
        "norms": (lambda m: L.matrix_norm(m, 1) + L.matrix_norm(m) + L.vector_norm(m, 3)
                  + L.matrix_norm(m, "nuc") + L.matrix_norm(m, 2)
                  + L.norm(m, math.inf, dim=(1, 2)), (m,)),
    }
    f, inputs = cases[name]
    assert gradcheck(f, *inputs)
    assert gradgradcheck(f, *inputs)


def _svd_loss(a):
    """A function of all three SVD factors that their signs do not change."""
    u, s, vh = L.svd(a)
    return (u ** 2)[..., 0].sum(-1) * 0.5 + (s ** 2).sum(-1) + (vh ** 2)[..., 0, :].sum(-1)


def _qr_loss(a):
    q, r = L.qr(a)
    return q.sum(-1).sum(-1) + (r ** 2).sum(-1).sum(-1)


def test_errors_name_the_op_and_the_shape():
    with pytest.raises(L.LinAlgError, match=r"linalg.inv: .*Singular matrix.*\(2, 2\)"):
        L.inv(tg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(L.LinAlgError, match=r"linalg.cholesky: .*positive"):
        L.cholesky(tg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(tg.ShapeError, match=r"linalg.det: expected square matrices .*\(2, 3\)"):
        L.det(tg.ones(2, 3))
    with pytest.raises(tg.ShapeError, match=r"linalg.solve: A of shape \(3, 3\) and B of shape "
                                            r"\(2, 2\) do not align"):
        L.solve(tg.eye(3), tg.ones(2, 2))
    with pytest.raises(tg.ShapeError, match="cannot be broadcast"):
        L.solve(tg.ones(2, 3, 3) + tg.eye(3) * 3, tg.ones(4, 3, 1))
    with pytest.raises(ValueError, match="ord must be"):
        L.matrix_norm(tg.ones(2, 2), 3)
    with pytest.raises(ValueError, match="only mode='reduced'"):
        L.qr(tg.ones(2, 2), mode="complete")
    with pytest.raises(ValueError, match="full_matrices=True is not supported"):
        L.svd(tg.ones(2, 3), full_matrices=True)
    with pytest.raises(TypeError, match="floating-point"):
        L.inv(tg.tensor([[1, 0], [0, 1]]))
