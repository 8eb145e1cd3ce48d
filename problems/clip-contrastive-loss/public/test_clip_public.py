"""Public check: run it yourself with `judge grade clip-contrastive-loss your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    image, text = torch.randn(5, 8, generator=g), torch.randn(3, 8, generator=g)
    out = expect.floating(candidate.call("logits", image, text, 0.07), "clip_logits(image [5, 8], text [3, 8], 0.07)", (5, 3))
    expect.finite(out, "clip_logits")
    for n in (4, 1):
        image, text = torch.randn(n, 8, generator=g), torch.randn(n, 8, generator=g)
        value = candidate.call("loss", image, text, 0.07)
        expect.tensor(value, f"clip_loss for a batch of {n}")
        assert value.dim() == 0, f"clip_loss must return a 0-dim tensor, got shape {list(value.shape)}"
        expect.finite(value, "clip_loss")
