"""Public check: run it yourself with `judge grade conditional-gan your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for latent_dim, num_classes, batch in ((32, 10, 4), (8, 3, 4), (32, 10, 1)):
        z = torch.randn(batch, latent_dim, generator=g)
        labels = torch.arange(batch, dtype=torch.long).remainder(num_classes).flip(0)
        labels[0] = num_classes - 1
        images = torch.rand(batch, 1, 16, 16, generator=g) * 2 - 1
        fake, logits = candidate.call("shapes", latent_dim, num_classes, z, labels, images)
        expect.tensor(fake, f"Generator(latent_dim={latent_dim}, num_classes={num_classes}) output for a batch of {batch}", (batch, 1, 16, 16), torch.float32)
        expect.tensor(logits, f"Discriminator(num_classes={num_classes}) output for a batch of {batch}", (batch,), torch.float32)
        expect.finite(fake, "generator output")
        expect.finite(logits, "discriminator output")
