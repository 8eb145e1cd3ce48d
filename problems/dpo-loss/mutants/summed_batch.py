"""Mutant: the loss is summed over the batch instead of averaged."""

import torch
import torch.nn.functional as F


def sequence_logprobs(logits, labels, mask):
    """Sum over each sequence of the log-probability of its next tokens where mask is True -> [B]."""
    logps = F.log_softmax(logits[:, :-1], dim=-1)
    targets = labels[:, 1:]
    picked = logps.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (picked * mask[:, 1:].to(picked.dtype)).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1, loss_type="sigmoid", label_smoothing=0.0):
    """(mean loss, chosen rewards, rejected rewards) for a batch of preference pairs."""
    h = (policy_chosen - policy_rejected) - (ref_chosen - ref_rejected)
    if loss_type == "sigmoid":
        losses = -(1 - label_smoothing) * F.logsigmoid(beta * h) - label_smoothing * F.logsigmoid(-beta * h)
    elif loss_type == "ipo":
        losses = (h - 1 / (2 * beta)) ** 2
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}")
    chosen_rewards = beta * (policy_chosen - ref_chosen).detach()
    rejected_rewards = beta * (policy_rejected - ref_rejected).detach()
    return losses.sum(), chosen_rewards, rejected_rewards
