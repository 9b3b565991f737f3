import os

import numba  # noqa: F401  (imported here so the simulator check below sees numba's config)
import pytest


def pytest_configure(config):
    wanted = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"
    from numba import config as numba_config

    if bool(numba_config.ENABLE_CUDASIM) != wanted:
        raise pytest.UsageError("NUMBA_ENABLE_CUDASIM must be set before numba is imported")


def pytest_terminal_summary(terminalreporter):
    try:
        from tests.ops.test_table import CHECKED
    except ImportError:
        return
    if CHECKED["combinations"]:
        terminalreporter.write_line(
            f"op table: checked {CHECKED['combinations']} (op, dtype, shape-case) combinations"
        )


@pytest.fixture
def parallel_kernels(monkeypatch):
    """Every CPU Numba kernel launched in its parallel version, whatever the size (small arrays
    normally run the serial twins): races and prange mistakes show up in these tests."""
    from tensorgrad.backends.cpu import _jit

    monkeypatch.setattr(_jit, "PARALLEL_MIN_ELEMENTS", 0)
