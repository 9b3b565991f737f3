"""tensorgrad_nn: PyTorch-style modules, losses, initializers, optimizers, checkpoints and a fit
API, built only from tensorgrad primitives (no backward anywhere in this package)."""

from . import data, functional, init, optim, train
from .containers import Graph, ModuleDict, ModuleList, Sequential
from .layers import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Convolution,
    ConvTranspose2d,
    Dense,
    Dropout,
    Elementwise,
    Embedding,
    Flatten,
    GlobalAvgPool2d,
    Identity,
    LayerNorm,
    LazyConv2d,
    LazyLinear,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    MeanPooling,
    ReLU,
    Reshape,
    Sigmoid,
    Softmax,
    Tanh,
    Total,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MeanAbsoluteLoss,
    MeanSquaredLoss,
    MSELoss,
    NLLLoss,
    SoftmaxCategoricalCrossEntropy,
)
from .module import Module, Parameter, UninitializedParameter
from .serialization import CheckpointError, load, save
from .summary import summary
from .train import ClassDecoder, Model

datasets = data.datasets

Chain = Sequential  # Wolfram's NetChain
NetGraph = Graph
