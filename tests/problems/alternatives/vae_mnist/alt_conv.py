"""A convolutional VAE with functional, hand-written losses (a different but correct solution)."""

import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        self.latent_dim = latent_dim
        self.enc = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(32 * 7 * 7, 2 * latent_dim)
        self.fc = nn.Linear(latent_dim, 32 * 7 * 7)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def encode(self, x):
        mu, logvar = self.head(self.enc(x)).chunk(2, dim=1)
        return mu, logvar

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(logvar / 2)
        if eps is None:
            eps = torch.randn(mu.shape, dtype=mu.dtype)
        return eps * std + mu

    def decode(self, z):
        return self.dec(torch.relu(self.fc(z)).view(-1, 32, 7, 7))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def vae_loss(recon, x, mu, logvar):
    log_p = torch.clamp(torch.log(recon), min=-100)
    log_q = torch.clamp(torch.log(1 - recon), min=-100)
    bce = -(x * log_p + (1 - x) * log_q).sum(dim=(1, 2, 3))
    kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1)
    return (bce + kl).mean()


def sample(model, n, generator=None):
    with torch.no_grad():
        return model.decode(torch.randn(n, model.latent_dim, generator=generator))
