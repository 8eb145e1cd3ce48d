"""Hidden checks for ppo-gae. References are float64, from the statement's formulas."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_gae(rewards, values, dones, last_value, gamma, lam):
    steps, envs = rewards.shape
    adv = torch.zeros(steps, envs, dtype=torch.float64)
    for n in range(envs):
        running, next_value = 0.0, float(last_value[n])
        for t in reversed(range(steps)):
            nonterminal = 1.0 - float(dones[t, n])
            delta = float(rewards[t, n]) + gamma * next_value * nonterminal - float(values[t, n])
            running = delta + gamma * lam * nonterminal * running
            adv[t, n] = running
            next_value = float(values[t, n])
    return adv, adv + values


def rollout(steps, envs, seed, end_rate=0.0):
    g = gen(seed)
    rewards = torch.randn(steps, envs, generator=g, dtype=torch.float64)
    values = 2.0 * torch.randn(steps, envs, generator=g, dtype=torch.float64)
    dones = (torch.rand(steps, envs, generator=g, dtype=torch.float64) < end_rate).double()
    return rewards, values, dones, 3.0 * torch.randn(envs, generator=g, dtype=torch.float64)


def test_gae_value(candidate):
    for gamma, lam, seed in ((0.99, 0.95, 1), (0.9, 0.5, 2)):
        rewards, values, dones, last = rollout(20, 4, seed)
        adv, ret = candidate.call("gae", rewards, values, dones, last, gamma, lam)
        exp_adv, exp_ret = reference_gae(rewards, values, dones, last, gamma, lam)
        expect.close(adv, exp_adv, f"advantages (gamma {gamma}, lam {lam})", rtol=1e-12, atol=1e-12)
        expect.close(ret, exp_ret, f"returns (gamma {gamma}, lam {lam})", rtol=1e-12, atol=1e-12)


def test_gae_episode_ends(candidate):
    rewards, values, dones, last = rollout(30, 3, 3, end_rate=0.15)
    dones[-1, 0] = 1.0
    dones[10, 1] = 1.0
    adv, ret = candidate.call("gae", rewards, values, dones, last, 0.97, 0.9)
    exp_adv, exp_ret = reference_gae(rewards, values, dones, last, 0.97, 0.9)
    expect.close(adv, exp_adv, "advantages with episode ends", rtol=1e-12, atol=1e-12)
    expect.close(ret, exp_ret, "returns with episode ends", rtol=1e-12, atol=1e-12)


def batch(m, seed):
    """Log-probs whose ratios fall inside and outside the clip range, advantages of both signs."""
    g = gen(seed)
    old = -1.0 + 0.5 * torch.randn(m, generator=g, dtype=torch.float64)
    new = old + 0.4 * torch.randn(m, generator=g, dtype=torch.float64)
    advantages = 2.0 * torch.randn(m, generator=g, dtype=torch.float64) + 0.3
    new_values, returns = torch.randn(m, generator=g, dtype=torch.float64), torch.randn(m, generator=g, dtype=torch.float64)
    entropy = 1.0 + torch.rand(m, generator=g, dtype=torch.float64)
    return new, old, advantages, new_values, returns, entropy


def reference_loss(new, old, advantages, new_values, returns, entropy, eps, vf, ent):
    ratio = torch.exp(new - old)
    a = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    policy = -torch.min(ratio * a, torch.clamp(ratio, 1 - eps, 1 + eps) * a).mean()
    value = 0.5 * ((new_values - returns) ** 2).mean()
    entropy_mean = entropy.mean()
    return policy + vf * value - ent * entropy_mean, policy, value, entropy_mean


def test_clipped_objective(candidate):
    for eps, seed in ((0.2, 10), (0.1, 11)):
        inputs = batch(64, seed)
        got = candidate.call("loss", *inputs, eps, 0.5, 0.01)
        expect.close(got[1], reference_loss(*inputs, eps, 0.5, 0.01)[1], f"policy loss (clip_eps {eps})", rtol=1e-10, atol=1e-12)


def test_total_loss(candidate):
    for vf, ent, seed in ((0.5, 0.01, 20), (1.0, 0.1, 21)):
        inputs = batch(32, seed)
        got = candidate.call("loss", *inputs, 0.2, vf, ent)
        for value, expected, name in zip(got, reference_loss(*inputs, 0.2, vf, ent), ("total", "policy_loss", "value_loss", "entropy_mean")):
            expect.close(value, expected, f"{name} (vf_coef {vf}, ent_coef {ent})", rtol=1e-10, atol=1e-12)


def test_gradients(candidate):
    inputs = batch(48, 30)
    grad = candidate.call("policy_gradient", *inputs, 0.2)
    leaf = inputs[0].clone().requires_grad_(True)
    reference_loss(leaf, *inputs[1:], 0.2, 0.5, 0.01)[1].backward()
    assert grad is not None, "no gradient reached new_logp"
    expect.close(grad, leaf.grad, "d policy_loss / d new_logp", rtol=1e-9, atol=1e-12)
