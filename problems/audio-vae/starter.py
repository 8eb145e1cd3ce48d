"""Audio VAE for 1-D clips: fill in every function. See the statement for exact shapes and formulas."""

import torch
from torch import nn


class AudioVAE(nn.Module):
    """VAE for mono clips [B, 1, clip_length] with samples in [-1, 1]."""

    def __init__(self, clip_length: int = 1024, latent_dim: int = 16):
        super().__init__()
        self.clip_length = clip_length
        self.latent_dim = latent_dim
        # TODO: an encoder built from nn.Conv1d layers that outputs mu and logvar, and a decoder built
        # from nn.ConvTranspose1d (or upsampling + nn.Conv1d) that ends in a tanh.

    def encode(self, x):
        """x [B, 1, clip_length] -> (mu, logvar), each [B, latent_dim]."""
        raise NotImplementedError

    def reparameterize(self, mu, logvar, eps=None):
        """mu + exp(0.5 * logvar) * eps; draw eps ~ N(0, I) when it is None."""
        raise NotImplementedError

    def decode(self, z):
        """z [B, latent_dim] -> [B, 1, clip_length] in [-1, 1]."""
        raise NotImplementedError

    def forward(self, x):
        """-> (recon, mu, logvar)."""
        raise NotImplementedError


def audio_vae_loss(recon, x, mu, logvar, beta=1.0):
    """Summed squared error + beta * summed KL per clip, averaged over the batch."""
    raise NotImplementedError
