"""Public check: run it yourself with `judge grade causal-self-attention your_file.py`."""

import torch

from judge.harness import expect


def test_output_shape(candidate):
    """forward returns a finite floating [B, T, d_model]; the four projections are d_model x d_model Linears."""
    for batch, length, d_model, n_heads in ((2, 5, 16, 4), (1, 1, 8, 2), (3, 6, 12, 3)):
        x = torch.randn(batch, length, d_model, generator=torch.Generator().manual_seed(length))
        result = candidate.call("forward", d_model, n_heads, [(x, None)])
        assert not result["forbidden"], "the submission used fused attention, which the statement forbids"
        out = expect.floating(result["outputs"][0], "forward(x)", (batch, length, d_model))
        expect.finite(out, "forward(x)")
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            expect.floating(result["parameters"][f"{name}.weight"], f"{name}.weight", (d_model, d_model))
