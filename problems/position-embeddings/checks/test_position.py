"""Hidden checks for position-embeddings. References are computed here, in float64, from the formulas."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_sinusoidal(positions, dim, base=10000.0):
    """pe[n, 2i] = sin(p_n * base^(-2i/dim)), pe[n, 2i+1] = cos(...), element by element in float64."""
    pe = torch.zeros(len(positions), dim, dtype=torch.float64)
    for n, p in enumerate(positions.tolist()):
        for i in range(dim // 2):
            angle = p * base ** (-2 * i / dim)
            pe[n, 2 * i], pe[n, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


def rotation(angle):
    """The 2x2 counter-clockwise rotation matrix by `angle`, float64."""
    return torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=torch.float64)


def reference_rope(x, positions, base=10000.0):
    """Each pair (2i, 2i+1) of the vector at position p, times the rotation by p * base^(-2i/D), in float64."""
    x = x.double()
    dim = x.shape[-1]
    out = torch.empty_like(x)
    for t, p in enumerate(positions.tolist()):
        for i in range(dim // 2):
            pair = x[..., t, 2 * i : 2 * i + 2]
            out[..., t, 2 * i : 2 * i + 2] = pair @ rotation(p * base ** (-2 * i / dim)).T
    return out


def test_sinusoidal_values(candidate):
    cases = (
        (torch.tensor([0, 1, 2, 5, 17, 100, 255, 511, 512]), 64, None),
        (torch.arange(12), 16, None),
        (torch.tensor([3, 0, 7, 300]), 6, None),
        (torch.tensor([0.5, 2.25, 40.0], dtype=torch.float64), 8, None),
        (torch.tensor([0, 1, 9, 50]), 10, 100.0),
    )
    for positions, dim, base in cases:
        name = f"sinusoidal_embedding(positions [{len(positions)}], {dim}" + ("" if base is None else f", base={base:g}") + ")"
        out = expect.tensor(candidate.call("sinusoidal", positions, dim, base), name, (len(positions), dim), dtype=torch.float32)
        expect.close(out, reference_sinusoidal(positions, dim, 10000.0 if base is None else base), name, rtol=0, atol=2e-4)


def test_rope_values(candidate):
    x = torch.randn(2, 3, 5, 8, generator=gen(2), dtype=torch.float64)
    positions = torch.tensor([3, 7, 0, 11, 1000])
    out = expect.tensor(candidate.call("rope", x, positions, None), "rope(float64 x [2, 3, 5, 8])", tuple(x.shape), dtype=torch.float64)
    expect.close(out, reference_rope(x, positions), "rope(float64 x [2, 3, 5, 8])", rtol=0, atol=1e-9)
    x = torch.randn(4, 6, 16, generator=gen(3))
    out = expect.tensor(candidate.call("rope", x, torch.arange(6), None), "rope(float32 x [4, 6, 16])", tuple(x.shape), dtype=torch.float32)
    expect.close(out, reference_rope(x, torch.arange(6)), "rope(float32 x [4, 6, 16])", rtol=1e-4, atol=1e-4)
    x = torch.randn(3, 4, generator=gen(4), dtype=torch.float64)
    positions = torch.tensor([0.5, 2.0, 17.25], dtype=torch.float64)
    out = candidate.call("rope", x, positions, 500.0)
    expect.close(out, reference_rope(x, positions, 500.0), "rope(float64 x [3, 4], fractional positions, base=500)", rtol=0, atol=1e-9)


def test_rope_rotation(candidate):
    x = torch.randn(2, 7, 12, generator=gen(5), dtype=torch.float64)
    positions = torch.tensor([0, 1, 2, 40, 7, 123, 999])
    out = expect.floating(candidate.call("rope", x, positions, None), "rope(x)", tuple(x.shape))
    # Every pair (2i, 2i+1) keeps its length; so does the whole vector.
    pair_norms = lambda t: t.reshape(*t.shape[:-1], -1, 2).norm(dim=-1)
    expect.close(pair_norms(out), pair_norms(x), "the length of each pair (x[2i], x[2i+1]) after rope", rtol=0, atol=1e-9)
    expect.close(out.norm(dim=-1), x.norm(dim=-1), "the norm of each vector after rope", rtol=0, atol=1e-9)
    expect.close(out[:, 0], x[:, 0], "rope at position 0 (the identity)", rtol=0, atol=1e-12)
    back = candidate.call("rope_twice", x, positions, -positions)
    expect.close(back, x, "rope(rope(x, p), -p)", rtol=0, atol=1e-9)


def test_rope_relative(candidate):
    g = gen(6)
    dim = 16
    q, k = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    positions = torch.tensor([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 500, 503])
    count = len(positions)
    rq = expect.floating(candidate.call("rope", q.expand(count, dim).clone(), positions, None), "rope(q)", (count, dim))
    rk = expect.floating(candidate.call("rope", k.expand(count, dim).clone(), positions, None), "rope(k)", (count, dim))
    scores = rq @ rk.T  # scores[a, b] = <rope(q, positions[a]), rope(k, positions[b])>
    # <R(m) q, R(n) k> = <q, R(n - m) k>: each score equals q against k rotated by the offset alone.
    offsets = sorted({int(n - m) for m in positions for n in positions})
    shifted = expect.floating(candidate.call("rope", k.expand(len(offsets), dim).clone(), torch.tensor(offsets), None), "rope(k) at the offsets", (len(offsets), dim))
    by_offset = dict(zip(offsets, shifted @ q))
    for a in range(count):
        for b in range(count):
            offset = int(positions[b] - positions[a])
            expect.close_scalar(scores[a, b], float(by_offset[offset]), f"<rope(q, m), rope(k, n)> against <q, rope(k, n - m)> for n - m = {offset}", rtol=0, atol=1e-9)
