"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing: s_net and
t_net are built here from the check's weights.
"""

import torch
from torch import nn


def nets(weights):
    """s_net (Linear, Tanh, Linear, Tanh) and t_net (Linear, Tanh, Linear) in float64 holding `weights`."""
    d, h = weights["s1"].shape[1], weights["s1"].shape[0]
    s_net = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, d), nn.Tanh()).double()
    t_net = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, d)).double()
    with torch.no_grad():
        for net, prefix in ((s_net, "s"), (t_net, "t")):
            linears = [m for m in net if isinstance(m, nn.Linear)]
            for k, layer in enumerate(linears, start=1):
                layer.weight.copy_(weights[f"{prefix}{k}"])
                layer.bias.copy_(weights[f"{prefix}{k}b"])
    return s_net, t_net


def layer_of(sol, mask, weights):
    s_net, t_net = nets(weights)
    return sol.AffineCoupling(mask, s_net, t_net)


def forward(sol, mask, weights, x):
    """forward(x): [y, log_det]."""
    layer = layer_of(sol, mask, weights)
    with torch.no_grad():
        return list(layer(x))


def forward_one(sol, mask, weights, x):
    """forward on one example [D] (as a batch of one) with gradients: y [D] and log_det, for a Jacobian."""
    layer = layer_of(sol, mask, weights)
    return torch.autograd.functional.jacobian(lambda v: layer(v[None])[0][0], x), layer(x[None])[1][0].detach()


def inverse(sol, mask, weights, y):
    """inverse(y)."""
    layer = layer_of(sol, mask, weights)
    with torch.no_grad():
        return layer.inverse(y)


def round_trip(sol, mask, weights, x):
    """inverse(forward(x)[0])."""
    layer = layer_of(sol, mask, weights)
    with torch.no_grad():
        return layer.inverse(layer(x)[0])


def log_prob(sol, masks, weights_list, x):
    """flow_log_prob through couplings built from each (mask, weights)."""
    layers = [layer_of(sol, m, w) for m, w in zip(masks, weights_list)]
    with torch.no_grad():
        return sol.flow_log_prob(layers, x)


def flow_jacobian(sol, masks, weights_list, x):
    """z = the flow's output on one example [D], and the Jacobian dz/dx [D, D] by autograd."""
    layers = [layer_of(sol, m, w) for m, w in zip(masks, weights_list)]

    def run(v):
        z = v[None]
        for layer in layers:
            z, _ = layer(z)
        return z[0]

    return run(x).detach(), torch.autograd.functional.jacobian(run, x)
