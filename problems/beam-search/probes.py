"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference (brute force over all sequences) themselves.
"""


class PrefixModel:
    """A stand-in language model with fixed log-probabilities chosen by the check.

    The next-token log-probabilities of a prefix are row `state(prefix)` of `table`, where the state
    is a rolling hash of the whole prefix (so they depend on every token, not only the last one).
    It records every call, so the checks can see which prefixes beam search expanded.
    """

    def __init__(self, table):
        """table: float32 [M, V] log-probabilities (each row log-softmax normalised)."""
        self.table = table
        self.calls = []

    def state(self, prefix):
        """Rolling hash of a list of token ids into [0, M); must match the checks' copy."""
        h = 0
        for token in prefix:
            h = (h * 31 + int(token) + 1) % self.table.shape[0]
        return h

    def __call__(self, prefixes):
        """prefixes: LongTensor [N, t] -> float32 log-probabilities [N, V]."""
        self.calls.append(prefixes.detach().clone())
        rows = [self.state(prefix) for prefix in prefixes.tolist()]
        return self.table[rows].clone()


def beam(sol, table, bos_id, eos_id, beam_size, max_len, alpha):
    """beam_search on a PrefixModel over `table`; the result and every prefixes tensor passed to step."""
    model = PrefixModel(table)
    result = sol.beam_search(model, bos_id, eos_id, beam_size, max_len, alpha)
    return {"result": result, "calls": model.calls}
