"""Mutant: log(exp(L) / sum(exp(L))) written out: exp overflows float32 at small temperatures (nan)."""

import torch
import torch.nn.functional as F


def clip_logits(image_emb, text_emb, temperature):
    """[N, D] x [M, D] -> [N, M]: cosine similarities of every image with every text, divided by temperature."""
    image = F.normalize(image_emb, dim=-1)
    text = F.normalize(text_emb, dim=-1)
    return image @ text.T / temperature


def clip_loss(image_emb, text_emb, temperature):
    """Mean of image->text and text->image cross-entropies; pair i (image i, text i) is the positive.

    F.cross_entropy works from log_softmax, which subtracts the row maximum: small temperatures (large
    logits) do not overflow.
    """
    logits = clip_logits(image_emb, text_emb, temperature)
    weights = torch.exp(logits)
    image_to_text = -torch.log(torch.diagonal(weights) / weights.sum(dim=1)).mean()
    text_to_image = -torch.log(torch.diagonal(weights) / weights.sum(dim=0)).mean()
    return 0.5 * (image_to_text + text_to_image)
