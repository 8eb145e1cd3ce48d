"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves. Generators cannot cross the channel, so seeds do, and the
generators are built here.
"""

import torch


def _generator(seed):
    """A CPU generator seeded with `seed`, or None when the check asks for the global RNG."""
    return None if seed is None else torch.Generator().manual_seed(seed)


def temperature(sol, logits, temperatures):
    """apply_temperature for each temperature, and the input as it is after those calls."""
    original = logits.clone()
    outputs = [sol.apply_temperature(original, t) for t in temperatures]
    return {"outputs": outputs, "input_after": original}


def top_k(sol, logits, ks):
    """top_k_filter for each k on the same input, and the input as it is after those calls."""
    original = logits.clone()
    outputs = [sol.top_k_filter(original, k) for k in ks]
    return {"outputs": outputs, "input_after": original}


def top_p(sol, logits, ps):
    """top_p_filter for each p on the same input, and the input as it is after those calls."""
    original = logits.clone()
    outputs = [sol.top_p_filter(original, p) for p in ps]
    return {"outputs": outputs, "input_after": original}


def sample(sol, logits, temperature, top_k, top_p, seeds):
    """sample() once per seed (None: no generator) with the given settings, and the input afterwards."""
    original = logits.clone()
    outputs = [
        sol.sample(original, temperature=temperature, top_k=top_k, top_p=top_p, generator=_generator(seed))
        for seed in seeds
    ]
    return {"outputs": outputs, "input_after": original}
