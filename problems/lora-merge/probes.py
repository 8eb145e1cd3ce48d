"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; base layers
and adapter weights are the check's. `adapters` is a list of [name, rank, alpha, lora_A, lora_B].
"""

import torch
from torch import nn


def layer(sol, weight, bias, adapters):
    base = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None).double()
    with torch.no_grad():
        base.weight.copy_(weight)
        if bias is not None:
            base.bias.copy_(bias)
    lora = sol.MultiLoRALinear(base)
    for name, rank, alpha, a, b in adapters:
        lora.add_adapter(name, rank, alpha)
        with torch.no_grad():
            lora.adapters[name].lora_A.copy_(a)
            lora.adapters[name].lora_B.copy_(b)
    return lora


def describe(sol, weight, bias, adapters, x):
    """Adapter parameter shapes, and the output with the first adapter active."""
    lora = layer(sol, weight, bias, adapters)
    lora.set_active(adapters[0][0])
    with torch.no_grad():
        out = lora(x)
    return {
        "shapes": {name: [list(lora.adapters[name].lora_A.shape), list(lora.adapters[name].lora_B.shape)] for name, *_ in adapters},
        "out": out,
    }


def outputs(sol, weight, bias, adapters, actives, x):
    """The output with each adapter of `actives` (None: none) active in turn."""
    lora = layer(sol, weight, bias, adapters)
    found = []
    with torch.no_grad():
        for name in actives:
            lora.set_active(name)
            found.append(lora(x))
    return found


def merging(sol, weight, bias, adapters, x):
    """Outputs and base weights through merge, merge again, unmerge, and a switch while merged."""
    lora = layer(sol, weight, bias, adapters)
    first, second = adapters[0][0], adapters[1][0]
    with torch.no_grad():
        lora.set_active(first)
        unmerged = lora(x)
        lora.merge()
        merged = lora(x)
        lora.merge()
        merged_twice_weight = lora.base.weight.detach().clone()
        merged_twice = lora(x)
        lora.unmerge()
        restored_weight = lora.base.weight.detach().clone()
        lora.unmerge()
        unmerged_twice_weight = lora.base.weight.detach().clone()
        lora.merge()
        lora.set_active(second)
        switched = lora(x)
        switched_weight = lora.base.weight.detach().clone()
    return {
        "unmerged": unmerged, "merged": merged, "merged_twice": merged_twice, "merged_twice_weight": merged_twice_weight,
        "restored_weight": restored_weight, "unmerged_twice_weight": unmerged_twice_weight,
        "switched": switched, "switched_weight": switched_weight,
    }


def gradients(sol, weight, bias, adapters, x):
    """requires_grad of the base, and which parameters get gradients from sum(w * out) with the first adapter active."""
    lora = layer(sol, weight, bias, adapters)
    lora.set_active(adapters[0][0])
    out = lora(x)
    (out * torch.linspace(-1, 1, out.shape[-1], dtype=out.dtype)).sum().backward()
    return {
        "base_requires_grad": [p.requires_grad for p in lora.base.parameters()],
        "base_grads": [p.grad is not None for p in lora.base.parameters()],
        "grads": {name: [lora.adapters[name].lora_A.grad, lora.adapters[name].lora_B.grad] for name, *_ in adapters},
    }


def unload(sol, layers, x):
    """A model with adapted layers at two depths (each [weight, bias, adapters, active]): its output before and
    after merge_and_unload, and the types of its linear layers afterwards."""
    first, second, third = (layer(sol, w, b, ad) for w, b, ad, _ in layers)
    for lora, (_, _, _, active) in zip((first, second, third), layers):
        lora.set_active(active)
    model = nn.Sequential(first, nn.Tanh(), nn.Sequential(second, nn.ReLU(), third))
    with torch.no_grad():
        before = model(x)
        model = sol.merge_and_unload(model)
        after = model(x)
    kinds = [type(m).__name__ for m in model.modules() if not isinstance(m, (nn.Sequential, nn.Tanh, nn.ReLU))]
    return {"before": before, "after": after, "kinds": kinds}
