"""Hidden checks for dcgan-mnist. References are computed here, in float64, never in the candidate's process."""

import math

import torch
import torch.nn.functional as F

from judge.harness import expect

LATENT = 100
BATCH = 8
LR_D = 0.1
LR_G = 0.1
# Correct solutions (reference, four alternatives, 20 seeds) measure relative errors of 1e-7 to 6.4e-5
# (float32 rounding); the mutants 0.011 and above.
UPDATE_RTOL = 1e-3
# Writing theta - lr * grad back in float32 rounds each parameter by at most half an ulp, 6e-8 x |theta_i|,
# so the rounding of the whole update is at most 6e-8 x |theta|; allow about three times that.
UPDATE_PARAM_ATOL = 2e-7


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return torch.Generator().manual_seed(seed)


def reference_d_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0), in float64."""
    return F.softplus(-real_logits.double()).mean() + F.softplus(fake_logits.double()).mean()


def reference_g_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1), in float64."""
    return F.softplus(-fake_logits.double()).mean()


def synthetic_digits(n, seed):
    """Blurry strokes scaled to [-1, 1]: a fixed batch of 28x28 images, made here, not downloaded."""
    g = gen(seed)
    images = torch.full((n, 1, 28, 28), -1.0)
    for i in range(n):
        r0, c0 = torch.randint(4, 12, (2,), generator=g).tolist()
        h, w = torch.randint(8, 14, (2,), generator=g).tolist()
        images[i, 0, r0 : r0 + h, c0 : c0 + 3] = 1.0
        images[i, 0, r0 : r0 + 3, c0 : c0 + w] = 1.0
    return images


def number(value, name):
    """A returned loss: a Python number or a one-element tensor, as a float."""
    assert not isinstance(value, str), f"{name} must be a Python float (or a one-element tensor)"
    return expect.scalar(value, name)


def losses_of(record, step):
    """The (d_loss, g_loss) train_step returned, as floats."""
    losses = record["losses"]
    assert isinstance(losses, dict), "train_step must return a dict with keys 'd_loss' and 'g_loss'"
    for key in ("d_loss", "g_loss"):
        assert key in losses, f"train_step's result has no key '{key}'"
    return number(losses["d_loss"], f"d_loss of step {step}"), number(losses["g_loss"], f"g_loss of step {step}")


def update_distance(gram, jdelta, delta_sq, coefficients):
    """|observed update - sum_k coefficients[k] * row_k| and |sum_k coefficients[k] * row_k|.

    With rows J_k (gradients of logit k), the probe's Gram matrix J J^T, J delta and |delta|^2 give
    |delta - J^T a|^2 = |delta|^2 - 2 a.(J delta) + a^T (J J^T) a, all in float64.
    """
    a = coefficients.double()
    expected_sq = float(a @ gram.double() @ a)
    residual_sq = float(delta_sq) - 2.0 * float(a @ jdelta.double()) + expected_sq
    assert expected_sq > 0, "the reference update is zero: the loss has no gradient with respect to the parameters"
    return math.sqrt(max(residual_sq, 0.0)), math.sqrt(expected_sq)


def assert_update(record, prefix, coefficients, message):
    """The observed update matches -lr * the reference gradient within UPDATE_RTOL, plus float32 rounding of the parameters."""
    n = coefficients.shape[0]
    expect.tensor(record.get(f"{prefix}_gram"), "the probe's gradient products", (n, n))
    residual, expected = update_distance(record[f"{prefix}_gram"], record[f"{prefix}_jdelta"], record[f"{prefix}_delta_sq"], coefficients)
    rounding = UPDATE_PARAM_ATOL * math.sqrt(float(record[f"{prefix}_param_sq"]))
    assert residual <= UPDATE_RTOL * expected + rounding, (
        f"{message} (relative error {residual / expected:.3g}, tolerance {UPDATE_RTOL:g} plus {UPDATE_PARAM_ATOL:g} x |theta|)"
    )


def check_record(record, step, batch):
    """Shapes of one train_steps record; returns the logits as float64."""
    real = expect.floating(record["real_logits"], "D(real) logits", (batch,))
    fake = expect.floating(record["fake_logits"], "D(G(z)) logits", (batch,))
    after = expect.floating(record["fake_logits_after"], "D(G(z)) logits after the step", (batch,))
    for name, value in (("D(real)", real), ("D(G(z))", fake), ("D(G(z)) after the step", after)):
        expect.finite(value, f"{name} logits at step {step}")
    return real, fake, after


def assert_discriminator_update(record, step, batch):
    """D's update equals -LR_D * gradient of the reference D loss at D before the step, fake = G_before(z)."""
    real, fake, _ = check_record(record, step, batch)
    # d/dl softplus(-l) = sigmoid(l) - 1 and d/dl softplus(l) = sigmoid(l), each averaged over the batch.
    coefficients = -LR_D * torch.cat([(torch.sigmoid(real) - 1) / batch, torch.sigmoid(fake) / batch])
    assert_update(record, "d", coefficients, f"step {step}: the discriminator's parameter update is not -lr * gradient "
                  "of the discriminator loss on D(real) and D(G(z).detach())")


def assert_generator_update(record, step, batch):
    """G's update equals -LR_G * gradient of the reference G loss through D after its update."""
    _, _, after = check_record(record, step, batch)
    coefficients = -LR_G * (torch.sigmoid(after) - 1) / batch
    assert_update(record, "g", coefficients, f"step {step}: the generator's parameter update is not -lr * gradient "
                  "of the generator loss on D(G(z)) with D after its update")


def sgd_steps(candidate, steps, products):
    """The first `steps` of two consecutive SGD train_steps on different batches (eval mode, setup S).

    `products` names the gradient products the probe computes ("d1", "g2", ...): only those a check
    needs, since they dominate the probe's time.
    """
    g = gen(20)
    reals = [synthetic_digits(BATCH, seed=21), torch.rand(BATCH, 1, 28, 28, generator=g) * 2 - 1]
    zs = [torch.randn(BATCH, LATENT, generator=g) for _ in range(2)]
    records = candidate.call("train_steps", LATENT, reals[:steps], zs[:steps], LR_D, LR_G, products)
    assert isinstance(records, list) and len(records) == steps, "train_steps probe returned an unexpected value"
    return records


def test_generator_range(candidate):
    z = torch.randn(6, LATENT, generator=gen(2))
    plain, large, boosted = candidate.call("generator_outputs", LATENT, z, 20.0)
    for name, value in (("G(z)", plain), ("G(20 * z)", large), ("G(z) with the last weighted layer's parameters x 100", boosted)):
        value = expect.floating(value, name, (6, 1, 28, 28))
        expect.in_range(value, -1.0, 1.0, name)


def test_discriminator_logits(candidate):
    g = gen(3)
    images = torch.cat([torch.rand(14, 1, 28, 28, generator=g) * 2 - 1, -torch.ones(1, 1, 28, 28), torch.ones(1, 1, 28, 28)])
    outputs = candidate.call("discriminator_outputs", images, [1.0, 100.0, -100.0])
    assert isinstance(outputs, list) and len(outputs) == 3, "discriminator_outputs probe returned an unexpected value"
    values = [expect.floating(value, "D(images)", (16,)) for value in outputs]
    for value in values:
        expect.finite(value, "D(images)")
    outside = any(bool(((value < 0) | (value > 1)).any()) for value in values)
    assert outside, "D's outputs stay in [0, 1] even with the last layer scaled by +-100: D must return raw logits, not probabilities"


def test_discriminator_loss_formula(candidate):
    g = gen(4)
    for batch in (6, 1):
        real = torch.randn(batch, generator=g) * 3
        fake = torch.randn(batch, generator=g) * 3
        value = candidate.call("discriminator_loss", real, fake)
        expect.tensor(value, f"discriminator_loss for a batch of {batch}")
        expect.close_scalar(value, float(reference_d_loss(real, fake)), f"discriminator_loss for a batch of {batch}", rtol=1e-5, atol=1e-6)


def test_generator_loss_formula(candidate):
    g = gen(5)
    for batch in (6, 1):
        fake = torch.randn(batch, generator=g) * 3
        value = candidate.call("generator_loss", fake)
        expect.tensor(value, f"generator_loss for a batch of {batch}")
        expect.close_scalar(value, float(reference_g_loss(fake)), f"generator_loss for a batch of {batch}", rtol=1e-5, atol=1e-6)


def test_loss_extreme_logits(candidate):
    real = torch.tensor([50.0, -50.0, 0.0, 3.0])
    fake = torch.tensor([-50.0, 50.0, 1.0, -2.0])
    d_value = candidate.call("discriminator_loss", real, fake)
    expect.close_scalar(d_value, float(reference_d_loss(real, fake)), "discriminator_loss with logits of +-50", rtol=1e-5, atol=1e-6)
    g_value = candidate.call("generator_loss", fake)
    expect.close_scalar(g_value, float(reference_g_loss(fake)), "generator_loss with logits of +-50", rtol=1e-5, atol=1e-6)


def test_train_step_losses(candidate):
    for step, record in enumerate(sgd_steps(candidate, 2, []), start=1):
        real, fake, after = check_record(record, step, BATCH)
        d_loss, g_loss = losses_of(record, step)
        expect.close_scalar(d_loss, float(reference_d_loss(real, fake)), f"d_loss returned at step {step}", rtol=1e-4, atol=1e-5)
        expect.close_scalar(g_loss, float(reference_g_loss(after)), f"g_loss returned at step {step}", rtol=1e-4, atol=1e-5)


def test_discriminator_update(candidate):
    assert_discriminator_update(sgd_steps(candidate, 1, ["d1"])[0], 1, BATCH)


def test_generator_update(candidate):
    assert_generator_update(sgd_steps(candidate, 1, ["g1"])[0], 1, BATCH)


def test_repeated_steps(candidate):
    record = sgd_steps(candidate, 2, ["d2", "g2"])[1]
    assert_discriminator_update(record, 2, BATCH)
    assert_generator_update(record, 2, BATCH)


# Calibrated on the reference and four alternative architectures over 20 init seeds each: after the D
# phase the D loss is at most 0.013 x its start (D(real) - D(G(z)) means >= 12); after the G phase the G
# loss is at most 0.02 x its value before it. FACTOR leaves a margin of more than 20x.
LEARN_BATCH, D_STEPS, G_STEPS, LR_D_ADAM, LR_G_ADAM, FACTOR = 16, 20, 10, 1e-3, 2e-3, 0.5


def phases(candidate, g_steps):
    """D alone for D_STEPS train_steps, then G alone for g_steps; float64 (D(real), D(G(z))) at each stage.

    The losses train_step reported are recorded for the result page: the phase's own loss (d_loss while
    D trains, g_loss while G trains)."""
    real = synthetic_digits(LEARN_BATCH, seed=30)
    z = torch.randn(LEARN_BATCH, LATENT, generator=gen(31))
    result = candidate.call("train_phases", LATENT, real, z, D_STEPS, g_steps, LR_D_ADAM, LR_G_ADAM)
    assert isinstance(result, dict) and isinstance(result.get("stages"), list), "train_phases probe returned an unexpected value"
    stages, losses = result["stages"], result.get("losses")
    if isinstance(losses, list):
        steps = losses[:D_STEPS] if g_steps == 0 else losses[D_STEPS:]
        key = "d_loss" if g_steps == 0 else "g_loss"
        expect.record_series(key, [step.get(key) if isinstance(step, dict) else None for step in steps])
    assert len(stages) == 3, "train_phases probe returned an unexpected value"
    out = []
    for name, (real_logits, fake_logits) in zip(("before training", "after training D", "after training G"), stages):
        real_logits = expect.floating(real_logits, f"D(real) {name}", (LEARN_BATCH,))
        fake_logits = expect.floating(fake_logits, f"D(G(z)) {name}", (LEARN_BATCH,))
        expect.finite(real_logits, f"D(real) {name}")
        expect.finite(fake_logits, f"D(G(z)) {name}")
        out.append((real_logits, fake_logits))
    return out


def test_discriminator_learns(candidate):
    (real0, fake0), (real1, fake1), _ = phases(candidate, 0)
    before, after = float(reference_d_loss(real0, fake0)), float(reference_d_loss(real1, fake1))
    assert after < FACTOR * before, (
        f"with G frozen, {D_STEPS} train_steps did not bring the discriminator loss below {FACTOR:g} x its starting value"
    )
    assert float(real1.mean()) > float(fake1.mean()), "after training D, its mean logit on real images is not above its mean logit on G(z)"


def test_generator_learns(candidate):
    _, (_, fake1), (_, fake2) = phases(candidate, G_STEPS)
    before, after = float(reference_g_loss(fake1)), float(reference_g_loss(fake2))
    assert after < FACTOR * before, (
        f"with the trained D frozen, {G_STEPS} train_steps did not bring the generator loss below {FACTOR:g} x its value before"
    )


def test_sample_diversity(candidate):
    z = torch.randn(16, LATENT, generator=gen(8))
    outputs = candidate.call("samples", LATENT, z, [11, 11, 12])
    assert isinstance(outputs, list) and len(outputs) == 3, "samples probe returned an unexpected value"
    images = [[expect.floating(x, "G(z)", (16, 1, 28, 28)) for x in pair] for pair in outputs]
    (a, a_again), (b, _), (c, _) = images
    expect.in_range(a, -1.0, 1.0, "G(z)")
    assert torch.equal(a, a_again), "G(z) in eval mode differs between two calls on the same z"
    assert torch.equal(a, b), "two generators built after the same torch.manual_seed give different G(z)"
    assert not torch.equal(a, c), "generators built after different seeds give the same G(z)"
    assert float(a.std(dim=0).mean()) > 1e-3, "G(z) is (almost) the same image for different z"
