"""Alternative: torch.lerp for the interpolation, grad_outputs=ones instead of .sum(), a stabilised norm."""

import torch


def interpolate(real, fake, alpha):
    """fake + alpha * (real - fake), the same segment as alpha * real + (1 - alpha) * fake."""
    return torch.lerp(fake, real, alpha)


def gradient_penalty(critic, real, fake, alpha, lambda_gp=10.0):
    """lambda_gp * mean (||g|| - 1)^2 with a tiny epsilon inside the square root (a common habit)."""
    x_hat = interpolate(real, fake, alpha)
    x_hat.requires_grad_(True)
    scores = critic(x_hat).view(-1)
    grads = torch.autograd.grad(
        outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores), create_graph=True, retain_graph=True
    )[0]
    norms = torch.sqrt(grads.pow(2).sum(dim=(1, 2, 3)) + 1e-12)
    return lambda_gp * ((norms - 1.0) ** 2).mean()


def critic_loss(critic, real, fake, alpha, lambda_gp=10.0):
    """Wasserstein critic loss plus the penalty."""
    wasserstein = critic(fake).view(-1).mean() - critic(real).view(-1).mean()
    return wasserstein + gradient_penalty(critic, real, fake, alpha, lambda_gp=lambda_gp)


def generator_loss(critic, fake):
    """The generator maximises the critic's score of its samples."""
    return -critic(fake).view(-1).mean()
