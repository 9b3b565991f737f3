"""Sequence models on MNIST: each digit read as a sequence of 28 rows of 28 pixels, classified by
an LSTM, a GRU (both bidirectional) or a small Transformer encoder, all PyTorch-style modules.

    python examples/sequence_mnist.py                       # LSTM on the embedded MNIST-5k
    python examples/sequence_mnist.py --model transformer   # a 2-layer Transformer encoder
    python examples/sequence_mnist.py --model gru --data mnist

The LSTM and GRU read the rows both ways and classify from the two final hidden states; the
Transformer embeds each row, adds a learned position embedding, prepends a class token and
classifies from its output (as ViT does with image patches).
"""

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad_nn.train.cli import example_parser, load_mnist, report, train_loop


class RecurrentClassifier(nn.Module):
    def __init__(self, cell: str, hidden: int = 64):
        super().__init__()
        layer = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = layer(28, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 10)

    def forward(self, images):
        rows = images.reshape(images.shape[0], 28, 28)  # (N, time, features)
        _, state = self.rnn(rows)
        h_n = state[0] if isinstance(state, tuple) else state  # (directions, N, hidden)
        return self.head(tg.cat([h_n[0], h_n[1]], -1))


class RowTransformer(nn.Module):
    def __init__(self, d_model: int = 64, heads: int = 4, layers: int = 2):
        super().__init__()
        self.embed = nn.Linear(28, d_model)
        self.cls = nn.Parameter(tg.zeros(1, 1, d_model))
        self.position = nn.Parameter(tg.randn(1, 29, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, 2 * d_model, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, 10)

    def forward(self, images):
        n = images.shape[0]
        tokens = self.embed(images.reshape(n, 28, 28))
        tokens = tg.cat([self.cls.expand(n, 1, self.cls.shape[-1]), tokens], 1)
        return self.head(self.encoder(tokens + self.position)[:, 0])


def main():
    parser = example_parser("Classify MNIST rows with an LSTM, GRU or Transformer", epochs=6)
    parser.add_argument("--model", default="lstm", choices=["lstm", "gru", "transformer"])
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = load_mnist(args.data, layout="28")
    tg.manual_seed(args.seed)
    model = RowTransformer() if args.model == "transformer" else RecurrentClassifier(args.model)
    model = model.to(args.device)
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters")

    loader = nn.data.DataLoader(nn.data.TensorDataset(x_train, y_train),
                                batch_size=args.batch_size, shuffle=True)
    optimizer = nn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = nn.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, epochs=args.epochs,
                                                steps_per_epoch=len(loader))
    # lenet5.py's loop (shared as train_loop), with clipping and the one-cycle schedule
    # stepped after every batch
    history = train_loop(model, loader, optimizer, nn.CrossEntropyLoss(), x_test, y_test,
                         args.epochs, args.device, clip_grad_norm=1.0, scheduler=schedule)
    report(f"sequence_{args.model}", model, history, x_test, y_test, args.out, args.device)


if __name__ == "__main__":
    main()
