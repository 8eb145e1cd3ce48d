"""Alternative: GAE as a discounted sum of TD errors, cut at episode ends; torch.where for the clip."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    steps = rewards.shape[0]
    next_values = torch.cat([values[1:], last_value[None]], dim=0)
    alive = 1.0 - dones
    deltas = rewards + gamma * next_values * alive - values
    advantages = torch.empty_like(rewards)
    for t in range(steps):
        total = torch.zeros_like(last_value)
        weight = torch.ones_like(last_value)
        for k in range(t, steps):
            total = total + weight * deltas[k]
            weight = weight * gamma * lam * alive[k]
        advantages[t] = total
    return advantages, advantages + values


def ppo_loss(new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps=0.2, vf_coef=0.5, ent_coef=0.01):
    normed = (advantages - advantages.mean()) / (torch.std(advantages, correction=1) + 1e-8)
    ratio = torch.exp(new_logp - old_logp)
    clipped = ratio.clamp(1 - clip_eps, 1 + clip_eps)
    surrogate = torch.where(ratio * normed < clipped * normed, ratio * normed, clipped * normed)
    policy_loss = -surrogate.mean()
    value_loss = (new_values - returns).pow(2).mean() / 2
    entropy_mean = entropy.mean()
    return policy_loss + vf_coef * value_loss - ent_coef * entropy_mean, policy_loss, value_loss, entropy_mean
