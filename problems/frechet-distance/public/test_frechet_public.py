"""Public check: run it yourself with `judge grade frechet-distance your_file.py`."""

import torch

from judge.harness import expect


def test_statistics(candidate):
    g = torch.Generator().manual_seed(1)
    for n, d in ((50, 8), (3, 4)):
        x = torch.randn(n, d, generator=g, dtype=torch.float64) * 2 + 1
        result = candidate.call("statistics", x)
        assert isinstance(result, list) and len(result) == 2, "feature_statistics must return a tuple (mu, sigma)"
        mu, sigma = result
        mu = expect.floating(mu, "mu", (d,))
        sigma = expect.floating(sigma, "sigma", (d, d))
        expect.close(mu, x.mean(0), "mu", rtol=1e-10, atol=1e-12)
        expect.close(sigma, torch.cov(x.T, correction=1), "sigma (unbiased: divided by N - 1)", rtol=1e-10, atol=1e-12)
