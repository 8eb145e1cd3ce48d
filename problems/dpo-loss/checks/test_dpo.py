"""Hidden checks for dpo-loss. References are float64, from the statement's formulas."""

import torch
import torch.nn.functional as F

from judge.harness import expect


def gen(seed):
    """A seeded CPU generator."""
    return torch.Generator().manual_seed(seed)


def reference_logprobs(logits, labels, mask):
    """sum_t mask[t + 1] * log_softmax(logits[t])[labels[t + 1]], in float64."""
    logps = torch.log_softmax(logits.double(), dim=-1)
    total = torch.zeros(logits.shape[0], dtype=torch.float64)
    for b in range(logits.shape[0]):
        for t in range(logits.shape[1] - 1):
            if mask[b, t + 1]:
                total[b] += logps[b, t, labels[b, t + 1]]
    return total


def reference_loss(pc, pr, rc, rr, beta, loss_type="sigmoid", ls=0.0):
    """Mean loss and the two rewards, in float64."""
    pc, pr, rc, rr = (t.double() for t in (pc, pr, rc, rr))
    h = (pc - pr) - (rc - rr)
    if loss_type == "ipo":
        losses = (h - 1 / (2 * beta)) ** 2
    else:
        losses = -(1 - ls) * F.logsigmoid(beta * h) - ls * F.logsigmoid(-beta * h)
    return losses.mean(), beta * (pc - rc), beta * (pr - rr)


def batch(b, t, v, seed, dtype=torch.float64):
    """Logits, labels and an answer mask: prompts of different lengths, then the answer, then right padding."""
    g = gen(seed)
    logits = (2.0 * torch.randn(b, t, v, generator=g, dtype=torch.float64)).to(dtype)
    labels = torch.randint(0, v, (b, t), generator=g)
    mask = torch.zeros(b, t, dtype=torch.bool)
    for i in range(b):
        prompt = 1 + (i * 2) % (t // 2)
        end = t - (i % 3)
        mask[i, prompt:end] = True
    return logits, labels, mask


def pairs(n, seed, scale=5.0):
    """Log-probs of chosen and rejected answers under the policy and the reference."""
    g = gen(seed)
    return [-30.0 + scale * torch.randn(n, generator=g, dtype=torch.float64) for _ in range(4)]


def test_sequence_logprobs(candidate):
    for (b, t, v), seed in (((4, 9, 13), 1), ((2, 16, 50), 2)):
        logits, labels, mask = batch(b, t, v, seed)
        got = expect.tensor(candidate.call("logprobs", logits, labels, mask), "sequence_logprobs", (b,), dtype=torch.float64)
        expect.close(got, reference_logprobs(logits, labels, mask), f"sequence_logprobs of [{b}, {t}, {v}] logits", rtol=1e-10, atol=1e-10)
    logits, labels, mask = batch(3, 6, 20, 3, dtype=torch.float32)
    got = expect.tensor(candidate.call("logprobs", logits, labels, mask), "float32 sequence_logprobs", (3,), dtype=torch.float32)
    expect.close(got, reference_logprobs(logits, labels, mask), "float32 sequence_logprobs", rtol=1e-5, atol=1e-4)


def test_dpo_value(candidate):
    pc, pr, rc, rr = pairs(8, 10)
    for beta in (0.1, 0.5):
        value, chosen, rejected = candidate.call("loss", pc, pr, rc, rr, beta, "sigmoid", 0.0)
        expected, exp_chosen, exp_rejected = reference_loss(pc, pr, rc, rr, beta)
        expect.close(value, expected, f"DPO loss at beta {beta}", rtol=1e-10, atol=1e-12)
        expect.close(chosen, exp_chosen, f"chosen rewards at beta {beta}", rtol=1e-10, atol=1e-12)
        expect.close(rejected, exp_rejected, f"rejected rewards at beta {beta}", rtol=1e-10, atol=1e-12)


def test_dpo_gradients(candidate):
    pc, pr, rc, rr = pairs(6, 20)
    got = candidate.call("gradients", pc, pr, rc, rr, 0.3)
    leaves = [t.clone().requires_grad_(True) for t in (pc, pr, rc, rr)]
    reference_loss(*leaves, 0.3)[0].backward()
    for grad, leaf, name in zip(got["grads"], leaves, ("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")):
        assert grad is not None, f"no gradient reached {name}"
        expect.close(grad, leaf.grad, f"d loss / d {name}", rtol=1e-9, atol=1e-12)
    assert got["rewards_with_graph"] == [False, False], "the rewards must be detached (no gradient through them)"


def test_stability(candidate):
    g = gen(30)
    base = -50.0 + torch.randn(6, generator=g, dtype=torch.float64)
    margins = torch.tensor([50.0, 300.0, 1000.0, -50.0, -300.0, -1000.0], dtype=torch.float64)
    pc, pr, rc, rr = base + margins, base.clone(), base.clone(), base.clone()
    value, _, _ = candidate.call("loss", pc, pr, rc, rr, 1.0, "sigmoid", 0.0)
    expected = reference_loss(pc, pr, rc, rr, 1.0)[0]
    expect.close(value, expected, "float64 DPO loss with margins of +-50 to +-1000 nats", rtol=1e-10, atol=1e-10)
    # float32 underflows sooner: sigmoid(-150) is 0 there.
    small = [t.float() for t in (base + margins / 5, base, base, base)]
    value, _, _ = candidate.call("loss", *small, 1.0, "sigmoid", 0.0)
    expect.close(value, reference_loss(*small, 1.0)[0], "float32 DPO loss with margins of +-10 to +-200 nats", rtol=1e-5, atol=1e-4)


def test_label_smoothing(candidate):
    pc, pr, rc, rr = pairs(8, 40)
    for ls in (0.1, 0.3):
        value, _, _ = candidate.call("loss", pc, pr, rc, rr, 0.2, "sigmoid", ls)
        expect.close(value, reference_loss(pc, pr, rc, rr, 0.2, ls=ls)[0], f"DPO loss with label_smoothing {ls}", rtol=1e-10, atol=1e-12)


def test_ipo(candidate):
    pc, pr, rc, rr = pairs(8, 50, scale=2.0)
    for beta in (0.1, 1.0):
        value, chosen, _ = candidate.call("loss", pc, pr, rc, rr, beta, "ipo", 0.0)
        expected, exp_chosen, _ = reference_loss(pc, pr, rc, rr, beta, "ipo")
        expect.close(value, expected, f"IPO loss at beta {beta}", rtol=1e-10, atol=1e-12)
        expect.close(chosen, exp_chosen, f"IPO chosen rewards at beta {beta}", rtol=1e-10, atol=1e-12)
    raised = candidate.call("unknown_type", pc, pr, rc, rr)
    assert raised == "ValueError", f'dpo_loss(..., loss_type="hinge2") must raise ValueError, got {raised}'
