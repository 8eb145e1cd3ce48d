"""Alternative: explicit normalisation by the norm, logit scale as exp(-log temperature), logsumexp by hand."""

import torch


def clip_logits(image_emb, text_emb, temperature):
    """Rows divided by their norms; multiplied by the logit scale 1 / temperature = exp(-log(temperature))."""
    temperature = torch.as_tensor(temperature, dtype=image_emb.dtype)
    image = image_emb / image_emb.norm(dim=1, keepdim=True)
    text = text_emb / text_emb.norm(dim=1, keepdim=True)
    return torch.exp(-torch.log(temperature)) * (image @ text.T)


def clip_loss(image_emb, text_emb, temperature):
    """-diag + logsumexp over rows and over columns, each averaged, then averaged together."""
    logits = clip_logits(image_emb, text_emb, temperature)
    positives = logits.diagonal()
    image_to_text = (torch.logsumexp(logits, dim=1) - positives).mean()
    text_to_image = (torch.logsumexp(logits, dim=0) - positives).mean()
    return (image_to_text + text_to_image) / 2
