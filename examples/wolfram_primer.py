"""The Wolfram neural-net primer, reproduced: layers, their input gradients, LinearLayer, NetChain,
NetGraph and its port gradient, MeanSquaredLoss, NetDecoder and NetTrain of a linear layer.
Each line prints tensorgrad's number beside the primer's.

    python examples/wolfram_primer.py
"""

import numpy as np

import tensorgrad as tg
import tensorgrad_nn as nn


def show(what, got, primer):
    """Six significant digits, Mathematica's display precision."""
    values = np.atleast_1d(np.asarray(got, dtype=np.float64))
    text = "{" + ", ".join(f"{v:.6g}" for v in values) + "}"
    print(f"{what:<44} {text:<36} primer: {primer}")


def main():
    tg.manual_seed(0)
    tg.set_default_dtype(tg.float64)  # Mathematica evaluates these in double precision
    # 1. Layers: ElementwiseLayer[Tanh] on {1, 2, 3}, and its gradient (NetPortGradient["Input"])
    elem = nn.Elementwise(tg.tanh)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = elem(x)
    show("ElementwiseLayer[Tanh]@{1, 2, 3}", y.detach(), "{0.761594, 0.964028, 0.995055}")
    y.sum().backward()
    show("  its input gradient", x.grad, "{0.419974, 0.0706508, 0.00986604}")

    # Shape inference: ElementwiseLayer[Tanh, "Input" -> {4, 32}] has a 4 x 32 output
    nn.summary(nn.Sequential(nn.Elementwise(tg.tanh)), (4, 32), print_fn=None)
    print(f"{'shape inference, input {4, 32}':<44} output {tuple(elem(tg.zeros(4, 32)).shape)}")

    # LinearLayer[2, "Input" -> 3] equals Dot[weight, data] + bias
    layer = nn.Linear(3, 2)
    data = tg.tensor([2.0, 10.0, 3.0])
    by_hand = layer.weight.detach().numpy() @ data.numpy() + layer.bias.detach().numpy()
    show("LinearLayer[2, Input -> 3]@{2, 10, 3}", layer(data).detach(), "= weight . data + bias")
    show("  weight . data + bias", by_hand, "(the same numbers)")

    # 2. NetChain[{Tanh, LogisticSigmoid}] == LogisticSigmoid@Tanh
    chain = nn.Chain(nn.Elementwise("Tanh"), nn.Elementwise("LogisticSigmoid"))
    show("NetChain[{Tanh, LogisticSigmoid}]@{1, 2, 3}", chain(tg.tensor([1.0, 2.0, 3.0])),
         "{0.6817, 0.723927, 0.730085}")

    # 3. NetGraph: Tanh on Input1 plus LogisticSigmoid on Input2, and the Input1 port gradient
    graph = nn.Graph({"tanh": nn.Elementwise(tg.tanh), "sigmoid": nn.Elementwise(tg.sigmoid),
                      "total": nn.Total()},
                     [("Input1", "tanh"), ("Input2", "sigmoid"), (("tanh", "sigmoid"), "total")])
    input1 = tg.tensor([0.1, -2.4], requires_grad=True)
    out = graph(Input1=input1, Input2=tg.tensor([-1.2, 3.4]))
    show("NetGraph@<|Input1, Input2|>", out.detach(), "{0.331143, -0.0159703}")
    out.sum().backward()
    show("  NetPortGradient[\"Input1\"]", input1.grad, "{0.990066, 0.0323837}")

    # 4. Containers nest: NetChain[{NetChain[{LinearLayer[]}]}]
    nested = nn.Chain(nn.Chain(nn.LazyLinear(3)))
    print(f"{'nested NetChain of a LinearLayer':<44} output {tuple(nested(tg.ones(1, 5)).shape)}")

    # MeanSquaredLossLayer[] on Input {1, 2, 3}, Target {4, 0, 4}
    loss = nn.MeanSquaredLoss()(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([4.0, 0.0, 4.0]))
    show("MeanSquaredLossLayer", loss.item(), "4.66667")

    # 6. NetDecoder[{"Class", {"dog", "cat"}}]
    dec = nn.ClassDecoder(["dog", "cat"])
    print(f"{'NetDecoder Class @{0.1, 0.9}':<44} {dec([0.1, 0.9]):<36} primer: cat")
    probs = dec(tg.tensor([44.0, 41.0]).softmax(-1), "Probabilities")
    print(f"{'SoftmaxLayer + decoder, Probabilities':<44} "
          f"{'dog {:.6f}, cat {:.7f}'.format(probs['dog'], probs['cat']):<36} "
          "primer: dog 0.952574, cat 0.0474259")

    # 7. NetTrain of LinearLayer[1] + MeanSquaredLossLayer on {1->1.9, 2->4.1, 3->6.0, 4->8.1}
    xs = tg.tensor([[1.0], [2.0], [3.0], [4.0]])
    ys = tg.tensor([[1.9], [4.1], [6.0], [8.1]])
    net = nn.Linear(1, 1)
    mse = nn.MeanSquaredLoss()
    show("loss at <|Input -> {2}, Target -> {4.1}|>", mse(net(tg.tensor([[2.0]])),
                                                           tg.tensor([[4.1]])).item(),
         "42.0742 (for its random init)")
    optimizer = nn.optim.Adam(net.parameters(), lr=0.05)  # NetTrain's default method is Adam
    for _ in range(3000):
        optimizer.zero_grad()
        mse(net(xs), ys).backward()
        optimizer.step()
    after = mse(net(tg.tensor([[2.0]])), tg.tensor([[4.1]])).item()
    show("trained net, same input", after, "0.00999998")
    show("trained weight", net.weight.detach().numpy()[0, 0], "{{2.05}}")


if __name__ == "__main__":
    main()
