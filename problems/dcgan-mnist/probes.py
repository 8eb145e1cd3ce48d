"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side.

The trusted side cannot run the candidate's modules, so the train_step probes return, besides the
logits the references need, inner products of gradients of those logits with respect to the
candidate's own parameters (computed here with autograd on the candidate's modules, evaluated at the
parameters saved before the step). With them the checks rebuild `-lr * gradient of the reference
loss` and measure its distance to the observed update without shipping whole parameter vectors.
"""

import numbers

import torch
from torch.func import functional_call


def _hold_mode(*models):
    """Put the models in eval mode and make later .train()/.eval() calls on them no-ops.

    Exact and reproducible checks need dropout off and batch norm batch-independent; the statement
    says train_step runs in the mode it finds, and this keeps a submission that calls .train() inside
    train_step from being marked down for it.
    """
    for model in models:
        model.eval()
        for module in model.modules():
            module.train = lambda mode=True, _m=module: _m
    return models


def _last_weighted(model):
    """The last module, in model.modules() order, that has a tensor attribute `weight`."""
    last = None
    for module in model.modules():
        if isinstance(getattr(module, "weight", None), torch.Tensor):
            last = module
    return last


def _plain_number(value):
    """Pass tensors and numbers through (numpy scalars become floats); describe anything else by its type."""
    if isinstance(value, (torch.Tensor, bool)):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    return f"<{type(value).__name__}>"


def _losses(result):
    """The d_loss and g_loss entries of train_step's result, or a description of what came back."""
    if not isinstance(result, dict):
        return f"<{type(result).__name__}>"
    return {key: _plain_number(result[key]) for key in ("d_loss", "g_loss") if key in result}


def _snapshot(model):
    """Detached copies of all parameters and buffers, by name."""
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    return params, buffers


def _gradient_products(outputs, params, deltas):
    """Gram matrix of the rows d outputs[k] / d params, the rows dotted with `deltas`, |deltas|^2 and |params|^2.

    All products are accumulated in float64, parameter tensor by parameter tensor. |params|^2 lets the
    check allow for float32 rounding of the updated parameters.
    """
    names = list(params)
    tensors = [params[name] for name in names]
    rows = []
    for k in range(outputs.shape[0]):
        grads = torch.autograd.grad(outputs[k], tensors, retain_graph=True, allow_unused=True)
        rows.append([torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors)])
    n = len(rows)
    gram = torch.zeros(n, n, dtype=torch.float64)
    jdelta = torch.zeros(n, dtype=torch.float64)
    delta_sq = torch.zeros((), dtype=torch.float64)
    param_sq = torch.zeros((), dtype=torch.float64)
    for index, name in enumerate(names):
        block = torch.stack([row[index].reshape(-1) for row in rows]).double()
        delta = deltas[name].reshape(-1).double()
        gram += block @ block.T
        jdelta += block @ delta
        delta_sq += delta @ delta
        param_sq += params[name].detach().double().pow(2).sum()
    return gram, jdelta, delta_sq, param_sq


def _with_grad(params):
    """Fresh leaf copies of the saved parameters that record gradients."""
    return {name: p.clone().requires_grad_(True) for name, p in params.items()}


def shapes(sol, latent_dim, z, images):
    """Generator output on z and discriminator output on images, both in eval mode."""
    G = sol.Generator(latent_dim=latent_dim)
    D = sol.Discriminator()
    G.eval()
    D.eval()
    with torch.no_grad():
        return G(z), D(images)


def generator_outputs(sol, latent_dim, z, scale):
    """G(z) in eval mode, then G(scale * z), then G(z) after the last weighted module's parameters are multiplied by 100."""
    G = sol.Generator(latent_dim=latent_dim)
    G.eval()
    with torch.no_grad():
        plain = G(z)
        large = G(z * scale)
        last = _last_weighted(G)
        for p in last.parameters() if last is not None else ():
            p.mul_(100.0)
        boosted = G(z)
    return plain, large, boosted


def discriminator_outputs(sol, images, factors):
    """D(images) in eval mode with the last weighted module's parameters multiplied by each factor in turn."""
    D = sol.Discriminator()
    D.eval()
    last = _last_weighted(D)
    saved = [p.detach().clone() for p in last.parameters()] if last is not None else []
    outputs = []
    with torch.no_grad():
        for factor in factors:
            for p, original in zip(last.parameters() if last is not None else (), saved):
                p.copy_(original * factor)
            outputs.append(D(images))
    return outputs


def discriminator_loss(sol, real_logits, fake_logits):
    """The submission's discriminator loss on given logits."""
    return sol.discriminator_loss(real_logits, fake_logits)


def generator_loss(sol, fake_logits):
    """The submission's generator loss on given logits."""
    return sol.generator_loss(fake_logits)


def train_steps(sol, latent_dim, reals, zs, lr_d, lr_g, products):
    """Consecutive train_steps with plain SGD, models held in eval mode; per step, what the references need.

    For each step: the returned losses; D's logits before its update on real and on G(z) (G before the
    step); and D's logits after the step on that same G(z). `products` names the gradient products to
    compute (see _gradient_products), as "d<step>" or "g<step>" with steps counted from 1: for D, rows
    d logit / d theta_D at the parameters before the step, over the real logits then the fake ones;
    for G, rows d D_after(G(z)) / d theta_G at G's parameters before the step.
    """
    G = sol.Generator(latent_dim=latent_dim)
    D = sol.Discriminator()
    _hold_mode(G, D)
    opt_g = torch.optim.SGD(G.parameters(), lr=lr_g)
    opt_d = torch.optim.SGD(D.parameters(), lr=lr_d)
    records = []
    for step, (real, z) in enumerate(zip(reals, zs), start=1):
        g_params, g_buffers = _snapshot(G)
        d_params, d_buffers = _snapshot(D)
        result = sol.train_step(G, D, opt_g, opt_d, real, z)
        g_deltas = {name: p.detach() - g_params[name] for name, p in G.named_parameters()}
        d_deltas = {name: p.detach() - d_params[name] for name, p in D.named_parameters()}

        with torch.no_grad():
            fake = functional_call(G, {**g_params, **g_buffers}, (z,))
        d_leaves = _with_grad(d_params)
        logits_before = torch.cat([
            functional_call(D, {**d_leaves, **d_buffers}, (real,)).reshape(-1),
            functional_call(D, {**d_leaves, **d_buffers}, (fake,)).reshape(-1),
        ])
        g_leaves = _with_grad(g_params)
        logits_after = D(functional_call(G, {**g_leaves, **g_buffers}, (z,))).reshape(-1)

        batch = real.shape[0]
        record = {
            "losses": _losses(result),
            "real_logits": logits_before[:batch].detach(),
            "fake_logits": logits_before[batch:].detach(),
            "fake_logits_after": logits_after.detach(),
        }
        if f"d{step}" in products:
            record["d_gram"], record["d_jdelta"], record["d_delta_sq"], record["d_param_sq"] = _gradient_products(logits_before, d_leaves, d_deltas)
        if f"g{step}" in products:
            record["g_gram"], record["g_jdelta"], record["g_delta_sq"], record["g_param_sq"] = _gradient_products(logits_after, g_leaves, g_deltas)
        records.append(record)
    return records


def train_phases(sol, latent_dim, real, z, d_steps, g_steps, lr_d, lr_g):
    """Train D alone, then G alone, on a fixed batch; D's logits on real and on G(z) at each stage.

    Both models are held in eval mode. Phase 1: `d_steps` train_steps with Adam(lr_d) for D and SGD
    with lr 0 for G (G frozen). Phase 2: `g_steps` train_steps with SGD lr 0 for D (D frozen) and
    Adam(lr_g) for G. Returns {"stages": [(D(real), D(G(z))) at the start, after phase 1, after phase 2],
    "losses": train_step's d_loss and g_loss at each step, for the result page's plot}.
    """
    G = sol.Generator(latent_dim=latent_dim)
    D = sol.Discriminator()
    _hold_mode(G, D)

    def logits():
        with torch.no_grad():
            return D(real), D(G(z))

    stages = [logits()]
    losses = []
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
    opt_g = torch.optim.SGD(G.parameters(), lr=0.0)
    for _ in range(d_steps):
        losses.append(_losses(sol.train_step(G, D, opt_g, opt_d, real, z)))
    stages.append(logits())
    opt_d = torch.optim.SGD(D.parameters(), lr=0.0)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
    for _ in range(g_steps):
        losses.append(_losses(sol.train_step(G, D, opt_g, opt_d, real, z)))
    stages.append(logits())
    return {"stages": stages, "losses": losses}


def samples(sol, latent_dim, z, seeds):
    """For each seed: torch.manual_seed(seed), build a Generator, return G(z) twice, in eval mode."""
    outputs = []
    for seed in seeds:
        torch.manual_seed(seed)
        G = sol.Generator(latent_dim=latent_dim)
        G.eval()
        with torch.no_grad():
            outputs.append([G(z), G(z)])
    return outputs
