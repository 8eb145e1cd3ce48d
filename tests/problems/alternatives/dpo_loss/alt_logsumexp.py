"""Alternative: log-softmax written with logsumexp and a where-mask; the loss terms named as in the paper."""

import torch


def sequence_logprobs(logits, labels, mask):
    scores = logits[:, :-1]
    next_tokens = labels[:, 1:]
    chosen = torch.take_along_dim(scores, next_tokens[..., None], dim=-1)[..., 0]
    token_logps = chosen - torch.logsumexp(scores, dim=-1)
    keep = mask[:, 1:].bool()
    return torch.where(keep, token_logps, torch.zeros_like(token_logps)).sum(dim=-1)


def dpo_loss(
    policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta=0.1, loss_type="sigmoid", label_smoothing=0.0
):
    if loss_type not in ("sigmoid", "ipo"):
        raise ValueError(f"loss_type must be 'sigmoid' or 'ipo', not {loss_type!r}")
    pi_logratios = policy_chosen - policy_rejected
    ref_logratios = ref_chosen - ref_rejected
    logits = pi_logratios - ref_logratios
    if loss_type == "ipo":
        losses = (logits - 1 / (2 * beta)).pow(2)
    else:
        losses = -torch.nn.functional.logsigmoid(beta * logits) * (1 - label_smoothing)
        losses = losses - torch.nn.functional.logsigmoid(-beta * logits) * label_smoothing
    chosen_rewards = beta * (policy_chosen.detach() - ref_chosen.detach())
    rejected_rewards = beta * (policy_rejected.detach() - ref_rejected.detach())
    return losses.mean(), chosen_rewards, rejected_rewards
