"""CLIP-style contrastive loss: fill in both functions. See the statement for the exact conventions."""

import torch
import torch.nn.functional as F


def clip_logits(image_emb, text_emb, temperature):
    """[N, D] x [M, D] -> [N, M] logits: cosine similarity / temperature."""
    raise NotImplementedError


def clip_loss(image_emb, text_emb, temperature):
    """Symmetric cross-entropy over both directions, targets on the diagonal; returns a scalar tensor."""
    raise NotImplementedError
