"""Alternative: a FiLM-conditioned generator and a projection discriminator (Miyato & Koyama, 2018)."""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """Hidden features scaled and shifted by per-class vectors (FiLM)."""

    def __init__(self, latent_dim=32, num_classes=10):
        super().__init__()
        self.inp = nn.Linear(latent_dim, 128)
        self.gamma = nn.Embedding(num_classes, 128)
        self.beta = nn.Embedding(num_classes, 128)
        nn.init.normal_(self.gamma.weight, 1.0, 0.2)
        nn.init.normal_(self.beta.weight, 0.0, 0.2)
        self.hidden = nn.Linear(128, 256)
        self.out = nn.Linear(256, 256)

    def forward(self, z, labels):
        """FiLM after the first layer, then an MLP to 16x16 and tanh."""
        h = F.relu(self.gamma(labels) * self.inp(z) + self.beta(labels))
        h = F.relu(self.hidden(h))
        return torch.tanh(self.out(h)).reshape(z.shape[0], 1, 16, 16)


class Discriminator(nn.Module):
    """logit = psi(phi(x)) + <embed(y), phi(x)>, with spectral norm on the feature layers."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.phi = nn.Sequential(
            nn.utils.spectral_norm(nn.Linear(256, 256)),
            nn.LeakyReLU(0.2),
            nn.utils.spectral_norm(nn.Linear(256, 128)),
            nn.LeakyReLU(0.2),
        )
        self.psi = nn.Linear(128, 1)
        self.embed = nn.Embedding(num_classes, 128)
        nn.init.normal_(self.embed.weight, 0.0, 0.1)

    def forward(self, images, labels):
        """Projection of the class embedding onto the image features."""
        h = self.phi(images.reshape(images.shape[0], -1))
        return self.psi(h).flatten() + (self.embed(labels) * h).sum(1)


def discriminator_loss(real_logits, fake_logits):
    """BCE with logits against ones and zeros."""
    return nn.BCEWithLogitsLoss()(real_logits, torch.ones_like(real_logits)) + nn.BCEWithLogitsLoss()(
        fake_logits, torch.zeros_like(fake_logits)
    )


def generator_loss(fake_logits):
    """Non-saturating generator loss."""
    return nn.BCEWithLogitsLoss()(fake_logits, torch.ones_like(fake_logits))


def train_step(G, D, opt_g, opt_d, real, labels, z):
    """Two updates; the fake is generated twice (once detached for D, once for G)."""
    for p in D.parameters():
        p.requires_grad_(True)
    opt_d.zero_grad()
    d_loss = discriminator_loss(D(real, labels), D(G(z, labels).detach(), labels))
    d_loss.backward()
    opt_d.step()
    for p in D.parameters():
        p.requires_grad_(False)
    opt_g.zero_grad()
    g_loss = generator_loss(D(G(z, labels), labels))
    g_loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
