"""Mutant: a faithful PyTorch port of the seed's TensorFlow GAN.train_step.

Both updates come from one forward pass (two gradient tapes over the same D(G(z))): the generator is
updated through the discriminator BEFORE its update, and nothing is returned. The discriminator loss
keeps the seed's misplaced parenthesis, mean(bce(real, 1) + mean(bce(fake, 0))), which happens to equal
the correct sum of means; the bugs that matter are the simultaneous update and the missing losses.
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


def _bce_logits(logits, targets):
    # Elementwise, like tf.nn.sigmoid_cross_entropy_with_logits.
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="none")


def discriminator_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0)."""
    return torch.mean(_bce_logits(real_logits, torch.ones_like(real_logits)) + torch.mean(_bce_logits(fake_logits, torch.zeros_like(fake_logits))))


def generator_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1)."""
    return torch.mean(_bce_logits(fake_logits, torch.ones_like(fake_logits)))


def train_step(G, D, opt_g, opt_d, real, z):
    """One D update on real vs detached G(z), then one G update through the updated D; returns the losses."""
    # with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape: one forward pass for both.
    generated_images = G(z)
    disc_real_output = D(real)
    disc_generated_output = D(generated_images)
    gen_loss = generator_loss(disc_generated_output)
    disc_loss = discriminator_loss(disc_real_output, disc_generated_output)
    gradients_of_generator = torch.autograd.grad(gen_loss, list(G.parameters()), retain_graph=True)
    gradients_of_discriminator = torch.autograd.grad(disc_loss, list(D.parameters()))
    for p, grad in zip(G.parameters(), gradients_of_generator):
        p.grad = grad
    for p, grad in zip(D.parameters(), gradients_of_discriminator):
        p.grad = grad
    opt_g.step()
    opt_d.step()
