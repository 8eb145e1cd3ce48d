"""A DCGAN-style convolutional GAN with batch norm in both networks (a different but correct solution).

It also differs from the reference in how train_step is written: it calls .train() on both models,
runs D once on the concatenated real and fake batch, makes the fake batch under torch.no_grad for the
D step and again for the G step, uses nn.BCEWithLogitsLoss modules, zeroes gradients to zero tensors
(not None) and returns 0-dim tensors.
"""

import torch
from torch import nn

_bce = nn.BCEWithLogitsLoss()


class Generator(nn.Module):
    """Maps z [B, latent_dim] to images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=100):
        """Build the layers."""
        super().__init__()
        self.latent_dim = latent_dim
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 64 * 7 * 7, bias=False), nn.BatchNorm1d(64 * 7 * 7), nn.ReLU()
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        """Forward pass on z."""
        return self.up(self.project(z).view(-1, 64, 7, 7))


class Discriminator(nn.Module):
    """Maps images [B, 1, 28, 28] to one raw logit per image, [B]."""

    def __init__(self):
        """Build the layers."""
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Conv2d(64, 1, 7)

    def forward(self, images):
        """Forward pass on images."""
        return self.head(self.features(images)).flatten()


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    return _bce(real_logits, torch.ones_like(real_logits)) + _bce(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    return _bce(fake_logits, torch.ones_like(fake_logits))


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    G.train()
    D.train()
    batch = real.shape[0]

    with torch.no_grad():
        fake = G(z)
    opt_d.zero_grad(set_to_none=False)
    logits = D(torch.cat([real, fake]))
    d_loss = discriminator_loss(logits[:batch], logits[batch:])
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad(set_to_none=False)
    g_loss = generator_loss(D(G(z)))
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
