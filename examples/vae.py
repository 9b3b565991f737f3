"""A variational autoencoder on MNIST (Kingma & Welling 2014), with tensorgrad.distributions:
the encoder gives a Normal over a 16-d code, a code is drawn with rsample (the
reparameterisation trick, so the draw is differentiable), the decoder gives a Bernoulli over
the 784 pixels, and the loss is the negative ELBO: -log p(x | z) + KL(q(z | x) || N(0, I)).

    python examples/vae.py                  # the embedded MNIST-5k, 15 epochs, ~20 s
    python examples/vae.py --data mnist     # the full 70,000 digits

Writes the checkpoint and a figure of digits, their reconstructions and new samples.
"""

import os
import time

import tensorgrad as tg
import tensorgrad_nn as nn
from tensorgrad.distributions import Bernoulli, Independent, Normal, kl_divergence
from tensorgrad_nn.train.cli import example_parser, load_mnist

CODE = 16


class VAE(nn.Module):
    def __init__(self, hidden: int = 256):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * CODE))
        self.decoder = nn.Sequential(nn.Linear(CODE, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def posterior(self, x):
        mu, log_sigma = self.encoder(x).chunk(2, -1)
        return Independent(Normal(mu, log_sigma.exp()), 1)

    def likelihood(self, z):
        return Independent(Bernoulli(logits=self.decoder(z)), 1)

    def loss(self, x):
        """The negative ELBO per digit, averaged over the batch."""
        q = self.posterior(x)
        z = q.rsample()
        prior = Independent(Normal(tg.zeros_like(z), tg.ones_like(z)), 1)
        return (kl_divergence(q, prior) - self.likelihood(z).log_prob(x)).mean()


def figure(model, x, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with tg.no_grad():
        recon = model.likelihood(model.posterior(tg.tensor(x)).mean).mean.numpy()
        samples = model.likelihood(tg.randn(len(x), CODE)).mean.numpy()
    fig, axes = plt.subplots(3, len(x), figsize=(len(x), 3.3))
    for row, (images, title) in enumerate(((x, "digits"), (recon, "reconstructions"),
                                           (samples, "samples"))):
        for ax, image in zip(axes[row], images):
            ax.imshow(image.reshape(28, 28), cmap="gray")
            ax.axis("off")
        axes[row][0].set_title(title, loc="left", fontsize=9)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    parser = example_parser("A variational autoencoder on MNIST", epochs=15)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    x_train, _, x_test, _ = load_mnist(args.data, layout="flat")
    tg.manual_seed(args.seed)
    model = VAE().to(args.device)
    optimizer = nn.optim.Adam(model.parameters(), lr=args.lr)
    loader = nn.data.DataLoader(nn.data.TensorDataset(x_train), batch_size=args.batch_size,
                                shuffle=True)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total, seen = 0.0, 0
        for (x,) in loader:
            x = x.to(args.device)
            loss = model.loss(x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            seen += len(x)
        model.eval()
        with tg.no_grad():
            held_out = model.loss(tg.tensor(x_test, device=args.device)).item()
        print(f"epoch {epoch + 1:2d}/{args.epochs}  loss {total / seen:.4f}  "
              f"held-out {held_out:.4f} nats per digit")
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print(f"held-out negative ELBO: {held_out:.2f} nats per digit")
    os.makedirs(args.out, exist_ok=True)
    nn.save(model.state_dict(), os.path.join(args.out, "vae.safetensors"))
    figure(model, x_test[:10], os.path.join(args.out, "vae.png"))
    print(f"checkpoint: {os.path.join(args.out, 'vae.safetensors')}")
    print(f"figure: {os.path.join(args.out, 'vae.png')}")


if __name__ == "__main__":
    main()
