"""Public check: run it yourself with `judge grade classifier-free-guidance-ddim your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 2, 4, generator=g, dtype=torch.float64)
    cond, null = torch.randn(3, 5, generator=g, dtype=torch.float64), torch.zeros(3, 5, dtype=torch.float64)
    a, bm, d = torch.randn(8, 8, generator=g, dtype=torch.float64) * 0.2, torch.randn(8, 5, generator=g, dtype=torch.float64) * 0.2, torch.randn(8, generator=g, dtype=torch.float64)
    got = candidate.call("guided", x, 500, cond, null, 2.0, a, bm, d)
    expect.floating(got["eps"], "guided_eps", (3, 2, 4))
    expect.floating(candidate.call("step", x, got["eps"], 0.5, 0.7, 0.0, torch.zeros_like(x)), "ddim_step", (3, 2, 4))
    alpha_bars = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)
    out = candidate.call("sample", x, alpha_bars, [999, 499], cond, null, 2.0, 0.0, [torch.zeros_like(x)] * 2, a, bm, d)
    expect.floating(out["x"], "ddim_sample", (3, 2, 4))
