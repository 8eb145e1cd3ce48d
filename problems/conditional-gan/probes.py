"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side.

The generator-training probe scores G's images with a fixed "teacher" built here from class
templates the check sends: teacher(x, y) = scale * (margin - mean over pixels of (x - template_y)^2),
a logit that is high when an image looks like its label's template. The trusted side only sees the
images G produces before and after training and judges them itself.
"""

import copy
import numbers

import torch


def _hold_mode(*models):
    """Eval mode, with later .train()/.eval() calls made no-ops (dropout off, batch norm per-sample)."""
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
    if isinstance(value, torch.Tensor) or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    return f"<{type(value).__name__}>"


def _losses(result):
    """The d_loss and g_loss entries of train_step's result, or a description of what came back."""
    if not isinstance(result, dict):
        return f"<{type(result).__name__}>"
    return {key: _plain_number(result[key]) for key in ("d_loss", "g_loss") if key in result}


def shapes(sol, latent_dim, num_classes, z, labels, images):
    """G(z, labels) and D(images, labels) of fresh models in eval mode."""
    G = sol.Generator(latent_dim=latent_dim, num_classes=num_classes)
    D = sol.Discriminator(num_classes=num_classes)
    G.eval()
    D.eval()
    with torch.no_grad():
        return G(z, labels), D(images, labels)


def generator_outputs(sol, latent_dim, num_classes, z, labels, scale):
    """Eval mode: G(z, labels), G(scale * z, labels), and G(z, labels) with the last weighted module's parameters x 100."""
    G = sol.Generator(latent_dim=latent_dim, num_classes=num_classes)
    G.eval()
    with torch.no_grad():
        plain = G(z, labels)
        again = G(z, labels)
        large = G(z * scale, labels)
        last = _last_weighted(G)
        for p in last.parameters() if last is not None else ():
            p.mul_(100.0)
        boosted = G(z, labels)
    return plain, again, large, boosted


def discriminator_outputs(sol, num_classes, images, labels, factors):
    """Eval mode: D(images, labels) with the last weighted module's parameters multiplied by each factor in turn."""
    D = sol.Discriminator(num_classes=num_classes)
    D.eval()
    last = _last_weighted(D)
    saved = [p.detach().clone() for p in last.parameters()] if last is not None else []
    outputs = []
    with torch.no_grad():
        for factor in factors:
            for p, original in zip(last.parameters() if last is not None else (), saved):
                p.copy_(original * factor)
            outputs.append(D(images, labels))
    return outputs


def losses(sol, real_logits, fake_logits):
    """The submission's two losses on given logits."""
    return sol.discriminator_loss(real_logits, fake_logits), sol.generator_loss(fake_logits)


def train_steps(sol, latent_dim, num_classes, reals, labels, zs, lr):
    """Consecutive SGD train_steps on models held in eval mode; per step, the logits the references need.

    For each step: the returned losses; D's logits before the step on (real, labels) and on
    (G(z, labels), labels) with G before the step; and D's logits after the step on that same fake.
    """
    G = sol.Generator(latent_dim=latent_dim, num_classes=num_classes)
    D = sol.Discriminator(num_classes=num_classes)
    _hold_mode(G, D)
    opt_g = torch.optim.SGD(G.parameters(), lr=lr)
    opt_d = torch.optim.SGD(D.parameters(), lr=lr)
    records = []
    for real, y, z in zip(reals, labels, zs):
        G_before, D_before = copy.deepcopy(G), copy.deepcopy(D)
        result = sol.train_step(G, D, opt_g, opt_d, real, y, z)
        with torch.no_grad():
            fake = G_before(z, y)
            records.append({
                "losses": _losses(result),
                "real_logits": D_before(real, y),
                "fake_logits": D_before(fake, y),
                "fake_logits_after": D(fake, y),
            })
    return records


def train_generator_with_teacher(sol, latent_dim, templates, labels, z, steps, lr, scale, margin):
    """Train G alone for `steps` Adam steps on generator_loss(teacher(G(z, labels), labels)).

    Returns G's images for (z, labels) in eval mode before and after training.
    """
    num_classes = templates.shape[0]
    G = sol.Generator(latent_dim=latent_dim, num_classes=num_classes)
    optimizer = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    target = templates[labels]

    def images():
        G.eval()
        with torch.no_grad():
            out = G(z, labels)
        G.train()
        return out

    before = images()
    for _ in range(steps):
        fake = G(z, labels)
        logits = scale * (margin - ((fake - target) ** 2).flatten(1).mean(1))
        loss = sol.generator_loss(logits)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return before, images()


def train_discriminator_on_labels(sol, num_classes, images, labels, wrong_labels, steps, lr):
    """Train D alone for `steps` Adam steps with discriminator_loss(D(x, y), D(x, y_wrong)).

    Returns D's logits (eval mode) on (x, y) and (x, y_wrong) before and after training.
    """
    D = sol.Discriminator(num_classes=num_classes)
    optimizer = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))

    def logits():
        D.eval()
        with torch.no_grad():
            out = D(images, labels), D(images, wrong_labels)
        D.train()
        return out

    before = logits()
    for _ in range(steps):
        loss = sol.discriminator_loss(D(images, labels), D(images, wrong_labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return before, logits()
