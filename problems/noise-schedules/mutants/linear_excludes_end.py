"""Mutant: the linear schedule stops one step short of beta_end."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    """T betas evenly spaced from beta_start to beta_end."""
    return torch.arange(T, dtype=torch.float64) * (beta_end - beta_start) / T + beta_start


def _betas_from_alpha_bar(abar, max_beta):
    return (1 - abar[1:] / abar[:-1]).clamp(max=max_beta)


def cosine_betas(T, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal's cosine schedule."""
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    return _betas_from_alpha_bar(f / f[0], max_beta)


def sigmoid_betas(T, start=-3.0, end=3.0, tau=1.0, max_beta=0.999):
    """The sigmoid schedule, abar running from 1 to 0."""
    t = torch.arange(T + 1, dtype=torch.float64) / T
    v_start = torch.sigmoid(torch.tensor(start / tau, dtype=torch.float64))
    v_end = torch.sigmoid(torch.tensor(end / tau, dtype=torch.float64))
    abar = (v_end - torch.sigmoid((t * (end - start) + start) / tau)) / (v_end - v_start)
    return _betas_from_alpha_bar(abar, max_beta)


def alpha_bar(betas):
    """The cumulative product of 1 - beta."""
    return torch.cumprod(1 - betas, dim=0)


def snr(alpha_bar):
    """Signal-to-noise ratio alpha_bar / (1 - alpha_bar)."""
    return alpha_bar / (1 - alpha_bar)


def _per_sample(alpha_bar_t, x):
    return alpha_bar_t.reshape(-1, *([1] * (x.dim() - 1)))


def v_from_eps(x0, eps, alpha_bar_t):
    """v = sqrt(abar) eps - sqrt(1 - abar) x0."""
    a = _per_sample(alpha_bar_t, x0)
    return a.sqrt() * eps - (1 - a).sqrt() * x0


def x0_from_v(x_t, v, alpha_bar_t):
    """x0 = sqrt(abar) x_t - sqrt(1 - abar) v."""
    a = _per_sample(alpha_bar_t, x_t)
    return a.sqrt() * x_t - (1 - a).sqrt() * v


def eps_from_v(x_t, v, alpha_bar_t):
    """eps = sqrt(1 - abar) x_t + sqrt(abar) v."""
    a = _per_sample(alpha_bar_t, x_t)
    return (1 - a).sqrt() * x_t + a.sqrt() * v
