"""Alternative: noise and times drawn with in-place samplers, explicit broadcasting with unsqueeze."""

import torch


def flow_matching_loss(model, x1, x0=None, t=None):
    batch = x1.shape[0]
    if x0 is None:
        x0 = torch.empty_like(x1).normal_()
    if t is None:
        t = torch.empty(batch, dtype=x1.dtype).uniform_(0, 1)
    tt = t
    while tt.dim() < x1.dim():
        tt = tt.unsqueeze(-1)
    x_t = x0 + tt * (x1 - x0)
    err = model(x_t, t) - (x1 - x0)
    return err.pow(2).sum() / err.numel()


@torch.inference_mode()
def euler_sample(model, x0, steps):
    x = x0.clone()
    for k in range(steps):
        t = torch.ones(x.shape[0], dtype=x.dtype) * (k / steps)
        x += model(x, t) / steps
    return x
