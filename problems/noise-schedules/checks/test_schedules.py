"""Hidden checks for noise-schedules. References are float64, written from the statement's formulas."""

import math

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def betas_from(abar, max_beta):
    """betas[i] = min(1 - abar[i + 1] / abar[i], max_beta)."""
    return torch.minimum(1 - abar[1:] / abar[:-1], torch.tensor(max_beta, dtype=torch.float64))


def ref_cosine(T, s, max_beta):
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos(((t / T) + s) / (1 + s) * (math.pi / 2)).pow(2)
    return betas_from(f / f[0], max_beta)


def ref_sigmoid(T, start, end, tau, max_beta):
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    t = torch.arange(T + 1, dtype=torch.float64) / T
    v_start, v_end = sig(start / tau), sig(end / tau)
    abar = (v_end - torch.sigmoid((t * (end - start) + start) / tau)) / (v_end - v_start)
    return betas_from(abar, max_beta)


def test_linear(candidate):
    for T, lo, hi in ((1000, 1e-4, 0.02), (50, 1e-4, 0.02), (2, 0.001, 0.05), (100, 0.0085, 0.012)):
        got = expect.tensor(candidate.call("linear", T, lo, hi), f"linear_betas({T}, {lo}, {hi})", (T,), dtype=torch.float64)
        expected = torch.tensor([lo + (hi - lo) * i / (T - 1) for i in range(T)], dtype=torch.float64)
        expect.close(got, expected, f"linear_betas({T}, {lo}, {hi})", rtol=1e-12, atol=1e-15)


def test_cosine(candidate):
    for T, s, max_beta in ((1000, 0.008, 0.999), (50, 0.008, 0.999), (10, 0.02, 0.999), (1000, 0.008, 0.5)):
        got = expect.tensor(candidate.call("cosine", T, s, max_beta), f"cosine_betas({T}, s={s}, max_beta={max_beta})", (T,), dtype=torch.float64)
        expect.close(got, ref_cosine(T, s, max_beta), f"cosine_betas({T}, s={s}, max_beta={max_beta})", rtol=1e-9, atol=1e-12)


def test_sigmoid(candidate):
    for T, start, end, tau in ((1000, -3.0, 3.0, 1.0), (64, 0.0, 3.0, 0.7), (1000, -3.0, 3.0, 1.1)):
        got = expect.tensor(candidate.call("sigmoid", T, start, end, tau, 0.999), f"sigmoid_betas({T}, {start}, {end}, {tau})", (T,), dtype=torch.float64)
        expect.close(got, ref_sigmoid(T, start, end, tau, 0.999), f"sigmoid_betas({T}, start={start}, end={end}, tau={tau})", rtol=1e-9, atol=1e-12)


def test_alpha_bar_snr(candidate):
    betas = 1e-4 + (0.05 - 1e-4) * torch.rand(300, generator=gen(3), dtype=torch.float64)
    expected = torch.ones(300, dtype=torch.float64)
    running = 1.0
    for i in range(300):
        running *= 1 - float(betas[i])
        expected[i] = running
    expect.close(candidate.call("alpha_bar", betas), expected, "alpha_bar of random betas [300]", rtol=1e-10, atol=1e-14)
    values = 0.001 + 0.998 * torch.rand(5, 7, generator=gen(4), dtype=torch.float64)
    got = expect.tensor(candidate.call("snr", values), "snr of [5, 7] values", (5, 7), dtype=torch.float64)
    expect.close(got, values / (1 - values), "snr", rtol=1e-10, atol=1e-14)


def test_v_prediction(candidate):
    for shape, seed in (((6,), 10), ((6, 5), 11), ((6, 3, 4, 4), 12)):
        g = gen(seed)
        x0, eps = torch.randn(*shape, generator=g, dtype=torch.float64), torch.randn(*shape, generator=g, dtype=torch.float64)
        abar = torch.tensor([0.999, 0.9, 0.6, 0.3, 0.05, 0.001], dtype=torch.float64)
        got = candidate.call("conversions", x0, eps, abar)
        a = abar.reshape(-1, *([1] * (len(shape) - 1)))
        expect.close(got["v"], a.sqrt() * eps - (1 - a).sqrt() * x0, f"v for inputs {list(shape)}", rtol=1e-9, atol=1e-11)
        expect.close(got["x0"], x0, f"x0 recovered from (x_t, v) for inputs {list(shape)}", rtol=1e-9, atol=1e-11)
        expect.close(got["eps"], eps, f"eps recovered from (x_t, v) for inputs {list(shape)}", rtol=1e-9, atol=1e-11)
