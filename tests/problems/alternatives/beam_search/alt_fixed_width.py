"""A different but correct solution: a fixed-width float32 beam started as [0, -inf, ...] (the usual
trick), candidates of -inf score dropped, finished rows compacted out before the next step."""

import torch


def beam_search(step, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    """Vectorised beam search; scores kept in float32 as the model returns them."""
    seqs = torch.full((beam_size, 1), bos_id, dtype=torch.long)
    scores = torch.full((beam_size,), float("-inf"))
    scores[0] = 0.0  # only the first copy of BOS is a real hypothesis
    done_seqs, done_scores = [], []
    for t in range(max_len):
        log_probs = step(seqs)
        vocab = log_probs.shape[-1]
        flat = (scores[:, None] + log_probs).flatten()
        k = min(beam_size, int(torch.isfinite(flat).sum()))
        values, index = flat.topk(k)
        seqs = torch.cat([seqs[index // vocab], (index % vocab)[:, None]], dim=1)
        scores = values
        ended = seqs[:, -1].eq(eos_id)
        if t == max_len - 1:
            ended = torch.ones_like(ended)
        lengths = torch.full((int(ended.sum()),), float(seqs.shape[1] - 1))
        done_seqs += [s[1:].tolist() for s in seqs[ended]]
        done_scores += (scores[ended] / lengths.pow(alpha)).tolist()
        seqs, scores = seqs[~ended], scores[~ended]
        if len(seqs) == 0:
            break
    order = torch.tensor(done_scores).argsort(descending=True)[:beam_size]
    return [(done_seqs[i], done_scores[i]) for i in order.tolist()]
