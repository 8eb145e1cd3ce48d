"""Public check: run it yourself with `judge grade top-k-top-p-sampling your_file.py`."""

import torch

from judge.harness import expect


def test_sample_shape(candidate):
    """sample returns a LongTensor [B] of ids in [0, V), with and without filters."""
    logits = torch.randn(5, 10, generator=torch.Generator().manual_seed(1))
    for temperature, top_k, top_p in ((1.0, 0, 1.0), (0.7, 3, 0.9), (0.0, 0, 1.0)):
        result = candidate.call("sample", logits, temperature, top_k, top_p, [0])
        ids = expect.tensor(result["outputs"][0], "sample(logits, ...)", (5,), torch.int64)
        assert bool(((ids >= 0) & (ids < 10)).all()), "sample must return ids in [0, V)"
    result = candidate.call("sample", logits[:1], 1.0, 0, 1.0, [0])
    expect.tensor(result["outputs"][0], "sample(logits of one row, ...)", (1,), torch.int64)
