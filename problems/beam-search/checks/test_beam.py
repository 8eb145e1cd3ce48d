"""Hidden checks for beam-search. References are computed here in float64: brute force over every
sequence (a beam that never prunes is exact), and the statement's algorithm for small beams."""

import itertools

import torch

from judge.harness import expect

STATES = 997  # rows of the stand-in model's table: the prefix hash lands in [0, STATES)
TOL = {"rtol": 1e-5, "atol": 1e-5}


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def make_table(vocab, seed, eos_id, eos_bias=0.0, scale=1.5):
    """float32 [STATES, vocab] next-token log-probabilities; eos_bias makes EOS likelier."""
    logits = torch.randn(STATES, vocab, generator=gen(seed), dtype=torch.float64) * scale
    logits[:, eos_id] += eos_bias
    return torch.log_softmax(logits, dim=-1).float()


def state(prefix):
    """The stand-in model's rolling hash of a prefix (a copy of probes.PrefixModel.state)."""
    h = 0
    for token in prefix:
        h = (h * 31 + int(token) + 1) % STATES
    return h


def raw_score(table, bos_id, tokens):
    """Sum of the log-probabilities of `tokens` after BOS, in float64 from the float32 table."""
    prefix, total = [bos_id], 0.0
    for token in tokens:
        total += float(table[state(prefix), token])
        prefix.append(token)
    return total


def final_score(table, bos_id, tokens, alpha):
    """sum of log-probs / len ** alpha, len = tokens after BOS, EOS included."""
    return raw_score(table, bos_id, tokens) / len(tokens) ** alpha


def finished_sequences(vocab, eos_id, max_len):
    """Every sequence beam search can finish: EOS only at the end, ending in EOS or of length max_len."""
    others = [v for v in range(vocab) if v != eos_id]
    for length in range(1, max_len + 1):
        for body in itertools.product(others, repeat=length - 1):
            yield list(body) + [eos_id]
            if length == max_len:
                for last in others:
                    yield list(body) + [last]


def brute_force(table, bos_id, eos_id, max_len, alpha, count):
    """The `count` best finished sequences by final score: what a beam that never prunes returns."""
    scored = [(tokens, final_score(table, bos_id, tokens, alpha)) for tokens in finished_sequences(table.shape[1], eos_id, max_len)]
    scored.sort(key=lambda item: item[1], reverse=True)
    return scored[:count]


def stated_algorithm(table, bos_id, eos_id, beam_size, max_len, alpha):
    """The statement's algorithm, step by step, in float64; also the smallest gap at each pruning."""
    alive, finished, gaps = [([bos_id], 0.0)], [], []
    vocab = table.shape[1]
    for t in range(1, max_len + 1):
        candidates = [(prefix + [v], score + float(table[state(prefix), v])) for prefix, score in alive for v in range(vocab)]
        candidates.sort(key=lambda item: item[1], reverse=True)
        if len(candidates) > beam_size:
            gaps.append(candidates[beam_size - 1][1] - candidates[beam_size][1])
        alive = []
        for prefix, score in candidates[:beam_size]:
            if prefix[-1] == eos_id or t == max_len:
                finished.append((prefix[1:], score / len(prefix[1:]) ** alpha))
            else:
                alive.append((prefix, score))
        if not alive:
            break
    finished.sort(key=lambda item: item[1], reverse=True)
    return finished[:beam_size], gaps


def hypotheses(result, beam_size, max_len, eos_id, name):
    """The candidate's result as [(tokens, score)], checked against the stated format."""
    assert isinstance(result, list), f"{name} must return a list of (tokens, score) pairs"
    assert 1 <= len(result) <= beam_size, f"{name} must return between 1 and beam_size hypotheses"
    out = []
    for item in result:
        assert isinstance(item, list) and len(item) == 2, f"{name}: each hypothesis must be a (tokens, score) pair"
        tokens, score = item
        if isinstance(tokens, torch.Tensor):
            assert tokens.dim() == 1 and not tokens.is_floating_point(), f"{name}: tokens must be a list of ints"
            tokens = tokens.tolist()
        assert isinstance(tokens, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in tokens), f"{name}: tokens must be a list of ints"
        assert 1 <= len(tokens) <= max_len, f"{name}: a hypothesis must hold between 1 and max_len tokens after BOS"
        assert eos_id not in tokens[:-1], f"{name}: a hypothesis continues after EOS"
        assert tokens[-1] == eos_id or len(tokens) == max_len, f"{name}: a hypothesis ends without EOS before max_len"
        out.append((tokens, expect.scalar(score, f"{name}: score")))
    return out


def assert_matches(hyps, reference, table, bos_id, alpha, name):
    """Same number of hypotheses; each scored right; best first; the same scores as the reference list.

    Comparing sorted score lists (rather than token lists) accepts any order among scores equal
    within the tolerance.
    """
    assert len(hyps) == len(reference), f"{name} returned a different number of hypotheses than the stated algorithm"
    assert len({tuple(tokens) for tokens, _ in hyps}) == len(hyps), f"{name} returned the same sequence twice"
    for tokens, score in hyps:
        expect.close_scalar(score, final_score(table, bos_id, tokens, alpha), f"{name}: the score of a returned hypothesis (sum of log-probs / len ** alpha)", **TOL)
    scores = [score for _, score in hyps]
    assert all(a >= b - 1e-6 for a, b in zip(scores, scores[1:])), f"{name} must list hypotheses best score first"
    expect.close(torch.tensor(scores), torch.tensor([s for _, s in reference]), f"{name}: the scores of the hypotheses returned, best first", **TOL)


def run(candidate, table, bos_id, eos_id, beam_size, max_len, alpha):
    """Call the probe; return (hypotheses, step calls)."""
    answer = candidate.call("beam", table, bos_id, eos_id, beam_size, max_len, alpha)
    name = f"beam_search(beam_size={beam_size}, max_len={max_len}, alpha={alpha})"
    return hypotheses(answer["result"], beam_size, max_len, eos_id, name), answer["calls"], name


# (vocab, bos_id, eos_id, max_len, beam_size, table seed): beam_size is the largest number of candidates
# any step can have, vocab * (vocab - 1) ** (max_len - 1), so nothing is ever pruned.
EXHAUSTIVE = [(4, 0, 3, 4, 108, 1), (6, 2, 0, 3, 150, 2), (5, 0, 1, 1, 5, 3)]


def test_greedy(candidate):
    """beam_size 1 is greedy decoding: the argmax at every step, until EOS or max_len."""
    for seed, alpha, eos_bias in ((4, 0.0, 0.0), (5, 1.0, 0.8)):
        table = make_table(6, seed, eos_id=5, eos_bias=eos_bias)
        hyps, _, name = run(candidate, table, 0, 5, 1, 8, alpha)
        prefix = [0]
        while len(prefix) <= 8 and (len(prefix) == 1 or prefix[-1] != 5):
            prefix.append(int(table[state(prefix)].argmax()))
        assert_matches(hyps, [(prefix[1:], final_score(table, 0, prefix[1:], alpha))], table, 0, alpha, name)
        assert hyps[0][0] == prefix[1:], f"{name} does not follow the argmax at every step"


def test_exhaustive(candidate):
    """A beam that never prunes returns the best finished sequences of a brute-force search (alpha 0)."""
    for vocab, bos_id, eos_id, max_len, beam_size, seed in EXHAUSTIVE:
        table = make_table(vocab, seed, eos_id, eos_bias=0.5)
        hyps, _, name = run(candidate, table, bos_id, eos_id, beam_size, max_len, 0.0)
        assert_matches(hyps, brute_force(table, bos_id, eos_id, max_len, 0.0, beam_size), table, bos_id, 0.0, name)


def test_length_penalty(candidate):
    """The same with the length penalty sum / len ** alpha, alpha = 0.6 and 1.5."""
    for alpha in (0.6, 1.5):
        for vocab, bos_id, eos_id, max_len, beam_size, seed in EXHAUSTIVE[:2]:
            table = make_table(vocab, seed + 10, eos_id, eos_bias=0.5)
            hyps, _, name = run(candidate, table, bos_id, eos_id, beam_size, max_len, alpha)
            assert_matches(hyps, brute_force(table, bos_id, eos_id, max_len, alpha, beam_size), table, bos_id, alpha, name)


# (vocab, bos_id, eos_id, max_len, beam_size, alpha, table seed, eos_bias): small beams that prune.
SMALL = [(7, 0, 6, 6, 2, 0.0, 21, 0.3), (7, 0, 6, 6, 3, 0.6, 22, 0.3), (5, 1, 2, 7, 3, 1.0, 23, 0.0)]


def test_small_beam(candidate):
    """Beams that prune follow the stated algorithm (pruning on the raw sum of log-probs)."""
    for vocab, bos_id, eos_id, max_len, beam_size, alpha, seed, eos_bias in SMALL:
        table = make_table(vocab, seed, eos_id, eos_bias=eos_bias)
        hyps, _, name = run(candidate, table, bos_id, eos_id, beam_size, max_len, alpha)
        reference, _ = stated_algorithm(table, bos_id, eos_id, beam_size, max_len, alpha)
        assert_matches(hyps, reference, table, bos_id, alpha, name)


def test_eos_handling(candidate):
    """step only sees unfinished prefixes: LongTensor [N, t], BOS first, no EOS, N <= beam_size."""
    for beam_size, max_len, eos_bias, seed in ((3, 6, 1.5, 31), (4, 5, 0.5, 32)):
        table = make_table(6, seed, eos_id=4, eos_bias=eos_bias)
        hyps, calls, name = run(candidate, table, 1, 4, beam_size, max_len, 0.5)
        assert isinstance(calls, list) and calls, f"{name} never called step"
        for prefixes in calls:
            prefixes = expect.tensor(prefixes, "the prefixes passed to step", None, torch.int64)
            assert prefixes.dim() == 2 and 1 <= prefixes.shape[0] <= beam_size, "step must be called with a [N, t] tensor, 1 <= N <= beam_size"
            assert 1 <= prefixes.shape[1] <= max_len, "step was called on a prefix longer than max_len tokens (BOS included)"
            assert bool((prefixes[:, 0] == 1).all()), "every prefix passed to step must start with bos_id"
            assert not bool((prefixes == 4).any()), "step was called on a finished hypothesis (a prefix containing eos_id)"
        reference, _ = stated_algorithm(table, 1, 4, beam_size, max_len, 0.5)
        assert_matches(hyps, reference, table, 1, 0.5, name)
