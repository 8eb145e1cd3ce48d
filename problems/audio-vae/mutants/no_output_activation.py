"""Mutant: the decoder ends without any activation, so outputs leave [-1, 1] for large z."""

import torch
from torch import nn


class AudioVAE(nn.Module):
    """VAE for mono clips of `clip_length` samples in [-1, 1] (clip_length a multiple of 256)."""

    def __init__(self, clip_length: int = 1024, latent_dim: int = 16):
        super().__init__()
        self.clip_length = clip_length
        self.latent_dim = latent_dim
        # Three stride-4 convolutions shrink the clip 64-fold: 1024 samples -> 16 steps of 32 channels.
        self.steps = clip_length // 64
        self.encoder = nn.Sequential(
            nn.Conv1d(1, 16, 9, stride=4, padding=4), nn.ReLU(),
            nn.Conv1d(16, 32, 9, stride=4, padding=4), nn.ReLU(),
            nn.Conv1d(32, 32, 9, stride=4, padding=4), nn.ReLU(),
            nn.Flatten(),
        )
        self.to_mu = nn.Linear(32 * self.steps, latent_dim)
        self.to_logvar = nn.Linear(32 * self.steps, latent_dim)
        self.from_z = nn.Linear(latent_dim, 32 * self.steps)
        # kernel 8, stride 4, padding 2 multiplies the length by exactly 4 at each layer.
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(32, 32, 8, stride=4, padding=2), nn.ReLU(),
            nn.ConvTranspose1d(32, 16, 8, stride=4, padding=2), nn.ReLU(),
            nn.ConvTranspose1d(16, 1, 8, stride=4, padding=2),
        )

    def encode(self, x):
        """x [B, 1, clip_length] -> (mu, logvar), each [B, latent_dim]."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def reparameterize(self, mu, logvar, eps=None):
        """mu + exp(0.5 * logvar) * eps, with eps ~ N(0, I) from torch's global RNG when None."""
        if eps is None:
            eps = torch.randn_like(mu)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z):
        """z [B, latent_dim] -> waveform [B, 1, clip_length] in [-1, 1]."""
        h = torch.relu(self.from_z(z)).view(-1, 32, self.steps)
        return self.decoder(h)

    def forward(self, x):
        """-> (recon, mu, logvar), recon decoded from a sampled z."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def audio_vae_loss(recon, x, mu, logvar, beta=1.0):
    """Per clip: squared error summed over samples + beta * KL summed over latent dims; mean over the batch."""
    squared_error = (recon - x).pow(2).sum()
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (squared_error + beta * kl) / x.shape[0]
