"""Alternative: guidance as a lerp of the two halves of one batched call; sigma under one square root."""

import math

import torch


def guided_eps(model, x, t, cond, null_cond, w):
    both = model(torch.cat((x, x), 0), torch.tensor([t] * (2 * len(x))), torch.cat((cond, null_cond), 0))
    eps_c, eps_u = both.chunk(2, dim=0)
    return torch.lerp(eps_u, eps_c, w)


def ddim_step(x_t, eps, abar_t, abar_prev, eta, noise):
    sigma = eta * math.sqrt((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev))
    pred_x0 = (x_t - (1 - abar_t) ** 0.5 * eps) / abar_t**0.5
    direction = (1 - abar_prev - sigma * sigma) ** 0.5 * eps
    return abar_prev**0.5 * pred_x0 + direction + sigma * noise


def ddim_sample(model, x_T, alpha_bars, timesteps, cond, null_cond, w, eta, noises):
    x = x_T
    prevs = list(timesteps[1:]) + [None]
    for i, (t, prev) in enumerate(zip(timesteps, prevs)):
        abar_prev = 1.0 if prev is None else alpha_bars[prev].item()
        x = ddim_step(x, guided_eps(model, x, t, cond, null_cond, w), alpha_bars[t].item(), abar_prev, eta, noises[i])
    return x
