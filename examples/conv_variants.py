"""The CNN notebook's convolution variants, with the shapes it prints: padding ('same' and
'valid'), stride, depthwise, depthwise-separable, 1x1, dilated (atrous) and transposed
convolution; then the LeNet-5 and fully convolutional forward passes layer by layer.

    python examples/conv_variants.py
"""

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad_nn.train.zoo import fully_conv, lenet5


def show(label, x, y):
    print(f"{label:<44} input {tuple(x.shape[1:])} -> output {tuple(y.shape[1:])}")


def main():
    tg.manual_seed(0)
    data = tg.rand(1, 1, 32, 32)                     # the notebook's 32x32 digit, channels first
    weights = tg.randn(8, 1, 5, 5)                   # 8 output channels, 5x5 filters
    bias = tg.randn(8)

    same = tg.conv2d(data, weights, bias, padding="same")
    show("filter-matched padding ('same')", data, same)                      # (8, 32, 32)
    show("no padding ('valid')", data, tg.conv2d(data, weights, bias))       # (8, 28, 28)
    show("padding and stride 2", data, tg.conv2d(data, weights, bias, stride=2, padding=2))

    depthwise = nn.Conv2d(8, 8, 5, padding="same", groups=8)                 # one filter/channel
    show("depthwise (groups = channels)", same, depthwise(same))             # (8, 32, 32)
    separable = nn.Sequential(depthwise, nn.Conv2d(8, 16, 1))                # then 1x1 to 16
    show("depthwise-separable (depthwise + 1x1)", same, separable(same))     # (16, 32, 32)
    show("1x1 convolution", same, nn.Conv2d(8, 16, 1)(same))
    show("dilated 5x5, dilation 2 (9x9 receptive field)", data,
         tg.conv2d(data, weights, bias, dilation=2))                          # (8, 24, 24)
    up = nn.ConvTranspose2d(8, 8, 2, stride=2)
    show("transposed, stride 2 ('up-volution')", same, up(same))             # (8, 64, 64)

    for name, model in (("LeNet-5", lenet5()), ("fully convolutional", fully_conv())):
        print(f"\n{name}:")
        x = data
        for layer in model:
            print(f"  {type(layer).__name__:<10} activations flowing in: {tuple(x.shape[1:])}")
            x = layer(x)
        print(f"  output {tuple(x.shape[1:])}")


if __name__ == "__main__":
    main()
