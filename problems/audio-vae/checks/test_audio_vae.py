"""Hidden checks for audio-vae. References are computed here, in float64, never in the candidate's process."""

import math

import torch

from judge.harness import expect

CONFIGS = ((1024, 16), (512, 8))


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_loss(recon, x, mu, logvar, beta=1.0):
    """Float64 reference: per clip, summed squared error + beta * summed KL; mean over the batch."""
    recon, x, mu, logvar = (t.double() for t in (recon, x, mu, logvar))
    squared_error = (recon - x).pow(2).flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
    return (squared_error + beta * kl).mean()


def sine_clips(n, length, seed, kinds=4):
    """n clips: `kinds` random two-partial sine mixtures, each repeated with a random gain; peak <= 0.9."""
    g = gen(seed)
    t = torch.arange(length, dtype=torch.float64) / length
    freqs = 2 + 10 * torch.rand(kinds, 2, generator=g, dtype=torch.float64)  # cycles per clip
    phases = 2 * math.pi * torch.rand(kinds, 2, generator=g, dtype=torch.float64)
    clips = torch.zeros(n, 1, length, dtype=torch.float64)
    for i in range(n):
        k = i % kinds
        gain = 0.5 + 0.4 * float(torch.rand(1, generator=g, dtype=torch.float64))
        for f, p, a in zip(freqs[k], phases[k], (0.55, 0.45)):
            clips[i, 0] += gain * a * torch.sin(2 * math.pi * f * t + p)
    return clips.float()


def random_clips(n, length, seed):
    """Distinct clips in [-0.9, 0.9]: one sine mixture each."""
    return sine_clips(n, length, seed, kinds=n)


def test_conv_layers(candidate):
    """encode calls an nn.Conv1d; decode calls an nn.ConvTranspose1d or nn.Conv1d (observed with forward hooks)."""
    usage = candidate.call("layer_usage", 512, 8, random_clips(2, 512, 20), torch.randn(2, 8, generator=gen(21)))
    assert isinstance(usage, dict) and all(isinstance(usage.get(k), list) for k in ("modules", "encode", "decode")), "layer_usage probe failed"

    def has(calls, names):
        return any(isinstance(mro, list) and any(n in mro for n in names) for mro in calls)

    assert has(usage["modules"], ("Conv1d",)), "the model has no nn.Conv1d submodule"
    assert has(usage["encode"], ("Conv1d",)), "encode did not call any nn.Conv1d submodule"
    assert has(usage["decode"], ("ConvTranspose1d", "Conv1d")), "decode did not call any nn.ConvTranspose1d or nn.Conv1d submodule"


def test_decode_range(candidate):
    """decode gives [B, 1, clip_length], finite, in [-1, 1], for z and for 50 * z."""
    for clip_length, latent_dim in CONFIGS:
        z = torch.randn(64, latent_dim, generator=gen(2))
        outs = candidate.call("decode", clip_length, latent_dim, [z, 50.0 * z])
        assert isinstance(outs, list) and len(outs) == 2, "decode probe failed"
        for scale, out in zip(("1", "50"), outs):
            name = f"decode({scale} * z) with clip_length={clip_length}"
            out = expect.floating(out, name, (64, 1, clip_length))
            expect.in_range(out, -1.0, 1.0, name)


def test_forward_consistent(candidate):
    """forward(x) in eval mode: recon [B, 1, clip_length] in [-1, 1], mu and logvar as encode(x)."""
    for clip_length, latent_dim in CONFIGS:
        x = random_clips(3, clip_length, 3)
        recon, mu, logvar, mu2, logvar2 = candidate.call("forward_and_encode", clip_length, latent_dim, x)
        recon = expect.floating(recon, "recon", (3, 1, clip_length))
        expect.in_range(recon, -1.0, 1.0, "recon")
        mu2 = expect.floating(mu2, "encode(x) mu", (3, latent_dim))
        logvar2 = expect.floating(logvar2, "encode(x) logvar", (3, latent_dim))
        expect.close(mu, mu2, "forward mu vs encode mu", rtol=0, atol=1e-5)
        expect.close(logvar, logvar2, "forward logvar vs encode logvar", rtol=0, atol=1e-5)


def reparam_inputs(latent_dim=16):
    """mu, logvar, eps of shape [6, latent_dim]."""
    g = gen(4)
    return (torch.randn(6, latent_dim, generator=g), torch.randn(6, latent_dim, generator=g), torch.randn(6, latent_dim, generator=g))


def test_reparameterize_value(candidate):
    """reparameterize(mu, logvar, eps) == mu + exp(0.5 * logvar) * eps."""
    mu, logvar, eps = reparam_inputs()
    z = candidate.call("reparameterize", 16, mu, logvar, eps)
    expected = mu.double() + torch.exp(0.5 * logvar.double()) * eps.double()
    expect.close(z, expected, "reparameterize(mu, logvar, eps)", rtol=1e-5, atol=1e-6)


def test_reparameterize_gradients(candidate):
    """d(sum z)/d mu = 1 and d(sum z)/d logvar = 0.5 * exp(0.5 * logvar) * eps."""
    mu, logvar, eps = reparam_inputs()
    z, grad_mu, grad_logvar = candidate.call("reparameterize_gradients", 16, mu, logvar, eps)
    assert grad_mu is not None and grad_logvar is not None, "no gradient reached mu or logvar"
    expect.close(grad_mu, torch.ones(6, 16, dtype=torch.float64), "d(sum z)/d mu", rtol=1e-5, atol=1e-6)
    expected = 0.5 * torch.exp(0.5 * logvar.double()) * eps.double()
    expect.close(grad_logvar, expected, "d(sum z)/d logvar", rtol=1e-5, atol=1e-6)


def test_reparameterize_random(candidate):
    """With eps=None: shape of mu, fresh draws, mean 0 and standard deviation 1 at mu = 0, logvar = 0."""
    first, second = candidate.call("reparameterize_random", 16, 1250)
    first = expect.floating(first, "reparameterize(mu, logvar)", (1250, 16))
    second = expect.floating(second, "reparameterize(mu, logvar)", (1250, 16))
    expect.finite(first, "z")
    assert not torch.equal(first, second), "two calls with eps=None returned the same z"
    assert abs(float(first.mean())) < 0.05, "eps drawn with eps=None does not have mean 0"
    assert abs(float(first.std()) - 1.0) < 0.05, "eps drawn with eps=None does not have standard deviation 1"


def loss_inputs(batch, length, latent_dim, g):
    """recon in (-1, 1), x in [-0.9, 0.9], mu, logvar."""
    recon = torch.tanh(torch.randn(batch, 1, length, generator=g))
    x = (torch.rand(batch, 1, length, generator=g) * 2 - 1) * 0.9
    mu = torch.randn(batch, latent_dim, generator=g)
    logvar = torch.randn(batch, latent_dim, generator=g) * 0.5
    return recon, x, mu, logvar


def test_loss_formula(candidate):
    """Default beta and beta=1: summed squared error + summed KL, averaged over the batch."""
    g = gen(5)
    for batch, length, latent_dim in ((3, 256, 16), (1, 512, 8)):
        recon, x, mu, logvar = loss_inputs(batch, length, latent_dim, g)
        expected = float(reference_loss(recon, x, mu, logvar))
        for beta in (None, 1.0):
            value = candidate.call("loss", recon, x, mu, logvar, beta)
            what = "default beta" if beta is None else "beta=1.0"
            expect.close_scalar(value, expected, f"audio_vae_loss ({what}) for a batch of {batch}", rtol=1e-4, atol=1e-4)


def test_loss_beta(candidate):
    """beta scales only the KL term: beta in {0, 0.25, 4}, batches of 2 and 5."""
    g = gen(8)
    for batch, length, latent_dim in ((2, 256, 16), (5, 256, 4)):
        recon, x, mu, logvar = loss_inputs(batch, length, latent_dim, g)
        for beta in (0.0, 0.25, 4.0):
            value = candidate.call("loss", recon, x, mu, logvar, beta)
            expected = float(reference_loss(recon, x, mu, logvar, beta))
            expect.close_scalar(value, expected, f"audio_vae_loss (beta={beta:g}) for a batch of {batch}", rtol=1e-4, atol=1e-4)


def trained_outputs(candidate):
    """The training recipe of loss_decreases: (data, before, after), outputs checked for shape and finiteness;
    the candidate's loss per step is recorded for the result page."""
    data = sine_clips(32, 256, seed=6)
    eps = torch.randn(32, 8, generator=gen(7))
    before, after, curve = candidate.call("train", 256, 8, data, 60, 5e-3, eps)
    expect.record_series("reported_loss", curve)
    outputs = []
    for name, (recon, mu, logvar) in (("before", before), ("after", after)):
        recon = expect.floating(recon, f"recon {name} training", (32, 1, 256))
        expect.in_range(recon, -1.0, 1.0, f"recon {name} training")
        mu = expect.floating(mu, "mu", (32, 8))
        logvar = expect.floating(logvar, "logvar", (32, 8))
        expect.finite(mu, "mu")
        expect.finite(logvar, "logvar")
        outputs.append((recon, mu, logvar))
    return data, outputs[0], outputs[1]


def test_loss_decreases(candidate):
    """60 Adam steps (lr 5e-3) on 32 sine clips: the reference loss at fixed eps falls below 0.8 x its start."""
    data, before, after = trained_outputs(candidate)
    start = float(reference_loss(before[0], data, before[1], before[2]))
    end = float(reference_loss(after[0], data, after[1], after[2]))
    # Beside the candidate's reported curve: the value compared, at step 0 and after the 60th update.
    expect.record_series("reference_loss", [start] + [None] * 59 + [end])
    assert end < 0.8 * start, (
        f"the reference loss of your model's output did not fall below 0.8 x its starting value after 60 steps "
        f"({start:.4g} to {end:.4g}; plotted as reference loss, beside the loss your audio_vae_loss reported)"
    )


def test_signed_output(candidate):
    """After that training, reconstructions of the (zero-mean) sine clips go below -0.1 and above 0.1."""
    _, _, (recon, _, _) = trained_outputs(candidate)
    assert float(recon.min()) < -0.1, "after training, no reconstructed sample went below -0.1 (the clips swing to about -0.9)"
    assert float(recon.max()) > 0.1, "after training, no reconstructed sample went above 0.1 (the clips swing to about +0.9)"


def test_recon_input_dependent(candidate):
    """Six different clips give six different mu; six different z decode to six different waveforms."""
    x = random_clips(6, 1024, 9)
    z = torch.randn(6, 16, generator=gen(12))
    mu, recon = candidate.call("codes_and_decodes", 1024, 16, x, z)
    mu = expect.floating(mu, "encode(x) mu", (6, 16))
    recon = expect.floating(recon, "decode(z)", (6, 1, 1024))
    expect.finite(mu, "encode(x) mu")
    expect.finite(recon, "decode(z)")
    for i in range(6):
        for j in range(i + 1, 6):
            assert float((mu[i] - mu[j]).abs().max()) > 1e-6, "two different clips were encoded to the same mu"
            assert float((recon[i] - recon[j]).abs().max()) > 1e-6, "two different latent codes were decoded to the same waveform"


def test_determinism(candidate):
    """Same seed, same model; eval-mode encode/decode repeat exactly; eps=None reproducible under torch.manual_seed."""
    x = random_clips(3, 512, 10)
    z = torch.randn(3, 8, generator=gen(11))
    outputs, draws = candidate.call("determinism", 512, 8, x, z, 7)
    assert isinstance(outputs, list) and len(outputs) == 4 and isinstance(draws, list) and len(draws) == 2, "determinism probe failed"
    first = outputs[0]
    for name, value in zip(("mu", "logvar", "decode(z)"), first):
        expect.floating(value, name)
    for other in outputs[1:]:
        for name, a, b in zip(("mu", "logvar", "decode(z)"), first, other):
            b = expect.floating(b, name, tuple(a.shape))
            assert torch.equal(a.double(), b), f"{name} differs between calls in eval mode, or between models built after the same torch.manual_seed"
    a = expect.floating(draws[0], "reparameterize(mu, logvar)", (4, 8))
    b = expect.floating(draws[1], "reparameterize(mu, logvar)", (4, 8))
    assert torch.equal(a, b), "reparameterize with eps=None is not reproducible after torch.manual_seed"
