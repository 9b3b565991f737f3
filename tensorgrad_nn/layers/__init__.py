"""Layers, each composed from tensorgrad primitives."""

from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Elementwise,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
    Total,
)
from .attention import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .conv import (
    Conv1d,
    Conv2d,
    Convolution,
    ConvTranspose1d,
    ConvTranspose2d,
    LazyConv2d,
)
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d
from .embedding import Embedding, EmbeddingBag
from .linear import Bilinear, Dense, LazyLinear, Linear
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    GlobalAvgPool2d,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MeanPooling,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .shape import (
    ChannelShuffle,
    ConstantPad2d,
    Flatten,
    Fold,
    PixelShuffle,
    PixelUnshuffle,
    ReflectionPad2d,
    ReplicationPad2d,
    Reshape,
    Unflatten,
    Unfold,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad2d,
)

__all__ = [
    "ELU", "GELU", "Elementwise", "Identity", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid",
    "Softmax", "Tanh", "Total", "Conv2d", "ConvTranspose2d", "Convolution", "LazyConv2d",
    "Dropout", "Embedding", "Dense", "LazyLinear", "Linear", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "AdaptiveAvgPool2d", "AvgPool2d", "GlobalAvgPool2d", "MaxPool2d", "MeanPooling",
    "Flatten", "Reshape", "SELU", "Hardtanh", "LogSigmoid", "Mish", "ReLU6", "SiLU", "Softplus",
    "Softsign", "Conv1d", "AvgPool1d", "MaxPool1d", "Upsample", "RNN", "LSTM", "GRU",
    "Softmax2d", "UpsamplingNearest2d", "UpsamplingBilinear2d", "EmbeddingBag",
    "CELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "PReLU", "Softmin", "Softshrink",
    "Tanhshrink", "Threshold", "MultiheadAttention", "TransformerDecoder",
    "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "Dropout1d",
    "Dropout2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "AdaptiveMaxPool2d",
    "ConstantPad2d", "PixelShuffle", "PixelUnshuffle", "ReflectionPad2d", "ReplicationPad2d",
    "Unflatten", "ZeroPad2d", "RNNCell", "LSTMCell", "GRUCell",
    "CosineSimilarity", "PairwiseDistance", "Transformer", "Bilinear", "RMSNorm",
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "Fold", "Unfold", "AlphaDropout",
    "ConvTranspose1d", "LocalResponseNorm", "LPPool1d", "LPPool2d", "ChannelShuffle",
]

from .activation import RReLU  # noqa: E402
from .dropout import Dropout3d, FeatureAlphaDropout  # noqa: E402
from .pooling import MaxUnpool2d  # noqa: E402
from .shape import (  # noqa: E402
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ReflectionPad1d,
    ReplicationPad1d,
    ZeroPad1d,
)

__all__ += ["RReLU", "Dropout3d", "FeatureAlphaDropout", "MaxUnpool2d", "CircularPad1d",
            "CircularPad2d", "ConstantPad1d", "ReflectionPad1d", "ReplicationPad1d", "ZeroPad1d"]

from .conv import Conv3d, ConvTranspose3d  # noqa: E402
from .normalization import BatchNorm3d, InstanceNorm3d  # noqa: E402
from .pooling import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d  # noqa: E402

__all__ += ["Conv3d", "ConvTranspose3d", "BatchNorm3d", "InstanceNorm3d", "AvgPool3d", "MaxPool3d",
            "AdaptiveAvgPool3d", "AdaptiveMaxPool3d"]
