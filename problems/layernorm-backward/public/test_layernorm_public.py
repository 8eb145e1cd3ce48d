"""Public check: run it yourself with `judge grade layernorm-backward your_file.py`."""

import torch

from judge.harness import expect


def test_interface(candidate):
    g = torch.Generator().manual_seed(1)
    for shape in ((4, 8), (2, 3, 16)):
        d = shape[-1]
        info = candidate.call("describe", torch.randn(*shape, generator=g), torch.ones(d), torch.zeros(d))
        expect.floating(info["out"], f"layer_norm of {list(shape)}", shape)
        assert info["grad_fn"] == "LayerNormFunctionBackward", (
            f"the output's grad_fn is {info['grad_fn']}, expected LayerNormFunctionBackward (LayerNormFunction.apply)"
        )
