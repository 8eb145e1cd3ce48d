"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side.

The critic is built here from weights the check sends: a quadratic form of the flattened image,
critic(x) = x . w + 0.5 * x^T M x + b, whose input gradient w + 0.5 (M + M^T) x the trusted side
knows in closed form.
"""

import torch
from torch import nn


class QuadraticCritic(nn.Module):
    """critic(x) = flat(x) . w + 0.5 * flat(x)^T M flat(x) + b, one score per sample ([B] or [B, 1])."""

    def __init__(self, w, M, b, column):
        super().__init__()
        self.w = nn.Parameter(w.clone().float())
        self.M = nn.Parameter(M.clone().float())
        self.b = nn.Parameter(torch.tensor(float(b)))
        self.column = column

    def forward(self, x):
        """Scores for a batch of images of any shape [B, ...]."""
        flat = x.reshape(x.shape[0], -1)
        scores = flat @ self.w + 0.5 * ((flat @ self.M) * flat).sum(dim=1) + self.b
        return scores.unsqueeze(1) if self.column else scores


def _critic(spec):
    """The critic a check describes as {"w", "M", "b", "column"}."""
    return QuadraticCritic(spec["w"], spec["M"], spec["b"], bool(spec.get("column", False)))


def _penalty(sol, critic, real, fake, alpha, lambda_gp):
    """gradient_penalty with lambda_gp passed by keyword, or left to its default when None."""
    if lambda_gp is None:
        return sol.gradient_penalty(critic, real, fake, alpha)
    return sol.gradient_penalty(critic, real, fake, alpha, lambda_gp=lambda_gp)


def interpolate(sol, real, fake, alpha):
    """The submission's interpolation."""
    return sol.interpolate(real, fake, alpha)


def penalty(sol, spec, real, fake, alpha, lambda_gp):
    """The penalty for a critic built from spec."""
    return _penalty(sol, _critic(spec), real, fake, alpha, lambda_gp)


def penalty_gradients(sol, spec, real, fake, alpha, lambda_gp):
    """The penalty, then the gradients a backward pass through it leaves on the critic's parameters.

    Gradients are cleared first, as a training loop's zero_grad would. Returns the value, the names
    of parameters that already held a gradient right after the penalty was computed (before any
    backward), whether the penalty records a graph, and the gradients (None where none arrived).
    """
    critic = _critic(spec)
    critic.zero_grad(set_to_none=True)
    value = _penalty(sol, critic, real, fake, alpha, lambda_gp)
    touched = [name for name, p in critic.named_parameters() if p.grad is not None]
    differentiable = isinstance(value, torch.Tensor) and value.requires_grad
    grads = {"w": None, "M": None, "b": None}
    if differentiable:
        critic.zero_grad(set_to_none=True)
        value.backward()
        grads = {name: None if p.grad is None else p.grad.detach().clone() for name, p in critic.named_parameters()}
    return {"value": value, "touched": touched, "differentiable": differentiable, "grads": grads}


def critic_loss(sol, spec, real, fake, alpha, lambda_gp):
    """The submission's critic loss."""
    critic = _critic(spec)
    if lambda_gp is None:
        return sol.critic_loss(critic, real, fake, alpha)
    return sol.critic_loss(critic, real, fake, alpha, lambda_gp=lambda_gp)


def generator_loss(sol, spec, fake):
    """The submission's generator loss and its gradient with respect to the fake samples."""
    critic = _critic(spec)
    fake = fake.clone().requires_grad_(True)
    value = sol.generator_loss(critic, fake)
    grad = None
    if isinstance(value, torch.Tensor) and value.requires_grad:
        (grad,) = torch.autograd.grad(value, fake, allow_unused=True)
    return value, grad
