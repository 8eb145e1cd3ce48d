"""An MLP GAN with dropout in D and batch norm in G, hand-written stable losses (another correct solution).

train_step zeroes gradients through the modules, freezes D's parameters during the G step and
restores them, and reports Python floats.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """Maps z [B, latent_dim] to images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=100):
        """Build the layers."""
        super().__init__()
        self.latent_dim = latent_dim
        self.body = nn.Sequential(
            nn.Linear(latent_dim, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
        )
        self.out = nn.Linear(256, 784)

    def forward(self, z):
        """Forward pass on z."""
        return torch.tanh(self.out(self.body(z))).reshape(z.shape[0], 1, 28, 28)


class Discriminator(nn.Module):
    """Maps images [B, 1, 28, 28] to one raw logit per image, [B]."""

    def __init__(self):
        """Build the layers."""
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(784, 256),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(256, 128),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
        )
        self.out = nn.Linear(128, 1)

    def forward(self, images):
        """Forward pass on images."""
        return self.out(self.body(images.flatten(1))).squeeze(1)


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    # -log sigmoid(x) and -log(1 - sigmoid(x)) = -log sigmoid(-x), both stable.
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    return -F.logsigmoid(fake_logits).mean()


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    D.zero_grad()
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_d.step()

    for p in D.parameters():
        p.requires_grad_(False)
    G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return {"d_loss": float(d_loss), "g_loss": float(g_loss)}
