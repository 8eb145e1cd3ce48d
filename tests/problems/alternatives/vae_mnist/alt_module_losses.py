"""An MLP VAE with a single head, nn.BCELoss modules and a tanh hidden layer (another correct solution)."""

import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim: int = 20):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.Tanh(), nn.Linear(128, 2 * latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 128), nn.Tanh(), nn.Linear(128, 28 * 28), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))
        )

    def encode(self, x):
        h = self.encoder(x)
        return h[:, : self.latent_dim], h[:, self.latent_dim :]

    def reparameterize(self, mu, logvar, eps=None):
        eps = torch.randn_like(mu) if eps is None else eps
        return mu + (0.5 * logvar).exp() * eps

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


_bce = nn.BCELoss(reduction="sum")


def vae_loss(recon, x, mu, logvar):
    kl = -0.5 * (1 + logvar - mu * mu - torch.exp(logvar)).sum()
    return (_bce(recon, x) + kl) / x.size(0)


def sample(model, n, generator=None):
    model_was_training = model.training
    with torch.no_grad():
        out = model.decode(torch.randn((n, model.latent_dim), generator=generator))
    model.train(model_was_training)
    return out
