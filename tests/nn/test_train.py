"""The fit API: history, validation, callbacks (early stopping, checkpoints, LR schedule),
predict/evaluate, metrics helpers and plots."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad_nn.train import (
    ClassDecoder,
    EarlyStopping,
    LRSchedulerStep,
    Model,
    ModelCheckpoint,
    confusion_matrix,
)


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    return (centers[y] + rng.standard_normal((n, 2)) * 0.6).astype(np.float32), y


def _model(epochs=5, **kw):
    m = Model(lr=0.05, n_epoch=epochs, batch_size=16, loss=nn.CrossEntropyLoss(),
              optimizer=nn.optim.SGD(momentum=0.9), progress=False, **kw)
    m.add_layer(nn.Dense(16, inshape=2, activation=nn.ReLU()))
    m.add_layer(nn.Dense(3))
    return m


def test_fit_records_every_metric_and_learns():
    x, y = _blobs()
    model = _model()
    history = model.fit(x, y, verbose=False)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(history[key]) == 5
    assert history["loss"][-1] < history["loss"][0]
    assert model.evaluate(x, y)["accuracy"] > 0.9
    assert model.predict(x[:7]).shape == (7, 3)


def test_fit_with_explicit_validation_data():
    x, y = _blobs()
    xv, yv = _blobs(60, seed=1)
    history = _model(epochs=2).fit(x, y, validation_data=(xv, yv), verbose=False)
    assert len(history["val_accuracy"]) == 2


def test_same_seed_same_history():
    x, y = _blobs()
    h1 = _model(epochs=3).fit(x, y, verbose=False)
    h2 = _model(epochs=3).fit(x, y, verbose=False)
    assert h1["loss"] == h2["loss"]


def test_early_stopping_stops_and_restores():
    x, y = _blobs()
    stopper = EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0,
                            restore_best_weights=True)
    history = _model(epochs=20).fit(x, y, callbacks=[stopper], verbose=False)
    assert len(history["loss"]) == 2
    assert stopper.stopped_epoch == 1


def test_checkpoint_every_epoch_and_lr_schedule(tmp_path):
    x, y = _blobs()
    ckpt = ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.safetensors"))
    sched = LRSchedulerStep(lambda opt: nn.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5))
    model = _model(epochs=3)
    history = model.fit(x, y, callbacks=[ckpt, sched], verbose=False)
    assert [p.rsplit("/", 1)[1] for p in ckpt.saved] == [
        "m-01.safetensors", "m-02.safetensors", "m-03.safetensors"]
    assert history["lr"] == [0.025, 0.0125, 0.00625]
    restored = _model(epochs=3)
    restored.load_state_dict(nn.load(ckpt.saved[-1]))
    assert np.allclose(restored.predict(x[:5]), model.predict(x[:5]))


def test_history_plot_writes_png(tmp_path):
    x, y = _blobs()
    history = _model(epochs=2).fit(x, y, verbose=False)
    path = history.plot(tmp_path / "curves.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_fit_prints_a_summary_line_per_epoch(capsys):
    x, y = _blobs()
    _model(epochs=2).fit(x, y)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "val_accuracy" in out and "samples/s" in out


def test_confusion_matrix_and_class_decoder():
    cm = confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], 3)
    assert cm.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    dec = ClassDecoder(["dog", "cat"])
    assert dec([0.1, 0.9]) == "cat"
    assert dec(tg.tensor([[0.7, 0.3], [0.2, 0.8]])) == ["dog", "cat"]
    probs = dec(tg.tensor([44.0, 41.0]).softmax(-1), "Probabilities")
    assert probs["dog"] == pytest.approx(0.952574, abs=1e-6)


def test_model_state_dict_and_summary():
    model = _model()
    assert list(model.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                        "layers.1.bias"]
    text = nn.summary(model, (2,), print_fn=None)
    assert "Total params: 99" in text
