"""Hidden checks for conditional-gan. References are computed here, in float64, never in the candidate's process."""

import torch
import torch.nn.functional as F

from judge.harness import expect

LATENT, CLASSES = 32, 10
# Teacher-training and label-training set-up: 4 classes of 16x16 templates, 32 samples.
K, SMALL_LATENT, N = 4, 16, 32
# Calibration (reference and two alternative architectures, 20 init seeds each): after 40 steps the
# generator's nearest-template accuracy was 1.0 and its MSE ratio at most 0.30; the discriminator's
# accuracy was 1.0 and its loss ratio at most 0.17. A generator that ignores labels reaches 0.25.
G_ACCURACY, G_RATIO, D_ACCURACY, D_RATIO = 0.75, 0.6, 0.8, 0.5


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return torch.Generator().manual_seed(seed)


def reference_d_loss(real_logits, fake_logits):
    """mean BCE-with-logits(real, 1) + mean BCE-with-logits(fake, 0), in float64."""
    return F.softplus(-real_logits.double()).mean() + F.softplus(fake_logits.double()).mean()


def reference_g_loss(fake_logits):
    """Non-saturating generator loss: mean BCE-with-logits(fake, 1), in float64."""
    return F.softplus(-fake_logits.double()).mean()


def templates():
    """Class k: a bright 6x6 square in quadrant k of a dark 16x16 image."""
    t = torch.full((K, 1, 16, 16), -1.0)
    for k in range(K):
        r, c = divmod(k, 2)
        t[k, 0, r * 8 + 1 : r * 8 + 7, c * 8 + 1 : c * 8 + 7] = 1.0
    return t


def class_data(seed):
    """Labels 0..K-1 in turn, noisy templates in [-1, 1], and a wrong label for each sample."""
    g = gen(seed)
    labels = torch.arange(N) % K
    images = (templates()[labels] + 0.3 * torch.randn(N, 1, 16, 16, generator=g)).clamp(-1, 1)
    wrong = (labels + 1 + torch.randint(0, K - 1, (N,), generator=g)) % K
    return images, labels, wrong


def number(value, name):
    """A returned loss: a Python number or a one-element tensor, as a float."""
    assert not isinstance(value, str), f"{name} must be a Python float (or a 0-dim tensor)"
    return expect.scalar(value, name)


def test_generator_range(candidate):
    g = gen(2)
    z = torch.randn(6, LATENT, generator=g)
    labels = torch.tensor([0, 9, 3, 3, 5, 1])
    plain, again, large, boosted = candidate.call("generator_outputs", LATENT, CLASSES, z, labels, 20.0)
    for name, value in (("G(z, labels)", plain), ("G(20 * z, labels)", large), ("G(z, labels) with the last weighted layer's parameters x 100", boosted)):
        value = expect.floating(value, name, (6, 1, 16, 16))
        expect.in_range(value, -1.0, 1.0, name)
    assert torch.equal(plain, again), "G(z, labels) in eval mode must be deterministic"


def test_generator_uses_labels(candidate):
    g = gen(3)
    for _ in range(2):
        z = torch.randn(1, LATENT, generator=g).expand(CLASSES, LATENT).contiguous()
        labels = torch.arange(CLASSES)
        images, _ = candidate.call("shapes", LATENT, CLASSES, z, labels, torch.zeros(CLASSES, 1, 16, 16))
        images = expect.floating(images, "G(z, labels)", (CLASSES, 1, 16, 16)).flatten(1)
        gaps = (images[:, None] - images[None]).abs().mean(2) + torch.eye(CLASSES) * 1e9
        assert float(gaps.min()) > 1e-4, "with the same z, some two labels give the same image (mean absolute difference at most 1e-4): G must use the label"


def test_discriminator_uses_labels(candidate):
    g = gen(4)
    for _ in range(3):
        image = (torch.rand(1, 1, 16, 16, generator=g) * 2 - 1).expand(CLASSES, 1, 16, 16).contiguous()
        labels = torch.arange(CLASSES)
        _, logits = candidate.call("shapes", LATENT, CLASSES, torch.zeros(CLASSES, LATENT), labels, image)
        logits = expect.floating(logits, "D(images, labels)", (CLASSES,))
        expect.finite(logits, "D(images, labels)")
        assert float(logits.max() - logits.min()) > 1e-4, "the same image gets the same logit whatever its label (spread at most 1e-4): D must use the label"


def test_discriminator_logits(candidate):
    g = gen(5)
    images = torch.cat([torch.rand(14, 1, 16, 16, generator=g) * 2 - 1, -torch.ones(1, 1, 16, 16), torch.ones(1, 1, 16, 16)])
    labels = torch.arange(16) % CLASSES
    outputs = candidate.call("discriminator_outputs", CLASSES, images, labels, [1.0, 100.0, -100.0])
    assert isinstance(outputs, list) and len(outputs) == 3, "discriminator_outputs probe returned an unexpected value"
    values = [expect.floating(value, "D(images, labels)", (16,)) for value in outputs]
    for value in values:
        expect.finite(value, "D(images, labels)")
    outside = any(bool(((value < 0) | (value > 1)).any()) for value in values)
    assert outside, "D's outputs stay in [0, 1] even with the last layer scaled by +-100: D must return raw logits, not probabilities"


def test_loss_formulas(candidate):
    g = gen(6)
    cases = [(torch.randn(6, generator=g) * 3, torch.randn(6, generator=g) * 3), (torch.randn(1, generator=g), torch.randn(1, generator=g))]
    cases.append((torch.tensor([50.0, -50.0, 0.0, 3.0]), torch.tensor([-50.0, 50.0, 1.0, -2.0])))
    for real, fake in cases:
        d_value, g_value = candidate.call("losses", real, fake)
        expect.tensor(d_value, "discriminator_loss(...)")
        expect.tensor(g_value, "generator_loss(...)")
        expect.close_scalar(d_value, float(reference_d_loss(real, fake)), f"discriminator_loss for a batch of {len(real)}", rtol=1e-5, atol=1e-6)
        expect.close_scalar(g_value, float(reference_g_loss(fake)), f"generator_loss for a batch of {len(real)}", rtol=1e-5, atol=1e-6)


def test_train_step_losses(candidate):
    g = gen(7)
    reals = [torch.rand(8, 1, 16, 16, generator=g) * 2 - 1 for _ in range(2)]
    labels = [torch.randint(0, CLASSES, (8,), generator=g) for _ in range(2)]
    zs = [torch.randn(8, LATENT, generator=g) for _ in range(2)]
    records = candidate.call("train_steps", LATENT, CLASSES, reals, labels, zs, 0.05)
    assert isinstance(records, list) and len(records) == 2, "train_steps probe returned an unexpected value"
    for step, record in enumerate(records, start=1):
        losses = record["losses"]
        assert isinstance(losses, dict) and "d_loss" in losses and "g_loss" in losses, "train_step must return a dict with keys 'd_loss' and 'g_loss'"
        real = expect.floating(record["real_logits"], "D(real, labels)", (8,))
        fake = expect.floating(record["fake_logits"], "D(G(z, labels), labels)", (8,))
        after = expect.floating(record["fake_logits_after"], "D(G(z, labels), labels) after the step", (8,))
        d_loss = number(losses["d_loss"], f"d_loss of step {step}")
        g_loss = number(losses["g_loss"], f"g_loss of step {step}")
        expect.close_scalar(d_loss, float(reference_d_loss(real, fake)), f"d_loss returned at step {step}", rtol=1e-4, atol=1e-5)
        expect.close_scalar(g_loss, float(reference_g_loss(after)), f"g_loss returned at step {step}", rtol=1e-4, atol=1e-5)


def test_generator_learns_labels(candidate):
    t = templates()
    _, labels, _ = class_data(8)
    # Each z is paired with all K labels, so only a generator that uses the label can match the templates.
    z = torch.randn(N // K, SMALL_LATENT, generator=gen(9)).repeat_interleave(K, dim=0)
    before, after = candidate.call("train_generator_with_teacher", SMALL_LATENT, t, labels, z, 40, 2e-3, 10.0, 0.5)
    target = t[labels].double()
    errors = []
    for name, images in (("before", before), ("after", after)):
        images = expect.floating(images, f"G(z, labels) {name} training", (N, 1, 16, 16))
        expect.in_range(images, -1.0, 1.0, f"G(z, labels) {name} training")
        errors.append(float(((images - target) ** 2).mean()))
    assert errors[1] < G_RATIO * errors[0], f"after 40 steps G's images did not move towards their class templates (MSE must fall below {G_RATIO:g} x its start)"
    distances = ((after.double().flatten(1)[:, None] - t.double().flatten(1)[None]) ** 2).mean(2)
    accuracy = float((distances.argmin(1) == labels).double().mean())
    assert accuracy >= G_ACCURACY, f"after 40 steps fewer than {G_ACCURACY:.0%} of G's images are nearest to their own label's template"


def test_discriminator_learns_labels(candidate):
    images, labels, wrong = class_data(10)
    (real_before, wrong_before), (real_after, wrong_after) = candidate.call("train_discriminator_on_labels", K, images, labels, wrong, 40, 1e-3)
    logits = {}
    for name, value in (("right", real_before), ("wrong", wrong_before), ("right after", real_after), ("wrong after", wrong_after)):
        logits[name] = expect.floating(value, f"D(images, {name.split()[0]} labels)", (N,))
        expect.finite(logits[name], f"D(images, {name.split()[0]} labels)")
    before = float(reference_d_loss(logits["right"], logits["wrong"]))
    after = float(reference_d_loss(logits["right after"], logits["wrong after"]))
    assert after < D_RATIO * before, f"after 40 steps D's loss on matching vs mismatched labels did not fall below {D_RATIO:g} x its start"
    accuracy = float((logits["right after"] > logits["wrong after"]).double().mean())
    assert accuracy >= D_ACCURACY, f"after 40 steps D scores the matching label above a wrong one for fewer than {D_ACCURACY:.0%} of the images"
