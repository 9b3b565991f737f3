"""Layers, each composed from tensorgrad primitives."""

from .activation import (
    ELU,
    GELU,
    SELU,
    Elementwise,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
    Total,
)
from .conv import Conv1d, Conv2d, Convolution, ConvTranspose2d, LazyConv2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Dense, LazyLinear, Linear
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import (
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    GlobalAvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MeanPooling,
)
from .recurrent import GRU, LSTM, RNN
from .shape import Flatten, Reshape, Upsample

__all__ = [
    "ELU", "GELU", "Elementwise", "Identity", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid",
    "Softmax", "Tanh", "Total", "Conv2d", "ConvTranspose2d", "Convolution", "LazyConv2d",
    "Dropout", "Embedding", "Dense", "LazyLinear", "Linear", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "AdaptiveAvgPool2d", "AvgPool2d", "GlobalAvgPool2d", "MaxPool2d", "MeanPooling",
    "Flatten", "Reshape", "SELU", "Hardtanh", "LogSigmoid", "Mish", "ReLU6", "SiLU", "Softplus",
    "Softsign", "Conv1d", "AvgPool1d", "MaxPool1d", "Upsample", "RNN", "LSTM", "GRU",
]
