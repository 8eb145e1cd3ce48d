"""Probes: run inside the candidate's process, call the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; every
uniform and draft token comes from the check.
"""

import torch


def sample_indices(sol, probs, us):
    """sample_index(probs, u) for each u."""
    return [sol.sample_index(probs, float(u)) for u in us]


def residual(sol, p, q):
    """residual as returned."""
    return sol.residual(p, q)


def steps(sol, draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    """speculative_step for each row of the batched inputs (the same probabilities for every row when 2-D)."""
    out = []
    for n in range(draft_tokens.shape[0]):
        q = draft_probs if draft_probs.dim() == 2 else draft_probs[n]
        p = target_probs if target_probs.dim() == 2 else target_probs[n]
        out.append(sol.speculative_step(draft_tokens[n], q, p, u_accept[n], float(u_sample[n])))
    return out


def first_two(sol, draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    """`steps`, keeping only each step's first and second token (-1 when there is none) as two tensors."""
    rows = steps(sol, draft_tokens, draft_probs, target_probs, u_accept, u_sample)
    first = torch.tensor([row[0] if row else -1 for row in rows])
    second = torch.tensor([row[1] if len(row) > 1 else -1 for row in rows])
    return first, second


def types(sol):
    """The type names of what the functions return."""
    probs = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    step = sol.speculative_step(torch.tensor([1, 2]), torch.stack([probs, probs]), torch.stack([probs, probs, probs]), torch.tensor([0.1, 0.1], dtype=torch.float64), 0.5)
    return {"index": type(sol.sample_index(probs, 0.4)).__name__, "step": type(step).__name__, "items": [type(t).__name__ for t in step]}
