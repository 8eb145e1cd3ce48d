"""Speculative decoding: fill in the three functions. See the statement for the exact rules."""

import torch


def sample_index(probs, u):
    raise NotImplementedError


def residual(p, q):
    raise NotImplementedError


def speculative_step(draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    raise NotImplementedError
