"""Alternative: the backward pass collects rows in a list; the loss in the 'pg_loss1/pg_loss2' style of CleanRL."""

import torch


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    with torch.no_grad():
        rows = []
        lastgaelam = torch.zeros_like(last_value)
        for t in range(rewards.shape[0] - 1, -1, -1):
            nextvalues = last_value if t == rewards.shape[0] - 1 else values[t + 1]
            nextnonterminal = 1.0 - dones[t]
            delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
            lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
            rows.append(lastgaelam)
        advantages = torch.stack(rows[::-1])
        return advantages, advantages + values


def ppo_loss(new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps=0.2, vf_coef=0.5, ent_coef=0.01):
    logratio = new_logp - old_logp
    ratio = logratio.exp()
    mb_advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    pg_loss1 = -mb_advantages * ratio
    pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps)
    pg_loss = torch.max(pg_loss1, pg_loss2).mean()
    v_loss = 0.5 * ((new_values - returns) ** 2).mean()
    entropy_loss = entropy.mean()
    loss = pg_loss - ent_coef * entropy_loss + v_loss * vf_coef
    return loss, pg_loss, v_loss, entropy_loss
