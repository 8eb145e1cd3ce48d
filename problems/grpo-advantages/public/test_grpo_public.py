"""Public check: run it yourself with `judge grade grpo-advantages your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    rewards = torch.randn(8, generator=g, dtype=torch.float64)
    expect.floating(candidate.call("advantages", rewards, 4), "group_advantages", (8,))
    logp = -torch.rand(8, 5, generator=g, dtype=torch.float64)
    ref = -torch.rand(8, 5, generator=g, dtype=torch.float64)
    expect.floating(candidate.call("kl", logp, ref), "kl_k3", (8, 5))
    mask = torch.ones(8, 5, dtype=torch.float64)
    expect.floating(candidate.call("loss", logp, logp.clone(), ref, rewards, mask, 0.2, 0.04), "grpo_loss", ())
