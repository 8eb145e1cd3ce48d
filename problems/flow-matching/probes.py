"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing. The
velocity models are defined here from the check's matrices and record what they were called with.
"""

import torch
from torch import nn


class Field(nn.Module):
    """v(x, t) = A x + t b on the flattened non-batch dims; records each call's x and t."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b
        self.calls = []

    def forward(self, x, t):
        self.calls.append((x.detach().clone(), t.detach().clone()))
        flat = x.reshape(x.shape[0], -1)
        return (flat @ self.a.T + t.reshape(-1, 1) * self.b).reshape(x.shape)


def loss(sol, x1, x0, t, a, b):
    """flow_matching_loss with the given noise and times."""
    with torch.no_grad():
        return sol.flow_matching_loss(Field(a, b), x1, x0, t)


def loss_drawn(sol, x1, a, b, seed):
    """flow_matching_loss drawing its own noise and times (seeded): the loss, and the x_t and t the model saw."""
    torch.manual_seed(seed)
    field = Field(a, b)
    with torch.no_grad():
        value = sol.flow_matching_loss(field, x1)
    x_t, t = field.calls[0]
    return {"loss": value, "x_t": x_t, "t": t, "calls": len(field.calls)}


def sample(sol, x0, steps, a, b):
    """euler_sample: the result and the times of each model call."""
    field = Field(a, b)
    out = sol.euler_sample(field, x0, steps)
    return {"x": out, "ts": [t for _, t in field.calls]}


def shapes(sol, x1):
    """The loss's shape, the sample's shape, and the shapes of t the model received."""
    features = x1[0].numel()
    field = Field(torch.eye(features, dtype=x1.dtype) * 0.1, torch.zeros(features, dtype=x1.dtype))
    with torch.no_grad():
        value = sol.flow_matching_loss(field, x1)
    out = sol.euler_sample(field, torch.randn_like(x1), 3)
    return {"loss_shape": list(value.shape), "sample_shape": list(out.shape), "t_shapes": [list(t.shape) for _, t in field.calls]}


def gradients(sol, x1, x0, t, weight, bias):
    """The gradients of the loss with respect to a linear velocity model's weight and bias (t ignored)."""
    layer = nn.Linear(weight.shape[1], weight.shape[0]).double()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    value = sol.flow_matching_loss(lambda x, tt: layer(x), x1, x0, t)
    value.backward()
    return {"loss": value.detach(), "weight": layer.weight.grad, "bias": layer.bias.grad}
