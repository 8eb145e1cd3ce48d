"""A conv GAN whose D uses spectral normalisation (parametrized weights) and softplus losses (a third correct solution).

train_step draws the fake batch twice (once per update, as some tutorials do) and keeps the losses as
0-dim tensors until the end.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class Generator(nn.Module):
    """Maps z [B, latent_dim] to images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=100):
        """Build the layers."""
        super().__init__()
        self.latent_dim = latent_dim
        self.fc = nn.Linear(latent_dim, 32 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(32, 16, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(16, 1, 4, 2, 1)

    def forward(self, z):
        """Forward pass on z."""
        h = F.relu(self.fc(z)).view(z.size(0), 32, 7, 7)
        return torch.tanh(self.deconv2(F.relu(self.deconv1(h))))


class Discriminator(nn.Module):
    """Maps images [B, 1, 28, 28] to one raw logit per image, [B]."""

    def __init__(self):
        """Build the layers."""
        super().__init__()
        self.conv1 = spectral_norm(nn.Conv2d(1, 16, 4, 2, 1))
        self.conv2 = spectral_norm(nn.Conv2d(16, 32, 4, 2, 1))
        self.fc = spectral_norm(nn.Linear(32 * 7 * 7, 1))

    def forward(self, x):
        """Forward pass on x."""
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2)
        return self.fc(h.flatten(1))[:, 0]


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    return F.softplus(-fake_logits).mean()


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    opt_d.zero_grad()
    d_loss = discriminator_loss(D(real), D(G(z).detach()))
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad()
    g_loss = generator_loss(D(G(z)))
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
