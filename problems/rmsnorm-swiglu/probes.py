"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves. Dtypes travel as names ("float16"), weights as tensors the
check chose.
"""

import torch
from torch import nn


def _norm(sol, dim, eps, weight, dtype):
    """An RMSNorm of `dim` (eps as given, or the default when None), moved to `dtype`, holding `weight`."""
    norm = sol.RMSNorm(dim) if eps is None else sol.RMSNorm(dim, eps=eps)
    norm = norm.to(getattr(torch, dtype))
    if weight is not None:
        with torch.no_grad():
            norm.weight.copy_(weight)
    return norm


def rmsnorm_describe(sol, dim, x):
    """RMSNorm(dim) on x as built, and its weight (type, shape, values)."""
    norm = sol.RMSNorm(dim)
    with torch.no_grad():
        out = norm(x)
    weight = getattr(norm, "weight", None)
    return {
        "out": out,
        "weight_is_parameter": isinstance(weight, nn.Parameter),
        "weight": weight.detach().clone() if isinstance(weight, torch.Tensor) else None,
    }


def rmsnorm(sol, x, weight, eps):
    """RMSNorm(x) with the given weight (and eps, None for the default), the module in x's dtype."""
    norm = _norm(sol, x.shape[-1], eps, weight.to(x.dtype), str(x.dtype).removeprefix("torch."))
    with torch.no_grad():
        return norm(x)


def rmsnorm_gradients(sol, x, weight, w):
    """The value and the gradients of sum(w * RMSNorm(x)) with respect to x and the weight."""
    norm = _norm(sol, x.shape[-1], None, weight, str(x.dtype).removeprefix("torch."))
    x = x.clone().requires_grad_(True)
    out = norm(x)
    (out * w).sum().backward()
    return out.detach(), x.grad, norm.weight.grad


def _swiglu(sol, gate, up, down):
    dim, hidden = gate.shape[1], gate.shape[0]
    block = sol.SwiGLU(dim, hidden).to(gate.dtype)
    with torch.no_grad():
        block.gate.weight.copy_(gate)
        block.up.weight.copy_(up)
        block.down.weight.copy_(down)
    return block


def swiglu_describe(sol, dim, hidden, x):
    """SwiGLU(dim, hidden) on x as built, and what its three layers are."""
    block = sol.SwiGLU(dim, hidden)
    with torch.no_grad():
        out = block(x)
    layers = {}
    for name in ("gate", "up", "down"):
        layer = getattr(block, name, None)
        layers[name] = {
            "is_linear": isinstance(layer, nn.Linear),
            "weight_shape": list(layer.weight.shape) if isinstance(layer, nn.Linear) else None,
            "has_bias": isinstance(layer, nn.Linear) and layer.bias is not None,
        }
    return {"out": out, "layers": layers}


def swiglu(sol, gate, up, down, x):
    """SwiGLU(x) with the given weights."""
    block = _swiglu(sol, gate, up, down)
    with torch.no_grad():
        return block(x)


def swiglu_gradients(sol, gate, up, down, x, w):
    """The value and the gradients of sum(w * SwiGLU(x)) with respect to x, gate, up and down."""
    block = _swiglu(sol, gate, up, down)
    x = x.clone().requires_grad_(True)
    out = block(x)
    (out * w).sum().backward()
    return out.detach(), x.grad, block.gate.weight.grad, block.up.weight.grad, block.down.weight.grad


def hidden_dims(sol, cases):
    """swiglu_hidden_dim for each (dim, multiple_of, multiplier) case."""
    return [sol.swiglu_hidden_dim(dim, multiple_of, multiplier) for dim, multiple_of, multiplier in cases]
