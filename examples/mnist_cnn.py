"""Slugnet's CNN example: Convolution(1, 3x3) -> MeanPooling 2x2 -> Convolution(2, 4x4) ->
MeanPooling 2x2 -> Flatten -> Dense 10 softmax, trained with SGD on small batches.

Slugnet trains on 1,000 digits for 100 epochs at batch size 3 and lr 0.001 ("very slow" in
numpy); the defaults here use all training digits, 10 epochs and lr 0.01.

    python examples/mnist_cnn.py [--data mnist] [--epochs 10] [--slugnet]
"""

import numpy as np

import tensorgrad as tg
from tensorgrad_nn import Convolution, Dense, Flatten, MeanPooling, Softmax
from tensorgrad_nn import SoftmaxCategoricalCrossEntropy as SCCE
from tensorgrad_nn.optim import SGD
from tensorgrad_nn.train import Model
from tensorgrad_nn.train.cli import example_parser, load_mnist, report


def main():
    parser = example_parser("Slugnet's CNN on MNIST", epochs=10)
    parser.add_argument("--slugnet", action="store_true",
                        help="slugnet's exact setting: 1,000 digits, lr 0.001, 100 epochs")
    args = parser.parse_args()
    X, y, X_test, y_test = load_mnist(args.data, layout="28")
    lr, epochs = 0.01, args.epochs
    if args.slugnet:
        np.random.seed(100)
        X = np.random.permutation(X)[:1000]
        np.random.seed(100)
        y = np.random.permutation(y)[:1000]
        lr, epochs = 0.001, 100
    tg.manual_seed(args.seed)

    model = Model(lr=lr, n_epoch=epochs, batch_size=3, loss=SCCE(),
                  metrics=['loss', 'accuracy'], optimizer=SGD(), seed=args.seed,
                  device=args.device)

    model.add_layer(Convolution(1, (3, 3), inshape=(None, 1, 28, 28)))
    model.add_layer(MeanPooling((2, 2)))
    model.add_layer(Convolution(2, (4, 4)))
    model.add_layer(MeanPooling((2, 2)))
    model.add_layer(Flatten())
    model.add_layer(Dense(10, activation=Softmax()))

    history = model.fit(X, y)
    report("mnist_cnn", model, history, X_test, y_test, args.out, args.device)


if __name__ == "__main__":
    main()
