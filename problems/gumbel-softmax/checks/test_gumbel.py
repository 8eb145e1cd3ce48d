"""Hidden checks for gumbel-softmax. Noise for the formula checks is chosen here; sampling checks are seeded."""

import math

import torch

from judge.harness import expect

EULER = 0.5772156649015329


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def gumbels(shape, seed, dtype=torch.float64):
    """Standard Gumbel noise from a seeded generator."""
    u = torch.rand(*shape, generator=gen(seed), dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    return (-torch.log(-torch.log(u))).to(dtype)


def reference_soft(logits, noise, tau, dim):
    """softmax((logits + noise) / tau) in float64."""
    return torch.softmax((logits.double() + noise.double()) / tau, dim=dim)


def one_hot_argmax(y, dim):
    """The one-hot vector of y's argmax along dim."""
    return torch.zeros_like(y).scatter_(dim, y.argmax(dim=dim, keepdim=True), 1.0)


def test_soft_formula(candidate):
    logits = 2.0 * torch.randn(8, 10, generator=gen(3), dtype=torch.float64)
    noise = gumbels((8, 10), 4)
    for tau in (0.3, 1.0, 5.0):
        out = expect.tensor(candidate.call("with_noise", logits, noise, tau, False, -1), f"soft sample at tau {tau}", (8, 10), dtype=torch.float64)
        expect.close(out, reference_soft(logits, noise, tau, -1), f"soft sample at tau {tau}", rtol=1e-9, atol=1e-12)
    logits, noise = torch.randn(3, 4, 6, generator=gen(5), dtype=torch.float64), gumbels((3, 4, 6), 6)
    out = candidate.call("with_noise", logits, noise, 0.7, False, 1)
    expect.close(out, reference_soft(logits, noise, 0.7, 1), "soft sample over dim 1 of [3, 4, 6]", rtol=1e-9, atol=1e-12)
    logits, noise = torch.randn(5, 7, generator=gen(7)), gumbels((5, 7), 8, dtype=torch.float32)
    out = expect.tensor(candidate.call("with_noise", logits, noise, 0.5, False, -1), "float32 soft sample", (5, 7), dtype=torch.float32)
    expect.close(out, reference_soft(logits, noise, 0.5, -1), "float32 soft sample", rtol=1e-4, atol=1e-6)


def test_hard_forward(candidate):
    for shape, dim, seed in (((9, 5), -1, 10), ((6, 4), 0, 11), ((2, 7, 3), 1, 12)):
        logits, noise = torch.randn(*shape, generator=gen(seed), dtype=torch.float64), gumbels(shape, seed + 50)
        out = expect.tensor(candidate.call("with_noise", logits, noise, 0.8, True, dim), f"hard sample over dim {dim}", shape, dtype=torch.float64)
        expected = one_hot_argmax(reference_soft(logits, noise, 0.8, dim), dim)
        assert torch.equal(out, expected), f"hard sample over dim {dim} of {list(shape)} is not the one-hot argmax of the soft sample"


def test_straight_through(candidate):
    logits, noise = torch.randn(6, 5, generator=gen(20), dtype=torch.float64), gumbels((6, 5), 21)
    weights = torch.randn(6, 5, generator=gen(22), dtype=torch.float64)
    for tau in (0.5, 2.0):
        y, grad = candidate.call("straight_through", logits, noise, tau, weights)
        leaf = logits.clone().requires_grad_(True)
        (weights * reference_soft(leaf, noise, tau, -1)).sum().backward()
        assert grad is not None, "no gradient reached the logits through the hard sample (straight-through)"
        expect.close(y, one_hot_argmax(reference_soft(logits, noise, tau, -1), -1), f"hard sample at tau {tau}", rtol=0, atol=0)
        expect.close(grad, leaf.grad, f"gradient of the hard sample at tau {tau} (the soft sample's)", rtol=1e-8, atol=1e-10)


def test_gumbel_noise(candidate):
    stats = candidate.call("gumbel_moments", 200_000, 30)
    assert stats["shape"] == [200_000], f"sample_gumbel((200000,)) has shape {stats['shape']}"
    assert stats["finite"], "sample_gumbel returned nan or infinity"
    assert abs(stats["mean"] - EULER) <= 0.02, f"Gumbel noise has mean {stats['mean']:.4f}, expected 0.5772 +- 0.02"
    assert abs(stats["var"] - math.pi**2 / 6) <= 0.05, f"Gumbel noise has variance {stats['var']:.4f}, expected 1.6449 +- 0.05"
    assert abs(stats["below_zero"] - math.exp(-1)) <= 0.007, (
        f"a fraction {stats['below_zero']:.4f} of the noise is below 0, expected exp(-1) = 0.3679 +- 0.007"
    )


def test_argmax_distribution(candidate):
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.0, 0.0, 0.0, 0.0], [3.0, -2.0, 0.5, 0.5], [-1.0, 1.5, 1.0, 0.2]])
    expected = torch.softmax(logits.double(), dim=-1)
    for tau, seed in ((0.5, 40), (3.0, 41)):
        counts = expect.floating(candidate.call("hard_counts", logits, tau, 20_000, seed), "class counts", (4, 4))
        freq = counts / 20_000
        worst = float((freq - expected).abs().max())
        assert worst <= 0.025, (
            f"at tau {tau}, hard samples pick classes with frequencies {[round(v, 3) for v in freq.flatten().tolist()]} "
            f"off softmax(logits) by up to {worst:.3f} (> 0.025)"
        )
