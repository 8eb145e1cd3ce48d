"""Public check: run it yourself with `judge grade wgan-gp-penalty your_file.py`."""

import torch

from judge.harness import expect


def test_interpolate_value(candidate):
    g = torch.Generator().manual_seed(1)
    real = torch.randn(4, 2, 3, 3, generator=g)
    fake = torch.randn(4, 2, 3, 3, generator=g)
    alpha = torch.tensor([0.0, 1.0, 0.25, 0.9]).view(4, 1, 1, 1)
    value = candidate.call("interpolate", real, fake, alpha)
    expected = alpha.double() * real.double() + (1 - alpha.double()) * fake.double()
    expect.close(value, expected, "interpolate(real, fake, alpha)", rtol=1e-6, atol=1e-6)
