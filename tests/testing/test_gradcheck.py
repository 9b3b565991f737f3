"""gradcheck catches wrong backward formulas and says where; check_formula compares a hand-derived
gradient with the tape."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import GradcheckError, check_formula, gradcheck, gradgradcheck


class WrongSquare(tg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * x  # should be 2 x


class WrongSecondOrder(tg.Function):
    """Right first derivative (3 x^2) written so that its own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x.detach() ** 2  # detached: the second derivative is lost


def test_gradcheck_passes_correct_ops():
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 2)))
    assert gradcheck(lambda x: (x.tanh() @ x.T).exp(), x)


def test_gradcheck_reports_input_element_and_both_values():
    x = tg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(GradcheckError, match=r"input 0 differs at element \(\d,\): analytic .* vs "
                                             r"numerical"):
        gradcheck(lambda x: WrongSquare.apply(x), x)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = tg.tensor([0.5, 1.5])
    gradcheck(lambda x: WrongSecondOrder.apply(x), x)
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda x: WrongSecondOrder.apply(x), x)


def test_check_formula_against_hand_derived_gradient():
    a = np.random.default_rng(0).standard_normal((4, 3))

    def f(x):
        return (tg.tensor(a) @ x).tanh().sum()

    def hand(x):
        return a.T @ (1 - np.tanh(a @ x) ** 2)

    err = check_formula(f, hand, np.array([0.1, -0.2, 0.3]))
    assert err < 1e-12
    with pytest.raises(GradcheckError, match="formula"):
        check_formula(f, lambda x: hand(x) * 1.01, np.array([0.1, -0.2, 0.3]))
