"""Alternative: torch.cdist, F.embedding, losses as sums over numel, z_q = sg[e] + z_e - sg[z_e]."""

import torch
import torch.nn.functional as F
from torch import nn


class VectorQuantizer(nn.Module):
    """Quantizer keeping channels first throughout the loss computation."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25):
        super().__init__()
        self.beta = beta
        self.codebook = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, z_e):
        """cdist on rows, then gather the entries back into [B, D, H, W]."""
        b, d, h, w = z_e.shape
        rows = z_e.movedim(1, -1).reshape(b * h * w, d)
        indices = torch.cdist(rows, self.codebook.weight).argmin(dim=-1)
        e = F.embedding(indices, self.codebook.weight).reshape(b, h, w, d).movedim(-1, 1)
        n = z_e.numel()
        codebook_loss = ((z_e.detach() - e) ** 2).sum() / n
        commitment_loss = self.beta * ((z_e - e.detach()) ** 2).sum() / n
        z_q = e.detach() + z_e - z_e.detach()
        return z_q, codebook_loss, commitment_loss, indices.reshape(b, h, w)
