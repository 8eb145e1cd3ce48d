"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
checks compute every reference themselves. Generators cannot cross the channel, so seeds do, and the
generators are built here.
"""

import torch
from torch import nn


def _model(sol, vocab_size, kwargs, training):
    """A fresh CharLSTM in the requested mode."""
    model = sol.CharLSTM(vocab_size, **kwargs)
    model.train(training)
    return model


def _flat_parameters(model):
    """All parameters as one detached float64 vector (a copy, so later steps do not change it)."""
    return torch.cat([p.detach().reshape(-1).double() for p in model.parameters()]).clone()


def _generator(seed):
    """A CPU generator seeded with `seed`, or None when the check asks for the global RNG."""
    return None if seed is None else torch.Generator().manual_seed(seed)


class Recorder(nn.Module):
    """Wraps the candidate's model and keeps a copy of the logits of every forward call.

    train_step receives this wrapper, so the logits the check sees are exactly those the submission's
    loss was computed from, whatever the model's mode or dropout. Unknown attributes are read from the
    wrapped model, so `model.vocab_size` and the like still work.
    """

    def __init__(self, inner):
        """Register the wrapped model as a submodule, so parameters() and train() reach it."""
        super().__init__()
        self.inner = inner
        self.records = []

    def forward(self, tokens, state=None):
        """Call the wrapped model and record its logits."""
        logits, state = self.inner(tokens, state)
        self.records.append(logits.detach().clone())
        return logits, state

    def __getattr__(self, name):
        """Fall back to the wrapped model's attributes."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("inner"), name)


class StandIn(nn.Module):
    """A model with logits chosen by the check: logits[b, t] = table[tokens[b, t]].

    With every row of `table` equal it is a fixed distribution; with distinct rows it is a bigram
    model whose greedy path the check can compute. It returns an LSTM-like (h, c) state and logs
    whether gradient recording was on at each call.
    """

    def __init__(self, table):
        """table: [V, V] float logits, row i used after token i."""
        super().__init__()
        self.vocab_size = table.shape[1]
        self.table = table.clone()
        # A parameter, so that the stand-in records gradients exactly when a real model would.
        self.anchor = nn.Parameter(torch.zeros(()))
        self.grad_enabled = []
        self.calls = 0

    def forward(self, tokens, state=None):
        """tokens [B, T] -> (logits [B, T, V], (h, c))."""
        self.calls += 1
        self.grad_enabled.append(torch.is_grad_enabled())
        batch = tokens.shape[0]
        logits = self.table[tokens.long()] + self.anchor
        if state is None:
            state = (torch.zeros(1, batch, 4), torch.zeros(1, batch, 4))
        return logits, state


def forward(sol, vocab_size, kwargs, tokens, more_tokens):
    """Logits and state for `tokens`, then logits for `more_tokens` continuing from that state."""
    model = _model(sol, vocab_size, kwargs, training=False)
    with torch.no_grad():
        logits, state = model(tokens)
        more_logits, _ = model(more_tokens, state)
    return logits, more_logits


def chunked(sol, vocab_size, kwargs, tokens, cuts):
    """Full-sequence logits, and the logits of the same sequence fed in chunks (cut at `cuts`), state carried."""
    model = _model(sol, vocab_size, kwargs, training=False)
    with torch.no_grad():
        full, _ = model(tokens)
        pieces, state, start = [], None, 0
        for end in list(cuts) + [tokens.shape[1]]:
            logits, state = model(tokens[:, start:end], state)
            pieces.append(logits)
            start = end
    return full, pieces


def causal(sol, vocab_size, kwargs, tokens, variants):
    """Logits for `tokens` and for each variant sequence, from one model."""
    model = _model(sol, vocab_size, kwargs, training=False)
    with torch.no_grad():
        return model(tokens)[0], [model(v)[0] for v in variants]


def train_step_loss(sol, vocab_size, kwargs, batches, lr):
    """train_step on each batch in turn (plain SGD); the returned losses and the logits each step used."""
    model = Recorder(_model(sol, vocab_size, kwargs, training=True))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    out = []
    for batch in batches:
        model.records = []
        value = sol.train_step(model, optimizer, batch)
        out.append({"loss": value, "logits": list(model.records)})
    return out


def train_step_update(sol, vocab_size, kwargs, batch, lr):
    """Parameters before, after one and after two train_steps on the same batch (SGD, no momentum)."""
    model = _model(sol, vocab_size, kwargs, training=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    params = [_flat_parameters(model)]
    for _ in range(2):
        sol.train_step(model, optimizer, batch)
        params.append(_flat_parameters(model))
    return params


def train(sol, vocab_size, kwargs, batches, eval_batch, lr):
    """Adam training with train_step over `batches` [steps, B, T+1]; eval-mode logits on eval_batch before and after."""
    # torch is seeded with the run's seed before each probe (0 when graded): the model's initialisation.
    model = _model(sol, vocab_size, kwargs, training=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def evaluate():
        model.eval()
        with torch.no_grad():
            logits, _ = model(eval_batch[:, :-1])
        model.train()
        return logits

    before = evaluate()
    losses = [sol.train_step(model, optimizer, batch) for batch in batches]
    after = evaluate()
    return before, after, losses


def generate(sol, vocab_size, kwargs, prompt, n, temperature, seeds):
    """generate() once per seed (None: no generator) on one eval-mode model; each output with the
    model's own logits over prompt + output, computed afterwards in one full-sequence call."""
    model = _model(sol, vocab_size, kwargs, training=False)
    results = []
    for seed in seeds:
        ids = sol.generate(model, prompt, n, temperature=temperature, generator=_generator(seed))
        logits = None
        model.eval()
        if isinstance(ids, torch.Tensor) and ids.dim() == 1 and ids.dtype == torch.long:
            with torch.no_grad():
                logits, _ = model(torch.cat([prompt, ids.clamp(0, vocab_size - 1)]).view(1, -1))
            logits = logits[0]
        results.append({"ids": ids, "requires_grad": bool(getattr(ids, "requires_grad", False)), "logits": logits})
    return results


def generate_stand_in(sol, table, prompt, n, temperature, seeds):
    """generate() on a fresh StandIn with the given logits table, once per seed; the ids and whether
    gradients were recorded during the model's calls."""
    results = []
    for seed in seeds:
        model = StandIn(table)
        model.eval()
        ids = sol.generate(model, prompt, n, temperature=temperature, generator=_generator(seed))
        results.append({"ids": ids, "grad_enabled": list(model.grad_enabled), "calls": model.calls})
    return results


def generate_mode(sol, vocab_size, kwargs, prompt, n):
    """For a model in train mode, then one in eval mode: every module's `training` flag after generate()."""
    flags = []
    for training in (True, False):
        model = _model(sol, vocab_size, kwargs, training=training)
        sol.generate(model, prompt, n, temperature=1.0, generator=_generator(0))
        flags.append([m.training for m in model.modules()])
    return flags
