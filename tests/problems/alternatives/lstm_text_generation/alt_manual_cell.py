"""A hand-written multi-layer LSTM (explicit gates) with a dict state, NLL of log_softmax in
train_step, and generate under inference_mode that never touches the model's mode. A different but
correct solution."""

import torch
import torch.nn.functional as F
from torch import nn


class CharLSTM(nn.Module):
    """Embedding, stacked hand-written LSTM layers, linear head."""

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1):
        """One input and one recurrent projection per layer, producing the four gates at once."""
        super().__init__()
        self.hidden_size = hidden_size
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        sizes = [embedding_dim] + [hidden_size] * (num_layers - 1)
        self.ih = nn.ModuleList(nn.Linear(s, 4 * hidden_size) for s in sizes)
        self.hh = nn.ModuleList(nn.Linear(hidden_size, 4 * hidden_size, bias=False) for _ in sizes)
        self.proj = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        """Step through time; the state is {'h': [per layer], 'c': [per layer]}."""
        batch, steps = tokens.shape
        layers = len(self.ih)
        if state is None:
            zero = torch.zeros(batch, self.hidden_size)
            state = {"h": [zero] * layers, "c": [zero] * layers}
        h, c = list(state["h"]), list(state["c"])
        x = self.embed(tokens)
        outputs = []
        for t in range(steps):
            inp = x[:, t]
            for layer in range(layers):
                i, f, g, o = (self.ih[layer](inp) + self.hh[layer](h[layer])).chunk(4, dim=-1)
                c[layer] = torch.sigmoid(f) * c[layer] + torch.sigmoid(i) * torch.tanh(g)
                h[layer] = torch.sigmoid(o) * torch.tanh(c[layer])
                inp = h[layer]
            outputs.append(inp)
        logits = self.proj(torch.stack(outputs, dim=1))
        return logits, {"h": h, "c": c}


def train_step(model, optimizer, batch):
    """Mean negative log-likelihood of the next token; zero_grad first."""
    optimizer.zero_grad()
    logits, _ = model(batch[:, :-1])
    log_probs = F.log_softmax(logits, dim=-1)
    loss = -log_probs.gather(-1, batch[:, 1:].unsqueeze(-1)).mean()
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.inference_mode()
def generate(model, prompt, n, temperature=1.0, generator=None):
    """Prime on the prompt, then feed one token at a time with the carried state."""
    logits, state = model(prompt.unsqueeze(0))
    out = torch.empty(n, dtype=torch.long)
    for k in range(n):
        last = logits[:, -1, :]
        if temperature == 0:
            nxt = last.topk(1, dim=-1).indices
        else:
            nxt = torch.multinomial(torch.softmax(last / temperature, dim=-1), 1, generator=generator)
        out[k] = nxt.item()
        logits, state = model(nxt.view(1, 1), state)
    return out.clone()
