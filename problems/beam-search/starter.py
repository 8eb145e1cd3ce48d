"""Beam search over a step function: fill in beam_search. See the statement for the exact algorithm."""

import torch


def beam_search(step, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    """Return up to beam_size finished hypotheses [(tokens after BOS, score)], best score first."""
    raise NotImplementedError
