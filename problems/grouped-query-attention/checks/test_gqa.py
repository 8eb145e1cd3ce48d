"""Hidden checks for grouped-query-attention. References are float64, from the statement's formulas."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference(q, k, v, past_k=None, past_v=None):
    if past_k is not None:
        k, v = torch.cat([past_k, k], 2), torch.cat([past_v, v], 2)
    n_rep = q.shape[1] // k.shape[1]
    keys, values = k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)
    t, total = q.shape[2], k.shape[2]
    scores = q @ keys.transpose(-2, -1) / math.sqrt(q.shape[-1])
    allowed = torch.arange(total)[None, :] <= torch.arange(t)[:, None] + (total - t)
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, -1) @ values, k, v


def qkv(b, hq, hkv, t, d, seed):
    g = gen(seed)
    return (
        torch.randn(b, hq, t, d, generator=g, dtype=torch.float64),
        torch.randn(b, hkv, t, d, generator=g, dtype=torch.float64),
        torch.randn(b, hkv, t, d, generator=g, dtype=torch.float64),
    )


def test_repeat_kv(candidate):
    x = torch.randn(2, 3, 5, 4, generator=gen(1), dtype=torch.float64)
    for n_rep in (1, 2, 4):
        got = expect.tensor(candidate.call("repeat", x, n_rep), f"repeat_kv(x, {n_rep})", (2, 3 * n_rep, 5, 4))
        assert torch.equal(got, x.repeat_interleave(n_rep, dim=1)), (
            f"repeat_kv(x, {n_rep}): output head h must be input head h // {n_rep} (consecutive repeats)"
        )


def test_causal_attention(candidate):
    for (hq, hkv), seed in (((4, 4), 10), ((8, 2), 11), ((6, 1), 12)):
        q, k, v = qkv(2, hq, hkv, 7, 16, seed)
        out, k_all, v_all = candidate.call("attend", q, k, v, None, None)
        expect.close(out, reference(q, k, v)[0], f"causal attention with Hq={hq}, Hkv={hkv}", rtol=1e-10, atol=1e-12)
        assert torch.equal(k_all, k) and torch.equal(v_all, v), "without a cache, the returned cache is k and v"


def test_kv_cache(candidate):
    for (hq, hkv), seed in (((8, 2), 20), ((4, 1), 21)):
        q, k, v = qkv(2, hq, hkv, 11, 8, seed)
        out, k_all, v_all = candidate.call("decode", q, k, v, 5)
        expect.close(out, reference(q, k, v)[0], f"prefill of 5 then 6 single steps (Hq={hq}, Hkv={hkv})", rtol=1e-10, atol=1e-12)
        expect.close(k_all, k, "the final key cache", rtol=0, atol=0)
        expect.close(v_all, v, "the final value cache", rtol=0, atol=0)


def test_cache_offset(candidate):
    q, k, v = qkv(1, 4, 2, 3, 8, 30)
    _, past_k, past_v = qkv(1, 4, 2, 4, 8, 31)
    out, k_all, _ = candidate.call("attend", q, k, v, past_k, past_v)
    expect.close(out, reference(q, k, v, past_k, past_v)[0], "3 queries after a cache of 4", rtol=1e-10, atol=1e-12)
    expect.close(k_all, torch.cat([past_k, k], 2), "the grown key cache", rtol=0, atol=0)
