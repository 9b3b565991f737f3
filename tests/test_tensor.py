"""Tensor: construction and dtype rules, attributes, conversion, operators, in-place versions."""

import numpy as np
import pytest

import tensorgrad as tg


def test_python_floats_become_float32_and_ints_int64():
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.tensor(3.5).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True, False]).dtype == np.bool_


def test_ndarrays_keep_their_dtype():
    assert tg.tensor(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert tg.tensor(np.zeros(3, dtype=np.int32)).dtype == np.int32
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64


def test_factories_shapes_and_dtypes():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros(2, 3).dtype == np.float32
    assert tg.ones((4,)).numpy().sum() == 4
    assert tg.full((2, 2), 7.0).numpy().tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tg.arange(5).dtype == np.int64 and tg.arange(0.0, 1.0, 0.25).shape == (4,)
    assert np.allclose(tg.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert np.array_equal(tg.eye(3).numpy(), np.eye(3))
    x = tg.randn(3, 4, dtype=tg.float64)
    assert x.dtype == np.float64
    assert tg.zeros_like(x).dtype == np.float64 and tg.ones_like(x).shape == (3, 4)
    r = tg.randint(0, 10, (100,))
    assert r.dtype == np.int64 and 0 <= r.numpy().min() and r.numpy().max() < 10
    u = tg.rand(1000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1


def test_manual_seed_makes_draws_reproducible():
    tg.manual_seed(123)
    a = (tg.randn(5).numpy(), tg.rand(3).numpy(), tg.randint(0, 100, (4,)).numpy())
    tg.manual_seed(123)
    b = (tg.randn(5).numpy(), tg.rand(3).numpy(), tg.randint(0, 100, (4,)).numpy())
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(5).numpy(), a[0])


def test_attributes_and_conversions():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.shape == (2, 2) and x.ndim == 2 and x.device == "cpu" and x.numel() == 4
    assert x.T.detach().numpy().tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert x.sum().item() == 10.0
    assert np.asarray(x).shape == (2, 2)
    assert x.detach().requires_grad is False
    assert float(x[1, 1]) == 4.0
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    with pytest.raises(ValueError, match="one-element"):
        x.item()


def test_repr_is_readable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * x)
    assert "grad_fn=<MulScalarBackward>" in repr(x * 2)
    assert "dtype=float64" in repr(tg.tensor(np.ones(2)))


def test_operators_follow_numpy_and_pytorch():
    a = tg.tensor([1.0, 2.0, 3.0])
    assert (a + 1).tolist() == [2.0, 3.0, 4.0]
    assert (1 - a).tolist() == [0.0, -1.0, -2.0]
    assert (2 / a).numpy().tolist() == pytest.approx([2.0, 1.0, 2 / 3])
    assert (a ** 2).tolist() == [1.0, 4.0, 9.0]
    assert (2 ** a).tolist() == [2.0, 4.0, 8.0]
    assert (-a).tolist() == [-1.0, -2.0, -3.0]
    assert (a @ a).item() == 14.0
    assert (np.ones(3) * a).dtype == np.float32  # numpy defers to the Tensor operator
    assert (a > 1.5).tolist() == [False, True, True]
    assert (a == 2).dtype == np.bool_
    assert ((a > 1) & (a < 3)).tolist() == [False, True, False]
    assert (a * 2.5).dtype == np.float32  # a Python float keeps float32


def test_python_number_operands_run_as_scalar_primitives():
    """x * c, c * x, x + c, c + x and x - c on float tensors record one MulScalar / AddScalar
    node with the number as a parameter; integer tensors keep the tensor-tensor primitives."""
    x = tg.tensor([1.5, -2.0], dtype=tg.float32, requires_grad=True)
    for y, op in ((x * 3, "MulScalar"), (0.5 * x, "MulScalar"), (x + 1, "AddScalar"),
                  (2.0 + x, "AddScalar"), (x - 0.25, "AddScalar")):
        assert y._node.name == op and y.dtype == np.float32
    assert (x - 0.25).tolist() == [1.25, -2.25]
    assert (tg.tensor([1, 2]) * 2)._node is None and (tg.tensor([1, 2]) * 2).dtype == np.int64
    # a cached constant must not hand out +0.0 for -0.0 (they compare equal)
    assert np.signbit((x * 0.0).detach().numpy()).tolist() == [False, True]
    assert np.signbit((x * -0.0).detach().numpy()).tolist() == [True, False]
    # second order through the scalar primitive: d2/dx2 of (3 x) * x is 6
    (g,) = tg.autograd.grad(((x * 3) * x).sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    assert gg.tolist() == [6.0, 6.0]


def test_integer_division_is_true_division():
    assert (tg.tensor([1, 2]) / 2).dtype == np.float32
    assert (tg.tensor([1, 2]) / 2).tolist() == [0.5, 1.0]


def test_requires_grad_on_integer_tensor_is_refused():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tg.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        tg.arange(3).requires_grad_()


def test_float_ops_on_integers_promote_instead_of_truncating():
    x = tg.tensor([1, 2, 3])
    assert x.exp().dtype == np.float32
    assert np.allclose(x.sqrt().numpy(), np.sqrt([1, 2, 3]))
    assert x.mean().dtype == np.float32


def test_in_place_on_leaf_that_requires_grad_is_refused_under_grad_mode():
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1)
    with tg.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0, 2.0]


def test_modifying_a_saved_tensor_in_place_makes_backward_raise():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y.mul_(3)
    with pytest.raises(RuntimeError, match="Mul with shape \\(2,\\) was modified in place"):
        z.sum().backward()


def test_setitem_writes_and_bumps_version():
    x = tg.zeros(3)
    x[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0] and x._version == 1


def test_to_dtype_is_differentiable():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = (x.float() * 3).sum()
    y.backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 3.0]


def test_iteration_and_len():
    x = tg.arange(6).reshape(2, 3)
    assert len(x) == 2
    assert [row.tolist() for row in x] == [[0, 1, 2], [3, 4, 5]]


def test_asking_for_cuda_is_a_clear_error_not_a_crash():
    assert tg.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="no CUDA GPU is usable here"):
        tg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="device='cpu'"):
        tg.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU is usable here"):
        tg.cuda.synchronize()
    with pytest.raises(ValueError, match="expected 'cpu', 'cuda' or 'cuda:0'"):
        tg.zeros(2, device="tpu")


def test_integer_division_and_rounding_follow_python_and_pytorch():
    """// and % round toward -inf with the divisor's sign (Python's, PyTorch's); integer
    division by zero raises; floor/ceil/round/trunc keep integers as they are; round takes
    halves to even."""
    a, b = [7, -7, 7, -7], [2, 2, -2, -2]
    x, y = tg.tensor(a), tg.tensor(b)
    assert (x // y).tolist() == [p // q for p, q in zip(a, b)]
    assert (x % y).tolist() == [p % q for p, q in zip(a, b)]
    assert (x % 3).tolist() == [p % 3 for p in a] and (10 % y).tolist() == [10 % q for q in b]
    assert (x // y).dtype == np.int64
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        x % tg.tensor([1, 0, 1, 1])
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        x // 0
    f = tg.tensor([-7.5, 7.5, -0.5, 2.5])
    assert (f % 2).tolist() == [p % 2 for p in [-7.5, 7.5, -0.5, 2.5]]
    assert (f // 2).tolist() == [p // 2 for p in [-7.5, 7.5, -0.5, 2.5]]
    assert tg.tensor([0.5, 1.5, 2.5, -0.5, -1.5]).round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert f.floor().tolist() == [-8.0, 7.0, -1.0, 2.0] and f.ceil().tolist() == [-7.0, 8.0,
                                                                                  -0.0, 3.0]
    assert f.trunc().tolist() == [-7.0, 7.0, -0.0, 2.0]
    assert x.floor().dtype == np.int64 and x.round().tolist() == a
    w = tg.tensor([1.25, -2.5], requires_grad=True)
    (w.floor() * 3 + w.round()).sum().backward()
    assert w.grad.tolist() == [0.0, 0.0]


def test_split_chunk_sort_and_topk():
    x = tg.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    assert [p.shape for p in x.split(2)] == [(2, 2), (2, 2), (1, 2)]
    assert [p.shape for p in tg.split(x, [1, 4])] == [(1, 2), (4, 2)]
    assert [p.shape for p in x.chunk(2, 0)] == [(3, 2), (2, 2)]
    with pytest.raises(tg.ShapeError, match=r"split: sections \[1, 2\] must add up"):
        x.split([1, 2])
    pieces = x.chunk(2, 1)
    (pieces[0] * 2 + pieces[1] * 3).sum().backward()
    assert x.grad.numpy().tolist() == [[2.0, 3.0]] * 5
    v = tg.tensor([3.0, np.nan, -1.0, 3.0, 0.5])
    values, indices = v.sort()
    assert indices.tolist() == [2, 4, 0, 3, 1]  # stable; NaN last, as the largest
    assert np.array_equal(values.numpy(), np.sort(v.numpy()), equal_nan=True)
    assert v.sort(descending=True).indices.tolist()[0] == 1
    top = tg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 4.0]]).topk(2, dim=1)
    assert top.values.tolist() == [[5.0, 2.0], [7.0, 4.0]] and top.indices.tolist() == [[1, 2],
                                                                                       [0, 2]]
    with pytest.raises(tg.ShapeError, match="topk: k=6 is out of range for dim 0 of size 5"):
        v.topk(6, dim=0)


def test_pytorch_conveniences():
    """any/all (with dims), nonzero, unbind, max/min of two tensors, contiguous, type_as,
    new_zeros/new_ones/new_full, isclose/allclose/equal: PyTorch's results on small cases."""
    m = tg.tensor([[1.0, 0.0], [0.0, 0.0]])
    assert m.any(1).tolist() == [True, False] and not bool(m.all())
    assert bool(tg.any(m)) and m.all(0, keepdim=True).tolist() == [[False, False]]
    assert m.nonzero().tolist() == [[0, 0]]
    assert [t.tolist() for t in tg.tensor([[0.0, 1.0], [2.0, 0.0]]).nonzero(as_tuple=True)] == [
        [0, 1], [1, 0]]
    assert [t.tolist() for t in tg.tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)] == [[1.0, 3.0],
                                                                                  [2.0, 4.0]]
    a, b = tg.tensor([1.0, 5.0], requires_grad=True), tg.tensor([3.0, 2.0])
    top = tg.max(a, b)
    top.sum().backward()
    assert top.tolist() == [3.0, 5.0] and a.grad.tolist() == [0.0, 1.0]
    assert a.min(b).tolist() == [1.0, 2.0]
    t = tg.ones(2, 3).t()
    assert t.contiguous().numpy().flags.c_contiguous
    assert tg.ones(2).type_as(tg.ones(1, dtype=tg.float64)).dtype == np.float64
    f64 = tg.ones(2, dtype=tg.float64)
    assert f64.new_zeros(3).dtype == np.float64 and f64.new_ones((2, 2)).shape == (2, 2)
    assert f64.new_full((2,), 7.0).tolist() == [7.0, 7.0]
    assert tg.isclose(tg.ones(2), tg.tensor([1.0, 1.1])).tolist() == [True, False]
    assert tg.allclose(tg.ones(2), tg.ones(2) + 1e-9) and not tg.allclose(tg.ones(2), tg.zeros(2))
    assert tg.equal(tg.ones(2), tg.ones(2)) and not tg.equal(tg.ones(2), tg.ones(3))


def test_in_place_fills_and_clamp():
    """normal_/uniform_ draw from the seeded generator in the tensor's dtype; clamp_ clamps in
    place, and on the graph it is recorded (gradient 1 inside the range, 0 outside)."""
    tg.manual_seed(0)
    w = tg.empty(4000).normal_(2.0, 0.5)
    assert w.dtype == np.float32 and abs(w.numpy().mean() - 2.0) < 0.05
    assert abs(w.numpy().std() - 0.5) < 0.05
    u = tg.empty(4000, dtype=tg.float64).uniform_(-1.0, 3.0)
    assert u.dtype == np.float64 and -1.0 <= u.numpy().min() and u.numpy().max() <= 3.0
    tg.manual_seed(1)
    again = tg.empty(4000).normal_(2.0, 0.5)
    tg.manual_seed(0)
    assert np.array_equal(tg.empty(4000).normal_(2.0, 0.5).numpy(), w.numpy())
    assert not np.array_equal(again.numpy(), w.numpy())
    x = tg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = x * 1.0
    y.clamp_(0.0, 1.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.5, 1.0] and x.grad.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(RuntimeError, match="normal_: a leaf tensor that requires grad"):
        tg.ones(2, requires_grad=True).normal_()


def test_small_pytorch_tensor_methods():
    t = tg.tensor([[3.0, 1.0], [2.0, 5.0]])
    assert (t.half().dtype, t.byte().dtype, t.char().dtype) == (np.float16, np.uint8, np.int8)
    assert t.get_device() == -1 and t.is_contiguous() and not t.T.is_contiguous()
    np.testing.assert_array_equal(t.clamp_min(2.5).numpy(), np.maximum(t.numpy(), 2.5))
    np.testing.assert_array_equal(t.clamp_max(2.5).numpy(), np.minimum(t.numpy(), 2.5))
    np.testing.assert_array_equal(t.msort().numpy(), np.sort(t.numpy(), 0))
    np.testing.assert_array_equal(t.H.numpy(), t.numpy().T)
    np.testing.assert_array_equal(t.mH.numpy(), t.numpy().T)
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0, 5.0])
    np.testing.assert_array_equal(a.outer(b).numpy(), np.outer(a.numpy(), b.numpy()))
    x = tg.tensor([-1.0, 3.0], requires_grad=True)
    x.clamp_min(0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
