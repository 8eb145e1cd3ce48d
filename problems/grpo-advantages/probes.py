"""Probes: run inside the candidate's process, call the submission, return what it returns.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def advantages(sol, rewards, group_size):
    """group_advantages as returned."""
    return sol.group_advantages(rewards, group_size)


def kl(sol, logp, ref_logp):
    """kl_k3 as returned."""
    return sol.kl_k3(logp, ref_logp)


def loss(sol, logp, old_logp, ref_logp, advantages, mask, clip_eps, beta):
    """grpo_loss as returned."""
    with torch.no_grad():
        return sol.grpo_loss(logp, old_logp, ref_logp, advantages, mask, clip_eps=clip_eps, beta=beta)


def gradient(sol, logp, old_logp, ref_logp, advantages, mask):
    """The gradient of grpo_loss with respect to logp."""
    leaf = logp.clone().requires_grad_(True)
    sol.grpo_loss(leaf, old_logp, ref_logp, advantages, mask).backward()
    return leaf.grad
