"""Hidden checks for flow-matching. The velocity models are the check's; references are float64."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def field(features, seed):
    """A, b of the linear velocity v(x, t) = A x + t b."""
    g = gen(seed)
    return 0.4 * torch.randn(features, features, generator=g, dtype=torch.float64), torch.randn(features, generator=g, dtype=torch.float64)


def velocity(a, b, x, t):
    flat = x.reshape(x.shape[0], -1)
    return (flat @ a.T + t.reshape(-1, 1) * b).reshape(x.shape)


def expand(t, x):
    return t.reshape(-1, *([1] * (x.dim() - 1)))


def reference_loss(a, b, x1, x0, t):
    x_t = (1 - expand(t, x1)) * x0 + expand(t, x1) * x1
    return ((velocity(a, b, x_t, t) - (x1 - x0)) ** 2).mean()


def test_loss_value(candidate):
    for shape, seed in (((6, 4), 1), ((3, 2, 5), 2)):
        g = gen(seed + 10)
        x1, x0 = 2.0 + torch.randn(*shape, generator=g, dtype=torch.float64), torch.randn(*shape, generator=g, dtype=torch.float64)
        t = torch.rand(shape[0], generator=g, dtype=torch.float64)
        features = x1[0].numel()
        a, b = field(features, seed)
        got = candidate.call("loss", x1, x0, t, a, b)
        expect.close(got, reference_loss(a, b, x1, x0, t), f"the flow-matching loss for data {list(shape)}", rtol=1e-12, atol=1e-14)


def test_loss_sampling(candidate):
    n = 20_000
    x1 = 3.0 + torch.randn(n, 2, generator=gen(20), dtype=torch.float64)
    a, b = field(2, 21)
    got = candidate.call("loss_drawn", x1, a, b, 22)
    assert got["calls"] == 1, f"the model was called {got['calls']} times for one loss"
    t = expect.floating(got["t"], "the times the model saw", (n,))
    assert bool(((t >= 0) & (t <= 1)).all()), "t must lie in [0, 1]"
    assert abs(float(t.mean()) - 0.5) <= 0.015, f"t has mean {float(t.mean()):.4f}: expected uniform in [0, 1) (mean 0.5 +- 0.015)"
    assert abs(float(t.std()) - (1 / 12) ** 0.5) <= 0.01, f"t has standard deviation {float(t.std()):.4f}: expected 0.2887 +- 0.01 (uniform)"
    assert len(torch.unique(t)) == n, "draw one t per example"
    x_t = expect.floating(got["x_t"], "the x_t the model saw", (n, 2))
    keep = t < 0.95  # x0 = (x_t - t x1) / (1 - t) is ill-conditioned near t = 1
    x0 = (x_t[keep] - t[keep, None] * x1[keep]) / (1 - t[keep, None])
    assert abs(float(x0.mean())) <= 0.03, f"the noise x0 implied by x_t has mean {float(x0.mean()):.4f}: expected 0 +- 0.03"
    assert abs(float(x0.std()) - 1) <= 0.03, f"the noise x0 implied by x_t has standard deviation {float(x0.std()):.4f}: expected 1 +- 0.03"
    expect.close(got["loss"], reference_loss(a, b, x1, (x_t - expand(t, x1) * x1) / (1 - expand(t, x1)), t), "the loss of the drawn noise and times", rtol=1e-6, atol=1e-8)


def reference_euler(a, b, x0, steps):
    x, dt = x0.clone(), 1.0 / steps
    for k in range(steps):
        x = x + dt * velocity(a, b, x, torch.full((x.shape[0],), k * dt, dtype=x.dtype))
    return x


def test_euler(candidate):
    for shape, seed in (((5, 4), 30), ((2, 3, 4), 31)):
        features = torch.Size(shape[1:]).numel()
        a, b = field(features, seed)
        x0 = torch.randn(*shape, generator=gen(seed + 5), dtype=torch.float64)
        for steps in (1, 7, 50):
            got = candidate.call("sample", x0, steps, a, b)
            expect.close(got["x"], reference_euler(a, b, x0, steps), f"euler_sample with {steps} steps on {list(shape)}", rtol=1e-12, atol=1e-12)
            seen = [float(t[0]) for t in got["ts"]]
            expected = [k / steps for k in range(steps)]
            assert len(seen) == steps and max(abs(s - e) for s, e in zip(seen, expected)) <= 1e-12, (
                f"with {steps} steps the model must be called at t = k / {steps} for k = 0..{steps - 1}; it saw {seen[:5]}..."
            )


def test_gradients(candidate):
    g = gen(40)
    x1, x0 = 1.0 + torch.randn(8, 3, generator=g, dtype=torch.float64), torch.randn(8, 3, generator=g, dtype=torch.float64)
    t = torch.rand(8, generator=g, dtype=torch.float64)
    weight, bias = 0.3 * torch.randn(3, 3, generator=g, dtype=torch.float64), 0.1 * torch.randn(3, generator=g, dtype=torch.float64)
    got = candidate.call("gradients", x1, x0, t, weight, bias)
    w, c = weight.clone().requires_grad_(True), bias.clone().requires_grad_(True)
    x_t = (1 - t[:, None]) * x0 + t[:, None] * x1
    ((x_t @ w.T + c - (x1 - x0)) ** 2).mean().backward()
    assert got["weight"] is not None and got["bias"] is not None, "no gradient reached the model's parameters"
    expect.close(got["weight"], w.grad, "d loss / d weight", rtol=1e-10, atol=1e-12)
    expect.close(got["bias"], c.grad, "d loss / d bias", rtol=1e-10, atol=1e-12)
