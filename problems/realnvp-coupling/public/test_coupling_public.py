"""Public check: run it yourself with `judge grade realnvp-coupling your_file.py`."""

import torch

from judge.harness import expect


def weights(d, h, seed):
    g = torch.Generator().manual_seed(seed)
    w = {}
    for prefix in ("s", "t"):
        w[f"{prefix}1"] = 0.5 * torch.randn(h, d, generator=g, dtype=torch.float64)
        w[f"{prefix}1b"] = 0.1 * torch.randn(h, generator=g, dtype=torch.float64)
        w[f"{prefix}2"] = 0.5 * torch.randn(d, h, generator=g, dtype=torch.float64)
        w[f"{prefix}2b"] = 0.1 * torch.randn(d, generator=g, dtype=torch.float64)
    return w


def test_shapes(candidate):
    mask = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y, log_det = candidate.call("forward", mask, weights(6, 8, 2), x)
    expect.floating(y, "forward's y", (5, 6))
    expect.floating(log_det, "forward's log_det", (5,))
    expect.floating(candidate.call("inverse", mask, weights(6, 8, 2), x), "inverse", (5, 6))
