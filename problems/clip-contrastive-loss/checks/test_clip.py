"""Hidden checks for clip-contrastive-loss. References are computed here, in float64, from the formulas."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_logits(image, text, temperature):
    """cos(image_i, text_j) / temperature, float64 (differentiable, for the gradient reference)."""
    image = image / image.norm(dim=1, keepdim=True)
    text = text / text.norm(dim=1, keepdim=True)
    return image @ text.T / temperature


def reference_loss(image, text, temperature):
    """0.5 * (mean_i -log softmax_j(L)[i, i] + mean_j -log softmax_i(L)[j, j]), float64."""
    logits = reference_logits(image, text, temperature)
    diagonal = torch.diagonal(logits)
    rows = torch.logsumexp(logits, dim=1) - diagonal   # image i against every text
    columns = torch.logsumexp(logits, dim=0) - diagonal  # text j against every image
    return 0.5 * (rows.mean() + columns.mean())


def embeddings(n, d, seed, dtype=torch.float64, correlation=0.0):
    """Image and text embeddings of varied norms; text_i leans towards image_i by `correlation`."""
    g = gen(seed)
    image = torch.randn(n, d, generator=g, dtype=torch.float64) * (torch.rand(n, 1, generator=g, dtype=torch.float64) * 3 + 0.5)
    noise = torch.randn(n, d, generator=g, dtype=torch.float64)
    text = (correlation * image / image.norm(dim=1, keepdim=True) + (1 - correlation) * noise / noise.norm(dim=1, keepdim=True)) * 2.5
    return image.to(dtype), text.to(dtype)


def test_logits_value(candidate):
    g = gen(2)
    image = torch.randn(5, 8, generator=g, dtype=torch.float64) * 4
    text = torch.randn(3, 8, generator=g, dtype=torch.float64) * 0.3
    for temperature in (0.07, 1.0):
        out = candidate.call("logits", image, text, temperature)
        expect.close(out, reference_logits(image, text, temperature), f"clip_logits(image [5, 8], text [3, 8], {temperature:g})", rtol=1e-9, atol=1e-12)
    tau = torch.tensor(0.2, dtype=torch.float64)
    out = candidate.call("logits", image, text, tau)
    expect.close(out, reference_logits(image, text, 0.2), "clip_logits with a 0-dim tensor temperature 0.2", rtol=1e-9, atol=1e-12)


def test_loss_value(candidate):
    cases = ((6, 8, 0.07, 0.0, 3), (6, 8, 0.5, 0.6, 4), (10, 4, 1.0, 0.3, 5), (1, 5, 0.07, 0.0, 6), (4, 16, 0.03, 0.9, 7))
    for n, d, temperature, correlation, seed in cases:
        image, text = embeddings(n, d, seed, correlation=correlation)
        value = candidate.call("loss", image, text, temperature)
        expected = float(reference_loss(image, text, temperature))
        expect.close_scalar(value, expected, f"clip_loss for N={n}, D={d}, temperature {temperature:g}", rtol=1e-9, atol=1e-12)
    image, text = embeddings(8, 12, 8, dtype=torch.float32, correlation=0.5)
    value = expect.tensor(candidate.call("loss", image, text, 0.1), "clip_loss of float32 embeddings", dtype=torch.float32)
    expect.close_scalar(value, float(reference_loss(image.double(), text.double(), 0.1)), "clip_loss of float32 embeddings", rtol=1e-5, atol=1e-6)
    value = candidate.call("loss", image.double(), text.double(), torch.tensor(0.1, dtype=torch.float64))
    expect.close_scalar(value, float(reference_loss(image.double(), text.double(), 0.1)), "clip_loss with a 0-dim tensor temperature", rtol=1e-9, atol=1e-12)


def test_loss_symmetric(candidate):
    image, text = embeddings(7, 6, 9, correlation=0.4)
    forward = expect.scalar(candidate.call("loss", image, text, 0.2), "clip_loss(image, text)")
    swapped = expect.scalar(candidate.call("loss", text, image, 0.2), "clip_loss(text, image)")
    assert abs(forward - swapped) <= 1e-9 * abs(forward) + 1e-12, "clip_loss must treat both directions alike: swapping images and texts must not change it"
    # Reordering the pairs together (the same permutation of both) does not change the loss either.
    order = torch.randperm(7, generator=gen(10))
    permuted = expect.scalar(candidate.call("loss", image[order], text[order], 0.2), "clip_loss of the permuted pairs")
    assert abs(forward - permuted) <= 1e-9 * abs(forward) + 1e-12, "clip_loss must not depend on the order of the pairs"


def test_gradients(candidate):
    image, text = embeddings(5, 6, 11, correlation=0.5)
    tau = torch.tensor(0.15, dtype=torch.float64)
    value, grad_image, grad_text, grad_tau = candidate.call("gradients", image, text, tau)
    leaves = [t.clone().requires_grad_(True) for t in (image, text, tau)]
    expected = reference_loss(*leaves)
    expected.backward()
    expect.close_scalar(value, float(expected.detach()), "clip_loss", rtol=1e-9, atol=1e-12)
    for grad, leaf, name in ((grad_image, leaves[0], "image_emb"), (grad_text, leaves[1], "text_emb"), (grad_tau, leaves[2], "temperature")):
        assert grad is not None, f"no gradient reached {name}"
        expect.close(grad, leaf.grad, f"d clip_loss / d {name}", rtol=1e-7, atol=1e-10)


def test_small_temperature(candidate):
    # Cosines over a temperature of 0.005 or 0.002 make logits of 150 to 420: exp overflows float32.
    image, text = embeddings(6, 8, 12, dtype=torch.float32, correlation=0.5)
    for temperature in (0.005, 0.002):
        value = expect.tensor(candidate.call("loss", image, text, temperature), f"clip_loss at temperature {temperature:g} (float32)", dtype=torch.float32)
        expect.close_scalar(value, float(reference_loss(image.double(), text.double(), temperature)), f"clip_loss at temperature {temperature:g} (float32)", rtol=1e-4, atol=1e-4)
