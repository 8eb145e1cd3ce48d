"""Mutant: the group std divides by G instead of G - 1."""

import torch


def group_advantages(rewards, group_size):
    """Each reward normalised within its group of group_size consecutive completions."""
    groups = rewards.view(-1, group_size)
    mean = groups.mean(dim=1, keepdim=True)
    std = groups.std(dim=1, keepdim=True, unbiased=False)
    return ((groups - mean) / (std + 1e-4)).view(-1)


def kl_k3(logp, ref_logp):
    """exp(ref - logp) - (ref - logp) - 1 per token."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1


def grpo_loss(logp, old_logp, ref_logp, advantages, mask, clip_eps=0.2, beta=0.04):
    """The clipped surrogate with a KL penalty, per-completion token mean, then batch mean."""
    ratio = torch.exp(logp - old_logp)
    a = advantages[:, None]
    surrogate = torch.min(ratio * a, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * a)
    per_token = -(surrogate - beta * kl_k3(logp, ref_logp))
    mask = mask.to(per_token.dtype)
    return ((per_token * mask).sum(dim=1) / mask.sum(dim=1)).mean()
