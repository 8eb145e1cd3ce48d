"""Public check: run it yourself with `judge grade lora-linear your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    weight, bias_value = torch.randn(7, 12, generator=g) * 0.2, torch.randn(7, generator=g) * 0.2
    for x_shape in ((5, 12), (2, 3, 12)):
        x = torch.randn(*x_shape, generator=g)
        info = candidate.call("describe", weight, bias_value, 4, 8.0, x)
        expect.floating(info["out"], f"LoRALinear(nn.Linear(12, 7), rank=4, alpha=8)(x of shape {list(x_shape)})", (*x_shape[:-1], 7))
        expect.floating(info["lora_A"], "lora_A", (4, 12))
        expect.floating(info["lora_B"], "lora_B", (7, 4))
        expect.close_scalar(info["scaling"], 2.0, "scaling (alpha / rank)", rtol=0, atol=1e-12)
        assert info["base_is_kept"] is True, "the wrapped nn.Linear must be kept as model.base (the same object)"
