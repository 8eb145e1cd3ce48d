"""Public check: run it yourself with `judge grade vae-mnist your_file.py`."""

import torch

from judge.harness import expect


def test_encode_shapes(candidate):
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    for latent_dim in (20, 8):
        mu, logvar = candidate.call("encode", latent_dim, x)
        expect.floating(mu, "mu", (4, latent_dim))
        expect.floating(logvar, "logvar", (4, latent_dim))
        expect.finite(mu, "mu")
        expect.finite(logvar, "logvar")
