"""Public check: run it yourself with `judge grade moe-router your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(10, 4, generator=g, dtype=torch.float64)
    index, gates, aux = candidate.call("route", logits, 2, None)
    expect.tensor(index, "index", (10, 2), dtype=torch.int64)
    expect.floating(gates, "gates", (10, 2))
    expect.floating(aux, "aux_loss", ())
    weights = [torch.randn(3, 3, generator=g, dtype=torch.float64) for _ in range(4)]
    got = candidate.call("combine", torch.randn(10, 3, generator=g, dtype=torch.float64), weights, index, gates)
    expect.floating(got["out"], "combine", (10, 3))
