"""Alternative: TRL's style: group statistics repeated back per completion; the KL through expm1."""

import torch


def group_advantages(rewards, group_size):
    grouped = rewards.view(-1, group_size)
    mean = grouped.mean(dim=1).repeat_interleave(group_size)
    std = grouped.std(dim=1).repeat_interleave(group_size)
    return (rewards - mean) / (std + 1e-4)


def kl_k3(logp, ref_logp):
    d = ref_logp - logp
    return torch.expm1(d) - d


def grpo_loss(logp, old_logp, ref_logp, advantages, mask, clip_eps=0.2, beta=0.04):
    coef_1 = torch.exp(logp - old_logp)
    coef_2 = torch.clamp(coef_1, 1 - clip_eps, 1 + clip_eps)
    per_token_loss1 = coef_1 * advantages.unsqueeze(1)
    per_token_loss2 = coef_2 * advantages.unsqueeze(1)
    per_token_loss = -torch.min(per_token_loss1, per_token_loss2)
    per_token_loss = per_token_loss + beta * kl_k3(logp, ref_logp)
    return ((per_token_loss * mask).sum(dim=1) / mask.sum(dim=1)).mean()
