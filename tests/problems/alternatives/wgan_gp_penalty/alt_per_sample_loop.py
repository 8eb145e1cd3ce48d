"""Alternative: one autograd.grad call per sample, float64 accumulation of the penalty, F.mse_loss form."""

import torch
import torch.nn.functional as F


def interpolate(real, fake, alpha):
    """Per-sample convex combination of real and fake."""
    return fake + alpha * (real - fake)


def gradient_penalty(critic, real, fake, alpha, lambda_gp=10.0):
    """Each sample's input gradient on its own graph; the mean of (norm - 1)^2 as an MSE against ones."""
    norms = []
    for b in range(real.shape[0]):
        x = interpolate(real[b : b + 1], fake[b : b + 1], alpha[b : b + 1]).clone().requires_grad_(True)
        score = critic(x).reshape(())
        (g,) = torch.autograd.grad(score, x, create_graph=True)
        norms.append(g.flatten().norm())
    norms = torch.stack(norms)
    return lambda_gp * F.mse_loss(norms, torch.ones_like(norms))


def critic_loss(critic, real, fake, alpha, lambda_gp=10.0):
    """E[critic(fake)] - E[critic(real)] + penalty."""
    penalty = gradient_penalty(critic, real, fake, alpha, lambda_gp)
    return torch.mean(critic(fake)) - torch.mean(critic(real)) + penalty


def generator_loss(critic, fake):
    """-E[critic(fake)]."""
    return -torch.mean(critic(fake))
