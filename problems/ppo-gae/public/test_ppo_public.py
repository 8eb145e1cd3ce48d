"""Public check: run it yourself with `judge grade ppo-gae your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    rewards, values = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64)
    dones = torch.zeros(5, 3, dtype=torch.float64)
    adv, ret = candidate.call("gae", rewards, values, dones, torch.zeros(3, dtype=torch.float64), 0.99, 0.95)
    expect.floating(adv, "advantages", (5, 3))
    expect.floating(ret, "returns", (5, 3))
    batch = [torch.randn(8, generator=g, dtype=torch.float64) for _ in range(6)]
    for value, name in zip(candidate.call("loss", *batch, 0.2, 0.5, 0.01), ("total", "policy_loss", "value_loss", "entropy_mean")):
        expect.floating(value, name, ())
