"""GAN for 28x28 digits: fill in every function. See the statement for exact shapes and formulas."""

import torch  # noqa: F401 - imported for you
import torch.nn.functional as F  # noqa: F401 - imported for you
from torch import nn


class Generator(nn.Module):
    """Maps z [B, latent_dim] to images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=100):
        """Build the layers for a latent size of latent_dim."""
        super().__init__()
        self.latent_dim = latent_dim
        # TODO: layers mapping z [B, latent_dim] to images [B, 1, 28, 28], ending in tanh.

    def forward(self, z):
        """z [B, latent_dim] -> images [B, 1, 28, 28]."""
        raise NotImplementedError


class Discriminator(nn.Module):
    """Maps images [B, 1, 28, 28] to one raw logit per image, [B]."""

    def __init__(self):
        """Build the layers."""
        super().__init__()
        # TODO: layers mapping images [B, 1, 28, 28] to one raw logit per image (no sigmoid).

    def forward(self, images):
        """images [B, 1, 28, 28] -> logits [B]."""
        raise NotImplementedError


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    raise NotImplementedError


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    raise NotImplementedError


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    raise NotImplementedError
