"""Slugnet's MNIST example, line for line: Dense 200 ReLU -> Dense 10 softmax, RMSProp, 3 epochs,
trained with the fit API.

    python examples/mnist_mlp.py [--data mnist] [--epochs 3]
"""

import tensorgrad as tg
from tensorgrad_nn import Dense, ReLU, Softmax
from tensorgrad_nn import SoftmaxCategoricalCrossEntropy as SCCE
from tensorgrad_nn.optim import RMSProp
from tensorgrad_nn.train import Model
from tensorgrad_nn.train.cli import example_parser, load_mnist, report


def main():
    args = example_parser("Slugnet's MLP on MNIST", epochs=3).parse_args()
    X, y, X_test, y_test = load_mnist(args.data, layout="flat")
    tg.manual_seed(args.seed)

    model = Model(lr=0.01, n_epoch=args.epochs, loss=SCCE(),
                  metrics=['loss', 'accuracy'],
                  optimizer=RMSProp(), seed=args.seed, device=args.device)

    model.add_layer(Dense(200, inshape=784, activation=ReLU()))
    model.add_layer(Dense(10, activation=Softmax()))

    history = model.fit(X, y)
    report("mnist_mlp", model, history, X_test, y_test, args.out, args.device)


if __name__ == "__main__":
    main()
