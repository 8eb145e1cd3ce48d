"""A time-major LSTM with dropout; train_step feeds the whole batch and slices, clips gradients and
switches to train mode; generate re-feeds the whole sequence at every step and never uses the state.
A different but correct solution."""

import torch
import torch.nn.functional as F
from torch import nn


class CharLSTM(nn.Module):
    """Embedding, dropout, a time-major nn.LSTM, dropout, linear head."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        """Layers; the LSTM is time-major (batch_first=False), so forward transposes."""
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embedding_dim)
        self.drop = nn.Dropout(0.1)
        self.rnn = nn.LSTM(embedding_dim, hidden_size, num_layers, dropout=0.2 if num_layers > 1 else 0.0)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        """tokens [B, T] -> logits [B, T, V] and the (h, c) state."""
        x = self.drop(self.emb(tokens)).transpose(0, 1)
        y, state = self.rnn(x, state)
        return self.out(self.drop(y)).transpose(0, 1), state


def train_step(model, optimizer, batch):
    """Cross-entropy over logits [B, V, T] (class dimension second), clipped gradients, one step."""
    model.train()
    logits, _ = model(batch)
    logits = logits[:, :-1]
    loss = F.cross_entropy(logits.transpose(1, 2), batch[:, 1:])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def generate(model, prompt, n, temperature=1.0, generator=None):
    """Re-run the model on the whole sequence for each new id."""
    mode = model.training
    model.eval()
    seq = prompt.tolist()
    new = []
    for _ in range(n):
        logits, _ = model(torch.tensor([seq], dtype=torch.long))
        last = logits[0, -1].double()
        if temperature == 0:
            nxt = int(last.argmax())
        else:
            probs = torch.softmax(last / temperature, dim=0)
            nxt = int(torch.multinomial(probs, num_samples=1, generator=generator))
        seq.append(nxt)
        new.append(nxt)
    model.train(mode)
    return torch.tensor(new, dtype=torch.long)
