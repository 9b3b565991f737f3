"""detect_anomaly: the first NaN/Inf made forward or backward raises, naming the primitive, its
input shapes and the user's line that created it."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import AnomalyError


def test_forward_nan_names_op_shapes_and_user_line():
    x = tg.tensor([-1.0, 4.0])
    with tg.detect_anomaly():
        with pytest.raises(AnomalyError) as err:
            x.log() * 2  # the line the error must name
    text = str(err.value)
    assert "Log produced NaN/Inf" in text and "(2,)" in text
    assert "test_anomaly.py" in text and "test_forward_nan_names_op_shapes_and_user_line" in text


def test_backward_inf_names_the_op_and_where_it_was_created():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt().sum()  # forward is finite; d sqrt / dx at 0 is inf
        with pytest.raises(AnomalyError) as err:
            y.backward()
    text = str(err.value)
    assert "backward produced NaN/Inf" in text and "(2,)" in text
    assert "test_anomaly.py" in text


def test_nan_in_inputs_is_caught_at_the_first_op():
    data = tg.tensor(np.array([1.0, np.nan]))
    with tg.detect_anomaly(), pytest.raises(AnomalyError, match="MulScalar produced NaN"):
        data * 3


def test_without_anomaly_mode_nan_passes_through_silently():
    assert np.isnan(tg.tensor([-1.0]).log().numpy()).all()
    assert not tg.autograd.is_anomaly_enabled()
