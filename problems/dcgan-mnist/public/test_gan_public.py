"""Public check: run it yourself with `judge grade dcgan-mnist your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for latent_dim, batch in ((100, 4), (16, 4), (100, 1)):
        z = torch.randn(batch, latent_dim, generator=g)
        images = torch.rand(batch, 1, 28, 28, generator=g) * 2 - 1
        fake, logits = candidate.call("shapes", latent_dim, z, images)
        expect.tensor(fake, f"Generator(latent_dim={latent_dim}) output for a batch of {batch}", (batch, 1, 28, 28), torch.float32)
        expect.tensor(logits, f"Discriminator output for a batch of {batch}", (batch,), torch.float32)
        expect.finite(fake, "generator output")
        expect.finite(logits, "discriminator output")
