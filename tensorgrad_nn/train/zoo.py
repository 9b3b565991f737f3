"""The seeds' networks, by name: what the examples and `tensorgrad-train` build.

- mlp / mlp_dropout: slugnet's Dense 200 ReLU -> (Dropout 0.5) -> Dense 10 softmax
- slugnet_cnn: slugnet's Convolution(1, 3x3) -> MeanPooling 2 -> Convolution(2, 4x4) ->
  MeanPooling 2 -> Flatten -> Dense 10 softmax
- lenet5: the CNN notebook's LeNet-5 on 1x32x32: conv 6@5x5 sigmoid -> maxpool 2 ->
  conv 16@5x5 sigmoid -> maxpool 2 -> flatten 400 -> 120 sigmoid -> 84 sigmoid -> 10
- fully_conv: the notebook's fully convolutional net: conv 8@5x5 sigmoid -> maxpool 2 ->
  conv 32@5x5 sigmoid -> maxpool 2 -> conv 64@5x5 sigmoid -> conv 10@1x1 -> flatten
- from_scratch: the numpy notebook's 784-100-200-10 ReLU network
"""

from __future__ import annotations

from .. import init as initializers
from ..containers import Sequential
from ..layers import (
    Conv2d,
    Convolution,
    Dense,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    MeanPooling,
    ReLU,
    Sigmoid,
    Softmax,
)


def mlp() -> Sequential:
    return Sequential(Dense(200, inshape=784, activation=ReLU()),
                      Dense(10, activation=Softmax()))


def mlp_dropout(p: float = 0.5) -> Sequential:
    return Sequential(Dense(200, inshape=784, activation=ReLU()), Dropout(p),
                      Dense(10, activation=Softmax()))


def slugnet_cnn() -> Sequential:
    return Sequential(Convolution(1, (3, 3), inshape=(None, 1, 28, 28)), MeanPooling((2, 2)),
                      Convolution(2, (4, 4)), MeanPooling((2, 2)), Flatten(),
                      Dense(10, activation=Softmax()))


def lenet5() -> Sequential:
    return Sequential(
        Conv2d(1, 6, 5), Sigmoid(), MaxPool2d(2),
        Conv2d(6, 16, 5), Sigmoid(), MaxPool2d(2),
        Flatten(),
        Linear(400, 120), Sigmoid(),
        Linear(120, 84), Sigmoid(),
        Linear(84, 10),
    )


def fully_conv() -> Sequential:
    return Sequential(
        Conv2d(1, 8, 5), Sigmoid(), MaxPool2d(2),
        Conv2d(8, 32, 5), Sigmoid(), MaxPool2d(2),
        Conv2d(32, 64, 5), Sigmoid(),
        Conv2d(64, 10, 1),
        Flatten(),
    )


def from_scratch(he_init: bool = False) -> Sequential:
    layers = [Linear(784, 100), ReLU(), Linear(100, 200), ReLU(), Linear(200, 10)]
    if he_init:
        for layer in layers:
            if isinstance(layer, Linear):
                initializers.kaiming_normal_(layer.weight, nonlinearity="relu")
                initializers.zeros_(layer.bias)
    return Sequential(*layers)


MODELS = {
    "mlp": mlp, "mlp_dropout": mlp_dropout, "slugnet_cnn": slugnet_cnn, "lenet5": lenet5,
    "fully_conv": fully_conv, "from_scratch": from_scratch,
}
# Input layout each model expects: flat 784 vectors, 28x28 images or 32x32 (padded) images.
INPUT = {"mlp": "flat", "mlp_dropout": "flat", "from_scratch": "flat", "slugnet_cnn": "28",
         "lenet5": "32", "fully_conv": "32"}
