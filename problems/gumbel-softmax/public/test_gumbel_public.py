"""Public check: run it yourself with `judge grade gumbel-softmax your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for shape, dim in (((4, 6), -1), ((2, 3, 5), -1), ((2, 3, 5), 1)):
        logits = torch.randn(*shape, generator=g)
        for tau in (0.5, 2.0):
            soft = expect.tensor(candidate.call("sample", logits, tau, False, dim, 7), f"soft sample of {list(shape)} over dim {dim}", shape, dtype=torch.float32)
            expect.in_range(soft, 0.0, 1.0, "soft sample")
            expect.close(soft.sum(dim), torch.ones(soft.sum(dim).shape), f"soft sample summed over dim {dim}", rtol=0, atol=1e-5)
            hard = expect.tensor(candidate.call("sample", logits, tau, True, dim, 8), f"hard sample of {list(shape)} over dim {dim}", shape, dtype=torch.float32)
            assert bool(((hard == 0) | (hard == 1)).all()), "a hard sample must hold only 0 and 1"
            expect.close(hard.sum(dim), torch.ones(hard.sum(dim).shape), f"hard sample summed over dim {dim}", rtol=0, atol=0)
