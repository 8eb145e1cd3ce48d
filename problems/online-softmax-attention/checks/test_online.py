"""Hidden checks for online-softmax-attention. References are float64, by ordinary attention."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference(q, k, v, causal=False):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        t = q.shape[2]
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def qkv(t, s, d, seed, scale=1.0):
    g = gen(seed)
    return (
        scale * torch.randn(2, 2, t, d, generator=g, dtype=torch.float64),
        scale * torch.randn(2, 2, s, d, generator=g, dtype=torch.float64),
        torch.randn(2, 2, s, d, generator=g, dtype=torch.float64),
    )


def test_equals_attention(candidate):
    q, k, v = qkv(33, 40, 16, 1)
    expected = reference(q, k, v)
    for block in (1, 7, 8, 40, 64):
        got = candidate.call("attend", q, k, v, block, False)
        expect.close(got, expected, f"online_attention with block_size {block} (S = 40)", rtol=1e-10, atol=1e-12)


def test_causal(candidate):
    q, k, v = qkv(37, 37, 8, 2)
    expected = reference(q, k, v, causal=True)
    for block in (5, 16):
        got = candidate.call("attend", q, k, v, block, True)
        expect.close(got, expected, f"causal online_attention with block_size {block}", rtol=1e-10, atol=1e-12)


def test_stability(candidate):
    for offset, seed in ((3000.0, 3), (-3000.0, 4)):
        q, k, v = qkv(16, 24, 8, seed, scale=0.5)
        # One shared large feature puts every score near the offset (q . k / sqrt(8) = +-c^2 / sqrt(8) + a spread).
        c = math.sqrt(abs(offset) * math.sqrt(8))
        q[..., 0] += c
        k[..., 0] += c if offset > 0 else -c
        expected = reference(q, k, v)
        got = candidate.call("attend", q, k, v, 8, False)
        expect.close(got, expected, f"scores around {offset:+g}", rtol=1e-9, atol=1e-11)


def test_no_full_scores(candidate):
    q, k, v = qkv(64, 64, 8, 5)
    got = candidate.call("largest_intermediate", q, k, v, 16)
    expect.close(got["out"], reference(q, k, v), "online_attention (T = S = 64, block 16)", rtol=1e-10, atol=1e-12)
    full = q.shape[0] * q.shape[1] * 64 * 64
    assert got["largest"] < full // 2, (
        f"an intermediate had {got['largest']} elements; the full score matrix has {full}: build scores one block at a time"
    )
