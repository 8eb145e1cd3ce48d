"""Character-level LSTM language model: fill in every function. See the statement for exact shapes and formulas."""

import torch
import torch.nn.functional as F
from torch import nn


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> linear head: logits for the next token at every position."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        """Build the layers."""
        super().__init__()
        self.vocab_size = vocab_size
        # TODO: an embedding, an LSTM and a head that maps each hidden state to vocab_size logits.

    def forward(self, tokens, state=None):
        """tokens: LongTensor [B, T] -> (logits FloatTensor [B, T, vocab_size], state)."""
        raise NotImplementedError


def train_step(model, optimizer, batch):
    """batch: LongTensor [B, T + 1]; one optimizer step; returns the mean next-token loss as a Python float."""
    raise NotImplementedError


def generate(model, prompt, n, temperature=1.0, generator=None):
    """prompt: LongTensor [T0]; returns LongTensor [n] with the new ids only."""
    raise NotImplementedError
