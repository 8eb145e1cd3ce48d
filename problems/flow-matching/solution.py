"""Reference: the rectified-flow matching loss and the Euler sampler."""

import torch


def _expand(t, x):
    return t.reshape(-1, *([1] * (x.dim() - 1)))


def flow_matching_loss(model, x1, x0=None, t=None):
    """Mean squared error of model(x_t, t) against x1 - x0 on the straight path."""
    if x0 is None:
        x0 = torch.randn_like(x1)
    if t is None:
        t = torch.rand(x1.shape[0], dtype=x1.dtype)
    x_t = (1 - _expand(t, x1)) * x0 + _expand(t, x1) * x1
    return ((model(x_t, t) - (x1 - x0)) ** 2).mean()


@torch.no_grad()
def euler_sample(model, x0, steps):
    """Integrate dx/dt = model(x, t) from t = 0 to 1 with `steps` Euler steps."""
    x, dt = x0.clone(), 1.0 / steps
    for k in range(steps):
        t = torch.full((x.shape[0],), k * dt, dtype=x.dtype)
        x = x + dt * model(x, t)
    return x
