"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves, in float64.
"""

FUNCTIONS = ("token_nll", "sequence_perplexity", "corpus_perplexity", "bits_per_token")


def evaluate(sol, logits, targets, pad_id, names):
    """Each named function on the same inputs (a fresh copy each, so none sees another's changes)."""
    return {name: getattr(sol, name)(logits.clone(), targets.clone(), pad_id) for name in names if name in FUNCTIONS}
