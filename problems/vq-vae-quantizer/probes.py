"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing;
the checks compute every reference (in float64) on the trusted side. The check sends the codebook:
the probe copies it into `quantizer.codebook.weight`.
"""

import torch


def _quantizer(sol, weight, beta):
    """VectorQuantizer(K, D[, beta]) with its codebook set to `weight` [K, D]."""
    k, d = weight.shape
    vq = sol.VectorQuantizer(k, d) if beta is None else sol.VectorQuantizer(k, d, beta=beta)
    with torch.no_grad():
        vq.codebook.weight.copy_(weight)
    return vq


def _describe(value):
    """Tensors pass; anything else is described by its type name."""
    return value if isinstance(value, torch.Tensor) else f"<{type(value).__name__}>"


def forward(sol, weight, beta, z_e):
    """The four outputs of forward, plus the codebook weight's shape as the module holds it."""
    vq = _quantizer(sol, weight, beta)
    outputs = vq(z_e)
    if not isinstance(outputs, (tuple, list)):
        return {"outputs": _describe(outputs), "codebook_shape": list(vq.codebook.weight.shape)}
    return {"outputs": [_describe(o) for o in outputs], "codebook_shape": list(vq.codebook.weight.shape)}


def gradients(sol, weight, beta, z_e, upstream, which):
    """Gradients with respect to z_e and to the codebook of one quantity.

    which: "z_q" (the scalar sum(z_q * upstream)), "codebook_loss" or "commitment_loss".
    None means no gradient arrived.
    """
    vq = _quantizer(sol, weight, beta)
    z_e = z_e.clone().requires_grad_(True)
    z_q, codebook_loss, commitment_loss, _ = vq(z_e)
    target = {"z_q": lambda: (z_q * upstream).sum(), "codebook_loss": lambda: codebook_loss, "commitment_loss": lambda: commitment_loss}[which]()
    if not target.requires_grad:
        return {"z_e": None, "codebook": None}
    grad_z, grad_w = torch.autograd.grad(target, [z_e, vq.codebook.weight], allow_unused=True)
    return {"z_e": grad_z, "codebook": grad_w}
