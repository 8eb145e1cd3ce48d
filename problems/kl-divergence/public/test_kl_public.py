"""Public checks: run them yourself with `judge grade kl-divergence your_file.py`."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def test_gaussian_shapes(candidate):
    g = gen(1)
    for shape in ((4, 6), (2, 3, 5), (7, 1)):
        mu1, logvar1, mu2, logvar2 = (torch.randn(*shape, generator=g) for _ in range(4))
        out = expect.floating(candidate.call("gaussian", mu1, logvar1, mu2, logvar2), f"KL for inputs of shape {list(shape)}", shape[:-1])
        expect.finite(out, "KL")
    # A standard-normal prior given as a single [D] row broadcasts against a batch [B, D].
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    out = candidate.call("gaussian", mu, logvar, torch.zeros(3), torch.zeros(3))
    expect.finite(expect.floating(out, "KL against a broadcast prior [D]", (5,)), "KL")


def test_categorical_shapes(candidate):
    g = gen(2)
    for shape in ((3, 5), (2, 4, 6), (1, 2)):
        p = torch.softmax(torch.randn(*shape, generator=g), dim=-1)
        q = torch.softmax(torch.randn(*shape, generator=g), dim=-1)
        out = expect.floating(candidate.call("categorical", p, q), f"KL for inputs of shape {list(shape)}", shape[:-1])
        expect.finite(out, "KL")
