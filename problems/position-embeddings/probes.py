"""Probes: run inside the candidate's process, call the submission, return plain tensors.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves, in float64.
"""


def sinusoidal(sol, positions, dim, base):
    """sinusoidal_embedding(positions, dim), with the default base when `base` is None."""
    if base is None:
        return sol.sinusoidal_embedding(positions, dim)
    return sol.sinusoidal_embedding(positions, dim, base=base)


def rope(sol, x, positions, base):
    """rope(x, positions), with the default base when `base` is None."""
    if base is None:
        return sol.rope(x, positions)
    return sol.rope(x, positions, base=base)


def rope_twice(sol, x, positions, back):
    """rope(rope(x, positions), back): rotating by positions, then by `back` (e.g. -positions)."""
    return sol.rope(sol.rope(x, positions), back)
