"""Hidden checks for ddpm-sampling. References are computed here, in float64, from the stated formulas."""

import torch

from judge.harness import expect

T, B1, BT = 50, 1e-3, 0.2
COEFFS = (0.3, -0.5)  # the probe's mock model: eps(x, t) = c1 * x + c2 * (t + 1) / T


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return expect.generator(seed)


def reference_schedule(steps, beta_start, beta_end):
    """betas, alphas, alphas_cumprod and the posterior variance, in float64."""
    betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
    alphas = 1 - betas
    a_bar = torch.cumprod(alphas, 0)
    previous = torch.cat([torch.ones(1, dtype=torch.float64), a_bar[:-1]])
    return {"betas": betas, "alphas": alphas, "alphas_cumprod": a_bar, "posterior_variance": betas * (1 - previous) / (1 - a_bar)}


def per_sample(values, t, like):
    """values[t] as [B, 1, ..., 1]."""
    return values[t].view(-1, *([1] * (like.dim() - 1)))


def mock_eps(x, t, steps, coefficients=COEFFS):
    """The probe's mock model, in float64."""
    c1, c2 = coefficients
    return c1 * x + c2 * per_sample((torch.arange(steps, dtype=torch.float64) + 1) / steps, t, x)


def reference_q_sample(x0, t, noise, steps=T, beta_start=B1, beta_end=BT):
    """sqrt(a_bar_t) x0 + sqrt(1 - a_bar_t) noise."""
    a_bar = per_sample(reference_schedule(steps, beta_start, beta_end)["alphas_cumprod"], t, x0)
    return a_bar.sqrt() * x0.double() + (1 - a_bar).sqrt() * noise.double()


def reference_p_sample(x_t, t, noise, variance="posterior", steps=T, beta_start=B1, beta_end=BT):
    """mean + [t > 0] * sigma_t * noise, with the posterior (or beta) variance."""
    s = reference_schedule(steps, beta_start, beta_end)
    x_t = x_t.double()
    eps = mock_eps(x_t, t, steps)
    beta, alpha, a_bar = (per_sample(s[k], t, x_t) for k in ("betas", "alphas", "alphas_cumprod"))
    mean = (x_t - beta / (1 - a_bar).sqrt() * eps) / alpha.sqrt()
    sigma = per_sample(s["posterior_variance" if variance == "posterior" else "betas"], t, x_t).sqrt()
    keep = per_sample((t > 0).double(), torch.arange(len(t)), x_t)
    return mean + keep * sigma * noise.double()


def check_calls(calls, expected_ts, what):
    """The mock model was called once per expected t, each time with an int64 tensor [B] equal to it."""
    assert isinstance(calls, list), "the probe could not record the model's calls"
    assert len(calls) == len(expected_ts), f"{what}: the model must be called exactly {len(expected_ts)} time(s), once per step"
    for index, (got, want) in enumerate(zip(calls, expected_ts)):
        expect.tensor(got, f"{what}: t passed to the model (call {index + 1})", tuple(want.shape), torch.int64)
        assert torch.equal(got, want), f"{what}: call {index + 1} of the model did not get the timesteps of that step"


def test_posterior_variance(candidate):
    values = candidate.call("schedule", T, B1, BT)
    value = expect.tensor(values["posterior_variance"], "posterior_variance", (T,), torch.float64)
    expect.close(value, reference_schedule(T, B1, BT)["posterior_variance"], "posterior_variance", rtol=1e-6, atol=1e-12)


def test_q_sample_value(candidate):
    g = gen(2)
    cases = [
        (torch.randn(6, 2, 4, 4, generator=g), torch.tensor([0, 1, 17, 25, 48, 49])),
        (torch.randn(4, 3, generator=g), torch.tensor([49, 0, 5, 5])),
    ]
    for x0, t in cases:
        noise = torch.randn(x0.shape, generator=g)
        value = candidate.call("q_sample", T, B1, BT, x0, t, noise)
        expect.close(value, reference_q_sample(x0, t, noise), f"q_sample for x0 of shape {list(x0.shape)}", rtol=1e-5, atol=1e-5)


def test_p_sample_value(candidate):
    g = gen(3)
    x_t = torch.randn(5, 2, 3, 3, generator=g)
    t = torch.tensor([1, 2, 30, 49, 10])
    noise = torch.randn(x_t.shape, generator=g)
    out, calls = candidate.call("p_sample", T, B1, BT, COEFFS, x_t, t, noise, None)
    check_calls(calls, [t], "p_sample")
    expect.close(out, reference_p_sample(x_t, t, noise), "p_sample with the default (posterior) variance", rtol=1e-5, atol=1e-5)


def test_p_sample_variance_beta(candidate):
    g = gen(4)
    x_t = torch.randn(4, 1, 4, 4, generator=g)
    t = torch.tensor([3, 49, 1, 20])
    noise = torch.randn(x_t.shape, generator=g)
    out, _ = candidate.call("p_sample", T, B1, BT, COEFFS, x_t, t, noise, "beta")
    expect.close(out, reference_p_sample(x_t, t, noise, "beta"), "p_sample with variance='beta'", rtol=1e-5, atol=1e-5)


def test_p_sample_t_zero(candidate):
    g = gen(5)
    x_t = torch.randn(4, 2, 2, 2, generator=g)
    t = torch.tensor([0, 3, 0, 49])
    noise = torch.randn(x_t.shape, generator=g) * 5
    for variance in (None, "beta"):
        out, _ = candidate.call("p_sample", T, B1, BT, COEFFS, x_t, t, noise, variance)
        name = "the default variance" if variance is None else "variance='beta'"
        expect.close(out, reference_p_sample(x_t, t, noise, variance or "posterior"), f"p_sample on a batch mixing t = 0 and t > 0 with {name}", rtol=1e-5, atol=1e-5)


def test_sample_loop(candidate):
    steps, b1, bt = 8, 0.01, 0.3
    g = gen(6)
    x_T = torch.randn(3, 2, 2, 2, generator=g)
    noises = torch.randn(steps, 3, 2, 2, 2, generator=g)
    for variance in (None, "beta"):
        out, calls = candidate.call("sample", steps, b1, bt, COEFFS, x_T, noises, variance)
        check_calls(calls, [torch.full((3,), s, dtype=torch.long) for s in reversed(range(steps))], "sample")
        x = x_T.double()
        for s in reversed(range(steps)):
            t = torch.full((3,), s, dtype=torch.long)
            x = reference_p_sample(x, t, noises[s], variance or "posterior", steps, b1, bt)
        name = "the default variance" if variance is None else "variance='beta'"
        expect.close(out, x, f"sample(model, x_T, noises) with {name}", rtol=1e-5, atol=1e-5)


def test_loss_value(candidate):
    g = gen(7)
    x0 = torch.randn(5, 1, 3, 3, generator=g)
    t = torch.tensor([0, 12, 49, 30, 7])
    noise = torch.randn(x0.shape, generator=g)
    value, grads = candidate.call("loss", T, B1, BT, COEFFS, x0, t, noise)
    expect.tensor(value, "loss(...)")
    x_t = reference_q_sample(x0, t, noise)
    scale = per_sample((torch.arange(T, dtype=torch.float64) + 1) / T, t, x_t)
    residual = mock_eps(x_t, t, T) - noise.double()
    expect.close_scalar(value, float((residual**2).mean()), "loss", rtol=1e-5, atol=1e-6)
    assert grads is not None, "the loss is not differentiable with respect to the model's parameters"
    expected = [(2 * residual * x_t).mean(), (2 * residual * scale).mean()]
    for name, got, want in zip(("c1", "c2"), grads, expected):
        assert got is not None, f"no gradient of the loss reached the model's parameter {name}"
        expect.close_scalar(got, float(want), f"d loss / d {name} (a parameter of the model)", rtol=1e-4, atol=1e-6)
