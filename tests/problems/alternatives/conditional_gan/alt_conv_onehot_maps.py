"""Alternative: convolutional G and D, one-hot labels (G input, D extra channels), batch norm and dropout."""

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    """z and a one-hot label -> a 64x4x4 map -> two transposed convolutions -> 16x16."""

    def __init__(self, latent_dim=32, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.fc = nn.Sequential(nn.Linear(latent_dim + num_classes, 64 * 4 * 4), nn.BatchNorm1d(64 * 4 * 4), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z, labels):
        """[B, latent_dim], int64 [B] -> [B, 1, 16, 16]."""
        onehot = F.one_hot(labels, self.num_classes).to(z.dtype)
        return self.deconv(self.fc(torch.cat([z, onehot], 1)).view(-1, 64, 4, 4))


class Discriminator(nn.Module):
    """Image plus num_classes constant label planes -> two strided convolutions -> one logit."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.conv = nn.Sequential(
            nn.Conv2d(1 + num_classes, 32, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Conv2d(32, 64, 4, 2, 1),
            nn.LeakyReLU(0.2),
        )
        self.out = nn.Linear(64 * 4 * 4, 1)

    def forward(self, images, labels):
        """[B, 1, 16, 16], int64 [B] -> [B] logits."""
        planes = F.one_hot(labels, self.num_classes).to(images.dtype)[:, :, None, None].expand(-1, -1, 16, 16)
        return self.out(self.conv(torch.cat([images, planes], 1)).flatten(1)).squeeze(1)


def discriminator_loss(real_logits, fake_logits):
    """softplus form of the two BCE terms."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    """-log sigmoid(fake), averaged."""
    return -F.logsigmoid(fake_logits).mean()


def train_step(G, D, opt_g, opt_d, real, labels, z):
    """D on a no_grad fake, then G with a fresh fake through the updated D."""
    G.train()
    D.train()
    with torch.no_grad():
        fake = G(z, labels)
    d_loss = discriminator_loss(D(real, labels), D(fake, labels))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    g_loss = generator_loss(D(G(z, labels), labels))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    return {"d_loss": float(d_loss), "g_loss": float(g_loss)}
