"""Hidden checks for wgan-gp-penalty. References are computed here, in float64, in closed form."""

import torch

from judge.harness import expect

SHAPE = (5, 2, 3, 3)  # two channels, so a norm over the channel axis alone differs from the per-sample norm
DIM = 18


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return torch.Generator().manual_seed(seed)


def quadratic_spec(seed, column=False, curvature=0.3):
    """Weights of the probe's critic(x) = x . w + 0.5 x^T M x + b, with M symmetric."""
    g = gen(seed)
    w = torch.randn(DIM, generator=g)
    a = torch.randn(DIM, DIM, generator=g) * curvature
    return {"w": w, "M": a + a.T, "b": 0.7, "column": column}


def batch(seed, shape=SHAPE):
    """real, fake and per-sample alpha [B, 1, 1, 1] in [0, 1]."""
    g = gen(seed)
    real = torch.randn(*shape, generator=g)
    fake = torch.randn(*shape, generator=g) * 2 + 0.5
    alpha = torch.rand(shape[0], 1, 1, 1, generator=g)
    return real, fake, alpha


def flat64(x):
    """[B, ...] -> [B, D] in float64."""
    return x.double().reshape(x.shape[0], -1)


def scores(spec, x):
    """The critic's scores, in float64."""
    flat = flat64(x)
    return flat @ spec["w"].double() + 0.5 * ((flat @ spec["M"].double()) * flat).sum(1) + spec["b"]


def input_gradients(spec, flat):
    """d critic / d x for each row of flat: w + 0.5 (M + M^T) x."""
    m = spec["M"].double()
    return spec["w"].double() + flat @ (0.5 * (m + m.T))


def interpolates(real, fake, alpha):
    """alpha * real + (1 - alpha) * fake, flattened, float64."""
    return flat64(alpha.double() * real.double() + (1 - alpha.double()) * fake.double())


def reference_penalty(spec, real, fake, alpha, lambda_gp=10.0):
    """lambda * mean_b (||grad_b|| - 1)^2."""
    norms = input_gradients(spec, interpolates(real, fake, alpha)).norm(dim=1)
    return lambda_gp * ((norms - 1) ** 2).mean()


def reference_penalty_gradients(spec, real, fake, alpha, lambda_gp):
    """d penalty / d w and d penalty / d M, in closed form (see the module docstring of probes.py)."""
    x = interpolates(real, fake, alpha)
    g = input_gradients(spec, x)
    norms = g.norm(dim=1, keepdim=True)
    u = 2 * lambda_gp / x.shape[0] * (norms - 1) / norms * g
    return u.sum(0), 0.5 * (u.T @ x + x.T @ u)


def test_penalty_linear(candidate):
    for norm in (0.5, 1.0, 3.0):
        w = torch.randn(DIM, generator=gen(2))
        spec = {"w": w / w.norm() * norm, "M": torch.zeros(DIM, DIM), "b": -1.5, "column": False}
        real, fake, alpha = batch(3)
        value = candidate.call("penalty", spec, real, fake, alpha, None)
        expect.tensor(value, "gradient_penalty(...)")
        expect.close_scalar(value, 10.0 * (norm - 1.0) ** 2, f"penalty of a linear critic with ||w|| = {norm:g} (default lambda_gp)", rtol=1e-4, atol=1e-5)


def test_penalty_value(candidate):
    for seed, shape in ((4, SHAPE), (5, (1, 2, 3, 3)), (6, (7, 2, 3, 3))):
        spec = quadratic_spec(seed)
        real, fake, alpha = batch(seed + 10, shape)
        value = candidate.call("penalty", spec, real, fake, alpha, None)
        expect.tensor(value, "gradient_penalty(...)")
        expected = float(reference_penalty(spec, real, fake, alpha))
        expect.close_scalar(value, expected, f"penalty of a quadratic critic for a batch of {shape[0]}", rtol=1e-4, atol=1e-5)


def test_penalty_lambda(candidate):
    spec = quadratic_spec(7)
    real, fake, alpha = batch(17)
    for lambda_gp in (2.5, 0.0):
        value = candidate.call("penalty", spec, real, fake, alpha, lambda_gp)
        expected = float(reference_penalty(spec, real, fake, alpha, lambda_gp))
        expect.close_scalar(value, expected, f"penalty with lambda_gp={lambda_gp:g}", rtol=1e-4, atol=1e-5)


def test_penalty_column_scores(candidate):
    spec = quadratic_spec(8, column=True)
    real, fake, alpha = batch(18)
    value = candidate.call("penalty", spec, real, fake, alpha, None)
    expected = float(reference_penalty(spec, real, fake, alpha))
    expect.close_scalar(value, expected, "penalty for a critic that returns scores of shape [B, 1]", rtol=1e-4, atol=1e-5)


def test_penalty_differentiable(candidate):
    spec = quadratic_spec(9)
    real, fake, alpha = batch(19)
    lambda_gp = 4.0
    result = candidate.call("penalty_gradients", spec, real, fake, alpha, lambda_gp)
    assert isinstance(result, dict), "penalty_gradients probe returned an unexpected value"
    expect.close_scalar(result["value"], float(reference_penalty(spec, real, fake, alpha, lambda_gp)), "penalty", rtol=1e-4, atol=1e-5)
    assert result["differentiable"], "the penalty does not require grad: compute the input gradient with create_graph=True"
    assert not result["touched"], "computing the penalty left gradients on the critic's parameters (use torch.autograd.grad, not backward)"
    grads = result["grads"]
    dw, dm = reference_penalty_gradients(spec, real, fake, alpha, lambda_gp)
    for name, expected in (("w", dw), ("M", dm)):
        assert grads.get(name) is not None, f"no gradient of the penalty reached the critic's parameter {name}"
        scale = float(expected.abs().max())
        expect.close(grads[name], expected, f"d penalty / d {name}", rtol=1e-4, atol=1e-5 * scale)
    if grads.get("b") is not None:
        expect.close(grads["b"], torch.zeros((), dtype=torch.float64), "d penalty / d b (the penalty does not depend on the bias)", rtol=0, atol=1e-6)


def test_critic_loss_value(candidate):
    for seed, lambda_gp in ((11, None), (12, 3.0)):
        spec = quadratic_spec(seed, column=seed == 12)
        real, fake, alpha = batch(seed + 10)
        value = candidate.call("critic_loss", spec, real, fake, alpha, lambda_gp)
        expect.tensor(value, "critic_loss(...)")
        lam = 10.0 if lambda_gp is None else lambda_gp
        expected = scores(spec, fake).mean() - scores(spec, real).mean() + reference_penalty(spec, real, fake, alpha, lam)
        expect.close_scalar(value, float(expected), f"critic_loss (lambda_gp={lam:g})", rtol=1e-4, atol=1e-4)


def test_generator_loss(candidate):
    spec = quadratic_spec(13)
    _, fake, _ = batch(23)
    value, grad = candidate.call("generator_loss", spec, fake)
    expect.tensor(value, "generator_loss(...)")
    expect.close_scalar(value, float(-scores(spec, fake).mean()), "generator_loss", rtol=1e-4, atol=1e-5)
    assert grad is not None, "generator_loss is not differentiable with respect to the fake samples"
    expected = (-input_gradients(spec, flat64(fake)) / fake.shape[0]).reshape(fake.shape)
    expect.close(grad, expected, "d generator_loss / d fake", rtol=1e-4, atol=1e-6)
