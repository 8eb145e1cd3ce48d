"""Probes: run inside the candidate's process, call the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def logprobs(sol, logits, labels, mask):
    """sequence_logprobs as returned."""
    with torch.no_grad():
        return sol.sequence_logprobs(logits, labels, mask)


def loss(sol, pc, pr, rc, rr, beta, loss_type, label_smoothing):
    """dpo_loss as returned: [loss, chosen rewards, rejected rewards]."""
    with torch.no_grad():
        return list(sol.dpo_loss(pc, pr, rc, rr, beta=beta, loss_type=loss_type, label_smoothing=label_smoothing))


def gradients(sol, pc, pr, rc, rr, beta):
    """The loss, the gradients with respect to the four inputs, and whether the rewards carry a graph."""
    leaves = [t.clone().requires_grad_(True) for t in (pc, pr, rc, rr)]
    value, chosen, rejected = sol.dpo_loss(*leaves, beta=beta)
    value.backward()
    return {
        "loss": value.detach(),
        "grads": [leaf.grad for leaf in leaves],
        "rewards_with_graph": [chosen.requires_grad, rejected.requires_grad],
    }


def unknown_type(sol, pc, pr, rc, rr):
    """The exception dpo_loss raises for loss_type="hinge2" (its class name), or None."""
    try:
        sol.dpo_loss(pc, pr, rc, rr, loss_type="hinge2")
    except Exception as exc:  # the check wants ValueError
        return type(exc).__name__
    return None
