"""Slugnet's dropout example: Dense 200 ReLU -> Dropout 0.5 -> Dense 10 softmax, RMSProp.

    python examples/mnist_dropout.py [--data mnist] [--epochs 3]
"""

import tensorgrad as tg
from tensorgrad_nn import Dense, Dropout, ReLU, Softmax
from tensorgrad_nn import SoftmaxCategoricalCrossEntropy as SCCE
from tensorgrad_nn.optim import RMSProp
from tensorgrad_nn.train import Model
from tensorgrad_nn.train.cli import example_parser, load_mnist, report


def main():
    args = example_parser("Slugnet's MLP with dropout on MNIST", epochs=3).parse_args()
    X, y, X_test, y_test = load_mnist(args.data, layout="flat")
    tg.manual_seed(args.seed)

    model = Model(lr=0.01, n_epoch=args.epochs, loss=SCCE(),
                  metrics=['loss', 'accuracy'],
                  optimizer=RMSProp(), seed=args.seed, device=args.device)

    model.add_layer(Dense(200, inshape=784, activation=ReLU()))
    model.add_layer(Dropout(0.5))
    model.add_layer(Dense(10, activation=Softmax()))

    history = model.fit(X, y)
    report("mnist_dropout", model, history, X_test, y_test, args.out, args.device)


if __name__ == "__main__":
    main()
