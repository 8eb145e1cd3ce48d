"""BatchNorm, GELU and dropout, kernel-4 stride-2 transposed convolutions, per-clip loss terms (another correct solution)."""

import torch
from torch import nn


class AudioVAE(nn.Module):
    """Deeper stride-2 network with normalisation; eval mode turns dropout off and freezes the norms."""

    def __init__(self, clip_length: int = 1024, latent_dim: int = 16):
        super().__init__()
        self.latent_dim = latent_dim
        self.steps = clip_length // 16
        blocks = []
        channels = [1, 8, 16, 24, 24]
        for cin, cout in zip(channels, channels[1:]):
            blocks += [nn.Conv1d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm1d(cout), nn.GELU()]
        self.encoder = nn.Sequential(*blocks, nn.Flatten(), nn.Dropout(0.1))
        self.mu = nn.Linear(24 * self.steps, latent_dim)
        self.logvar = nn.Linear(24 * self.steps, latent_dim)
        self.project = nn.Sequential(nn.Linear(latent_dim, 24 * self.steps), nn.GELU())
        up = []
        channels = [24, 24, 16, 8]
        for cin, cout in zip(channels, channels[1:]):
            up += [nn.ConvTranspose1d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm1d(cout), nn.GELU()]
        self.decoder = nn.Sequential(*up, nn.ConvTranspose1d(8, 1, 4, stride=2, padding=1))

    def encode(self, x):
        """Two separate heads."""
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def reparameterize(self, mu, logvar, eps=None):
        """Noise from torch's global generator unless given."""
        std = logvar.mul(0.5).exp()
        if eps is None:
            eps = torch.empty_like(std).normal_()
        return mu + eps * std

    def decode(self, z):
        """Projection to a short sequence, four x2 transposed convolutions, tanh."""
        h = self.project(z).reshape(-1, 24, self.steps)
        return torch.tanh(self.decoder(h))

    def forward(self, x):
        """(recon, mu, logvar)."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def audio_vae_loss(recon, x, mu, logvar, beta=1.0):
    """Per-clip reconstruction and KL terms, then the batch mean."""
    reconstruction = ((recon - x) ** 2).flatten(1).sum(dim=1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
    return (reconstruction + beta * kl).mean()
