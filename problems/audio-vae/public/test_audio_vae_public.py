"""Public check: run it yourself with `judge grade audio-vae your_file.py`."""

import torch

from judge.harness import expect


def test_encode_shapes(candidate):
    """encode returns floating, finite mu and logvar of shape [B, latent_dim] for two clip lengths."""
    g = torch.Generator().manual_seed(1)
    for clip_length, latent_dim in ((1024, 16), (512, 8)):
        x = (torch.rand(4, 1, clip_length, generator=g) * 2 - 1) * 0.9
        mu, logvar = candidate.call("encode", clip_length, latent_dim, x)
        name = f"AudioVAE(clip_length={clip_length}, latent_dim={latent_dim}).encode"
        expect.floating(mu, f"{name} mu", (4, latent_dim))
        expect.floating(logvar, f"{name} logvar", (4, latent_dim))
        expect.finite(mu, f"{name} mu")
        expect.finite(logvar, f"{name} logvar")
