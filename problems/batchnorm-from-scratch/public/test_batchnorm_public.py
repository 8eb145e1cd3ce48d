"""Public check: run it yourself with `judge grade batchnorm-from-scratch your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape in ((8, 3), (4, 3, 5), (2, 3, 4, 4)):
        info = candidate.call("describe", torch.randn(*shape, generator=g))
        expect.floating(info["out"], f"BatchNorm(3)(x of shape {list(shape)})", shape)
        expect.finite(info["out"], "BatchNorm output")
        for name, value in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
            expect.close(info[name], torch.full((3,), value), f"{name} at initialisation", rtol=0, atol=0)
