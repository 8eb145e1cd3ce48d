"""Hidden checks for grpo-advantages. References are float64, from the statement's formulas."""

import torch

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_advantages(rewards, group_size):
    out = torch.empty_like(rewards)
    for start in range(0, len(rewards), group_size):
        group = rewards[start : start + group_size]
        out[start : start + group_size] = (group - group.mean()) / (group.std() + 1e-4)
    return out


def reference_kl(logp, ref):
    d = ref - logp
    return torch.exp(d) - d - 1


def reference_loss(logp, old, ref, adv, mask, eps, beta):
    ratio = torch.exp(logp - old)
    a = adv[:, None]
    surrogate = torch.min(ratio * a, torch.clamp(ratio, 1 - eps, 1 + eps) * a)
    per_token = -(surrogate - beta * reference_kl(logp, ref))
    return ((per_token * mask).sum(1) / mask.sum(1)).mean()


def test_group_advantages(candidate):
    g = gen(1)
    scales = torch.tensor([0.01, 1.0, 100.0, 5.0, 1.0], dtype=torch.float64)
    rewards = (torch.randn(5, 6, generator=g, dtype=torch.float64) * scales[:, None] + 3.0 * scales[:, None]).reshape(-1)
    rewards[24:30] = 0.5  # a group of equal rewards
    got = expect.floating(candidate.call("advantages", rewards, 6), "group_advantages", (30,))
    expect.close(got, reference_advantages(rewards, 6), "group-relative advantages (5 prompts x 6 completions)", rtol=1e-10, atol=1e-12)
    assert bool((got[24:30] == 0).all()), "a group of equal rewards must get advantages 0"
    rewards = torch.randint(0, 2, (12,), generator=gen(2)).double()  # 0/1 rewards, as for verifiable answers
    got = candidate.call("advantages", rewards, 4)
    expect.close(got, reference_advantages(rewards, 4), "advantages of 0/1 rewards in groups of 4", rtol=1e-10, atol=1e-12)


def token_logps(b, t, seed):
    g = gen(seed)
    logp = -2.0 * torch.rand(b, t, generator=g, dtype=torch.float64) - 0.1
    old = logp + 0.3 * torch.randn(b, t, generator=g, dtype=torch.float64)
    ref = logp + 0.5 * torch.randn(b, t, generator=g, dtype=torch.float64)
    return logp, old, ref


def test_kl_k3(candidate):
    logp, _, ref = token_logps(6, 9, 10)
    ref[0] = logp[0]
    got = expect.floating(candidate.call("kl", logp, ref), "kl_k3", (6, 9))
    expect.close(got, reference_kl(logp, ref), "kl_k3", rtol=1e-10, atol=1e-12)
    assert bool((got >= 0).all()), "the k3 estimator is never negative"
    assert bool((got[0].abs() <= 1e-15).all()), "kl_k3 must be 0 where logp == ref_logp"


def batch(seed, b=8, t=10):
    logp, old, ref = token_logps(b, t, seed)
    adv = 1.5 * torch.randn(b, generator=gen(seed + 1), dtype=torch.float64)
    mask = torch.zeros(b, t, dtype=torch.float64)
    for i in range(b):
        mask[i, : 3 + (i * 3) % (t - 2)] = 1.0
    return logp, old, ref, adv, mask


def test_loss_value(candidate):
    for eps, beta, seed in ((0.2, 0.04, 20), (0.28, 0.1, 21)):
        inputs = batch(seed)
        got = candidate.call("loss", *inputs, eps, beta)
        expect.close(got, reference_loss(*inputs, eps, beta), f"grpo_loss (clip_eps {eps}, beta {beta})", rtol=1e-10, atol=1e-12)


def test_gradients(candidate):
    inputs = batch(30)
    grad = candidate.call("gradient", *inputs)
    leaf = inputs[0].clone().requires_grad_(True)
    reference_loss(leaf, *inputs[1:], 0.2, 0.04).backward()
    assert grad is not None, "no gradient reached logp"
    expect.close(grad, leaf.grad, "d grpo_loss / d logp", rtol=1e-9, atol=1e-12)
