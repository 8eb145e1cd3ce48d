"""Public check: run it yourself with `judge grade lora-merge your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    weight, bias = torch.randn(7, 12, generator=g, dtype=torch.float64), torch.randn(7, generator=g, dtype=torch.float64)
    adapters = [
        ["first", 4, 8.0, torch.randn(4, 12, generator=g, dtype=torch.float64), torch.randn(7, 4, generator=g, dtype=torch.float64)],
        ["second", 2, 2.0, torch.randn(2, 12, generator=g, dtype=torch.float64), torch.randn(7, 2, generator=g, dtype=torch.float64)],
    ]
    for shape in ((5, 12), (2, 3, 12)):
        got = candidate.call("describe", weight, bias, adapters, torch.randn(*shape, generator=g, dtype=torch.float64))
        assert got["shapes"] == {"first": [[4, 12], [7, 4]], "second": [[2, 12], [7, 2]]}, f"adapter shapes {got['shapes']}"
        expect.floating(got["out"], f"output for x of shape {list(shape)}", (*shape[:-1], 7))
