"""Public check: run it yourself with `judge grade int8-quantization your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    w = torch.randn(6, 10, generator=torch.Generator().manual_seed(1))
    got = candidate.call("absmax", w)
    expect.tensor(got["q"], "quantize_absmax codes", (6, 10), dtype=torch.int8)
    expect.tensor(got["scale"], "quantize_absmax scales", (6,), dtype=torch.float32)
    expect.tensor(got["w_hat"], "dequantize_absmax", (6, 10), dtype=torch.float32)
    got = candidate.call("zero_point", w)
    expect.tensor(got["q"], "quantize_zero_point codes", (6, 10), dtype=torch.uint8)
    expect.tensor(got["scale"], "quantize_zero_point scales", (6,), dtype=torch.float32)
    expect.tensor(got["zero_point"], "zero points", (6,), dtype=torch.uint8)
    expect.tensor(got["w_hat"], "dequantize_zero_point", (6, 10), dtype=torch.float32)
