"""tensorgrad_nn: PyTorch-style modules, losses, initializers, optimizers, checkpoints and a fit
API, built only from tensorgrad primitives (no backward anywhere in this package)."""

from . import data, functional, init, optim, train
from .containers import Graph, ModuleDict, ModuleList, Sequential
from .layers import (
    ELU,
    GELU,
    GRU,
    LSTM,
    RNN,
    SELU,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Convolution,
    ConvTranspose2d,
    Dense,
    Dropout,
    Elementwise,
    Embedding,
    Flatten,
    GlobalAvgPool2d,
    Hardtanh,
    Identity,
    LayerNorm,
    LazyConv2d,
    LazyLinear,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    MeanPooling,
    Mish,
    ReLU,
    ReLU6,
    Reshape,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
    Total,
    Upsample,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MeanAbsoluteLoss,
    MeanSquaredLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    SoftmaxCategoricalCrossEntropy,
)
from .module import Module, Parameter, UninitializedParameter
from .serialization import CheckpointError, load, save
from .summary import summary
from .train import ClassDecoder, Model

datasets = data.datasets

Chain = Sequential  # Wolfram's NetChain
NetGraph = Graph
