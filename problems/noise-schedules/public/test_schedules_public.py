"""Public check: run it yourself with `judge grade noise-schedules your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    for T in (10, 1000):
        for name, betas in zip(("linear_betas", "cosine_betas", "sigmoid_betas"), candidate.call("defaults", T)):
            expect.tensor(betas, f"{name}({T})", (T,), dtype=torch.float64)
            assert bool(((betas > 0) & (betas <= 1)).all()), f"{name}({T}) must lie in (0, 1]"
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(4, 3, 8, 8, generator=g, dtype=torch.float64), torch.randn(4, 3, 8, 8, generator=g, dtype=torch.float64)
    got = candidate.call("conversions", x0, eps, torch.tensor([0.9, 0.5, 0.1, 0.01], dtype=torch.float64))
    for name in ("v", "x0", "eps"):
        expect.floating(got[name], f"{name} for inputs [4, 3, 8, 8]", (4, 3, 8, 8))
