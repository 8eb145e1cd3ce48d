"""Mutant: the discriminator step uses G(z) without detach and both optimizers are zeroed only once, at the
start, so the discriminator loss's gradient with respect to G's parameters leaks into the G update.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """Maps z [B, latent_dim] to images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=100):
        """Build the layers for a latent size of latent_dim."""
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 28 * 28), nn.Tanh(),
        )

    def forward(self, z):
        """z [B, latent_dim] -> images [B, 1, 28, 28]."""
        return self.net(z).view(-1, 1, 28, 28)


class Discriminator(nn.Module):
    """Maps images [B, 1, 28, 28] to one raw logit per image, [B]."""

    def __init__(self):
        """Build the layers."""
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )

    def forward(self, images):
        """images [B, 1, 28, 28] -> logits [B]."""
        # view(-1), not squeeze(): a batch of one must stay [1].
        return self.net(images).view(-1)


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    fake = G(z)

    opt_d.zero_grad()
    opt_g.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake))
    # retain_graph: the usual 'fix' for the error the second backward through G(z) raises otherwise.
    d_loss.backward(retain_graph=True)
    opt_d.step()

    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_g.step()

    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
