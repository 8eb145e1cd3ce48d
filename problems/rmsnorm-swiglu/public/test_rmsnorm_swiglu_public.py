"""Public checks: run them yourself with `judge grade rmsnorm-swiglu your_file.py`."""

import torch

from judge.harness import expect


def test_rmsnorm_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape in ((2, 5, 8), (3, 16), (7,)):
        for dtype in (torch.float32, torch.float64):
            x = torch.randn(*shape, generator=g).to(dtype)
            info = candidate.call("rmsnorm_describe", shape[-1], x)
            expect.tensor(info["out"], f"RMSNorm({shape[-1]})(x of shape {list(shape)}, {dtype})", shape, dtype=dtype)
            expect.finite(info["out"], "RMSNorm output")
            assert info["weight_is_parameter"], "RMSNorm.weight must be an nn.Parameter"
            expect.close(info["weight"], torch.ones(shape[-1]), "RMSNorm.weight at initialisation (ones)", rtol=0, atol=0)


def test_swiglu_shapes(candidate):
    x = torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(2))
    info = candidate.call("swiglu_describe", 8, 20, x)
    expect.floating(info["out"], "SwiGLU(8, 20)(x of shape [2, 3, 8])", (2, 3, 8))
    expect.finite(info["out"], "SwiGLU output")
    for name, shape in (("gate", [20, 8]), ("up", [20, 8]), ("down", [8, 20])):
        layer = info["layers"][name]
        assert layer["is_linear"], f"SwiGLU.{name} must be an nn.Linear"
        assert layer["weight_shape"] == shape, f"SwiGLU.{name}.weight has shape {layer['weight_shape']}, expected {shape}"
        assert not layer["has_bias"], f"SwiGLU.{name} must have no bias (bias=False)"
