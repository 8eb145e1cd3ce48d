"""Public check: run it yourself with `judge grade grouped-query-attention your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    q = torch.randn(2, 8, 5, 4, generator=g, dtype=torch.float64)
    k, v = torch.randn(2, 2, 5, 4, generator=g, dtype=torch.float64), torch.randn(2, 2, 5, 4, generator=g, dtype=torch.float64)
    out, k_all, v_all = candidate.call("attend", q, k, v, None, None)
    expect.floating(out, "out", (2, 8, 5, 4))
    expect.floating(k_all, "k_all", (2, 2, 5, 4))
    expect.floating(v_all, "v_all", (2, 2, 5, 4))
    past = torch.randn(2, 2, 3, 4, generator=g, dtype=torch.float64)
    out, k_all, v_all = candidate.call("attend", q, k, v, past, past.clone())
    expect.floating(out, "out with a cache of 3", (2, 8, 5, 4))
    expect.floating(k_all, "k_all with a cache of 3", (2, 2, 8, 4))
