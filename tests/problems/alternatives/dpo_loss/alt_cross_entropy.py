"""Alternative: token log-probs as negative cross-entropy with ignored positions; the loss through softplus."""

import torch
import torch.nn.functional as F

IGNORE = -100


def sequence_logprobs(logits, labels, mask):
    targets = labels[:, 1:].masked_fill(~mask[:, 1:].bool(), IGNORE)
    nll = F.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE, reduction="none"
    )
    return -nll.view(labels.shape[0], -1).sum(dim=1)


def dpo_loss(
    policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1, loss_type="sigmoid", label_smoothing=0.0
):
    chosen_ratio = policy_chosen - ref_chosen
    rejected_ratio = policy_rejected - ref_rejected
    h = chosen_ratio - rejected_ratio
    if loss_type == "sigmoid":
        z = beta * h
        per_pair = (1 - label_smoothing) * F.softplus(-z) + label_smoothing * F.softplus(z)
    elif loss_type == "ipo":
        per_pair = torch.square(h - 0.5 / beta)
    else:
        raise ValueError(loss_type)
    return per_pair.mean(), (beta * chosen_ratio).detach(), (beta * rejected_ratio).detach()
