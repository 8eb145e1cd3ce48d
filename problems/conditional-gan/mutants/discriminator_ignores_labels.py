"""Mutant: the discriminator judges the image alone: D(images, labels) ignores labels."""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """G(z, labels): the label's embedding is concatenated to z."""

    def __init__(self, latent_dim=32, num_classes=10):
        super().__init__()
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.label_embedding = nn.Embedding(num_classes, 16)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + 16, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 16 * 16),
            nn.Tanh(),
        )

    def forward(self, z, labels):
        """z [B, latent_dim], labels int64 [B] -> images [B, 1, 16, 16] in [-1, 1]."""
        h = torch.cat([z, self.label_embedding(labels)], dim=1)
        return self.net(h).view(-1, 1, 16, 16)


class Discriminator(nn.Module):
    """D(images, labels): the label's embedding is concatenated to the flattened image."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.label_embedding = nn.Embedding(num_classes, 16)
        self.net = nn.Sequential(
            nn.Linear(16 * 16, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 128),
            nn.LeakyReLU(0.2),
            nn.Linear(128, 1),
        )

    def forward(self, images, labels):
        """images [B, 1, 16, 16], labels int64 [B] -> raw logits [B]."""
        h = images.flatten(1)
        return self.net(h).view(-1)


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits):
    """Non-saturating: mean BCE-with-logits(fake, 1)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def train_step(G, D, opt_g, opt_d, real, labels, z):
    """One D update on (real, labels) vs (G(z, labels) detached, labels), then one G update through the updated D."""
    fake = G(z, labels)
    opt_d.zero_grad()
    d_loss = discriminator_loss(D(real, labels), D(fake.detach(), labels))
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad()
    g_loss = generator_loss(D(fake, labels))
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
