"""LeNet-5 from the CNN notebook, trained on real MNIST digits with a plain PyTorch-style loop.

    python examples/lenet5.py                 # embedded MNIST-5k: 4,000 train / 1,000 test digits
    python examples/lenet5.py --data mnist    # the full 70,000 (downloaded once)
    python examples/lenet5.py --fully-conv    # the notebook's fully convolutional variant

The notebook's shapes: 1x32x32 -> conv 6@5x5 -> 6x28x28 -> maxpool -> 6x14x14 -> conv 16@5x5 ->
16x10x10 -> maxpool -> 16x5x5 -> flatten 400 -> 120 -> 84 -> 10, sigmoid activations.
"""

import time

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad_nn.train import History
from tensorgrad_nn.train.cli import example_parser, load_mnist, report
from tensorgrad_nn.train.zoo import fully_conv, lenet5


def main():
    parser = example_parser("Train LeNet-5 on MNIST", epochs=15)
    parser.add_argument("--fully-conv", action="store_true", help="the fully convolutional net")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = load_mnist(args.data, layout="32")
    tg.manual_seed(args.seed)
    model = (fully_conv() if args.fully_conv else lenet5()).to(args.device)
    name = "fully_conv" if args.fully_conv else "lenet5"
    nn.summary(model, (1, 32, 32))

    loader = nn.data.DataLoader(nn.data.TensorDataset(x_train, y_train),
                                batch_size=args.batch_size, shuffle=True)
    optimizer = nn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    history = History()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total, correct, seen = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(args.device), y.to(args.device)
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum().item())
            seen += len(y)
        model.eval()
        with tg.no_grad():
            test_logits = model(tg.tensor(x_test, device=args.device))
            val_loss = loss_fn(test_logits, tg.tensor(y_test, device=args.device)).item()
            val_acc = float((test_logits.argmax(1).numpy() == y_test).mean())
        logs = {"loss": total / seen, "accuracy": correct / seen, "val_loss": val_loss,
                "val_accuracy": val_acc}
        history.append(epoch, logs)
        print(f"epoch {epoch + 1:2d}/{args.epochs}  loss {logs['loss']:.4f}  "
              f"accuracy {logs['accuracy']:.4f}  test accuracy {val_acc:.4f}  "
              f"({seen / (time.perf_counter() - start) * (epoch + 1):.0f} samples/s)", flush=True)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    report(name, model, history, x_test, y_test, args.out, args.device)


if __name__ == "__main__":
    main()
