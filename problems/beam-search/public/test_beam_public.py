"""Public check: run it yourself with `judge grade beam-search your_file.py`."""

import torch

from judge.harness import expect


def test_return_format(candidate):
    """A list of at most beam_size (tokens, score) pairs, best first; tokens exclude BOS, EOS only at the end."""
    logits = torch.randn(997, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    table = torch.log_softmax(logits, dim=-1).float()
    answer = candidate.call("beam", table, 0, 4, 3, 4, 0.6)
    result = answer["result"]
    assert isinstance(result, list) and 1 <= len(result) <= 3, "beam_search must return a list of 1 to beam_size hypotheses"
    scores = []
    for item in result:
        assert isinstance(item, list) and len(item) == 2, "each hypothesis must be a (tokens, score) pair"
        tokens, score = item
        if isinstance(tokens, torch.Tensor):
            tokens = tokens.tolist()
        assert isinstance(tokens, list) and all(isinstance(t, int) for t in tokens), "tokens must be a list of ints"
        assert 1 <= len(tokens) <= 4, "a hypothesis holds 1 to max_len tokens after BOS"
        assert 4 not in tokens[:-1], "a hypothesis continues after EOS"
        assert tokens[-1] == 4 or len(tokens) == 4, "a hypothesis ends without EOS before max_len"
        scores.append(expect.scalar(score, "score"))
    assert all(a >= b - 1e-6 for a, b in zip(scores, scores[1:])), "hypotheses must be listed best score first"
