"""Mutant: the direction term is sqrt(1 - abar_prev) eps, not accounting for sigma."""

import math

import torch


def guided_eps(model, x, t, cond, null_cond, w):
    """eps_u + w (eps_c - eps_u), from one model call on the doubled batch."""
    b = x.shape[0]
    times = torch.full((2 * b,), int(t), dtype=torch.int64)
    eps = model(torch.cat([x, x]), times, torch.cat([cond, null_cond]))
    eps_c, eps_u = eps[:b], eps[b:]
    return eps_u + w * (eps_c - eps_u)


def ddim_step(x_t, eps, abar_t, abar_prev, eta, noise):
    """One DDIM update from alpha-bar abar_t to abar_prev."""
    x0 = (x_t - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
    sigma = eta * math.sqrt((1 - abar_prev) / (1 - abar_t)) * math.sqrt(1 - abar_t / abar_prev)
    return math.sqrt(abar_prev) * x0 + math.sqrt(1 - abar_prev) * eps + sigma * noise


def ddim_sample(model, x_T, alpha_bars, timesteps, cond, null_cond, w, eta, noises):
    """DDIM over the decreasing timesteps, ending at alpha-bar 1."""
    x = x_T
    for i, t in enumerate(timesteps):
        abar_t = float(alpha_bars[t])
        abar_prev = float(alpha_bars[timesteps[i + 1]]) if i + 1 < len(timesteps) else 1.0
        x = ddim_step(x, guided_eps(model, x, t, cond, null_cond, w), abar_t, abar_prev, eta, noises[i])
    return x
