"""Mutant: the next value is bootstrapped across an episode end."""

import torch


@torch.no_grad()
def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    """Advantages and returns of a [T, N] rollout, bootstrapped from last_value."""
    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    next_advantage = torch.zeros_like(last_value)
    next_value = last_value
    for t in reversed(range(steps)):
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value - values[t]
        next_advantage = delta + gamma * lam * nonterminal * next_advantage
        advantages[t] = next_advantage
        next_value = values[t]
    return advantages, advantages + values


def ppo_loss(new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps=0.2, vf_coef=0.5, ent_coef=0.01):
    """(total, policy loss, value loss, mean entropy)."""
    ratio = torch.exp(new_logp - old_logp)
    adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * adv
    policy_loss = -torch.min(unclipped, clipped).mean()
    value_loss = 0.5 * ((new_values - returns) ** 2).mean()
    entropy_mean = entropy.mean()
    total = policy_loss + vf_coef * value_loss - ent_coef * entropy_mean
    return total, policy_loss, value_loss, entropy_mean
