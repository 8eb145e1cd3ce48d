"""Mutant: generate returns the prompt followed by the new ids instead of the n new ids only."""

import torch
import torch.nn.functional as F
from torch import nn


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear; returns unnormalised logits at every position and the LSTM state."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        """Build the three layers; batch_first so tokens are [B, T]."""
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        """tokens [B, T] -> (logits [B, T, vocab_size], (h, c)); state continues a previous call."""
        # return_sequences in Keras terms: every position gets a prediction, not only the last.
        output, state = self.lstm(self.embedding(tokens), state)
        return self.head(output), state


def train_step(model, optimizer, batch):
    """One step of next-token cross-entropy on batch [B, T+1]; returns the loss before the step."""
    inputs, targets = batch[:, :-1], batch[:, 1:]
    logits, _ = model(inputs)
    # The model outputs logits, so cross_entropy applies the only softmax (no double softmax).
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def generate(model, prompt, n, temperature=1.0, generator=None):
    """Sample n new token ids after prompt [T0], one at a time; temperature 0 is greedy."""
    was_training = model.training
    model.eval()
    new_ids = []
    try:
        with torch.no_grad():
            logits, state = model(prompt.view(1, -1))
            for _ in range(n):
                last = logits[0, -1]
                if temperature == 0:
                    next_id = torch.argmax(last).view(1)
                else:
                    probs = F.softmax(last / temperature, dim=-1)
                    next_id = torch.multinomial(probs, 1, generator=generator)
                new_ids.append(next_id)
                if len(new_ids) < n:
                    # Feed only the new token: the returned state carries the whole history.
                    logits, state = model(next_id.view(1, 1), state)
    finally:
        model.train(was_training)
    return torch.cat([prompt] + new_ids)
