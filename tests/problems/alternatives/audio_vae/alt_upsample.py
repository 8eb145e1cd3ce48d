"""Upsample + Conv1d decoder, global-pooled encoder with one head, F.mse_loss (a different correct solution)."""

import torch
import torch.nn.functional as F
from torch import nn


class AudioVAE(nn.Module):
    """Encoder: stride-2 Conv1d stack, then adaptive pooling; decoder: nearest upsampling + Conv1d."""

    def __init__(self, clip_length=1024, latent_dim=16):
        super().__init__()
        self.clip_length = clip_length
        self.latent_dim = latent_dim
        self.start = clip_length // 32
        self.enc = nn.Sequential(
            nn.Conv1d(1, 16, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(16, 32, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(32, 32, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(8),
            nn.Flatten(),
        )
        self.head = nn.Linear(32 * 8, 2 * latent_dim)
        self.fc = nn.Linear(latent_dim, 32 * self.start)
        layers = []
        for _ in range(5):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(32, 32, 5, padding=2), nn.LeakyReLU(0.2)]
        self.dec = nn.Sequential(*layers, nn.Conv1d(32, 1, 5, padding=2), nn.Tanh())

    def encode(self, x):
        """Both heads from one linear layer, split in two."""
        mu, logvar = self.head(self.enc(x)).chunk(2, dim=1)
        return mu, logvar

    def reparameterize(self, mu, logvar, eps=None):
        """z = mu + sigma * eps."""
        if eps is None:
            eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)
        return eps * torch.exp(logvar / 2) + mu

    def decode(self, z):
        """Latent -> waveform through five x2 upsamplings."""
        return self.dec(self.fc(z).view(z.shape[0], 32, self.start))

    def forward(self, x):
        """(recon, mu, logvar)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def audio_vae_loss(recon, x, mu, logvar, beta=1.0):
    """Summed squared error and summed KL, divided by the batch size."""
    batch = x.size(0)
    kl = 0.5 * torch.sum(mu**2 + logvar.exp() - 1.0 - logvar)
    return (F.mse_loss(recon, x, reduction="sum") + beta * kl) / batch
