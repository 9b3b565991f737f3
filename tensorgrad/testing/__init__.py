"""Checking gradients: against central differences (gradcheck, gradgradcheck) and against a
formula derived by hand (check_formula)."""

from .formula import check_formula
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__all__ = ["GradcheckError", "check_formula", "gradcheck", "gradgradcheck", "numerical_grad"]
