"""Alternative: torch.lerp for the path, F.mse_loss, times from torch.linspace."""

import torch
import torch.nn.functional as F


def flow_matching_loss(model, x1, x0=None, t=None):
    noise = torch.randn_like(x1) if x0 is None else x0
    times = torch.rand(x1.size(0), dtype=x1.dtype, device=x1.device) if t is None else t
    weight = times.view(-1, *([1] * (x1.dim() - 1)))
    x_t = torch.lerp(noise, x1, weight)
    return F.mse_loss(model(x_t, times), x1 - noise)


def euler_sample(model, x0, steps):
    with torch.no_grad():
        times = torch.linspace(0, 1, steps + 1, dtype=torch.float64)[:-1]
        x = x0
        h = 1.0 / steps
        for time in times.tolist():
            x = x + h * model(x, torch.full((x.shape[0],), time, dtype=x.dtype))
        return x
