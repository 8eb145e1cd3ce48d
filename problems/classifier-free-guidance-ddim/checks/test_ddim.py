"""Hidden checks for classifier-free-guidance-ddim. References are float64, from the statement's formulas."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def model_weights(features, c, seed):
    g = gen(seed)
    return (
        0.3 * torch.randn(features, features, generator=g, dtype=torch.float64),
        0.5 * torch.randn(features, c, generator=g, dtype=torch.float64),
        torch.randn(features, generator=g, dtype=torch.float64),
    )


def eps_of(a, bm, d, x, t, c):
    flat = x.reshape(x.shape[0], -1)
    return torch.tanh(flat @ a.T + c @ bm.T + torch.full((x.shape[0], 1), t / 1000, dtype=torch.float64) * d).reshape(x.shape)


def reference_guided(a, bm, d, x, t, cond, null, w):
    eps_c, eps_u = eps_of(a, bm, d, x, t, cond), eps_of(a, bm, d, x, t, null)
    return eps_u + w * (eps_c - eps_u)


def reference_step(x_t, eps, abar_t, abar_prev, eta, noise):
    x0 = (x_t - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
    sigma = eta * math.sqrt((1 - abar_prev) / (1 - abar_t)) * math.sqrt(1 - abar_t / abar_prev)
    return math.sqrt(abar_prev) * x0 + math.sqrt(1 - abar_prev - sigma**2) * eps + sigma * noise


def inputs(seed, shape=(4, 2, 3), c=5):
    g = gen(seed)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    cond = torch.randn(shape[0], c, generator=g, dtype=torch.float64)
    return x, cond, torch.zeros(shape[0], c, dtype=torch.float64)


def test_guidance(candidate):
    x, cond, null = inputs(1)
    a, bm, d = model_weights(6, 5, 2)
    for w in (0.0, 1.0, 3.5):
        got = candidate.call("guided", x, 700, cond, null, w, a, bm, d)
        expect.close(got["eps"], reference_guided(a, bm, d, x, 700, cond, null, w), f"guided_eps with w = {w}", rtol=1e-12, atol=1e-12)
        assert [size for size, _ in got["calls"]] == [8], f"guided_eps must make one model call on the doubled batch (8), made {got['calls']}"
        assert set(got["calls"][0][1]) == {700}, "every element of the doubled batch is at timestep t"


def test_ddim_step_eta0(candidate):
    g = gen(10)
    for abar_t, abar_prev in ((0.05, 0.2), (0.5, 0.7), (0.9, 0.999), (0.3, 1.0)):
        x_t, eps = torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(3, 4, generator=g, dtype=torch.float64)
        noise = torch.randn(3, 4, generator=g, dtype=torch.float64)
        got = candidate.call("step", x_t, eps, abar_t, abar_prev, 0.0, noise)
        expect.close(got, reference_step(x_t, eps, abar_t, abar_prev, 0.0, noise), f"ddim_step eta 0 from {abar_t} to {abar_prev}", rtol=1e-12, atol=1e-12)


def test_ddim_step_eta(candidate):
    g = gen(20)
    for eta, (abar_t, abar_prev) in ((0.5, (0.2, 0.4)), (1.0, (0.6, 0.8)), (1.0, (0.01, 0.05))):
        x_t, eps = torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(3, 4, generator=g, dtype=torch.float64)
        noise = torch.randn(3, 4, generator=g, dtype=torch.float64)
        got = candidate.call("step", x_t, eps, abar_t, abar_prev, eta, noise)
        expect.close(got, reference_step(x_t, eps, abar_t, abar_prev, eta, noise), f"ddim_step eta {eta} from {abar_t} to {abar_prev}", rtol=1e-12, atol=1e-12)


def test_sampler(candidate):
    alpha_bars = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)
    timesteps = list(range(999, -1, -100))
    x, cond, null = inputs(30)
    a, bm, d = model_weights(6, 5, 31)
    g = gen(32)
    noises = [torch.randn(*x.shape, generator=g, dtype=torch.float64) for _ in timesteps]
    for eta in (0.0, 0.7):
        got = candidate.call("sample", x, alpha_bars, timesteps, cond, null, 2.0, eta, noises, a, bm, d)
        expected = x
        for i, t in enumerate(timesteps):
            abar_prev = float(alpha_bars[timesteps[i + 1]]) if i + 1 < len(timesteps) else 1.0
            eps = reference_guided(a, bm, d, expected, t, cond, null, 2.0)
            expected = reference_step(expected, eps, float(alpha_bars[t]), abar_prev, eta, noises[i])
        expect.close(got["x"], expected, f"ddim_sample over 10 steps, eta {eta}", rtol=1e-10, atol=1e-10)
        seen = [times[0] for _, times in got["calls"]]
        assert seen == timesteps, f"the model was called at timesteps {seen}, expected {timesteps}"
