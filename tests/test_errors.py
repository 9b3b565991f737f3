"""Bad input gets a clear error that names the op and the shapes."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import DtypeError, ShapeError


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ShapeError, match=r"add: shapes \(3,\) and \(4,\) cannot be broadcast"):
        tg.ones(3) + tg.ones(4)
    with pytest.raises(ShapeError, match=r"mul: shapes \(2, 3\) and \(3, 2\)"):
        tg.ones(2, 3) * tg.ones(3, 2)


def test_matmul_mismatch():
    with pytest.raises(ShapeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not align "
                                         r"\(4 != 5\)"):
        tg.ones(3, 4) @ tg.ones(5, 2)
    with pytest.raises(ShapeError, match="batch dims"):
        tg.ones(2, 3, 4) @ tg.ones(3, 4, 5)


def test_conv_channel_mismatch_and_kernel_too_large():
    with pytest.raises(ShapeError, match=r"conv2d: input \(1, 3, 8, 8\) has 3 channels but "
                                         r"weight \(4, 2, 3, 3\)"):
        tg.conv2d(tg.ones(1, 3, 8, 8), tg.ones(4, 2, 3, 3))
    with pytest.raises(ShapeError, match="larger than the padded input"):
        tg.conv2d(tg.ones(1, 1, 2, 2), tg.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="stride"):
        tg.conv2d(tg.ones(1, 1, 5, 5), tg.ones(1, 1, 3, 3), stride=0)
    with pytest.raises(ShapeError, match="expected input of shape"):
        tg.conv2d(tg.ones(5, 5), tg.ones(1, 1, 3, 3))


def test_conv_dtype_mismatch():
    with pytest.raises(DtypeError, match="float64.*float32"):
        tg.conv2d(tg.ones(1, 1, 5, 5, dtype=tg.float64), tg.ones(1, 1, 3, 3))


def test_pool_kernel_larger_than_input():
    with pytest.raises(ShapeError, match=r"max_pool2d: kernel \(5, 5\) is larger than the padded "
                                         r"input \(3, 3\)"):
        tg.max_pool2d(tg.ones(1, 1, 3, 3), 5)
    with pytest.raises(ValueError, match="avg_pool2d: kernel_size .* and stride .* positive"):
        tg.avg_pool2d(tg.ones(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match="half the kernel"):
        tg.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: dilation \(0, 1\) must be positive"):
        tg.max_pool2d(tg.ones(1, 1, 4, 4), 2, dilation=(0, 1))
    with pytest.raises(ShapeError, match=r"kernel \(2, 2\) dilated by \(3, 3\) is larger"):
        tg.max_pool2d(tg.ones(1, 1, 3, 3), 2, dilation=3)


def test_reshape_and_dims():
    with pytest.raises(ShapeError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into \(4, 2\)"):
        tg.ones(2, 3).reshape(4, 2)
    with pytest.raises(ShapeError, match="sum: dim 2 is out of range for a tensor with 2 dims"):
        tg.ones(2, 3).sum(2)
    with pytest.raises(ShapeError, match="cat: shapes"):
        tg.cat([tg.ones(2, 3), tg.ones(3, 3)], dim=1)
    with pytest.raises(ShapeError, match="stack: all tensors must have the same shape"):
        tg.stack([tg.ones(2), tg.ones(3)])


def test_index_out_of_range():
    with pytest.raises(IndexError, match=r"getitem: .*shape \(3,\)"):
        tg.ones(3)[5]


def test_backward_errors():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not match the output's shape"):
        (x * 2).backward(tg.ones(4))


def test_gradients_of_integer_tensors_are_refused():
    with pytest.raises(DtypeError):
        tg.tensor(np.arange(3), requires_grad=True)


def test_einsum_errors_name_the_equation_and_shapes():
    a, b = tg.ones(2, 3), tg.ones(4, 5)
    with pytest.raises(ShapeError, match=r"einsum: 'ij,jk->ik': letter 'j' has sizes 3 and 4"):
        tg.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        tg.einsum("ij,jk->ik", a)
    with pytest.raises(ShapeError, match=r"subscripts 'ijk' for an operand of shape \(2, 3\)"):
        tg.einsum("ijk->i", a)
    with pytest.raises(ShapeError, match="output letters 'iz' are not among the inputs"):
        tg.einsum("ij->iz", a)
    with pytest.raises(ValueError, match="an output letter repeats"):
        tg.einsum("ij->ii", a)
