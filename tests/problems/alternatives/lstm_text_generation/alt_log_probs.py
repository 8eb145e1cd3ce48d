"""An LSTM with a projection (proj_size) whose forward returns log-probabilities, which are valid
logits (softmax of them is the same distribution); train_step uses nll_loss with reduction='sum'
divided by the count; generate takes the state explicitly. A different but correct solution."""

import torch
import torch.nn.functional as F
from torch import nn


class CharLSTM(nn.Module):
    """Embedding -> LSTM with proj_size -> Linear -> log_softmax."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        """The LSTM projects its hidden state to half its size before the head."""
        super().__init__()
        self.vocab_size = vocab_size
        self.table = nn.Embedding(vocab_size, embedding_dim)
        self.core = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True, proj_size=hidden_size // 2)
        self.head = nn.Linear(hidden_size // 2, vocab_size)

    def forward(self, tokens, state=None):
        """Log-probabilities [B, T, V] (normalised logits) and the state."""
        y, state = self.core(self.table(tokens), state)
        return F.log_softmax(self.head(y), dim=-1), state


def train_step(model, optimizer, batch):
    """Summed NLL divided by the number of predicted positions: the mean."""
    x, y = batch[:, :-1], batch[:, 1:]
    log_probs, _ = model(x)
    loss = F.nll_loss(log_probs.reshape(-1, model.vocab_size), y.reshape(-1), reduction="sum") / y.numel()
    model.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.item())


def generate(model, prompt, n, temperature=1.0, generator=None):
    """Greedy or tempered sampling with the carried state, under no_grad."""
    ids = []
    with torch.no_grad():
        scores, state = model(prompt[None, :])
        for _ in range(n):
            row = scores[0, -1]
            if temperature == 0:
                token = row.argmax(dim=-1, keepdim=True)
            else:
                token = torch.multinomial(F.softmax(row / temperature, dim=-1), 1, generator=generator)
            ids.append(token)
            scores, state = model(token[None, :], state)
    return torch.cat(ids).long()
