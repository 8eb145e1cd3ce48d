"""Hidden checks for vq-vae-quantizer. References are computed here, in float64."""

import torch

from judge.harness import expect

K, D = 8, 4
SHAPE = (2, D, 3, 5)  # [B, D, H, W]: H != W so that a wrong reshape shows


def gen(seed):
    """A seeded torch.Generator for the inputs this side makes."""
    return torch.Generator().manual_seed(seed)


def inputs(seed):
    """A codebook [K, D] with rows of different norms and z_e [B, D, H, W].

    For the seeds used here the float64 gap between the nearest and the second-nearest entry is
    above 6e-3 at every position, far beyond float32 rounding, so the nearest entry is unambiguous.
    """
    g = gen(seed)
    weight = torch.randn(K, D, generator=g) * torch.linspace(0.5, 1.5, K).unsqueeze(1)
    z_e = torch.randn(SHAPE[0], D, SHAPE[2], SHAPE[3], generator=g)
    return weight, z_e


def reference(weight, z_e):
    """Nearest indices [B, H, W] (lowest index on ties) and the quantized tensor [B, D, H, W], float64."""
    w = weight.double()
    flat = z_e.double().permute(0, 2, 3, 1).reshape(-1, w.shape[1])
    indices = ((flat[:, None, :] - w[None]) ** 2).sum(2).argmin(1)
    b, _, h, wd = z_e.shape
    quantized = w[indices].view(b, h, wd, -1).permute(0, 3, 1, 2)
    return indices.view(b, h, wd), quantized


def outputs(candidate, weight, beta, z_e):
    """The four outputs of forward, shape-checked."""
    result = candidate.call("forward", weight, beta, z_e)
    outs = result["outputs"]
    assert isinstance(outs, list) and len(outs) == 4, "forward must return a tuple (z_q, codebook_loss, commitment_loss, indices)"
    z_q, codebook_loss, commitment_loss, indices = outs
    b, _, h, w = z_e.shape
    z_q = expect.floating(z_q, "z_q", tuple(z_e.shape))
    expect.finite(z_q, "z_q")
    expect.tensor(indices, "indices", (b, h, w), torch.int64)
    for name, value in (("codebook_loss", codebook_loss), ("commitment_loss", commitment_loss)):
        expect.tensor(value, name)
        expect.scalar(value, name)
    return z_q, codebook_loss, commitment_loss, indices


def assert_no_gradient(grad, what):
    """None or all zeros."""
    if grad is not None:
        expect.close(grad, torch.zeros(grad.shape, dtype=torch.float64), what, rtol=0, atol=1e-7)


def gradients(candidate, weight, beta, z_e, upstream, which):
    """The probe's gradients dict."""
    result = candidate.call("gradients", weight, beta, z_e, upstream, which)
    assert isinstance(result, dict), "gradients probe returned an unexpected value"
    return result


def test_nearest_indices(candidate):
    for seed in (1, 6, 9):
        weight, z_e = inputs(seed)
        _, _, _, indices = outputs(candidate, weight, None, z_e)
        expected, _ = reference(weight, z_e)
        assert torch.equal(indices, expected), "indices are not the nearest codebook entries by squared L2 distance at every position"


def test_tie_breaking(candidate):
    weight = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 2.0]])
    points = torch.tensor([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 1.0], [0.5, 1.0], [-1.0, 0.0]])
    z_e = points.T.reshape(1, 2, 2, 3)
    z_q, _, _, indices = outputs(candidate, weight, None, z_e)
    expected, quantized = reference(weight, z_e)
    assert torch.equal(indices, expected), "on exact ties (equal distances) the lowest index must win"
    expect.close(z_q, quantized, "z_q with ties", rtol=0, atol=1e-6)


def test_quantized_value(candidate):
    weight, z_e = inputs(1)
    z_q, _, _, _ = outputs(candidate, weight, None, z_e)
    _, quantized = reference(weight, z_e)
    expect.close(z_q, quantized, "z_q (the value must equal the nearest codebook entry)", rtol=0, atol=1e-5)


def test_losses_value(candidate):
    for seed, beta in ((1, None), (6, 0.7)):
        weight, z_e = inputs(seed)
        _, codebook_loss, commitment_loss, _ = outputs(candidate, weight, beta, z_e)
        _, quantized = reference(weight, z_e)
        mse = float(((quantized - z_e.double()) ** 2).mean())
        b = 0.25 if beta is None else beta
        expect.close_scalar(codebook_loss, mse, f"codebook_loss (beta={b:g})", rtol=1e-5, atol=1e-7)
        expect.close_scalar(commitment_loss, b * mse, f"commitment_loss (beta={b:g})", rtol=1e-5, atol=1e-7)


def test_straight_through(candidate):
    weight, z_e = inputs(6)
    upstream = torch.randn(z_e.shape, generator=gen(20))
    result = gradients(candidate, weight, None, z_e, upstream, "z_q")
    assert result["z_e"] is not None, "no gradient flows from z_q back to z_e (straight-through estimator missing)"
    expect.close(result["z_e"], upstream.double(), "d sum(z_q * G) / d z_e (must be G: the identity)", rtol=1e-6, atol=1e-7)
    assert_no_gradient(result["codebook"], "d sum(z_q * G) / d codebook (z_q must pass no gradient to the codebook)")


def test_codebook_loss_gradients(candidate):
    weight, z_e = inputs(9)
    result = gradients(candidate, weight, None, z_e, torch.zeros(z_e.shape), "codebook_loss")
    assert_no_gradient(result["z_e"], "d codebook_loss / d z_e (z_e must be behind a stop-gradient)")
    assert result["codebook"] is not None, "no gradient of codebook_loss reaches the codebook"
    indices, quantized = reference(weight, z_e)
    diff = (quantized - z_e.double()).permute(0, 2, 3, 1).reshape(-1, D) * 2 / z_e.numel()
    expected = torch.zeros(K, D, dtype=torch.float64).index_add_(0, indices.reshape(-1), diff)
    expect.close(result["codebook"], expected, "d codebook_loss / d codebook", rtol=1e-5, atol=1e-8)


def test_commitment_loss_gradients(candidate):
    weight, z_e = inputs(1)
    beta = 0.4
    result = gradients(candidate, weight, beta, z_e, torch.zeros(z_e.shape), "commitment_loss")
    assert_no_gradient(result["codebook"], "d commitment_loss / d codebook (the codebook must be behind a stop-gradient)")
    assert result["z_e"] is not None, "no gradient of commitment_loss reaches z_e"
    _, quantized = reference(weight, z_e)
    expected = 2 * beta * (z_e.double() - quantized) / z_e.numel()
    expect.close(result["z_e"], expected, "d commitment_loss / d z_e", rtol=1e-5, atol=1e-8)
