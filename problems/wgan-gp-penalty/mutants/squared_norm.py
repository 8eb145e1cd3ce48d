"""Mutant: penalises ||g||^2 instead of (||g|| - 1)^2."""

import torch


def interpolate(real, fake, alpha):
    """Points on the segments between real and fake samples: alpha * real + (1 - alpha) * fake."""
    return alpha * real + (1 - alpha) * fake


def gradient_penalty(critic, real, fake, alpha, lambda_gp=10.0):
    """lambda_gp * mean over the batch of (||d critic(x_hat) / d x_hat||_2 - 1)^2, differentiable in the critic's parameters."""
    x_hat = interpolate(real, fake, alpha).detach().requires_grad_(True)
    scores = critic(x_hat)
    # create_graph keeps the gradient itself differentiable, so the penalty trains the critic.
    (grads,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grads.reshape(grads.shape[0], -1).norm(2, dim=1)
    return lambda_gp * (norms**2).mean()


def critic_loss(critic, real, fake, alpha, lambda_gp=10.0):
    """mean critic(fake) - mean critic(real) + gradient_penalty(...): the critic minimises this."""
    return critic(fake).mean() - critic(real).mean() + gradient_penalty(critic, real, fake, alpha, lambda_gp)


def generator_loss(critic, fake):
    """-mean critic(fake): the generator minimises this."""
    return -critic(fake).mean()
