"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves. Base layers are built here from seeds and the weights the
check chose, so both sides know them.
"""

import torch
from torch import nn


def _base(in_features, out_features, bias, weight, bias_value):
    """An nn.Linear holding exactly the given weight (and bias)."""
    layer = nn.Linear(in_features, out_features, bias=bias)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias:
            layer.bias.copy_(bias_value)
    return layer


def _wrap(sol, weight, bias_value, rank, alpha, seed):
    """A LoRALinear around a fresh base with the given weights, its factors initialised under `seed`."""
    out_features, in_features = weight.shape
    base = _base(in_features, out_features, bias_value is not None, weight, bias_value)
    torch.manual_seed(seed)
    return base, sol.LoRALinear(base, rank, alpha)


def _set_factors(model, a, b):
    """Overwrite lora_A and lora_B in place, keeping them the same Parameters."""
    with torch.no_grad():
        model.lora_A.copy_(a)
        model.lora_B.copy_(b)


def describe(sol, weight, bias_value, rank, alpha, x):
    """Output, factor shapes and values, scaling, and whether the base layer is kept as model.base."""
    base, model = _wrap(sol, weight, bias_value, rank, alpha, seed=1)
    with torch.no_grad():
        out = model(x)
    return {
        "out": out,
        "lora_A": model.lora_A.detach().clone(),
        "lora_B": model.lora_B.detach().clone(),
        "scaling": float(model.scaling),
        "base_is_kept": model.base is base,
    }


def init_outputs(sol, weight, bias_value, rank, alpha, x, seeds):
    """For each init seed: the output at initialisation, lora_A and lora_B."""
    results = []
    for seed in seeds:
        _, model = _wrap(sol, weight, bias_value, rank, alpha, seed)
        with torch.no_grad():
            results.append([model(x), model.lora_A.detach().clone(), model.lora_B.detach().clone()])
    return results


def parameters(sol, weight, bias_value, rank, alpha):
    """requires_grad flags of the base's tensors, numel of trainable and of all parameters, and which ones train."""
    base, model = _wrap(sol, weight, bias_value, rank, alpha, seed=2)
    trainable = [p for p in model.parameters() if p.requires_grad]
    return {
        "base_weight_requires_grad": bool(base.weight.requires_grad),
        "base_bias_requires_grad": None if base.bias is None else bool(base.bias.requires_grad),
        "trainable_numel": sum(p.numel() for p in trainable),
        "total_numel": sum(p.numel() for p in model.parameters()),
        "trainable_are_factors": all(p is model.lora_A or p is model.lora_B for p in trainable),
        "factors_trainable": bool(model.lora_A.requires_grad and model.lora_B.requires_grad),
    }


def forward(sol, weight, bias_value, rank, alpha, a, b, x):
    """model(x) with lora_A = a and lora_B = b."""
    _, model = _wrap(sol, weight, bias_value, rank, alpha, seed=3)
    _set_factors(model, a, b)
    with torch.no_grad():
        return model(x)


def gradients(sol, weight, bias_value, rank, alpha, a, b, x, upstream):
    """Gradients of sum(model(x) * upstream) for lora_A, lora_B and the base's weight (None if frozen)."""
    base, model = _wrap(sol, weight, bias_value, rank, alpha, seed=4)
    _set_factors(model, a, b)
    (model(x) * upstream).sum().backward()
    return model.lora_A.grad, model.lora_B.grad, base.weight.grad


def optimizer_steps(sol, weight, bias_value, rank, alpha, x, target, steps, optimizer_name):
    """Steps of SGD or AdamW (weight decay on) over model.parameters(); base and factors before and after."""
    base, model = _wrap(sol, weight, bias_value, rank, alpha, seed=5)
    before = [t.detach().clone() for t in (base.weight, base.bias, model.lora_A, model.lora_B)]  # the check's base has a bias
    if optimizer_name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    for _ in range(steps):
        loss = ((model(x) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = [t.detach().clone() for t in (base.weight, base.bias, model.lora_A, model.lora_B)]
    return before, after


def merge(sol, weight, bias_value, rank, alpha, a, b, x):
    """Outputs before and after merge(), the merged layer's type, weight, bias and output, the base weight after."""
    base, model = _wrap(sol, weight, bias_value, rank, alpha, seed=6)
    _set_factors(model, a, b)
    with torch.no_grad():
        before = model(x)
        merged = model.merge()
        after = model(x)
        merged_out = merged(x) if isinstance(merged, nn.Module) else None
    return {
        "is_linear": isinstance(merged, nn.Linear),
        "weight": merged.weight.detach().clone() if isinstance(merged, nn.Linear) else None,
        "bias": merged.bias.detach().clone() if isinstance(merged, nn.Linear) and merged.bias is not None else None,
        "merged_out": merged_out,
        "before": before,
        "after": after,
        "base_weight_after": base.weight.detach().clone(),
    }


def train(sol, weight, bias_value, rank, alpha, x, target, steps, lr, seed):
    """Adam on the trainable parameters with MSE to `target`; the model's outputs on x before and after."""
    _, model = _wrap(sol, weight, bias_value, rank, alpha, seed)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    with torch.no_grad():
        before = model(x)
    for _ in range(steps):
        loss = ((model(x) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = model(x)
    return before, after
