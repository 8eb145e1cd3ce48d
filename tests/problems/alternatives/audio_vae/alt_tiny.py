"""A minimal two-layer-deep model: one patchifying Conv1d and one ConvTranspose1d (a small but correct solution)."""

import torch
from torch import nn


class AudioVAE(nn.Module):
    """Non-overlapping 16-sample patches in, 16-sample patches out."""

    def __init__(self, clip_length=1024, latent_dim=16):
        super().__init__()
        self.latent_dim = latent_dim
        self.patches = clip_length // 16
        self.conv = nn.Conv1d(1, 4, kernel_size=16, stride=16)
        self.heads = nn.ModuleDict(
            {"mu": nn.Linear(4 * self.patches, latent_dim), "logvar": nn.Linear(4 * self.patches, latent_dim)}
        )
        self.expand = nn.Linear(latent_dim, 4 * self.patches)
        self.deconv = nn.ConvTranspose1d(4, 1, kernel_size=16, stride=16)

    def encode(self, x):
        """One convolution, then two linear heads."""
        h = torch.tanh(self.conv(x)).flatten(start_dim=1)
        return self.heads["mu"](h), self.heads["logvar"](h)

    def reparameterize(self, mu, logvar, eps=None):
        """z = mu + exp(logvar / 2) * eps."""
        eps = torch.randn_like(logvar) if eps is None else eps
        return torch.addcmul(mu, torch.exp(0.5 * logvar), eps)

    def decode(self, z):
        """One linear layer, one transposed convolution, tanh."""
        h = torch.tanh(self.expand(z)).unflatten(1, (4, self.patches))
        return self.deconv(h).tanh()

    def forward(self, x):
        """(recon, mu, logvar)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def audio_vae_loss(recon, x, mu, logvar, beta=1.0):
    """Computed with torch.nn.functional-free sums over explicit dims."""
    se = torch.sum((recon - x) ** 2, dim=(1, 2))
    kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar), dim=1)
    return torch.mean(se + beta * kl)
