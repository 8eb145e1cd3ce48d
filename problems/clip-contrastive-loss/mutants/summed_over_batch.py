"""Mutant: each direction's cross-entropy is summed over the batch instead of averaged."""

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
    targets = torch.arange(logits.shape[0], device=logits.device)
    image_to_text = F.cross_entropy(logits, targets, reduction="sum")
    text_to_image = F.cross_entropy(logits.T, targets, reduction="sum")
    return 0.5 * (image_to_text + text_to_image)
