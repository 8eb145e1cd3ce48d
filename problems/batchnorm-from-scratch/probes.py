"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
module is moved to float64 and given the weights the check chose.
"""

import torch


def _module(sol, channels, momentum, weight, bias):
    bn = sol.BatchNorm(channels, momentum=momentum).to(torch.float64)
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    return bn


def describe(sol, x):
    """A fresh BatchNorm on x (training mode): output and the initial parameters and buffers."""
    bn = sol.BatchNorm(x.shape[1])
    initial = {name: getattr(bn, name).detach().clone() for name in ("weight", "bias", "running_mean", "running_var")}
    with torch.no_grad():
        out = bn(x)
    return {"out": out, **initial}


def train_steps(sol, batches, momentum, weight, bias):
    """Training-mode outputs of each batch, and the running buffers after each."""
    bn = _module(sol, batches[0].shape[1], momentum, weight, bias)
    bn.train()
    outputs, means, variances = [], [], []
    with torch.no_grad():
        for x in batches:
            outputs.append(bn(x))
            means.append(bn.running_mean.detach().clone())
            variances.append(bn.running_var.detach().clone())
    return {"outputs": outputs, "running_mean": means, "running_var": variances}


def train_then_eval(sol, batches, momentum, weight, bias, x_eval):
    """Train on the batches, then eval on x_eval: its output and the buffers before and after."""
    bn = _module(sol, batches[0].shape[1], momentum, weight, bias)
    bn.train()
    with torch.no_grad():
        for x in batches:
            bn(x)
        before = (bn.running_mean.detach().clone(), bn.running_var.detach().clone())
        bn.eval()
        out = bn(x_eval)
    return {"out": out, "before": list(before), "after": [bn.running_mean.detach().clone(), bn.running_var.detach().clone()]}


def gradients(sol, x, weight, bias, w):
    """Training-mode output and the gradients of sum(w * y) with respect to x, weight and bias."""
    bn = _module(sol, x.shape[1], 0.1, weight, bias)
    bn.train()
    x = x.clone().requires_grad_(True)
    y = bn(x)
    (w * y).sum().backward()
    return y.detach(), x.grad, bn.weight.grad, bn.bias.grad


def buffers(sol, x):
    """Where the running statistics live and whether they carry gradient history."""
    bn = sol.BatchNorm(x.shape[1])
    keys = sorted(bn.state_dict().keys())
    bn = bn.to(torch.float64)
    dtypes = [str(bn.running_mean.dtype), str(bn.running_var.dtype)]
    xr = x.clone().requires_grad_(True)
    for _ in range(2):
        bn.train()
        bn(xr).pow(2).sum().backward()
    history = [bn.running_mean.requires_grad, bn.running_var.requires_grad, bn.running_mean.grad_fn is not None, bn.running_var.grad_fn is not None]
    bn.eval()
    error = None
    try:
        bn(xr).sum().backward()
    except RuntimeError as exc:
        error = str(exc)[:200]
    return {"keys": keys, "dtypes": dtypes, "history": history, "eval_backward_error": error}
