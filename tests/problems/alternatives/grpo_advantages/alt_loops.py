"""Alternative: one group and one completion at a time."""

import torch


def group_advantages(rewards, group_size):
    out = []
    for start in range(0, rewards.numel(), group_size):
        group = rewards[start : start + group_size]
        mu = group.sum() / group_size
        sd = torch.sqrt(((group - mu) ** 2).sum() / (group_size - 1))
        out.append((group - mu) / (sd + 1e-4))
    return torch.cat(out)


def kl_k3(logp, ref_logp):
    ratio = torch.exp(ref_logp - logp)
    return ratio - torch.log(ratio) - 1


def grpo_loss(logp, old_logp, ref_logp, advantages, mask, clip_eps=0.2, beta=0.04):
    losses = []
    for i in range(logp.shape[0]):
        keep = mask[i].bool()
        lp, old, ref = logp[i][keep], old_logp[i][keep], ref_logp[i][keep]
        ratio = (lp - old).exp()
        a = advantages[i]
        surrogate = torch.minimum(ratio * a, ratio.clamp(1 - clip_eps, 1 + clip_eps) * a)
        losses.append((-(surrogate - beta * kl_k3(lp, ref))).mean())
    return torch.stack(losses).mean()
