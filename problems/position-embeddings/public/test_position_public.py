"""Public checks: run them yourself with `judge grade position-embeddings your_file.py`."""

import torch

from judge.harness import expect


def test_sinusoidal_shapes(candidate):
    for positions, dim in ((torch.arange(10), 16), (torch.tensor([3, 0, 7]), 6), (torch.tensor([0.5, 2.25]), 8)):
        out = expect.tensor(candidate.call("sinusoidal", positions, dim, None), f"sinusoidal_embedding(positions [{len(positions)}], {dim})", (len(positions), dim), dtype=torch.float32)
        expect.in_range(out, -1.0, 1.0, "sinusoidal_embedding")


def test_rope_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape in ((5, 8), (2, 3, 5, 16), (1, 4, 2)):
        for dtype in (torch.float32, torch.float64):
            x = torch.randn(*shape, generator=g, dtype=dtype)
            out = expect.tensor(candidate.call("rope", x, torch.arange(shape[-2]), None), f"rope(x of shape {list(shape)}, {dtype})", shape, dtype=dtype)
            expect.finite(out, "rope(x)")
