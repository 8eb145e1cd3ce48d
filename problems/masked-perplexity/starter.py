"""Perplexity with padding masked: fill in every function. See the statement for the exact definitions."""

import math

import torch


def token_nll(logits, targets, pad_id):
    """-log p(target) in nats for every position [B, T]; exactly 0 where targets == pad_id."""
    raise NotImplementedError


def sequence_perplexity(logits, targets, pad_id):
    """exp(mean NLL over the real tokens of each row) [B]; NaN for a row with no real token."""
    raise NotImplementedError


def corpus_perplexity(logits, targets, pad_id):
    """exp(total NLL over all real tokens / number of real tokens)."""
    raise NotImplementedError


def bits_per_token(logits, targets, pad_id):
    """Mean NLL over the real tokens, in bits."""
    raise NotImplementedError
