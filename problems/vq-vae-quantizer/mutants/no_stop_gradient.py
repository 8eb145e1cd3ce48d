"""Mutant: no stop-gradient in either loss: both move the codebook and the encoder."""

import torch
import torch.nn.functional as F
from torch import nn


class VectorQuantizer(nn.Module):
    """Quantizes each spatial position of z_e [B, D, H, W] to its nearest of K codebook vectors."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta
        self.codebook = nn.Embedding(num_embeddings, embedding_dim)
        self.codebook.weight.data.uniform_(-1.0 / num_embeddings, 1.0 / num_embeddings)

    def forward(self, z_e):
        """-> (z_q [B, D, H, W] with straight-through gradients, codebook_loss, commitment_loss, indices [B, H, W])."""
        b, d, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, d)  # one row per position, channels last
        weight = self.codebook.weight
        # Squared distances computed directly (not by expansion), so exact ties stay exact; argmin keeps the first.
        distances = ((flat.unsqueeze(1) - weight.unsqueeze(0)) ** 2).sum(dim=2)
        indices = distances.argmin(dim=1)
        quantized = self.codebook(indices).view(b, h, w, d).permute(0, 3, 1, 2)
        codebook_loss = F.mse_loss(quantized, z_e)
        commitment_loss = self.beta * F.mse_loss(z_e, quantized)
        # Straight-through: the value of the codebook entry, the gradient of the identity to z_e.
        z_q = z_e + (quantized - z_e).detach()
        return z_q, codebook_loss, commitment_loss, indices.view(b, h, w)
