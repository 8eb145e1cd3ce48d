"""Hidden checks for kl-divergence. References are computed here, in float64, from the formulas."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_gaussian(mu1, logvar1, mu2, logvar2):
    """0.5 * sum(log(var2 / var1) + var1 / var2 + (mu1 - mu2)^2 / var2 - 1) over the last dim, in float64."""
    mu1, logvar1, mu2, logvar2 = (t.double() for t in (mu1, logvar1, mu2, logvar2))
    var1, var2 = logvar1.exp(), logvar2.exp()
    return 0.5 * (logvar2 - logvar1 + var1 / var2 + (mu1 - mu2) ** 2 / var2 - 1).sum(-1)


def reference_categorical(p, q):
    """sum_k p_k log(p_k / q_k) with 0 log(0 / q) = 0 and p_k > 0, q_k = 0 giving +inf, in float64."""
    p, q = p.double(), q.double()
    terms = torch.zeros_like(p)
    positive = p > 0
    terms[positive] = p[positive] * (p[positive].log() - q[positive].log())
    return terms.sum(-1)


def gaussian_inputs(shape, seed, dtype=torch.float64):
    """Four random tensors: means ~ N(0, 1), log-variances ~ 1.5 * N(0, 1)."""
    g = gen(seed)
    mu1, mu2 = torch.randn(*shape, generator=g, dtype=dtype), torch.randn(*shape, generator=g, dtype=dtype)
    logvar1, logvar2 = 1.5 * torch.randn(*shape, generator=g, dtype=dtype), 1.5 * torch.randn(*shape, generator=g, dtype=dtype)
    return mu1, logvar1, mu2, logvar2


def simplex(shape, seed, dtype=torch.float64, sharpness=1.0):
    """Random strictly positive probability vectors along the last dim."""
    return torch.softmax(sharpness * torch.randn(*shape, generator=gen(seed), dtype=torch.float64), dim=-1).to(dtype)


def test_gaussian_value(candidate):
    for shape, seed in (((6, 5), 3), ((2, 3, 4), 4), ((3, 1), 5)):
        inputs = gaussian_inputs(shape, seed)
        out = candidate.call("gaussian", *inputs)
        expect.close(out, reference_gaussian(*inputs), f"KL for float64 inputs of shape {list(shape)}", rtol=1e-9, atol=1e-12)
    inputs = gaussian_inputs((8, 16), 6, dtype=torch.float32)
    out = expect.tensor(candidate.call("gaussian", *inputs), "KL for float32 inputs", (8,), dtype=torch.float32)
    expect.close(out, reference_gaussian(*inputs), "KL for float32 inputs", rtol=1e-4, atol=1e-5)


def test_gaussian_special_cases(candidate):
    mu, logvar, _, _ = gaussian_inputs((5, 7), 7)
    out = candidate.call("gaussian", mu, logvar, mu.clone(), logvar.clone())
    expect.close(out, torch.zeros(5, dtype=torch.float64), "KL of a distribution to itself", rtol=0, atol=1e-12)
    # Against a standard-normal prior given as one broadcast row: the familiar VAE term.
    out = candidate.call("gaussian", mu, logvar, torch.zeros(7, dtype=torch.float64), torch.zeros(7, dtype=torch.float64))
    expected = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)
    expect.close(out, expected, "KL against N(0, I) given as a [D] row", rtol=1e-9, atol=1e-12)
    # Both orders of arguments: the divergence is not symmetric, each order must match its own formula.
    a, b = gaussian_inputs((4, 3), 8)[:2], gaussian_inputs((4, 3), 9)[:2]
    expect.close(candidate.call("gaussian", *a, *b), reference_gaussian(*a, *b), "KL(p || q)", rtol=1e-9, atol=1e-12)
    expect.close(candidate.call("gaussian", *b, *a), reference_gaussian(*b, *a), "KL(q || p)", rtol=1e-9, atol=1e-12)


def test_gaussian_gradients(candidate):
    mu1, logvar1, mu2, logvar2 = gaussian_inputs((4, 6), 10)
    weights = torch.rand(4, generator=gen(11), dtype=torch.float64) + 0.5
    value, g_mu1, g_logvar1, g_mu2, g_logvar2 = candidate.call("gaussian_gradients", mu1, logvar1, mu2, logvar2, weights)
    expect.close(value, reference_gaussian(mu1, logvar1, mu2, logvar2), "KL", rtol=1e-9, atol=1e-12)
    for grad, name in ((g_mu1, "mu1"), (g_logvar1, "logvar1"), (g_mu2, "mu2"), (g_logvar2, "logvar2")):
        assert grad is not None, f"no gradient reached {name}"
    w = weights[:, None]
    ratio, scaled_diff = (logvar1 - logvar2).exp(), (mu1 - mu2) / logvar2.exp()
    expect.close(g_mu1, w * scaled_diff, "d KL / d mu1", rtol=1e-8, atol=1e-10)
    expect.close(g_mu2, -w * scaled_diff, "d KL / d mu2", rtol=1e-8, atol=1e-10)
    expect.close(g_logvar1, w * 0.5 * (ratio - 1), "d KL / d logvar1", rtol=1e-8, atol=1e-10)
    expect.close(g_logvar2, w * 0.5 * (1 - ratio - (mu1 - mu2) ** 2 / logvar2.exp()), "d KL / d logvar2", rtol=1e-8, atol=1e-10)


def test_gaussian_large_logvar(candidate):
    g = gen(12)
    mu1, mu2 = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    # exp(100) overflows float32; the divergence itself is small and finite.
    logvar1 = 100 + torch.rand(6, 4, generator=g) * 2 - 1
    logvar2 = 100 + torch.rand(6, 4, generator=g) * 2 - 1
    out = expect.tensor(candidate.call("gaussian", mu1, logvar1, mu2, logvar2), "KL for float32 log-variances near 100", (6,), dtype=torch.float32)
    expect.close(out, reference_gaussian(mu1, logvar1, mu2, logvar2), "KL for float32 log-variances near 100", rtol=1e-4, atol=1e-4)


def test_categorical_value(candidate):
    for shape, seed, sharpness in (((6, 5), 13, 1.0), ((2, 3, 8), 14, 3.0), ((4, 2), 15, 0.5)):
        p, q = simplex(shape, seed, sharpness=sharpness), simplex(shape, seed + 100, sharpness=sharpness)
        out = candidate.call("categorical", p, q)
        expect.close(out, reference_categorical(p, q), f"KL for float64 inputs of shape {list(shape)}", rtol=1e-9, atol=1e-12)
        expect.close(candidate.call("categorical", q, p), reference_categorical(q, p), f"KL(q || p) for shape {list(shape)}", rtol=1e-9, atol=1e-12)
    p, q = simplex((5, 10), 16, dtype=torch.float32), simplex((5, 10), 17, dtype=torch.float32)
    out = expect.tensor(candidate.call("categorical", p, q), "KL for float32 inputs", (5,), dtype=torch.float32)
    expect.close(out, reference_categorical(p, q), "KL for float32 inputs", rtol=1e-4, atol=1e-6)


def test_categorical_zeros(candidate):
    p = simplex((6, 5), 18)
    q = simplex((6, 5), 19)
    p[0, 1] = 0.0            # p = 0 where q > 0: the term is 0
    p[1, :3] = 0.0
    p[2] = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0], dtype=torch.float64)  # one-hot p: KL = -log q_2
    p[3, 4], q[3, 4] = 0.0, 0.0  # p = q = 0: the term is 0
    p[4, 0], q[4, 0] = 0.0, 0.0
    p[4, 2] = 0.0
    p, q = p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True)
    out = candidate.call("categorical", p, q)
    expect.close(out, reference_categorical(p, q), "KL with zero probabilities in p (and in q where p is 0)", rtol=1e-9, atol=1e-12)
    p32, q32 = p.float(), q.float()
    out = candidate.call("categorical", p32, q32)
    expect.close(out, reference_categorical(p32, q32), "KL with zero probabilities, float32", rtol=1e-4, atol=1e-6)


def test_categorical_infinite(candidate):
    p = simplex((5, 4), 20)
    q = simplex((5, 4), 21)
    q[1, 2] = 0.0            # p > 0 where q = 0: +inf
    q[3, 0] = 0.0
    q[3, 3] = 0.0
    q[4, 1], p[4, 1] = 0.0, 0.0  # q = 0 only where p = 0: finite
    q = q / q.sum(-1, keepdim=True)
    p = p / p.sum(-1, keepdim=True)
    out = expect.floating(candidate.call("categorical", p, q), "KL with zero probabilities in q", (5,))
    infinite = torch.tensor([False, True, False, True, False])
    assert bool(torch.isposinf(out[infinite]).all()), "rows with p > 0 where q = 0 must give +inf"
    expect.close(out[~infinite], reference_categorical(p, q)[~infinite], "the rows without such an entry", rtol=1e-9, atol=1e-12)


def test_categorical_gradients(candidate):
    p, q = simplex((3, 6), 22), simplex((3, 6), 23)
    weights = torch.rand(3, generator=gen(24), dtype=torch.float64) + 0.5
    value, g_p, g_q = candidate.call("categorical_gradients", p, q, weights)
    expect.close(value, reference_categorical(p, q), "KL", rtol=1e-9, atol=1e-12)
    assert g_p is not None and g_q is not None, "no gradient reached p or q"
    w = weights[:, None]
    expect.close(g_p, w * ((p / q).log() + 1), "d KL / d p", rtol=1e-8, atol=1e-10)
    expect.close(g_q, -w * p / q, "d KL / d q", rtol=1e-8, atol=1e-10)
