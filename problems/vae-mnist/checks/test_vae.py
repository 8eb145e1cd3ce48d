"""Hidden checks for vae-mnist. References are computed here, in float64, never in the candidate's process."""

import torch

from judge.harness import expect

LATENT = 20


def gen(seed):
    """A CPU generator for inputs: `seed` itself when graded; varied by `judge problems validate --seeds N`."""
    return expect.generator(seed)


def reference_loss(recon, x, mu, logvar):
    recon, x, mu, logvar = (t.double() for t in (recon, x, mu, logvar))
    log_p = torch.clamp(torch.log(recon), min=-100)
    log_1mp = torch.clamp(torch.log1p(-recon), min=-100)
    bce = -(x * log_p + (1 - x) * log_1mp).flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
    return (bce + kl).mean()


def synthetic_digits(n, seed):
    """Blurry strokes: a fixed batch of binary-ish 28x28 images, made here, not downloaded."""
    g = gen(seed)
    images = torch.zeros(n, 1, 28, 28)
    for i in range(n):
        r0, c0 = torch.randint(4, 12, (2,), generator=g).tolist()
        h, w = torch.randint(8, 14, (2,), generator=g).tolist()
        images[i, 0, r0 : r0 + h, c0 : c0 + 3] = 1.0
        images[i, 0, r0 : r0 + 3, c0 : c0 + w] = 1.0
    return images


def test_decode_range(candidate):
    z = torch.randn(5, LATENT, generator=gen(2))
    for scale in (1.0, 50.0):
        out = expect.floating(candidate.call("decode", LATENT, z * scale), "decode(z)", (5, 1, 28, 28))
        expect.in_range(out, 0.0, 1.0, f"decode({scale:g} * z)")


def test_forward_consistent(candidate):
    x = torch.rand(3, 1, 28, 28, generator=gen(3))
    recon, mu, logvar, mu2, logvar2 = candidate.call("forward_and_encode", LATENT, x)
    recon = expect.floating(recon, "recon", (3, 1, 28, 28))
    expect.in_range(recon, 0.0, 1.0, "recon")
    expect.close(mu, expect.floating(mu2, "encode(x) mu", (3, LATENT)), "forward mu vs encode mu", rtol=0, atol=1e-5)
    expect.close(logvar, expect.floating(logvar2, "encode(x) logvar", (3, LATENT)), "forward logvar vs encode logvar", rtol=0, atol=1e-5)


def reparam_inputs():
    g = gen(4)
    return torch.randn(6, LATENT, generator=g), torch.randn(6, LATENT, generator=g), torch.randn(6, LATENT, generator=g)


def test_reparameterize_value(candidate):
    mu, logvar, eps = reparam_inputs()
    z = candidate.call("reparameterize", LATENT, mu, logvar, eps)
    expected = mu.double() + torch.exp(0.5 * logvar.double()) * eps.double()
    expect.close(z, expected, "reparameterize(mu, logvar, eps)", rtol=1e-5, atol=1e-6)


def test_reparameterize_gradients(candidate):
    mu, logvar, eps = reparam_inputs()
    z, grad_mu, grad_logvar = candidate.call("reparameterize_gradients", LATENT, mu, logvar, eps)
    assert grad_mu is not None and grad_logvar is not None, "no gradient reached mu or logvar"
    expect.close(grad_mu, torch.ones(6, LATENT, dtype=torch.float64), "d(sum z)/d mu", rtol=1e-5, atol=1e-6)
    expected = 0.5 * torch.exp(0.5 * logvar.double()) * eps.double()
    expect.close(grad_logvar, expected, "d(sum z)/d logvar", rtol=1e-5, atol=1e-6)


def test_reparameterize_random(candidate):
    first, second = candidate.call("reparameterize_random", LATENT, 1000)
    first = expect.floating(first, "reparameterize(mu, logvar)", (1000, LATENT))
    second = expect.floating(second, "reparameterize(mu, logvar)", (1000, LATENT))
    expect.finite(first, "z")
    assert not torch.equal(first, second), "two calls with eps=None returned the same z"
    expect.record_margin("eps_mean", abs(float(first.mean())), 0.05)
    expect.record_margin("eps_std", abs(float(first.std()) - 1.0), 0.05)
    assert abs(float(first.mean())) < 0.05, "eps drawn with eps=None does not have mean 0"
    assert abs(float(first.std()) - 1.0) < 0.05, "eps drawn with eps=None does not have standard deviation 1"


def test_loss_formula(candidate):
    g = gen(5)
    for batch in (3, 1):
        recon = torch.rand(batch, 1, 28, 28, generator=g) * 0.98 + 0.01
        x = (torch.rand(batch, 1, 28, 28, generator=g) > 0.5).float()
        x[0, 0, 0, :5] = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
        mu = torch.randn(batch, LATENT, generator=g)
        logvar = torch.randn(batch, LATENT, generator=g) * 0.5
        value = candidate.call("loss", recon, x, mu, logvar)
        expect.close_scalar(value, float(reference_loss(recon, x, mu, logvar)), f"vae_loss for a batch of {batch}", rtol=1e-4, atol=1e-4)


def test_loss_decreases(candidate):
    data = synthetic_digits(32, seed=6)
    eps = torch.randn(32, 8, generator=gen(7))
    before, after, curve = candidate.call("train", 8, data, 40, 1e-3, eps)
    expect.record_series("reported_loss", curve)
    losses = []
    for name, (recon, mu, logvar) in (("before", before), ("after", after)):
        recon = expect.floating(recon, f"recon {name} training", (32, 1, 28, 28))
        expect.in_range(recon, 0.0, 1.0, f"recon {name} training")
        mu = expect.floating(mu, "mu", (32, 8))
        logvar = expect.floating(logvar, "logvar", (32, 8))
        expect.finite(mu, "mu")
        expect.finite(logvar, "logvar")
        losses.append(float(reference_loss(recon, data, mu, logvar)))
    # Beside the candidate's reported curve: the value compared, at step 0 and after the 40th update.
    expect.record_series("reference_loss", [losses[0]] + [None] * 39 + [losses[1]])
    expect.record_margin("loss_ratio", losses[1] / losses[0], 0.75)
    assert losses[1] < 0.75 * losses[0], (
        f"the reference loss of your model's output did not fall below 0.75 x its starting value after 40 steps "
        f"({losses[0]:.4g} to {losses[1]:.4g}; plotted as reference loss, beside the loss your vae_loss reported)"
    )


def test_sample_validity(candidate):
    a, b, c = candidate.call("sample", LATENT, 16, [11, 11, 12])
    a = expect.floating(a, "sample(model, 16)", (16, 1, 28, 28))
    b = expect.floating(b, "sample(model, 16)", (16, 1, 28, 28))
    c = expect.floating(c, "sample(model, 16)", (16, 1, 28, 28))
    expect.in_range(a, 0.0, 1.0, "samples")
    assert float(a.std(dim=0).mean()) > 1e-4, "all samples are the same image"
    assert torch.equal(a, b), "samples differ for two generators seeded alike"
    assert not torch.equal(a, c), "samples are the same for differently seeded generators"
