"""Hidden checks for speculative-decoding. Uniforms and drafts are the check's; references follow the statement."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def ref_sample(probs, u):
    cdf = torch.cumsum(probs, 0)
    above = torch.nonzero(cdf > u)
    return int(above[0]) if above.numel() else int(torch.nonzero(probs > 0)[-1])


def ref_residual(p, q):
    r = torch.clamp(p - q, min=0)
    return r / r.sum()


def ref_step(tokens, q, p, u_accept, u_sample):
    out = []
    for i in range(len(tokens)):
        x = int(tokens[i])
        if float(u_accept[i]) < float(p[i][x] / q[i][x]):
            out.append(x)
            continue
        out.append(ref_sample(ref_residual(p[i], q[i]), u_sample))
        return out
    out.append(ref_sample(p[len(tokens)], u_sample))
    return out


def dist(rows, v, seed, sharpness=1.5):
    return torch.softmax(sharpness * torch.randn(rows, v, generator=gen(seed), dtype=torch.float64), dim=-1)


def test_sample_index(candidate):
    probs = torch.tensor([0.1, 0.0, 0.25, 0.4, 0.25], dtype=torch.float64)
    us = [0.0, 0.05, 0.0999, 0.1, 0.2, 0.35, 0.3501, 0.74, 0.75, 0.9, 0.999999]
    got = candidate.call("sample_indices", probs, us)
    expected = [ref_sample(probs, u) for u in us]
    assert got == expected, f"sample_index({probs.tolist()}, u) for u in {us}: got {got}, expected {expected}"


def test_residual(candidate):
    p, q = dist(1, 50, 1)[0], dist(1, 50, 2)[0]
    got = candidate.call("residual", p, q)
    expect.close(got, ref_residual(p, q), "residual(p, q)", rtol=1e-12, atol=1e-15)
    assert bool((got >= 0).all()), "the residual distribution has no negative probabilities"


def test_accept_reject(candidate):
    n, k, v = 200, 4, 12
    g = gen(10)
    q, p = dist(n * k, v, 11).view(n, k, v), dist(n * (k + 1), v, 12).view(n, k + 1, v)
    tokens = torch.stack([torch.multinomial(q[i], 1, generator=g).squeeze(-1) for i in range(n)])
    u_accept, u_sample = torch.rand(n, k, generator=g, dtype=torch.float64), torch.rand(n, generator=g, dtype=torch.float64)
    got = candidate.call("steps", tokens, q, p, u_accept, u_sample)
    for i in range(n):
        expected = ref_step(tokens[i], q[i], p[i], u_accept[i], float(u_sample[i]))
        assert got[i] == expected, f"step {i}: drafts {tokens[i].tolist()} with u_accept {[round(x, 3) for x in u_accept[i].tolist()]} gave {got[i]}, expected {expected}"


def test_target_distribution(candidate):
    n, k, v = 40_000, 3, 6
    g = gen(20)
    q = torch.tensor([[0.4, 0.3, 0.1, 0.1, 0.05, 0.05], [0.05, 0.05, 0.5, 0.2, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2, 0.1, 0.1]], dtype=torch.float64)
    p = torch.tensor(
        [[0.1, 0.2, 0.3, 0.05, 0.25, 0.1], [0.3, 0.1, 0.1, 0.3, 0.1, 0.1], [0.05, 0.05, 0.4, 0.3, 0.1, 0.1], [1 / 6] * 6],
        dtype=torch.float64,
    )
    tokens = torch.stack([torch.multinomial(q[i], n, replacement=True, generator=g) for i in range(k)], dim=1)
    u_accept, u_sample = torch.rand(n, k, generator=g, dtype=torch.float64), torch.rand(n, generator=g, dtype=torch.float64)
    first_tokens, second_tokens = candidate.call("first_two", tokens, q, p, u_accept, u_sample)
    assert bool((first_tokens >= 0).all()), "every step emits at least one token"
    first = torch.bincount(first_tokens, minlength=v).double() / n
    worst = float((first - p[0]).abs().max())
    assert worst <= 0.015, f"the first emitted token's frequencies {[round(x, 3) for x in first.tolist()]} differ from p_0 by {worst:.3f} (> 0.015)"
    seconds = second_tokens[second_tokens >= 0]
    second = torch.bincount(seconds, minlength=v).double() / len(seconds)
    worst = float((second - p[1]).abs().max())
    assert worst <= 0.015, f"the second emitted token's frequencies {[round(x, 3) for x in second.tolist()]} differ from p_1 by {worst:.3f} (> 0.015)"
