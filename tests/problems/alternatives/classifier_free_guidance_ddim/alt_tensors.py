"""Alternative: alpha-bars kept as float64 tensors, the update written with torch.sqrt."""

import torch


def guided_eps(model, x, t, cond, null_cond, w):
    n = x.shape[0]
    out = model(
        x.repeat(2, *([1] * (x.dim() - 1))), torch.full((2 * n,), t, dtype=torch.long), torch.vstack([cond, null_cond])
    )
    conditional, unconditional = out[:n], out[n:]
    return (1 - w) * unconditional + w * conditional


def ddim_step(x_t, eps, abar_t, abar_prev, eta, noise):
    a_t = torch.tensor(abar_t, dtype=torch.float64)
    a_prev = torch.tensor(abar_prev, dtype=torch.float64)
    x0 = (x_t - torch.sqrt(1 - a_t) * eps) / torch.sqrt(a_t)
    sigma = eta * torch.sqrt((1 - a_prev) / (1 - a_t)) * torch.sqrt(1 - a_t / a_prev)
    return torch.sqrt(a_prev) * x0 + torch.sqrt(1 - a_prev - sigma**2) * eps + sigma * noise


def ddim_sample(model, x_T, alpha_bars, timesteps, cond, null_cond, w, eta, noises):
    x = x_T.clone()
    for i in range(len(timesteps)):
        t = timesteps[i]
        prev = alpha_bars[timesteps[i + 1]] if i + 1 < len(timesteps) else torch.tensor(1.0, dtype=torch.float64)
        eps = guided_eps(model, x, t, cond, null_cond, w)
        x = ddim_step(x, eps, float(alpha_bars[t]), float(prev), eta, noises[i])
    return x
