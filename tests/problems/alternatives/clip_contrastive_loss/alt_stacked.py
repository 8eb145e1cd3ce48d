"""Alternative: one cross-entropy over the stacked [L; L.T] (the mean of both directions in one call), einsum cosines."""

import torch
import torch.nn.functional as F


def clip_logits(image_emb, text_emb, temperature):
    """Cosines by einsum over normalised rows, divided by the temperature."""
    image = F.normalize(image_emb, p=2.0, dim=1)
    text = F.normalize(text_emb, p=2.0, dim=1)
    return torch.einsum("id,jd->ij", image, text) / temperature


def clip_loss(image_emb, text_emb, temperature):
    """Both directions have N rows each, so the mean over 2N rows is the mean of the two means."""
    logits = clip_logits(image_emb, text_emb, temperature)
    n = logits.shape[0]
    targets = torch.arange(n).repeat(2)
    return F.cross_entropy(torch.cat([logits, logits.T], dim=0), targets)
