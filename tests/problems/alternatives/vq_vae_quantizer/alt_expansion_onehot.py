"""Alternative (Sonnet style): distances by expansion, one-hot encodings times the codebook, losses written out."""

import torch
import torch.nn.functional as F
from torch import nn


class VectorQuantizer(nn.Module):
    """Nearest-code quantizer; z_q is built from a one-hot matrix."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta
        self.codebook = nn.Embedding(num_embeddings, embedding_dim)
        nn.init.normal_(self.codebook.weight)

    def forward(self, z_e):
        """Channels moved last, ||z||^2 - 2 z.e + ||e||^2, one-hot lookup."""
        z = z_e.permute(0, 2, 3, 1).contiguous()
        flat = z.view(-1, self.embedding_dim)
        w = self.codebook.weight
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ w.t() + w.pow(2).sum(1)
        indices = torch.argmin(distances, dim=1)
        one_hot = F.one_hot(indices, self.num_embeddings).type(flat.dtype)
        quantized = (one_hot @ w).view(z.shape)
        codebook_loss = torch.mean((quantized - z.detach()) ** 2)
        commitment_loss = self.beta * torch.mean((quantized.detach() - z) ** 2)
        quantized = z + (quantized - z).detach()
        z_q = quantized.permute(0, 3, 1, 2).contiguous()
        return z_q, codebook_loss, commitment_loss, indices.view(z.shape[:3])
