"""A different but correct solution: plain Python lists, one step call per alive beam, a heap for the top-k."""

import heapq

import torch


def beam_search(step, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    """Expand each alive beam with its own step call; keep the beam_size best raw sums."""
    alive = [([bos_id], 0.0)]
    finished = []
    for t in range(1, max_len + 1):
        candidates = []
        for prefix, score in alive:
            log_probs = step(torch.tensor([prefix], dtype=torch.long))[0].tolist()
            candidates.extend((score + lp, prefix + [v]) for v, lp in enumerate(log_probs))
        best = heapq.nlargest(beam_size, candidates, key=lambda item: item[0])
        alive = []
        for score, prefix in best:
            if prefix[-1] == eos_id or t == max_len:
                tokens = prefix[1:]
                finished.append((tokens, score / (len(tokens) ** alpha)))
            else:
                alive.append((prefix, score))
        if not alive:
            break
    return sorted(finished, key=lambda item: -item[1])[:beam_size]
