"""Public check: run it yourself with `judge grade vq-vae-quantizer your_file.py`."""

import torch

from judge.harness import expect


def test_output_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    for k, d, shape in ((8, 4, (2, 3, 5)), (16, 3, (1, 1, 1))):
        weight = torch.randn(k, d, generator=g)
        z_e = torch.randn(shape[0], d, shape[1], shape[2], generator=g)
        result = candidate.call("forward", weight, None, z_e)
        assert result["codebook_shape"] == [k, d], "codebook.weight must have shape [num_embeddings, embedding_dim]"
        outs = result["outputs"]
        assert isinstance(outs, list) and len(outs) == 4, "forward must return a tuple (z_q, codebook_loss, commitment_loss, indices)"
        z_q, codebook_loss, commitment_loss, indices = outs
        expect.floating(z_q, "z_q", tuple(z_e.shape))
        expect.tensor(indices, "indices", (shape[0], shape[1], shape[2]), torch.int64)
        assert bool(((indices >= 0) & (indices < k)).all()), "indices must lie in [0, num_embeddings)"
        for name, value in (("codebook_loss", codebook_loss), ("commitment_loss", commitment_loss)):
            expect.tensor(value, name)
            expect.scalar(value, name)
