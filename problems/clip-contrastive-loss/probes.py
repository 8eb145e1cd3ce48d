"""Probes: run inside the candidate's process, call the submission, return plain tensors.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves, in float64.
"""


def logits(sol, image_emb, text_emb, temperature):
    """clip_logits as returned."""
    return sol.clip_logits(image_emb, text_emb, temperature)


def loss(sol, image_emb, text_emb, temperature):
    """clip_loss as returned."""
    return sol.clip_loss(image_emb, text_emb, temperature)


def gradients(sol, image_emb, text_emb, temperature):
    """The loss and its gradients with respect to both embeddings and a tensor temperature."""
    image = image_emb.clone().requires_grad_(True)
    text = text_emb.clone().requires_grad_(True)
    tau = temperature.clone().requires_grad_(True)
    value = sol.clip_loss(image, text, tau)
    value.backward()
    return value.detach(), image.grad, text.grad, tau.grad
