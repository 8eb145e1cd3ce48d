"""Mutant: the length in the penalty counts the BOS token."""

import torch


def beam_search(step, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    """Return up to beam_size finished hypotheses (tokens after BOS, score), best score first.

    A hypothesis finishes when it emits eos_id or reaches max_len tokens. Beams are pruned by the raw
    sum of log-probabilities; finished hypotheses are ranked by sum / len ** alpha.
    """
    alive_tokens = torch.tensor([[bos_id]], dtype=torch.long)  # [N, t]
    alive_scores = torch.zeros(1, dtype=torch.float64)  # raw sums of log-probabilities
    finished = []  # (tokens after BOS, final score)
    for t in range(1, max_len + 1):
        log_probs = step(alive_tokens).double()  # [N, V]
        vocab = log_probs.shape[1]
        # Every extension of every alive beam, scored by the running sum (no penalty while pruning).
        candidates = (alive_scores.unsqueeze(1) + log_probs).reshape(-1)
        top = torch.topk(candidates, min(beam_size, candidates.numel()))
        beams = torch.div(top.indices, vocab, rounding_mode="floor")
        tokens = top.indices % vocab
        new_tokens = torch.cat([alive_tokens[beams], tokens.unsqueeze(1)], dim=1)
        # A beam ends with EOS or at max_len: it leaves the search and is never extended again.
        done = (tokens == eos_id) | (t == max_len)
        for row, score in zip(new_tokens[done], top.values[done]):
            length = row.shape[0]
            finished.append((row[1:].tolist(), float(score) / length**alpha))
        alive_tokens, alive_scores = new_tokens[~done], top.values[~done]
        if alive_tokens.shape[0] == 0:
            break
    finished.sort(key=lambda item: item[1], reverse=True)
    return finished[:beam_size]
