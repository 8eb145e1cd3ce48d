"""Probes: run inside the candidate's process, call the submission, return what it returns.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def gae(sol, rewards, values, dones, last_value, gamma, lam):
    """gae as returned: [advantages, returns]."""
    return list(sol.gae(rewards, values, dones, last_value, gamma=gamma, lam=lam))


def loss(sol, new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps, vf_coef, ent_coef):
    """ppo_loss as returned: [total, policy, value, entropy]."""
    with torch.no_grad():
        out = sol.ppo_loss(new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps=clip_eps, vf_coef=vf_coef, ent_coef=ent_coef)
    return list(out)


def policy_gradient(sol, new_logp, old_logp, advantages, new_values, returns, entropy, clip_eps):
    """The gradient of the policy loss with respect to new_logp."""
    leaf = new_logp.clone().requires_grad_(True)
    _, policy, _, _ = sol.ppo_loss(leaf, old_logp, advantages, new_values, returns, entropy, clip_eps=clip_eps)
    policy.backward()
    return leaf.grad
