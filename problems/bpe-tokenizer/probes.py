"""Probes: run inside the candidate's process, call the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""


def train(sol, corpus, num_merges):
    """train_bpe's merges, as lists of two strings."""
    return [list(pair) for pair in sol.train_bpe(list(corpus), num_merges)]


def encode_all(sol, texts, merges):
    """encode of each text with the given merges."""
    pairs = [tuple(pair) for pair in merges]
    return [list(sol.encode(text, pairs)) for text in texts]


def round_trips(sol, texts, merges):
    """decode(encode(text)) for each text."""
    pairs = [tuple(pair) for pair in merges]
    return [sol.decode(sol.encode(text, pairs)) for text in texts]


def types(sol):
    """The types returned on a tiny corpus."""
    merges = sol.train_bpe(["aa ab aa"], 2)
    tokens = sol.encode("aa b", merges)
    return {
        "merges": type(merges).__name__,
        "pair": [type(merges[0]).__name__, type(merges[0][0]).__name__] if merges else None,
        "tokens": [type(t).__name__ for t in tokens],
        "decoded": type(sol.decode(tokens)).__name__,
    }
